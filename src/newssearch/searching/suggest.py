"""Did you mean: a corrected query from the index's own vocabulary.

The candidates are headline words (their unstemmed forms, which the index keeps for
this) within two edits of a query word, far more common than the word typed. The one
chosen is one with which the query finds stories (it is in stories holding the
query's other words), then the nearest, then the one whose stories most often hold the
other words, then the most common in headlines: `gaza truse` becomes `gaza truce`, not
`gaza true` or `gaza trust`, words more common but seldom written beside `gaza`.
`suggest` is asked after every search; it spells again at most `MAX_SUGGESTED_WORDS`
words, and none once `SUGGEST_SECONDS` have gone on it, so its cost is bounded whatever
the query's length.
"""

from __future__ import annotations

import re
import time

from whoosh import query as wq

from newssearch import analysis
from newssearch.engine.reader import IndexView
from newssearch.engine.vocabulary import edit_distance
from newssearch.searching.query import ParsedQuery

MIN_RESULTS = 3
"""A query that matches fewer stories than this gets suggestions for its words that are
as rare and in no headline."""
MAX_SUGGESTED_WORDS = 8
"""At most this many of a query's words are spelled again (the first ones that need it):
each is weighed against the headline words of about its length."""
SUGGEST_SECONDS = 0.25
"""Once this long has gone on suggestions, no further word is spelled again: a
suggestion is optional, and a query of many unknown words must not cost a second a word."""


def suggest(view: IndexView, parsed: ParsedQuery, text: str, total: int) -> str | None:
    """A corrected query, from the index's own vocabulary (the headlines' unstemmed
    words), for the words the index does not know, and, when the query matches fewer than
    `MIN_RESULTS` stories (`total`), for words in fewer stories than that and in no
    headline. None when the query looks well spelled."""
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
    tokens = {}
    for token in dict.fromkeys(re.findall(r"[^\W\d_]{3,}", text)):  # in text order
        stem = next(iter(view.analyze(token)), None)
        if stem is not None and stem in stems:
            tokens[token] = stem
    known = {stem for stem in set(tokens.values()) if view.holds(stem)}
    started = time.monotonic()
    spelled_again = 0
    for token, stem in tokens.items():
        in_headlines = view.doc_frequency("headline", stem)
        freq = view.doc_frequency("body", stem) + in_headlines
        if freq and (total >= MIN_RESULTS or freq >= MIN_RESULTS or in_headlines):
            continue
        if spelled_again == MAX_SUGGESTED_WORDS or time.monotonic() - started > SUGGEST_SECONDS:
            break
        spelled_again += 1
        # the query's other words the index knows
        others = sorted({s for t, s in tokens.items() if t != token and s in known})
        spelled = []
        for candidate in view.spellings(analysis.fold(token), limit=20, maxdist=2):
            c_stem = next(iter(view.analyze(candidate)), candidate)
            c_freq = view.doc_frequency("body", c_stem) + view.doc_frequency("headline", c_stem)
            if c_freq > 10 * freq:
                spelled.append((candidate, c_stem, c_freq))
        found = view.counts_with(others, [c_stem for _, c_stem, _ in spelled])
        best: tuple[bool, int, float, int, str] | None = None
        for (candidate, _, c_freq), together in zip(spelled, found, strict=True):
            if c_freq < MIN_RESULTS and not (others and together):
                continue
            key = (
                not together,  # a spelling with which the query finds stories first
                edit_distance(analysis.fold(token), candidate),
                -together / c_freq if others else 0.0,  # its stories' share holding the others
                -view.doc_frequency("spell_headline", candidate),
                candidate,
            )
            best = key if best is None or key < best else best
        if best is not None:
            replaced = re.sub(rf"\b{re.escape(token)}\b", best[4], replaced)
            changed = True
    return replaced if changed else None
