"""Errors raised by newssearch.

Every error a user can cause is a `NewsSearchError` whose message is written for that user;
the command line prints it as one `Error: ...` line and exits with status 2.
"""

from __future__ import annotations


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
