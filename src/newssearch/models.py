"""Plain, frozen result types and the vocabularies shared by the library and the CLI.

Every object the library hands out is one of these dataclasses: they hold copies of the
index's data, so they stay valid after the index is closed and serialise with
`dataclasses.asdict`. The vocabularies (`Sort`, `Period`, `Phase`, `IndexOptions`) and the
defaults are defined here once; the command line offers exactly these choices. This module
imports nothing heavy, so `newssearch --help` can use it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

DEFAULT_INDEX = "index"
"""Where the index lives when neither `--index` nor `$NEWSSEARCH_INDEX` says."""

BATCH_SIZE = 30_000
"""Stories written per commit: a killed run loses at most this much work, and each
commit adds a segment per worker process."""

RECENT_POOL = 200
"""`--recent` orders (and lists) this many of the best matches."""


def default_index_path() -> str:
    """`$NEWSSEARCH_INDEX` if set, else `./index`."""
    return os.environ.get("NEWSSEARCH_INDEX") or DEFAULT_INDEX


class Sort(StrEnum):
    """How search hits are ordered: by relevance, or by date (newest or oldest first)."""

    relevance = "relevance"
    newest = "newest"
    oldest = "oldest"


class Period(StrEnum):
    """The periods a timeline counts by (weeks start on Monday)."""

    day = "day"
    week = "week"
    month = "month"
    year = "year"


class Language(StrEnum):
    """The languages a story is told apart as (`--lang`)."""

    en = "en"
    fa = "fa"
    ar = "ar"
    other = "other"


class Phase(StrEnum):
    """The stages of an indexing run, as reported to a `Progress` callback."""

    scanning = "scanning"
    """Listing the files under the roots: files found (`total` is None until the walk is
    over)."""
    reading = "reading"
    """Reading and parsing new and changed files, each story handed to the writer: files
    visited, of the new and changed files."""
    committing = "committing"
    """Finishing the segments (workers included), making them searchable, and the merges
    each batch leads to: stories committed, of the stories to write (at most the files to
    read, exact once reading is over). Alternates with `reading`, a commit per batch."""
    merging = "merging"
    """The last merge of small segments, after the last commit: 0 of 1, then 1 of 1."""


Progress = Callable[[Phase, int, int | None], None]
"""Called as an indexing run goes with (phase, done, total), the counts each `Phase`
says. A total is reported as soon as it is known (only `scanning` starts with None) and
is never below its count; each phase's last report has `done == total` (0 of 0 for a
phase with nothing to do)."""


@dataclass(frozen=True, slots=True)
class IndexOptions:
    """How an indexing run reads a tree of story files.

    glob: which file names count as stories (a pattern with `/` matches the path
        relative to the root).
    full: rebuild the index from scratch instead of updating it.
    follow_links: follow directory links, and file links that lead out of a root.
    batch_size: stories written per commit (an interrupted run keeps whole batches).
    jobs: worker processes for a large run (None: one per core, at most 4).
    """

    glob: str = "*.txt"
    full: bool = False
    follow_links: bool = False
    batch_size: int = BATCH_SIZE
    jobs: int | None = None


@dataclass(frozen=True, slots=True)
class Story:
    """One story, as parsed from a file or read back from the index."""

    code: str
    headline: str
    body: str
    date: datetime | None
    path: str
    language: str = "en"
    """"en", "fa", "ar" or "other", detected from the text (`analysis.detect_language`)."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result.

    `snippet` is plain text; `highlights` holds the (start, end) offsets in it of the
    words that matched, for renderers that can emphasise them. `score` is what the list
    is ordered by: from 1 up to 2 for a story holding every word of the query, from 0
    up to 1 for one holding only some (`partial`), in each the story's BM25F score s
    as s / (1 + s); with `--recent`, that times the recency factor; 0 when the hits are
    sorted by date.
    """

    rank: int
    score: float
    code: str
    date: datetime | None
    headline: str
    snippet: str
    path: str
    highlights: tuple[tuple[int, int], ...] = ()
    partial: bool = False
    """The story holds only some of the words of a plain query."""
    language: str = "en"


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of hits for a query.

    `total` counts the stories that match: for a plain query of several words, those
    holding all of them. A relevance list goes on past them with `partial_total` more
    stories that hold only some of the words (marked `Hit.partial`); when the query
    found little, `suggestion` is a corrected query (else None).
    """

    query: str
    total: int
    page: int
    limit: int
    hits: tuple[Hit, ...]
    suggestion: str | None = None
    partial_total: int = 0
    unavailable: tuple[str, ...] = ()
    """Shards of a cluster left out because they were down (`allow_partial`)."""


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
    missing_roots: tuple[str, ...] = ()
    """Indexed roots that are gone from disk: not walked, their stories kept."""
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class IndexStats:
    """A summary of what an index holds."""

    stories: int
    first_date: datetime | None
    last_date: datetime | None
    per_year: dict[int, int] = field(default_factory=dict)
    per_language: dict[str, int] = field(default_factory=dict)
    size_bytes: int = 0
    roots: tuple[str, ...] = ()
    unavailable: tuple[str, ...] = ()
    """Shards of a cluster left out because they were down (`allow_partial`)."""


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
    unavailable: tuple[str, ...] = ()
    """Shards of a cluster left out because they were down (`allow_partial`)."""
