"""The reading commands: search, show, stats, similar, timeline."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from newssearch.cli.common import (
    EXIT_NONE,
    EXIT_OK,
    AllowPartial,
    Cluster,
    Code,
    Command,
    HitsFormat,
    IndexDir,
    Lang,
    Limit,
    PageNumber,
    RecordFormat,
    Since,
    SummaryFormat,
    Until,
    app,
    date_option,
    opened,
    reported_errors,
)
from newssearch.models import DEFAULT_INDEX, Period, Sort
from newssearch.output import Format, TableFormat, TextFormat

if TYPE_CHECKING:
    pass


@app.command(cls=Command)
def search(
    query: Annotated[
        str,
        typer.Argument(metavar="QUERY", help="What to look for (see the README's query language)."),
    ],
    index_dir: IndexDir = DEFAULT_INDEX,
    cluster: Cluster = None,
    allow_partial: AllowPartial = False,
    since: Since = None,
    until: Until = None,
    limit: Limit = 10,
    page: PageNumber = 1,
    sort: Annotated[Sort, typer.Option("--sort", "-s", help="Order of hits.")] = Sort.relevance,
    recent: Annotated[
        bool,
        typer.Option(
            "--recent",
            help="Blend relevance with recency: the latest on a subject first (README).",
        ),
    ] = False,
    lang: Lang = None,
    fmt: HitsFormat = Format.table,
) -> None:
    """Search the index; exit 0 with hits, 1 with none.

    Words are matched stemmed in headline and body; stories holding all the words come
    first, then those holding some. Also: "exact phrases", AND / OR / NOT, headline:,
    body:, code:, wildcards (gaz*) and date:[2024-04-01 to 2024-04-30].

    Example:

    \b
        newssearch search "gaza truce"
        newssearch search 'headline:cocoa AND ghana' --since 1987-03 -f json
    """
    from newssearch.output import render_search

    since_at = date_option("--since", since, end=False)
    until_at = date_option("--until", until, end=True)
    with reported_errors():
        with opened(index_dir, cluster, allow_partial) as ix:
            result = ix.search(
                query,
                since=since_at,
                until=until_at,
                limit=limit,
                page=page,
                sort=sort,
                recent=recent,
                lang=lang,
            )
        render_search(result, fmt, sys.stdout)
    # exit 0 when anything is listed, partial matches included (see the README)
    raise typer.Exit(EXIT_OK if result.total or result.partial_total else EXIT_NONE)


@app.command(cls=Command)
def show(
    code: Code,
    index_dir: IndexDir = DEFAULT_INDEX,
    cluster: Cluster = None,
    allow_partial: AllowPartial = False,
    fmt: RecordFormat = TextFormat.text,
) -> None:
    """Print one whole story; exit 1 when no story has that code.

    Example:

    \b
        newssearch show 1129250
    """
    from newssearch.output import render_story
    from newssearch.records import clean

    with reported_errors():
        with opened(index_dir, cluster, allow_partial) as ix:
            story = ix.get(code)
        if story is None:
            typer.echo(f"newssearch: no story with code {clean(code)}", err=True)
            raise typer.Exit(EXIT_NONE)
        render_story(story, fmt, sys.stdout)


@app.command(cls=Command)
def stats(
    index_dir: IndexDir = DEFAULT_INDEX,
    cluster: Cluster = None,
    allow_partial: AllowPartial = False,
    fmt: SummaryFormat = TableFormat.table,
) -> None:
    """Print how many stories the index holds, their dates, size on disk and roots.

    Example:

    \b
        newssearch stats --format json
    """
    from newssearch.output import render_stats

    with reported_errors():
        with opened(index_dir, cluster, allow_partial) as ix:
            summary = ix.stats()
        render_stats(summary, fmt, sys.stdout)


@app.command(cls=Command)
def similar(
    code: Code,
    index_dir: IndexDir = DEFAULT_INDEX,
    cluster: Cluster = None,
    allow_partial: AllowPartial = False,
    since: Since = None,
    until: Until = None,
    limit: Limit = 10,
    page: PageNumber = 1,
    lang: Lang = None,
    fmt: HitsFormat = Format.table,
) -> None:
    """Find the stories most like one story (never the story itself); exit 1 with none.

    Example:

    \b
        newssearch similar 1 --limit 5
        newssearch similar 1129250 --since 1987-03 --format json
    """
    from newssearch.output import render_search
    from newssearch.records import clean

    since_at = date_option("--since", since, end=False)
    until_at = date_option("--until", until, end=True)
    with reported_errors():
        with opened(index_dir, cluster, allow_partial) as ix:
            result = ix.similar(
                code, since=since_at, until=until_at, limit=limit, page=page, lang=lang
            )
        if result is None:
            typer.echo(f"newssearch: no story with code {clean(code)}", err=True)
            raise typer.Exit(EXIT_NONE)
        render_search(result, fmt, sys.stdout)
    raise typer.Exit(EXIT_OK if result.total else EXIT_NONE)


@app.command(cls=Command)
def timeline(
    query: Annotated[str, typer.Argument(metavar="QUERY", help="What to look for, as for search.")],
    index_dir: IndexDir = DEFAULT_INDEX,
    cluster: Cluster = None,
    allow_partial: AllowPartial = False,
    since: Since = None,
    until: Until = None,
    by: Annotated[
        Period | None,
        typer.Option(
            "--by",
            "-b",
            help="Period counted. [default: chosen from the span of the matches]",
            show_default=False,
        ),
    ] = None,
    lang: Lang = None,
    fmt: SummaryFormat = TableFormat.table,
) -> None:
    """Count the stories matching a query per day, week, month or year, as a bar chart.

    The range runs from the first to the last matching story (or --since / --until);
    long runs of empty periods are folded in the table, JSON keeps every period. The
    counts add up to what search reports as the total. Exit 1 when nothing matches.

    Example:

    \b
        newssearch timeline cocoa
        newssearch timeline "oil prices" --since 1987-03 --until 1987-04 --by week
    """
    from newssearch.output import render_timeline

    since_at = date_option("--since", since, end=False)
    until_at = date_option("--until", until, end=True)
    with reported_errors():
        with opened(index_dir, cluster, allow_partial) as ix:
            result = ix.timeline(query, since=since_at, until=until_at, by=by, lang=lang)
        render_timeline(result, fmt, sys.stdout)
    raise typer.Exit(EXIT_OK if result.total else EXIT_NONE)
