"""Render results onto a stream: table (rich), json (`records`), jsonl or csv.

Renderers are pure: they take a result and a stream and know nothing of typer. The JSON
documents are built by the `*_record` functions, which the web API sends as they are, so
the command line and the API cannot drift apart. Tables use
colour and bold only when the stream is a terminal and `NO_COLOR` is unset; machine formats
never do. rich is imported only when something is drawn with it, so `--help` and the machine
formats do not pay for it.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TextIO, cast

from newssearch.records import (
    clean,
    dumps,
    hit_record,
    iso,
    json_text,
    search_record,
    stats_record,
    story_record,
    timeline_record,
)

if TYPE_CHECKING:
    from rich.console import Console

    from newssearch.models import (
        Hit,
        IndexReport,
        IndexStats,
        SearchResult,
        Story,
        Timeline,
        TimelineBucket,
    )


class Format(StrEnum):
    """Output formats for search results."""

    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class TextFormat(StrEnum):
    """Output formats for commands that print one record."""

    text = "text"
    json = "json"


class TableFormat(StrEnum):
    """Output formats for `stats`."""

    table = "table"
    json = "json"


def console(stream: TextIO) -> Console:
    """A rich console on `stream` that styles only a terminal and honours NO_COLOR; into
    a pipe or a file, its lines carry no trailing spaces (the padding of table cells)."""
    from rich.console import Console

    return Console(
        file=stream if stream.isatty() else cast(TextIO, _Trimmed(stream)),
        highlight=False,
        soft_wrap=False,
        no_color="NO_COLOR" in os.environ,
    )


class _Trimmed:
    """A text stream that writes each whole line to `stream` without trailing spaces."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._line = ""

    def write(self, text: str) -> int:
        *whole, self._line = (self._line + text).split("\n")
        for line in whole:
            self._stream.write(line.rstrip(" ") + "\n")
        return len(text)

    def flush(self) -> None:
        if self._line:
            self._stream.write(self._line)
            self._line = ""
        self._stream.flush()

    def isatty(self) -> bool:
        return False


def render_search(result: SearchResult, fmt: Format, stream: TextIO) -> None:
    """Print one page of search results."""
    if fmt is Format.json:
        stream.write(json_text(search_record(result)))
        return
    records = [hit_record(h) for h in result.hits]
    if fmt is Format.jsonl:
        for r in records:
            stream.write(dumps(r, indent=None) + "\n")
    elif fmt is Format.csv:
        fields = [
            "rank",
            "score",
            "code",
            "date",
            "headline",
            "snippet",
            "path",
            "partial",
            "language",
        ]
        writer = csv.DictWriter(stream, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(
            {k: clean(v) if isinstance(v, str) else v for k, v in r.items()} for r in records
        )
    else:
        _search_table(result, stream)


def _search_table(result: SearchResult, stream: TextIO) -> None:
    from rich.text import Text

    out = console(stream)
    full = [h for h in result.hits if not h.partial]
    partial = [h for h in result.hits if h.partial]
    if full:
        out.print(_hits_table(full, out.is_terminal))
    if partial:
        out.print(
            Text("Stories holding only some of the words:", style="bold")
            if full or result.page == 1
            else Text("Stories holding only some of the words (continued):", style="bold")
        )
        out.print(_hits_table(partial, out.is_terminal))
    out.print(_summary(result))
    if result.unavailable:
        out.print(_left_out(result.unavailable))
    if result.suggestion:
        out.print(Text.assemble("Did you mean: ", (clean(result.suggestion), "bold"), "?"))


def _hits_table(hits: list[Hit], expand: bool) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=True, expand=expand)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("code", no_wrap=True)
    table.add_column("headline", ratio=1)
    table.add_column("snippet", ratio=2)
    for h in hits:
        snippet = Text(clean(h.snippet))
        for start, end in h.highlights:
            snippet.stylize("bold", start, end)
        date = f"{h.date:%Y-%m-%d %H:%M}" if h.date else "-"
        table.add_row(str(h.rank), date, clean(h.code), Text(clean(h.headline)), snippet)
    return table


def _summary(result: SearchResult) -> str:
    """The line under the table: how many stories match, how many hold only some of the
    words, which are shown."""
    first = result.limit * (result.page - 1) + 1
    if result.hits:
        shown = f"; showing {first}-{first + len(result.hits) - 1}"
    elif result.total or result.partial_total:
        shown = f"; page {result.page} is past the last one"
    else:
        shown = ""
    partial = result.partial_total
    hold = "holds" if partial == 1 else "hold"
    if not result.total and partial:
        return f"No story holds all the words; {partial:,} {hold} some of them{shown}"
    matches = "story matches" if result.total == 1 else "stories match"
    more = f", {partial:,} more {hold} some of the words" if partial else ""
    return f"{result.total:,} {matches}{more}{shown}"


def _left_out(shards: tuple[str, ...]) -> str:
    """The line that names the shards of a cluster an answer left out."""
    which = "shards" if len(shards) > 1 else "shard"
    return f"Left out, being down: {which} {', '.join(shards)} (partial results)"


def render_story(story: Story, fmt: TextFormat, stream: TextIO) -> None:
    """Print one whole story."""
    if fmt is TextFormat.json:
        stream.write(json_text(story_record(story)))
        return
    from rich.text import Text

    out = console(stream)
    date = f"{story.date:%A %d %B %Y - %H:%M}" if story.date else "(no date)"
    header = clean(f"{date} · story {story.code} · {story.language} · {story.path}")
    paragraphs = [clean(p) for p in story.body.split("\n")]
    if not out.is_terminal:  # a pipe or a file: each paragraph one line, nothing added
        stream.write("\n\n".join([clean(story.headline), header, *paragraphs]) + "\n")
        return
    out.print(Text(clean(story.headline), style="bold"))
    out.print(Text(header, style="dim"))
    for paragraph in paragraphs:
        out.print()
        out.print(Text(paragraph))


def render_stats(stats: IndexStats, fmt: TableFormat, stream: TextIO) -> None:
    """Print what an index holds."""
    if fmt is TableFormat.json:
        stream.write(json_text(stats_record(stats)))
        return
    from rich.table import Table

    out = console(stream)
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("stories", f"{stats.stories:,}")
    table.add_row("first date", iso(stats.first_date) or "-")
    table.add_row("last date", iso(stats.last_date) or "-")
    table.add_row("size on disk", f"{stats.size_bytes / 1e6:,.1f} MB")
    languages = ", ".join(f"{lang} {n:,}" for lang, n in stats.per_language.items())
    table.add_row("languages", languages or "-")
    table.add_row("roots", "\n".join(clean(r) for r in stats.roots) or "-")
    out.print(table)
    if stats.per_year:
        years = Table("year", "stories")
        for year, n in stats.per_year.items():
            years.add_row(str(year), f"{n:,}")
        out.print(years)
    if stats.unavailable:
        out.print(_left_out(stats.unavailable))


@contextmanager
def progress_bar(err: Console) -> Iterator[Callable[[str, int, int | None], None]]:
    """A progress display on `err` for an indexing run; yields `show(phase, done, total)`.
    Each phase gets its own line: a bar with a count and time left when its total is
    known, else a pulse and the count so far. A line shows what it was last told (phases
    alternate: reading, then committing a batch, then reading on), and its clock runs
    until its count reaches its total: the display redraws itself ten times a second,
    and at once when another phase takes over or a phase is complete."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        auto_refresh=True,
    ) as bar:
        tasks: dict[str, Any] = {}
        latest = ""  # the phase last shown

        def show(phase: str, done: int, total: int | None) -> None:
            nonlocal latest
            if phase not in tasks:  # (drawn at once, with its count)
                tasks[phase] = bar.add_task(phase, total=total, completed=done)
            # (a long run reports every 100 files: drawing each report would cost more)
            at_once = phase != latest or done == total
            latest = phase
            bar.update(tasks[phase], completed=done, total=total, refresh=at_once)

        yield show


def render_report(report: IndexReport, stream: TextIO, *, rejected_only: bool = False) -> None:
    """Print an indexing report: one line per missing root and per file that was
    rejected, duplicated or warned about, then a summary line; with `rejected_only`,
    the rejected files alone."""
    for r in report.rejected:
        stream.write(f"rejected  {clean(r.path)}: {clean(r.reason)}\n")
    if rejected_only:
        return
    for root in report.missing_roots:
        stream.write(
            f"missing   {clean(root)}: the indexed root is gone; its stories are kept "
            "(newssearch forget ROOT removes them)\n"
        )
    for d in report.duplicates:
        stream.write(
            f"duplicate {clean(d.path)}: story {clean(d.code)} is kept from {clean(d.kept)}\n"
        )
    for w in report.warnings:
        stream.write(f"warning   {clean(w.path)}: {clean(w.message)}\n")
    stream.write(
        f"{report.matched:,} files matched in {report.seconds:.1f} s: "
        f"{report.added:,} added, {report.updated:,} updated, "
        f"{report.unchanged:,} unchanged, {len(report.rejected):,} rejected, "
        f"{len(report.duplicates):,} duplicates, {report.removed:,} removed, "
        f"{len(report.warnings):,} {'warning' if len(report.warnings) == 1 else 'warnings'}\n"
    )


BAR_WIDTH = 40


def render_timeline(timeline: Timeline, fmt: TableFormat, stream: TextIO) -> None:
    """Print matching stories per period: a bar chart with the counts, or JSON."""
    if fmt is TableFormat.json:
        stream.write(json_text(timeline_record(timeline)))
        return
    from rich.table import Table
    from rich.text import Text

    out = console(stream)
    label = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}[timeline.by]
    peak = max((b.count for b in timeline.buckets), default=0)
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    for start, count, empty_run in _folded(timeline.buckets):
        if empty_run:
            table.add_row("…", "", Text(f"{empty_run:,} empty {timeline.by}s", style="dim"))
            continue
        width = round(count / peak * BAR_WIDTH) if peak else 0
        bar = "█" * width or ("▏" if count else "")
        table.add_row(start.strftime(label), f"{count:,}", Text(bar, style="cyan"))
    out.print(table)
    undated = f" ({timeline.undated:,} without a date)" if timeline.undated else ""
    plural = "story matches" if timeline.total == 1 else "stories match"
    out.print(f"{timeline.total:,} {plural}{undated}")
    if timeline.unavailable:
        out.print(_left_out(timeline.unavailable))


FOLD_FROM = 4
"""A table folds a run of at least this many empty periods into one line."""


def _folded(buckets: tuple[TimelineBucket, ...]) -> Iterator[tuple[date, int, int]]:
    """(start, count, 0) per bucket, with each run of `FOLD_FROM` or more empty buckets
    replaced by one (start, 0, length of the run)."""
    i = 0
    while i < len(buckets):
        j = i
        while j < len(buckets) and buckets[j].count == 0:
            j += 1
        if j - i >= FOLD_FROM:
            yield buckets[i].start, 0, j - i
            i = j
            continue
        yield buckets[i].start, buckets[i].count, 0
        i += 1
