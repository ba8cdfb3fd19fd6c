"""Errors raised by newssearch.

Every error a user can cause is a `NewsSearchError` whose message is written for that user;
the command line prints it as one `Error: ...` line and exits with status 2.
"""

from __future__ import annotations

import pickle
import struct
import zlib


class NewsSearchError(Exception):
    """Base class of every error newssearch raises on purpose."""


class IndexNotFound(NewsSearchError):
    """There is no index at the given location."""


class IndexDamaged(NewsSearchError):
    """The index exists but cannot be read, or was made by an incompatible version."""


class IndexLocked(NewsSearchError):
    """Another writer holds the index lock."""


class QueryError(NewsSearchError):
    """The query text, or a date limit, cannot be understood."""


class InputError(NewsSearchError):
    """A path given to the indexer cannot be used."""


class IndexWriteError(NewsSearchError):
    """Writing to the index failed (for example, the disk is full); what was committed
    before stays intact."""


DAMAGE_ERRORS = (
    OSError,
    EOFError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
    ValueError,
    KeyError,
    IndexError,
)
"""What Whoosh raises when it reads a truncated, missing or garbled index file."""


def damaged(path: str, error: BaseException) -> IndexDamaged:
    """The `IndexDamaged` error for an index at `path` that failed to read with `error`."""
    return IndexDamaged(
        f"the index at {path} is damaged ({type(error).__name__}: {error}); "
        f"rebuild it with 'newssearch index --full --index {path} DIR'"
    )
