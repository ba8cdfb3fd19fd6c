"""Stories like a given one: its most telling words, searched as one weighted query."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from whoosh import query as wq

from newssearch.engine.reader import IndexView
from newssearch.models import SearchResult
from newssearch.searching import ranking
from newssearch.searching.search import check_page, limits, page_of

SIMILAR_TERMS = 25
"""How many key terms of a story describe it for `similar`."""


def key_terms(view: IndexView, docnum: int) -> list[tuple[str, float]]:
    """A story's most telling words: (1 + log tf) x idf over its stemmed headline (counted
    `HEADLINE_BOOST` times) and body, numbers left out."""
    stored = view.stored(docnum)
    tf: dict[str, float] = {}
    for field, weight in (("headline", ranking.HEADLINE_BOOST), ("body", 1.0)):
        for word in view.analyze(stored.get(field, "")):
            if not any(ch.isdigit() for ch in word):
                tf[word] = tf.get(word, 0.0) + weight
    scored = [(w, (1 + math.log(n)) * view.idf("body", w)) for w, n in tf.items()]
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored[:SIMILAR_TERMS]


def run_similar(
    view: IndexView,
    code: str,
    *,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    page: int,
    language: str | None = None,
) -> SearchResult | None:
    """Stories most like story `code` (by the key terms of its headline and body), never
    the story itself; None when no story has that code."""
    check_page(limit, page)
    docnum = view.document_number(code)
    if docnum is None:
        return None
    terms: list[Any] = []
    for word, weight in key_terms(view, docnum):
        terms.append(wq.Term("headline", word, boost=weight * ranking.HEADLINE_BOOST))
        terms.append(wq.Term("body", word, boost=weight))
    text = f"similar:{code}"
    within = limits(view, since, until, language)
    if not terms or (within is not None and not within):
        return SearchResult(text, 0, page, limit, ())
    q = wq.Or(terms)
    found = ranking.ranked(view, [q], within=within, exclude={docnum}, wanted=limit * page)
    shown = [(h, ranking.shown_score(h.score, True), False) for h in found.hits]
    return page_of(view, text, q, shown, found.counts[0], limit, page)
