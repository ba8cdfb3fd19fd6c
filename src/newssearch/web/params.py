"""Read a request's query parameters into the arguments of `NewsIndex` calls.

The page and the API take the same parameters as the command line's options (`q` for the
query, `since`, `until`, `limit`, `page`, `sort`, `recent`, `by`) and read them the same
way: dates with `parse_date`, so `2024-04` and `last month` work in both. A bad value is a
`ParamError` whose message names the parameter, answered with status 400. Knows nothing of
Starlette: it takes the parameters as (name, value) pairs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from newssearch import Language, Period, QueryError, Sort, parse_date

SORTS = tuple(s.value for s in Sort)
PERIODS = tuple(p.value for p in Period)
MAX_LIMIT = 100
"""Hits per page a request may ask for: a page is built, snippets and all, per request."""
MAX_PAGE = 1_000
"""The deepest page a request may ask for."""
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


class ParamError(ValueError):
    """A query parameter that cannot be used; the message is written for the user."""


def collect(items: Iterable[tuple[str, str]], known: Iterable[str]) -> dict[str, str]:
    """The parameters as a dict, refusing names not in `known` and names given twice.

    items: the (name, value) pairs of the query string, in order.
    known: the names this endpoint takes.
    """
    allowed = set(known)
    found: dict[str, str] = {}
    for name, value in items:
        if name not in allowed:
            takes = f"use {', '.join(sorted(allowed))}" if allowed else "this address takes none"
            raise ParamError(f"unknown parameter {name!r}: {takes}")
        if name in found:
            raise ParamError(f"{name}: given more than once")
        found[name] = value
    return found


def lenient(items: Iterable[tuple[str, str]], known: Iterable[str]) -> dict[str, str]:
    """The parameters of `known` as a dict, the last of each name winning; for pages,
    whose addresses people edit and share, so stray parameters are ignored."""
    allowed = set(known)
    return {name: value for name, value in items if name in allowed}


def text(params: dict[str, str], name: str) -> str:
    """A required text parameter, stripped; ParamError when missing or blank."""
    value = params.get(name, "").strip()
    if not value:
        raise ParamError(f"{name}: missing; give what to look for, e.g. {name}=cocoa")
    return value


def date_limit(params: dict[str, str], name: str, *, end: bool) -> datetime | None:
    """A date limit in any form the command line takes; None when absent or blank.

    end: read it as an upper limit (the last moment of the period it names).
    """
    value = params.get(name, "").strip()
    if not value:
        return None
    try:
        return parse_date(value, end=end)
    except QueryError as e:
        raise ParamError(f"{name}: {e}") from None


def whole(params: dict[str, str], name: str, default: int, most: int) -> int:
    """A whole number from 1 to `most`; `default` when absent or blank."""
    value = params.get(name, "").strip()
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= most:
        raise ParamError(f"{name}: {value!r} is not a whole number from 1 to {most:,}")
    return int(value)


def choice(params: dict[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of `choices`; `default` when absent or blank."""
    value = params.get(name, "").strip() or default
    if value not in choices:
        named = ", ".join(c for c in choices if c)  # ("" stands for none given)
        raise ParamError(f"{name}: {value!r} is not one of {named}")
    return value


def flag(params: dict[str, str], name: str) -> bool:
    """A yes/no parameter: 1, true, yes, on (a ticked checkbox) or 0, false, no, off."""
    value = params.get(name, "").strip().lower()
    if value not in TRUE + FALSE:
        raise ParamError(f"{name}: {value!r} is not true or false")
    return value in TRUE


@dataclass(frozen=True, slots=True)
class Limits:
    """Date limits, paging and order: what search, similar and timeline share."""

    since: datetime | None = None
    until: datetime | None = None
    limit: int = 10
    page: int = 1
    sort: Sort = Sort.relevance
    recent: bool = False
    lang: Language | None = None


SEARCH = ("q", "since", "until", "limit", "page", "sort", "recent", "lang")
SIMILAR = ("since", "until", "limit", "page", "lang")
TIMELINE = ("q", "since", "until", "by", "lang")
LANGUAGES = tuple(language.value for language in Language)


def limits(params: dict[str, str]) -> Limits:
    """The date limits, paging and order in `params` (absent ones take their defaults)."""
    return Limits(
        since=date_limit(params, "since", end=False),
        until=date_limit(params, "until", end=True),
        limit=whole(params, "limit", 10, MAX_LIMIT),
        page=whole(params, "page", 1, MAX_PAGE),
        sort=Sort(choice(params, "sort", "relevance", SORTS)),
        recent=flag(params, "recent"),
        lang=Language(lang) if (lang := choice(params, "lang", "", ("", *LANGUAGES))) else None,
    )


def period(params: dict[str, str]) -> Period | None:
    """The timeline's period (`by`); None (not given) lets the library choose it from
    the span of the matches, as the command line does."""
    if not params.get("by", "").strip():
        return None
    return Period(choice(params, "by", "", PERIODS))
