"""Arguments callers pass to `NewsIndex`, checked and normalised.

Each function takes what a caller may naturally pass (a story code as a number, a date
as text in the command line's forms, one path as a string) and returns the one form the
library works with, or raises `InputError` (`QueryError` for a date that cannot be read)
with a message that says what was expected.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from newssearch.errors import InputError
from newssearch.models import IndexOptions, Language

DateLimit = date | datetime | str | None
"""A date limit: a `date` (a whole day), a `datetime`, or text in the command line's
date forms (`2024-04`, `17 April 2024`, `last month`, ...; see the README)."""


def date_limit(value: DateLimit, *, end: bool) -> datetime | None:
    """A caller's date limit as a `datetime`: a `date` as an upper limit covers that whole
    day; text is read as the command line reads it."""
    from newssearch.searching.dates import parse_date

    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time.max if end else time.min)
    if isinstance(value, str):
        return parse_date(value, end=end)
    raise InputError(f"a date limit must be a date, a datetime or text, not {value!r}")


def story_code(code: str | int) -> str:
    """A story code as the index keys it: digits without leading zeros, or a path key."""
    if isinstance(code, bool) or not isinstance(code, str | int):
        raise InputError(f"a story code is text or a number, not {code!r}")
    text = str(code).strip()
    if text.isascii() and text.isdigit():
        return text.lstrip("0") or "0"
    return text


def whole_number(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name} must be a whole number, not {value!r}")
    return value


def one_of(kind: Any, value: Any, name: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise InputError(f"{name}: {value!r} is not one of {choices}") from None


def path(value: Any, name: str) -> str:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)  # type: ignore[no-any-return]
    raise InputError(f"the {name} must be a path, not {value!r}")


def paths(paths: Any) -> list[str]:
    """Paths given as one path or an iterable of them."""
    if isinstance(paths, str | os.PathLike):
        return [path(paths, "path to index")]
    if isinstance(paths, bytes) or not isinstance(paths, Iterable):
        raise InputError(f"paths to index must be paths, not {paths!r}")
    return [path(p, "path to index") for p in paths]


def index_options(options: IndexOptions) -> None:
    if not isinstance(options, IndexOptions):
        raise InputError(f"options must be an IndexOptions, not {options!r}")
    if whole_number(options.batch_size, "batch_size") < 1:
        raise InputError("batch_size must be at least 1")
    if options.jobs is not None and whole_number(options.jobs, "jobs") < 1:
        raise InputError("jobs must be at least 1")
    if not isinstance(options.glob, str) or not options.glob:
        raise InputError("glob must be a pattern such as *.txt")


def language(lang: Any) -> str | None:
    """A language limit: None, or one of "en", "fa", "ar", "other"."""
    return None if lang is None else str(one_of(Language, lang, "language").value)


def query(text: Any, since: DateLimit, until: DateLimit) -> Any:
    """Query text and date limits, parsed (a `searching.query.ParsedQuery`)."""
    from newssearch.engine.schema import query_schema
    from newssearch.searching.query import parse_query

    if not isinstance(text, str):
        raise InputError(f"the query must be text, not {type(text).__name__}")
    since_at = date_limit(since, end=False)
    until_at = date_limit(until, end=True)
    return parse_query(text, query_schema(), since=since_at, until=until_at)
