"""The index's words, as a query's wildcards, fuzzy terms and misspellings reach them.

The index holds stems; a reader writes wildcards against words as written, and
misspells them. `word_ends` adds the stems a wildcard stands for once endings are
taken into account (`negotiat*`, `ceasef?re`), `fuzzy_words` the words within a few
edits of a fuzzy term, and `edit_distance` measures how far apart two words are.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from typing import Any

from whoosh import query as wq

from newssearch import analysis
from newssearch.analysis.english import ENDINGS, completions

MIDDLE_FROM = 2
"""A wildcard inside a word is matched against stems and their likely endings only when
at least this many letters come before it (fewer would try most of the vocabulary)."""


def word_ends(q: Any, reader: Any) -> Iterator[str]:
    """The stems a wildcard ending a word stands for (see `IndexView.expansions`), and
    those a wildcard inside an English word does with a likely ending put back
    (`ceasef?re`: `ceasefir`, the stem of ceasefire)."""
    text = q.text + ("*" if isinstance(q, wq.Prefix) else "")
    cut = min((text.index(c) for c in "*?" if c in text), default=len(text))
    letters, tail = text[:cut], text[cut:]
    if not letters:
        return
    if set(tail) - {"*", "?"}:  # a wildcard inside a word: `ceasef?re`
        if letters.isascii() and len(letters) >= MIDDLE_FROM:
            pattern = re.compile(fnmatch.translate(text))
            for word in reader.expand_prefix(q.fieldname, letters):
                word = word.decode("utf-8") if isinstance(word, bytes) else word
                if any(pattern.match(word + end) for end in ("", *ENDINGS)):
                    yield word
        return
    start = analysis.stem(letters)
    longest = None if "*" in tail else len(letters) + len(tail)
    for word in reader.expand_prefix(q.fieldname, start):
        word = word.decode("utf-8") if isinstance(word, bytes) else word
        if longest is None or len(word) <= longest:
            yield word
    if letters.isascii() and letters.isalpha():  # English: the stems of likely words
        for word in sorted(completions(letters, None if longest is None else len(tail))):
            if reader.doc_frequency(q.fieldname, word):
                yield word


def fuzzy_words(q: Any, reader: Any) -> Iterator[str]:
    """The indexed words within `q.maxdist` edits of a fuzzy term. Whoosh computes a full
    edit distance for every word sharing the prefix (1.1 s for `petrolium~` on Reuters);
    words whose length is already too different are skipped first here."""
    text, maxdist = q.text, q.maxdist
    for word in reader.expand_prefix(q.fieldname, text[: q.prefixlength]):
        if isinstance(word, bytes):
            word = word.decode("utf-8")
        if edit_distance(text, word, limit=maxdist) <= maxdist:
            yield word


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance counting a swap of two neighbouring letters as one edit; with
    `limit`, any distance above it may come back as `limit + 1` (found sooner).

    >>> edit_distance("cocao", "cocoa"), edit_distance("goverment", "movement")
    (1, 2)
    """
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        # (a swap reaches back two rows, so both must be past the limit)
        if limit is not None and min(current) > limit and min(previous) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
