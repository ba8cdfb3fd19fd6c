"""Merge what the shards found into what one index over all their stories would answer.

Pure functions over the library's result dataclasses. Hits are ordered as one index
orders them: by the score shown (which already places every story holding all the words
above those holding some), or by date, and equal keys by story code, so the order does
not depend on which shard holds which story.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from newssearch.models import Hit, IndexStats, SearchResult, Sort, Timeline, TimelineBucket
from newssearch.searching.ranking import recency_order


def order(hits: Iterable[Hit], sort: Sort) -> list[Hit]:
    """The hits in the order of `sort`, ties by story code."""
    if sort is Sort.relevance:
        return sorted(hits, key=lambda h: (-h.score, h.code))
    newest = sort is Sort.newest

    def by_date(h: Hit) -> tuple[bool, Any, str]:
        if h.date is None:  # undated stories last, whichever way the dates run
            return (True, timedelta(0), h.code)
        since = h.date - datetime.min
        return (False, -since if newest else since, h.code)

    return sorted(hits, key=by_date)


def recent(hits: list[Hit]) -> list[Hit]:
    """`--recent` over the archive's best hits, as one index does it over its own."""
    order = recency_order(
        [h.score for h in hits],
        [h.date for h in hits],
        [h.partial for h in hits],
        [h.code for h in hits],
    )
    return [replace(hits[at], score=score) for at, score in order]


def page_of(
    query: str,
    results: list[SearchResult],
    hits: list[Hit],
    *,
    limit: int,
    page: int,
    suggestion: str | None,
    unavailable: tuple[str, ...] = (),
) -> SearchResult:
    """Page `page` of `hits` (in order), with the shards' totals added up."""
    start = limit * (page - 1)
    shown = [replace(h, rank=rank) for rank, h in enumerate(hits[start : start + limit], start + 1)]
    return SearchResult(
        query=query,
        total=sum(r.total for r in results),
        page=page,
        limit=limit,
        hits=tuple(shown),
        suggestion=suggestion,
        partial_total=sum(r.partial_total for r in results),
        unavailable=unavailable,
    )


def suggestion(results: list[SearchResult], total: int) -> str | None:
    """A spelling suggestion for the whole archive: each shard suggests from its own
    words, so one counts when no story matches anywhere, or when every shard made it."""
    made = [r.suggestion for r in results]
    if not total:
        return next((s for s in made if s), None)
    return made[0] if made and made[0] and all(s == made[0] for s in made) else None


def timelines(query: str, parts: list[Timeline], unavailable: tuple[str, ...] = ()) -> Timeline:
    """The shards' timelines (counted over the same periods) added up."""
    counts: dict[date, int] = {}
    for part in parts:
        for bucket in part.buckets:
            counts[bucket.start] = counts.get(bucket.start, 0) + bucket.count
    return Timeline(
        query=query,
        by=parts[0].by if parts else "month",
        total=sum(p.total for p in parts),
        buckets=tuple(TimelineBucket(start, n) for start, n in sorted(counts.items())),
        undated=sum(p.undated for p in parts),
        unavailable=unavailable,
    )


def stats(parts: dict[str, IndexStats], unavailable: tuple[str, ...] = ()) -> IndexStats:
    """What the shards hold, added up; roots are named `shard:path`."""
    per_year: dict[int, int] = {}
    per_language: dict[str, int] = {}
    for part in parts.values():
        for year, n in part.per_year.items():
            per_year[year] = per_year.get(year, 0) + n
        for language, n in part.per_language.items():
            per_language[language] = per_language.get(language, 0) + n
    firsts = [p.first_date for p in parts.values() if p.first_date is not None]
    lasts = [p.last_date for p in parts.values() if p.last_date is not None]
    return IndexStats(
        stories=sum(p.stories for p in parts.values()),
        first_date=min(firsts, default=None),
        last_date=max(lasts, default=None),
        per_year=dict(sorted(per_year.items())),
        per_language=dict(sorted(per_language.items())),
        size_bytes=sum(p.size_bytes for p in parts.values()),
        roots=tuple(f"{name}:{root}" for name, part in parts.items() for root in part.roots),
        unavailable=unavailable,
    )
