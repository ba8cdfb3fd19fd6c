"""The date grammar people type: `--since`/`--until` and inline `date:[A to B]` share it.

A date names a period -- a year (`2024`), a month (`2024-04`) or a day (`2024-04-17`) --
or an instant (`2024-04-17T09:29`). As a lower limit it means the period's first moment,
as an upper limit its last, so `--since 2024-04 --until 2024-04` is all of April 2024.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from newssearch.errors import QueryError

_ISO = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2})"
    r"(?:[T ](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?)?)?$"
)

DATE_FORMS = "YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM"


def parse_date(text: str, *, end: bool = False) -> datetime:
    """Parse a date as typed by a user into the first moment of the period it names, or
    with `end=True` into its last moment.

    text: the date, one of `DATE_FORMS`.
    end: return the period's last moment (for an upper limit) instead of its first.

    >>> parse_date("2024-04")
    datetime.datetime(2024, 4, 1, 0, 0)
    >>> parse_date("2024-04", end=True)
    datetime.datetime(2024, 4, 30, 23, 59, 59, 999999)
    """
    m = _ISO.match(text.strip())
    if not m:
        raise QueryError(f"cannot read date {text!r}: use {DATE_FORMS}")
    try:
        year = int(m["year"])
        if m["month"] is None:
            first, after = datetime(year, 1, 1), datetime(year + 1, 1, 1)
        elif m["day"] is None:
            month = int(m["month"])
            first = datetime(year, month, 1)
            after = datetime(year + month // 12, month % 12 + 1, 1)
        elif m["hour"] is None:
            first = datetime(year, int(m["month"]), int(m["day"]))
            after = first + timedelta(days=1)
        else:
            return datetime(
                year,
                int(m["month"]),
                int(m["day"]),
                int(m["hour"]),
                int(m["minute"]),
                int(m["second"] or 0),
            )
    except (ValueError, OverflowError):
        raise QueryError(f"no such date {text!r}") from None
    return after - timedelta(microseconds=1) if end else first


def as_bound(value: date | datetime | None, *, end: bool) -> datetime | None:
    """Turn a library caller's `date` or `datetime` limit into a `datetime`: a `date` as
    an upper limit covers that whole day."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time.max if end else time.min)


def check_range(since: datetime | None, until: datetime | None) -> None:
    """Raise `QueryError` when a date range is empty because it ends before it starts."""
    if since is not None and until is not None and since > until:
        raise QueryError(
            f"the date range ends ({until:%Y-%m-%d}) before it starts ({since:%Y-%m-%d})"
        )
