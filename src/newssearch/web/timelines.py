"""Timelines for the web: a bound on their size, the period a page picks, and the bar
chart's geometry, which the `timeline.svg` template draws as SVG on the server.

A timeline lists every period between its first and last date, empty ones included, and a
date limit (`since=1000`, or `date:[1000 to 9000]` inside the query) widens that range:
counted per day, such a request would build millions of periods. So a timeline is first
counted per year (a few thousand periods at most), and refused when the period asked for
would make more than `MAX_PERIODS` of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from newssearch import Language, Period
from newssearch.web.params import ParamError

if TYPE_CHECKING:
    from datetime import datetime

    from newssearch import NewsIndex, Timeline

MAX_PERIODS = 20_000
"""The most periods an API timeline may have (the 37 years of `data/` are 13,566 days)."""
MAX_BARS = 750
"""The most periods a page draws: about one a pixel."""
PER_YEAR = {"day": 366, "week": 53, "month": 12, "year": 1}
LABELS = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}


def bounded_timeline(
    ix: NewsIndex,
    query: str,
    *,
    since: datetime | None,
    until: datetime | None,
    by: Period | None,
    most: int = MAX_PERIODS,
    lang: Language | None = None,
) -> Timeline:
    """`ix.timeline(...)`, refused with a ParamError when it would have more than about
    `most` periods (None: the period the library chooses from the span)."""
    if by is None:
        return page_timeline(ix, query, since=since, until=until, most=most, lang=lang)
    years = ix.timeline(query, since=since, until=until, by="year", lang=lang)
    if by == "year" and len(years.buckets) <= most:
        return years
    periods = len(years.buckets) * PER_YEAR[by]
    if periods > most:
        raise ParamError(
            f"by: counted per {by}, this timeline would have about {periods:,} periods "
            f"(at most {most:,}); count per year or give a shorter date range"
        )
    return ix.timeline(query, since=since, until=until, by=by, lang=lang)


def page_timeline(
    ix: NewsIndex,
    query: str,
    *,
    since: datetime | None,
    until: datetime | None,
    most: int = MAX_BARS,
    lang: Language | None = None,
) -> Timeline:
    """The timeline when the reader has not chosen a period: the library's choice from
    the span of the matches (as the command line makes it); a ParamError when even that
    has more than `most` periods to draw."""
    found = ix.timeline(query, since=since, until=until, lang=lang)
    if len(found.buckets) > most:
        raise ParamError(
            f"the dates span {len(found.buckets):,} {found.by}s: too many to draw; "
            "give a shorter date range"
        )
    return found


@dataclass(frozen=True, slots=True)
class Bar:
    """One period's bar: its box in the chart, what it says, and its date limits."""

    x: float
    y: float
    width: float
    height: float
    label: str
    count: int
    since: str
    until: str


@dataclass(frozen=True, slots=True)
class Chart:
    """A timeline laid out as a bar chart `width` by `height` (SVG user units)."""

    width: int
    height: int
    left: int
    right: int
    top: int
    base: int
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, str], ...]
    peak: int


WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 720, 170, 40, 40, 14, 24
TICKS = 6
MAX_STEP = 48
"""The widest a bar's slot gets, so a few periods do not fill the chart with one block."""


def _limits(start: date, by: str) -> tuple[str, str]:
    """The `since` and `until` that select the period of kind `by` starting on `start`."""
    if by == "week":
        return start.isoformat(), (start + timedelta(days=6)).isoformat()
    label = start.strftime(LABELS[by])
    return label, label


def chart(timeline: Timeline) -> Chart:
    """Lay `timeline` out as bars scaled to its busiest period, with a few date ticks."""
    buckets = timeline.buckets
    peak = max((b.count for b in buckets), default=0)
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = min(plot_width / max(len(buckets), 1), MAX_STEP)
    gap = min(2.0, step * 0.2) if step > 3 else 0.0
    bars = []
    for i, b in enumerate(buckets):
        height = b.count / peak * plot_height if peak else 0.0
        since, until = _limits(b.start, timeline.by)
        bars.append(
            Bar(
                x=round(LEFT + i * step + gap / 2, 2),
                y=round(TOP + plot_height - height, 2),
                width=round(max(step - gap, 0.5), 2),
                height=round(height, 2),
                label=b.start.strftime(LABELS[timeline.by]),
                count=b.count,
                since=since,
                until=until,
            )
        )
    shown = min(len(bars), TICKS)
    picks = {round(k * (len(bars) - 1) / max(shown - 1, 1)) for k in range(shown)}
    ticks = tuple((round(bars[i].x + bars[i].width / 2, 2), bars[i].label) for i in sorted(picks))
    return Chart(
        WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, TOP, TOP + plot_height, tuple(bars), ticks, peak
    )
