"""The English chain, as Whoosh's `StemmingAnalyzer` makes terms: the tokenizer pattern,
lower case, Whoosh's English stop words, words shorter than `MIN_WORD` dropped, and the
Porter stemmer. Its terms must never change: every existing index holds them.
"""

from __future__ import annotations

import re

from whoosh.analysis import STOP_WORDS
from whoosh.lang.porter import stem

WORD = re.compile(r"[\w\*]+(?:\.?[\w\*]+)*")
"""Whoosh's default tokenizer pattern, with its group made non-capturing."""
MIN_WORD = 2
"""Shorter words are dropped, as StemmingAnalyzer's stop filter does."""


def english_term(word: str) -> str:
    """The term StemmingAnalyzer makes of one tokenizer word; "" for a dropped word.

    >>> english_term("Prices"), english_term("the"), english_term("x")
    ('price', '', '')
    """
    lower = word.lower()
    return "" if len(lower) < MIN_WORD or lower in STOP_WORDS else stem(lower)
