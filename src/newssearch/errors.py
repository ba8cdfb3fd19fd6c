"""Errors raised by newssearch.

Every error a user can cause is a `NewsSearchError` whose message is written for that user,
whether a program or a person at the command line (which prints it as one `Error: ...` line,
adds how to mend it with a command where there is one, and exits with status 2). Anything
else that escapes is a bug in newssearch and is reported as one.

The engine marks the functions that read index files with `reads_index`; only what fails
inside them is taken for damage (`IndexReadError`, which the facade turns into
`IndexDamaged`).
"""

from __future__ import annotations

import functools
import pickle
import struct
import zlib
from collections.abc import Callable
from typing import Any, TypeVar


class NewsSearchError(Exception):
    """Base class of every error newssearch raises on purpose."""


class IndexNotFound(NewsSearchError):
    """There is no index at the given location."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


class IndexDamaged(NewsSearchError):
    """The index exists but cannot be read, or was made by an incompatible version; a full
    indexing run rebuilds it."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


class IndexLocked(NewsSearchError):
    """Another writer holds the index lock."""


class QueryError(NewsSearchError):
    """The query text, or a date limit, cannot be understood."""


class InputError(NewsSearchError):
    """An argument cannot be used: a path to index, a story code, an option's value."""


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


def shown(path: str) -> str:
    """A path as messages show it: a bare relative name gets `./`, so `index` reads as
    a place (`./index`), not a word."""
    if path.startswith(("/", "./", "../", "~")) or path in (".", ".."):
        return path
    return f"./{path}"


def damaged(path: str, reason: str) -> IndexDamaged:
    """The `IndexDamaged` error for the index at `path`, which could not be read."""
    return IndexDamaged(
        f"the index at {shown(path)} is damaged ({reason}); rebuild it with a full indexing run",
        path,
    )


class IndexReadError(Exception):
    """Reading an index file failed (`reads_index`); the facade, which knows the index's
    path, turns it into `IndexDamaged`. Internal: never reaches a caller."""


F = TypeVar("F", bound=Callable[..., Any])


def reads_index(function: F) -> F:
    """Mark a function that reads index files: the errors a damaged file raises while it
    runs (`DAMAGE_ERRORS`) become `IndexReadError`. Only the engine's reading functions
    carry it, so an error anywhere else stays what it is -- a bug, reported as one."""

    @functools.wraps(function)
    def reading(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except NewsSearchError:
            raise
        except DAMAGE_ERRORS as e:
            raise IndexReadError(f"{type(e).__name__}: {e}") from e

    return reading  # type: ignore[return-value]
