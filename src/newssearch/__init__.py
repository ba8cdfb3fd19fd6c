"""newssearch: index a directory of news stories with Whoosh and search it.

The public API is `NewsIndex` and the dataclasses it returns; see the README.
"""

from newssearch.dates import parse_date
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
    IndexReport,
    IndexStats,
    RejectedFile,
    SearchResult,
    Story,
    Timeline,
    TimelineBucket,
)
from newssearch.newsindex import NewsIndex, default_index_path, index_stories

__version__ = "0.1.0"

__all__ = [
    "DuplicateFile",
    "FileWarning",
    "Hit",
    "IndexDamaged",
    "IndexLocked",
    "IndexNotFound",
    "IndexReport",
    "IndexStats",
    "IndexWriteError",
    "InputError",
    "NewsIndex",
    "NewsSearchError",
    "QueryError",
    "RejectedFile",
    "SearchResult",
    "Story",
    "Timeline",
    "TimelineBucket",
    "__version__",
    "default_index_path",
    "index_stories",
    "parse_date",
]
