"""newssearch: index a directory of news stories with Whoosh and search it.

The public API is `NewsIndex` and the dataclasses it returns; see the README. Each name
is imported on first use, so `import newssearch` (and `newssearch --help`) stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newssearch.api import NewsIndex, index_stories
    from newssearch.cluster.client import ClusterError, ClusterIndex, ShardDown
    from newssearch.errors import (
        IndexDamaged,
        IndexLocked,
        IndexNotFound,
        IndexWriteError,
        InputError,
        NewsSearchError,
        QueryError,
    )
    from newssearch.models import (
        DuplicateFile,
        FileWarning,
        Hit,
        IndexOptions,
        IndexReport,
        IndexStats,
        Language,
        Period,
        Phase,
        RejectedFile,
        SearchResult,
        Sort,
        Story,
        Timeline,
        TimelineBucket,
        default_index_path,
    )
    from newssearch.searching.dates import parse_date

__version__ = "0.1.0"

_HOMES = {
    "newssearch.searching.dates": ("parse_date",),
    "newssearch.errors": (
        "IndexDamaged",
        "IndexLocked",
        "IndexNotFound",
        "IndexWriteError",
        "InputError",
        "NewsSearchError",
        "QueryError",
    ),
    "newssearch.models": (
        "DuplicateFile",
        "IndexOptions",
        "Language",
        "Period",
        "Phase",
        "Sort",
        "default_index_path",
        "FileWarning",
        "Hit",
        "IndexReport",
        "IndexStats",
        "RejectedFile",
        "SearchResult",
        "Story",
        "Timeline",
        "TimelineBucket",
    ),
    "newssearch.api": ("NewsIndex", "index_stories"),
    "newssearch.cluster.client": ("ClusterError", "ClusterIndex", "ShardDown"),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "ClusterError",
    "ClusterIndex",
    "DuplicateFile",
    "FileWarning",
    "Hit",
    "IndexDamaged",
    "IndexLocked",
    "IndexNotFound",
    "IndexOptions",
    "IndexReport",
    "IndexStats",
    "IndexWriteError",
    "InputError",
    "Language",
    "NewsIndex",
    "NewsSearchError",
    "Period",
    "Phase",
    "QueryError",
    "RejectedFile",
    "SearchResult",
    "ShardDown",
    "Sort",
    "Story",
    "Timeline",
    "TimelineBucket",
    "__version__",
    "default_index_path",
    "index_stories",
    "parse_date",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'newssearch' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names (not those the package imports for itself)."""
    return list(__all__)
