"""Did you mean: a corrected query from the index's own vocabulary.

The candidates are headline words (their unstemmed forms, which the index keeps for
this) within two edits of a query word; the nearest, then the most common, wins, and
only if it is far more common than the word typed. `suggest` is asked after every search.
"""

from __future__ import annotations

import re

from whoosh import query as wq

from newssearch import analysis
from newssearch.engine.reader import IndexView
from newssearch.engine.vocabulary import edit_distance
from newssearch.searching.query import ParsedQuery

MIN_RESULTS = 3
"""A query that matches nothing gets suggestions for its words in fewer stories than this."""


def suggest(view: IndexView, parsed: ParsedQuery, text: str, total: int) -> str | None:
    """A corrected query, from the index's own vocabulary (the headlines' unstemmed
    words), for the words the index does not know, and, when no story matches the query
    (`total` is 0), for words that are rare (in fewer than `MIN_RESULTS` stories) and in
    no headline. None when the query looks well spelled."""
    words = {
        (t.fieldname, t.text)
        for t in parsed.all_words.leaves()
        if isinstance(t, wq.Term) and t.fieldname in ("headline", "body")
    }
    stems = {w for _, w in words}
    if not stems:
        return None
    replaced = text
    changed = False
    for token in set(re.findall(r"[^\W\d_]{3,}", text)):
        stem = next(iter(view.analyze(token)), None)
        if stem is None or stem not in stems:
            continue
        freq = view.doc_frequency("body", stem) + view.doc_frequency("headline", stem)
        known = view.doc_frequency("spell_headline", analysis.fold(token)) > 0
        if freq and (total or freq >= MIN_RESULTS or known):
            continue
        best: tuple[int, int, str] | None = None
        for candidate in view.spellings(analysis.fold(token), limit=20, maxdist=2):
            c_stem = next(iter(view.analyze(candidate)), candidate)
            c_freq = view.doc_frequency("body", c_stem) + view.doc_frequency("headline", c_stem)
            if c_freq > max(10 * freq, MIN_RESULTS):
                # the nearest spelling first, then the most common
                surface = view.doc_frequency("spell_headline", candidate)
                key = (edit_distance(analysis.fold(token), candidate), -surface, candidate)
                best = key if best is None or key < best else best
        if best is not None:
            replaced = re.sub(rf"\b{re.escape(token)}\b", best[2], replaced)
            changed = True
    return replaced if changed else None
