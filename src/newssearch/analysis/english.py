"""The English chain: the tokenizer pattern, lower case, Snowball's English stop words,
words shorter than `MIN_WORD` dropped, and Snowball's English stemmer (Porter2, through
PyStemmer). Both Snowball parts were chosen on the judged collections of
bench/quality.py (see the README): the stemmer splits "news" from "new", and the stop
list drops the question words ("what", "how", "which") of a pasted question.
"""

from __future__ import annotations

import re
import threading

from whoosh.lang.stopwords import stoplists

WORD = re.compile(r"[\w\*]+(?:\.?[\w\*]+)*")
"""Whoosh's default tokenizer pattern, with its group made non-capturing."""
MIN_WORD = 2
"""Shorter words are dropped, as Whoosh's StemmingAnalyzer drops them."""
STOP_WORDS = frozenset(stoplists["en"])
"""Snowball's English stop words (as Whoosh ships them): not indexed, not searched."""

_local = threading.local()


def stem(word: str) -> str:
    """The Snowball English (Porter2) stem of a lower-case word.

    >>> stem("prices"), stem("news"), stem("running")
    ('price', 'news', 'run')
    """
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:  # a stemmer keeps state while it works: one per thread
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("english", 0)
    result: str = stemmer.stemWord(word)
    return result


def english_word(word: str) -> str:
    """The word lower-cased, "" when it is dropped (a stop word or too short)."""
    lower = word.lower()
    return "" if len(lower) < MIN_WORD or lower in STOP_WORDS else lower


def english_term(word: str) -> str:
    """The term of one tokenizer word; "" for a dropped word.

    >>> english_term("Prices"), english_term("the"), english_term("x")
    ('price', '', '')
    """
    lower = english_word(word)
    return stem(lower) if lower else ""


ENDINGS = (
    *("e", "s", "es", "ed", "d", "y", "ies", "ied", "ing", "er", "ers", "or", "ors"),
    *("ion", "ions", "ation", "ations", "ive", "ively", "ment", "ments", "al", "ly"),
)
"""Common English word endings: the words a wildcard ending an English word may stand
for are guessed from them (`negotiat*`: negotiate, negotiation, negotiations)."""


def completions(letters: str, most: int | None) -> set[str]:
    """The stems of `letters` followed by each of `ENDINGS` no longer than `most` letters
    (None: any), and of `letters` alone.

    >>> {"negoti", "negotiat"} <= completions("negotiat", None)
    True
    """
    lower = letters.lower()
    return {stem(lower + end) for end in ("", *ENDINGS) if most is None or len(end) <= most}
