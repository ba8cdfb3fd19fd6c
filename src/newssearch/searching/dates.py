"""The date grammar people type: `--since`/`--until` and inline `date:[A to B]` share it.

A date names a period, and as a lower limit means the period's first moment, as an upper
limit its last -- so `--since 2024-04 --until 2024-04` is all of April 2024. The forms:

* ISO: `2024` (a year), `2024-04` (a month), `2024-04-17` (a day), `2024-04-17T09:29`
  (an instant);
* words: `April 2024`, `Apr 2024`, `17 April 2024`, `April 17, 2024`;
* relative to today: `today`, `yesterday`, `N days|weeks|months|years ago` (that day),
  `-30d`, `-2w`, `-6m`, `-1y` (the same), `this week|month|year`, `last week|month|year`
  (the calendar period before this one; weeks start on Monday);
* Persian and Arabic (`newssearch.calendars`): `۲۹ فروردین ۱۴۰۳` (a Solar Hijri day),
  `فروردین ۱۴۰۳` (a Solar Hijri month), `22 تموز 2015`, `يوليو 2015`, in any digits.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from newssearch.errors import QueryError
from newssearch.stories import calendars
from newssearch.stories.dates import MONTHS

DATE_FORMS = (
    "YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDTHH:MM, 'April 2024', '17 April 2024', "
    "today, yesterday, '30 days ago', -30d, 'last week'"
)

_ISO = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2})"
    r"(?:[t ](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?)?)?$"
)
_MONTH = r"(?P<month>[a-z]+)\.?"
_DAY_MONTH_YEAR = re.compile(rf"^(?P<day>\d{{1,2}})\s+{_MONTH},?\s+(?P<year>\d{{4}})$")
_MONTH_DAY_YEAR = re.compile(rf"^{_MONTH}\s+(?P<day>\d{{1,2}}),?\s+(?P<year>\d{{4}})$")
_MONTH_YEAR = re.compile(rf"^{_MONTH},?\s+(?P<year>\d{{4}})$")
_AGO = re.compile(r"^(?P<n>\d+)\s+(?P<unit>day|week|month|year)s?\s+ago$")
_SHORT_AGO = re.compile(r"^-(?P<n>\d+)\s*(?P<unit>[dwmy])$")
_THIS_LAST = re.compile(r"^(?P<which>this|last)\s+(?P<unit>week|month|year)$")
_UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}


def _month_start(year: int, month: int) -> datetime:
    """The first moment of a month (a month after December 9999: the end of time)."""
    year += (month - 1) // 12
    if year > datetime.max.year:
        return datetime.max
    return datetime(year, (month - 1) % 12 + 1, 1)


def _next_day(day: datetime) -> datetime:
    """The first moment of the day after (after 31 December 9999: the end of time)."""
    return day + timedelta(days=1) if day.date() < datetime.max.date() else datetime.max


def _period(text: str, today: date) -> tuple[datetime, datetime] | datetime:
    """The period `text` names as (first moment, first moment after), or an instant."""
    t = " ".join(text.lower().split())
    midnight = datetime.combine(today, time.min)
    if m := _ISO.match(t):
        year = int(m["year"])
        if m["month"] is None:
            return datetime(year, 1, 1), _month_start(year + 1, 1)
        month = int(m["month"])
        if m["day"] is None:
            if not 1 <= month <= 12:
                raise ValueError(month)
            return _month_start(year, month), _month_start(year, month + 1)
        day = datetime(year, month, int(m["day"]))
        if m["hour"] is None:
            return day, _next_day(day)
        return day.replace(
            hour=int(m["hour"]), minute=int(m["minute"]), second=int(m["second"] or 0)
        )
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        if (m := pattern.match(t)) and m["month"] in MONTHS:
            day = datetime(int(m["year"]), MONTHS[m["month"]], int(m["day"]))
            return day, _next_day(day)
    if (m := _MONTH_YEAR.match(t)) and m["month"] in MONTHS:
        year, month = int(m["year"]), MONTHS[m["month"]]
        return _month_start(year, month), _month_start(year, month + 1)
    if t in ("today", "yesterday"):
        day = midnight - timedelta(days=1 if t == "yesterday" else 0)
        return day, _next_day(day)
    m = _AGO.match(t) or _SHORT_AGO.match(t)
    if m:
        n, unit = int(m["n"]), _UNITS.get(m["unit"], m["unit"])
        if unit in ("day", "week"):
            day = midnight - timedelta(days=n * (7 if unit == "week" else 1))
        elif unit == "month":
            first = _month_start(today.year, today.month - n)
            last_day = (_month_start(first.year, first.month + 1) - timedelta(days=1)).day
            day = first.replace(day=min(today.day, last_day))
        else:  # 29 February a year on is 28 February
            day = midnight.replace(
                year=today.year - n, day=min(today.day, 28 if today.month == 2 else 31)
            )
        return day, _next_day(day)
    if m := _THIS_LAST.match(t):
        back = 1 if m["which"] == "last" else 0
        if m["unit"] == "week":
            start = midnight - timedelta(days=today.weekday() + 7 * back)
            return start, start + timedelta(days=7)
        if m["unit"] == "month":
            start = _month_start(today.year, today.month - back)
            return start, _month_start(start.year, start.month + 1)
        return datetime(today.year - back, 1, 1), _month_start(today.year - back + 1, 1)
    if (found := calendars.parse_period(t)) is not None:
        return found
    raise LookupError(text)


def parse_date(text: str, *, end: bool = False, today: date | None = None) -> datetime:
    """Parse a date as typed by a user into the first moment of the period it names, or
    with `end=True` into its last moment.

    text: the date, in one of the forms of this module's docstring.
    end: return the period's last moment (for an upper limit) instead of its first.
    today: the day relative dates count from (default: the local date now).

    >>> parse_date("2024-04")
    datetime.datetime(2024, 4, 1, 0, 0)
    >>> parse_date("April 2024", end=True)
    datetime.datetime(2024, 4, 30, 23, 59, 59, 999999)
    >>> parse_date("30 days ago", today=date(2024, 4, 17))
    datetime.datetime(2024, 3, 18, 0, 0)
    """
    try:
        period = _period(text, today or date.today())
    except LookupError:
        raise QueryError(f"cannot read date {text!r}: use {DATE_FORMS}") from None
    except (ValueError, OverflowError):
        raise QueryError(f"no such date {text!r}") from None
    if isinstance(period, datetime):
        return period
    first, after = period
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
