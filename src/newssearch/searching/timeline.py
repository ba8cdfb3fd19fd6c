"""Timelines: how many stories a query matches in each day, week, month or year."""

from __future__ import annotations

from datetime import date, timedelta

from newssearch.engine.reader import IndexView
from newssearch.engine.stats import CorpusStats
from newssearch.errors import QueryError
from newssearch.models import Period, Timeline, TimelineBucket
from newssearch.searching import ranking
from newssearch.searching.query import ParsedQuery, expand
from newssearch.searching.search import limits


def period_start(d: date, by: Period) -> date:
    """The first day of the period of kind `by` that holds `d` (weeks start on Monday)."""
    if by is Period.day:
        return d
    if by is Period.week:
        return d - timedelta(days=d.weekday())
    if by is Period.month:
        return d.replace(day=1)
    return d.replace(month=1, day=1)


def next_period(start: date, by: Period) -> date:
    """The first day of the period after the one starting on `start`."""
    if by is Period.day:
        return start + timedelta(days=1)
    if by is Period.week:
        return start + timedelta(days=7)
    if by is Period.month:
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


MAX_PERIODS = 100_000
"""A timeline may have at most this many periods (every day of 270 years): a date limit
such as `--since 1000` would otherwise build millions."""

MAX_DAYS = 62
"""`by` chosen: days for a range of up to this many days, ..."""
MAX_WEEKS = 60
"""... weeks up to this many weeks, ..."""
MAX_MONTHS = 120
"""... months up to this many months, else years."""


def period_for(first: date, last: date) -> Period:
    """The period that draws the range from `first` to `last` in a readable number of
    bars (at most `MAX_MONTHS`, but for a range of centuries)."""
    days = (last - first).days + 1
    if days <= MAX_DAYS:
        return Period.day
    if days <= MAX_WEEKS * 7:
        return Period.week
    if days <= MAX_MONTHS * 31:
        return Period.month
    return Period.year


def _longer(by: Period) -> str:
    order = list(Period)
    return order[min(order.index(by) + 1, len(order) - 1)].value


def run_timeline(
    view: IndexView,
    parsed: ParsedQuery,
    text: str,
    *,
    by: Period | None,
    language: str | None = None,
    span: tuple[date, date] | None = None,
    stats: CorpusStats | None = None,
) -> Timeline:
    """Count the stories `run_search` would match, per period of kind `by` (None: chosen
    by `period_for` from the range)."""
    parsed = expand(parsed, view, ranking.frequencies(view, stats))
    within = limits(view, parsed.since, parsed.until, language)
    q = parsed.all_words  # the stories that match: those holding every word
    scores = ranking.scores(view, within)
    docs = set(view.matches(q, scores)) if within is None or within else set()
    if within is not None:
        docs &= within
    dates = [d.date() for d in view.dates_of(docs).values() if d is not None]
    undated = len(docs) - len(dates)
    first = parsed.since.date() if parsed.since else min(dates, default=None)
    last = parsed.until.date() if parsed.until else max(dates, default=None)
    if span is not None:  # the periods to count over, given (a cluster's shards share it)
        first, last = span
    if by is None:
        by = period_for(first, last) if first and last else Period.month
    counts: dict[date, int] = {}
    for d in dates:
        start = period_start(d, by)
        counts[start] = counts.get(start, 0) + 1
    lo = [period_start(first, by)] if first and (parsed.since or span) else []
    hi = [period_start(last, by)] if last and (parsed.until or span) else []
    buckets: list[TimelineBucket] = []
    if counts or (lo and hi):
        current = min(lo or [min(counts)])
        last = max(hi or [max(counts)])
        periods = (last - current).days // {"day": 1, "week": 7, "month": 28, "year": 365}[by]
        if periods > MAX_PERIODS:
            raise QueryError(
                f"counted per {by.value} from {current} to {last}, the timeline would have "
                f"over {MAX_PERIODS:,} periods; count per {_longer(by)} or give a shorter range"
            )
        while True:  # (never past `last`: the period after 9999's last is no date)
            buckets.append(TimelineBucket(current, counts.get(current, 0)))
            if current >= last:
                break
            current = next_period(current, by)
    return Timeline(text, by.value, len(docs), tuple(buckets), undated)
