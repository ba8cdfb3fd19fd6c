"""Story date lines: the first line of a story file, in the languages stories come in.

`parse_date_line` reads `Wednesday 17 April 2024 - 09:29` (weekday optional, full or
abbreviated; day with or without a leading zero; time optional): a good date, a line
that looks like a date but names no real day (a warning), or no date line at all.
Persian and Arabic date lines are read by `calendars`. `MONTHS` is shared with the date
grammar people type (`searching.dates`).
"""

from __future__ import annotations

import re
from datetime import datetime

from newssearch.stories import calendars

MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_DATE_LINE = re.compile(
    r"""^(?:(?P<weekday>[A-Za-z]+)\.?,?\s+)?
        (?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+)\.?,?\s+(?P<year>\d{4})
        (?:\s*[-\u2013,]?\s*(?P<hour>\d{1,2}):(?P<minute>\d{2}))?\s*$""",
    re.VERBOSE,
)


def parse_date_line(line: str) -> tuple[datetime | None, str | None]:
    """Parse a story's date line.

    Returns `(date, None)` for a good date, `(None, warning)` for a line that looks like a
    date but is not a real one, and `(None, None)` for a line that is not a date line at
    all. A weekday that does not match the date is ignored with a warning. Persian and
    Arabic date lines (Solar Hijri or Gregorian, any digits) are read by `calendars`.
    """
    m = _DATE_LINE.match(line.strip())
    if not m:
        return calendars.parse_date_line(line)
    if m["month"].lower() not in MONTHS:
        return None, None
    hour, minute = int(m["hour"] or 0), int(m["minute"] or 0)
    try:
        date = datetime(int(m["year"]), MONTHS[m["month"].lower()], int(m["day"]), hour, minute)
    except ValueError:
        return None, f"impossible date {line.strip()!r}; indexed without a date"
    weekday = (m["weekday"] or "").lower()
    if weekday and not any(w.startswith(weekday[:3]) for w in _WEEKDAYS):
        return None, None
    if weekday and not _WEEKDAYS[date.weekday()].startswith(weekday[:3]):
        return date, f"{m['weekday']} does not match {date:%A %d %B %Y}; kept the date"
    return date, None
