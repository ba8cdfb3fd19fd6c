"""Plain, frozen result types.

Every object the library hands out is one of these dataclasses: they hold copies of the
index's data, so they stay valid after the index is closed and serialise with
`dataclasses.asdict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Story:
    """One story, as parsed from a file or read back from the index."""

    code: str
    headline: str
    body: str
    date: datetime | None
    path: str


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result.

    `snippet` is plain text; `highlights` holds the (start, end) offsets in it of the
    words that matched, for renderers that can emphasise them. `score` is the relevance
    score (0 when the hits are sorted by date).
    """

    rank: int
    score: float
    code: str
    date: datetime | None
    headline: str
    snippet: str
    path: str
    highlights: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of hits for a query, with the total number of matching stories and, when
    the query found little, a suggested spelling (`suggestion`, else None)."""

    query: str
    total: int
    page: int
    limit: int
    hits: tuple[Hit, ...]
    suggestion: str | None = None


@dataclass(frozen=True, slots=True)
class RejectedFile:
    """A file that was not indexed, and why."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class DuplicateFile:
    """A file whose story code is already held by another file (`kept`)."""

    path: str
    code: str
    kept: str


@dataclass(frozen=True, slots=True)
class FileWarning:
    """Something odd about a file that was still indexed (for example, no date)."""

    path: str
    message: str


@dataclass(frozen=True, slots=True)
class IndexReport:
    """What one indexing run did.

    Every matched file is counted exactly once:
    `added + updated + unchanged + len(rejected) + len(duplicates) == matched`.
    """

    matched: int
    added: int
    updated: int
    removed: int
    unchanged: int
    rejected: tuple[RejectedFile, ...] = ()
    duplicates: tuple[DuplicateFile, ...] = ()
    warnings: tuple[FileWarning, ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class IndexStats:
    """A summary of what an index holds."""

    stories: int
    first_date: datetime | None
    last_date: datetime | None
    per_year: dict[int, int] = field(default_factory=dict)
    size_bytes: int = 0
    roots: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TimelineBucket:
    """How many matching stories fall in the period that starts on `start`."""

    start: date
    count: int


@dataclass(frozen=True, slots=True)
class Timeline:
    """Matching stories counted per period, in date order, empty periods included.

    `sum(b.count for b in buckets) + undated == total`, the total `search` reports for
    the same query and dates (`undated` counts matches without a date).
    """

    query: str
    by: str
    total: int
    buckets: tuple[TimelineBucket, ...]
    undated: int = 0
