"""Stories like a given one: its most telling words, searched as one weighted query."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from whoosh import query as wq

from newssearch.engine.reader import IndexView
from newssearch.engine.stats import CorpusStats, Frequencies
from newssearch.models import SearchResult
from newssearch.searching import ranking
from newssearch.searching.search import check_page, limits, page_of

SIMILAR_TERMS = 25
"""How many key terms of a story describe it for `similar`."""


def key_term_counts(view: IndexView, code: str) -> dict[str, float] | None:
    """The weighted counts of a story's words that `similar` describes it by: each stem
    of its headline (counted `HEADLINE_BOOST` times) and body, numbers left out; None
    when no story has that code."""
    docnum = view.document_number(code)
    if docnum is None:
        return None
    stored = view.stored(docnum)
    tf: dict[str, float] = {}
    for field, weight in (("headline", ranking.HEADLINE_BOOST), ("body", 1.0)):
        for word in view.analyze(stored.get(field, "")):
            if not any(ch.isdigit() for ch in word):
                tf[word] = tf.get(word, 0.0) + weight
    return tf


def choose_terms(counts: dict[str, float], frequencies: Frequencies) -> list[tuple[str, float]]:
    """A story's most telling words, `SIMILAR_TERMS` of them, from its word counts:
    (1 + log tf) x idf (in the body)."""
    scored = [(w, (1 + math.log(n)) * frequencies.idf("body", w)) for w, n in counts.items()]
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
    counts = key_term_counts(view, code)
    if counts is None:
        return None
    terms = choose_terms(counts, ranking.frequencies(view))
    return run_similar_terms(
        view,
        code,
        terms,
        since=since,
        until=until,
        limit=limit * page,
        page=page,
        language=language,
    )


def run_similar_terms(
    view: IndexView,
    code: str,
    terms: list[tuple[str, float]],
    *,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    page: int = 1,
    language: str | None = None,
    stats: CorpusStats | None = None,
) -> SearchResult:
    """Page `page` of the stories found by `terms` (word, weight), never story `code`;
    `limit` is the page size times the page (`stats`: as for `search.run_search`)."""
    check_page(limit, page)
    size = limit // page
    docnum = view.document_number(code)
    clauses: list[Any] = []
    for word, weight in terms:
        clauses.append(wq.Term("headline", word, boost=weight * ranking.HEADLINE_BOOST))
        clauses.append(wq.Term("body", word, boost=weight))
    text = f"similar:{code}"
    within = limits(view, since, until, language)
    if not clauses or (within is not None and not within):
        return SearchResult(text, 0, page, size, ())
    q = wq.Or(clauses)
    found = ranking.ranked(
        view,
        [q],
        within=within,
        exclude=set() if docnum is None else {docnum},
        wanted=limit,
        stats=stats,
    )
    shown = [(h, ranking.shown_score(h.score, True), False) for h in found.hits]
    return page_of(view, text, q, shown, found.counts[0], size, page)
