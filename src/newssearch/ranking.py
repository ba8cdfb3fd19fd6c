"""Ranking parameters, chosen by measurement with bench/quality.py (see the README).

BM25 per field over headline and body, summed; a headline match counts `HEADLINE_BOOST`
times a body match. The parameters were chosen by the mean nDCG@10 over four judged
collections at once (news topics, library science, aeronautics and medical abstracts),
never for one of them. All are applied at query time, so changing them needs no re-index.
"""

from __future__ import annotations

import math
from typing import Any

from whoosh import scoring

HEADLINE_BOOST = 1.0
"""A headline's words are most often in the body too, so they already count twice."""
BM25_B = 0.35
BM25_K1 = 3.0
BM25_K3 = 1.0
"""How fast a word's weight in plain text saturates as the text repeats it (1, 1.33,
1.5, 1.6, ... times for 1, 2, 3, 4 mentions)."""
ALL_WORDS_FIRST = True
"""Rank stories holding every word of a plain query above those holding only some."""
FEEDBACK = True
"""Order plain text's first stories again with the words of its best stories added
(`newssearch.feedback`)."""
FEEDBACK_DEPTH = 30
"""How many of the first stories are ordered again."""
FEEDBACK_STORIES = 5
FEEDBACK_WORDS = 20
FEEDBACK_MIN_STORIES = 2
FEEDBACK_CANDIDATES = 60
"""Only this many of the words most frequent in the stories are weighed by idf."""
FEEDBACK_SHARE = 0.5
"""The added words' share of the query's weight."""


def idf(found: int, stories: int) -> float:
    """The textbook BM25 idf, kept positive: log(1 + (N - df + 0.5) / (df + 0.5)). Whoosh's
    own, 1 + log(N / (df + 1)), is flatter: a word in half the stories still weighs a
    third of the rarest, which lets the common words of a long question outvote its rare
    ones."""
    return math.log(1 + (stories - found + 0.5) / (found + 0.5))


class BM25(scoring.BM25F):  # type: ignore[misc]
    """Whoosh's BM25F (BM25 per field, summed) with `idf` in place of Whoosh's idf."""

    def idf(self, searcher: Any, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        return idf(parent.doc_frequency(fieldname, text), parent.doc_count_all())


def weighting() -> Any:
    """The Whoosh scoring model searches use."""
    return BM25(B=BM25_B, K1=BM25_K1)


def field_boosts() -> dict[str, float]:
    """Query-time weights of the searched fields."""
    return {"headline": HEADLINE_BOOST, "body": 1.0}
