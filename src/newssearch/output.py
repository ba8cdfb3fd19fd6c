"""Render results onto a stream: table (rich), json, jsonl or csv.

Renderers are pure: they take a result and a stream and know nothing of typer. The JSON
documents are built by the `*_record` functions, which the web API sends as they are, so
the command line and the API cannot drift apart. Tables use
colour and bold only when the stream is a terminal and `NO_COLOR` is unset; machine formats
never do. rich is imported only when something is drawn with it, so `--help` and the machine
formats do not pay for it.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console

    from newssearch.models import Hit, IndexReport, IndexStats, SearchResult, Story, Timeline


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
    """A rich console on `stream` that styles only a terminal and honours NO_COLOR."""
    from rich.console import Console

    return Console(
        file=stream,
        highlight=False,
        soft_wrap=False,
        no_color="NO_COLOR" in os.environ,
    )


def _iso(d: datetime | None) -> str | None:
    return d.isoformat() if d is not None else None


def hit_record(hit: Hit) -> dict[str, Any]:
    """A hit as the JSON object documented in the README."""
    return {
        "rank": hit.rank,
        "score": round(hit.score, 4),
        "code": hit.code,
        "date": _iso(hit.date),
        "headline": hit.headline,
        "snippet": hit.snippet,
        "path": hit.path,
    }


def search_record(result: SearchResult) -> dict[str, Any]:
    """A page of search (or similar) results as the JSON document documented in the README."""
    return {
        "query": result.query,
        "total": result.total,
        "page": result.page,
        "limit": result.limit,
        "hits": [hit_record(h) for h in result.hits],
        "suggestion": result.suggestion,
    }


def story_record(story: Story) -> dict[str, Any]:
    """A whole story as the JSON object documented in the README."""
    doc = asdict(story)
    doc["date"] = _iso(story.date)
    return doc


def stats_record(stats: IndexStats) -> dict[str, Any]:
    """What an index holds, as the JSON object documented in the README."""
    return {
        "stories": stats.stories,
        "first_date": _iso(stats.first_date),
        "last_date": _iso(stats.last_date),
        "per_year": {str(y): n for y, n in stats.per_year.items()},
        "size_bytes": stats.size_bytes,
        "roots": list(stats.roots),
    }


def timeline_record(timeline: Timeline) -> dict[str, Any]:
    """A timeline as the JSON object documented in the README."""
    return {
        "query": timeline.query,
        "by": timeline.by,
        "total": timeline.total,
        "buckets": [{"start": b.start.isoformat(), "count": b.count} for b in timeline.buckets],
        "undated": timeline.undated,
    }


def json_text(doc: dict[str, Any]) -> str:
    """A JSON document as `--format json` prints it (and the web API sends it)."""
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def render_search(result: SearchResult, fmt: Format, stream: TextIO) -> None:
    """Print one page of search results."""
    if fmt is Format.json:
        stream.write(json_text(search_record(result)))
        return
    records = [hit_record(h) for h in result.hits]
    if fmt is Format.jsonl:
        for r in records:
            stream.write(json.dumps(r, ensure_ascii=False) + "\n")
    elif fmt is Format.csv:
        fields = ["rank", "score", "code", "date", "headline", "snippet", "path"]
        writer = csv.DictWriter(stream, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    else:
        _search_table(result, stream)


def _search_table(result: SearchResult, stream: TextIO) -> None:
    from rich.table import Table
    from rich.text import Text

    out = console(stream)
    if result.hits:
        table = Table(show_lines=True, expand=out.is_terminal)
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("date", no_wrap=True)
        table.add_column("code", no_wrap=True)
        table.add_column("headline", ratio=1)
        table.add_column("snippet", ratio=2)
        for h in result.hits:
            snippet = Text(h.snippet)
            for start, end in h.highlights:
                snippet.stylize("bold", start, end)
            date = f"{h.date:%Y-%m-%d %H:%M}" if h.date else "-"
            table.add_row(str(h.rank), date, h.code, Text(h.headline), snippet)
        out.print(table)
    first = result.limit * (result.page - 1) + 1
    if result.hits:
        shown = f"; showing {first}-{first + len(result.hits) - 1}"
    elif result.total:
        shown = f"; page {result.page} is past the last one"
    else:
        shown = ""
    plural = "story matches" if result.total == 1 else "stories match"
    out.print(f"{result.total:,} {plural}{shown}")
    if result.suggestion:
        out.print(Text.assemble("Did you mean: ", (result.suggestion, "bold"), "?"))


def render_story(story: Story, fmt: TextFormat, stream: TextIO) -> None:
    """Print one whole story."""
    if fmt is TextFormat.json:
        stream.write(json_text(story_record(story)))
        return
    from rich.text import Text

    out = console(stream)
    date = f"{story.date:%A %d %B %Y - %H:%M}" if story.date else "(no date)"
    out.print(Text(story.headline, style="bold"))
    out.print(Text(f"{date} · story {story.code} · {story.path}", style="dim"))
    out.print()
    for paragraph in story.body.split("\n"):
        out.print(Text(paragraph))
        out.print()


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
    table.add_row("first date", _iso(stats.first_date) or "-")
    table.add_row("last date", _iso(stats.last_date) or "-")
    table.add_row("size on disk", f"{stats.size_bytes / 1e6:,.1f} MB")
    table.add_row("roots", "\n".join(stats.roots) or "-")
    out.print(table)
    if stats.per_year:
        years = Table("year", "stories")
        for year, n in stats.per_year.items():
            years.add_row(str(year), f"{n:,}")
        out.print(years)


def report_record(report: IndexReport) -> dict[str, Any]:
    """An indexing report as the JSON object documented in the README."""
    doc = asdict(report)
    doc["seconds"] = round(report.seconds, 3)
    return doc


def render_report(
    report: IndexReport, stream: TextIO, *, details: bool = True, summary: bool = True
) -> None:
    """Print an indexing report: one line per file that was rejected, duplicated or warned
    about (`details`), then a summary line (`summary`)."""
    if details:
        for r in report.rejected:
            stream.write(f"rejected  {r.path}: {r.reason}\n")
        for d in report.duplicates:
            stream.write(f"duplicate {d.path}: story {d.code} is kept from {d.kept}\n")
        for w in report.warnings:
            stream.write(f"warning   {w.path}: {w.message}\n")
    if summary:
        stream.write(
            f"{report.matched:,} files matched in {report.seconds:.1f} s: "
            f"{report.added:,} added, {report.updated:,} updated, "
            f"{report.unchanged:,} unchanged, {len(report.rejected):,} rejected, "
            f"{len(report.duplicates):,} duplicates, {report.removed:,} removed, "
            f"{len(report.warnings):,} warnings\n"
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
    for b in timeline.buckets:
        width = round(b.count / peak * BAR_WIDTH) if peak else 0
        bar = "█" * width or ("▏" if b.count else "")
        table.add_row(b.start.strftime(label), f"{b.count:,}", Text(bar, style="cyan"))
    out.print(table)
    undated = f" ({timeline.undated:,} without a date)" if timeline.undated else ""
    plural = "story matches" if timeline.total == 1 else "stories match"
    out.print(f"{timeline.total:,} {plural}{undated}")
