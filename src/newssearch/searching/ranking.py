"""Ranking parameters, chosen by measurement with bench/quality.py (see the README).

BM25F over headline and body; a headline match counts `HEADLINE_BOOST` times a body
match. Both are applied at query time, so tuning them needs no re-index.
"""

from __future__ import annotations

from typing import Any

from whoosh import scoring

HEADLINE_BOOST = 1.25
BM25_B = 0.2
BM25_K1 = 1.6
ALL_WORDS_FIRST = True
"""Rank stories holding every word of a plain query above those holding only some."""


def weighting() -> Any:
    """The Whoosh scoring model searches use."""
    return scoring.BM25F(B=BM25_B, K1=BM25_K1)


def field_boosts() -> dict[str, float]:
    """Query-time weights of the searched fields."""
    return {"headline": HEADLINE_BOOST, "body": 1.0}
