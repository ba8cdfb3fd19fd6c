"""The `newssearch` command: parse arguments, call `NewsIndex`, render, map errors to exits.

Exit status follows grep: 0 results (or all files indexed), 1 no results (or some files
rejected), 2 an error, printed as one `Error: ...` line on stderr. Whoosh and the library's
heavier modules are imported inside the commands so `--help` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, NoReturn, TypedDict

import typer

from newssearch.defaults import BATCH_SIZE, DEFAULT_INDEX
from newssearch.output import Format, TableFormat, TextFormat

if TYPE_CHECKING:
    from rich.console import Console

    from newssearch.models import IndexReport

app = typer.Typer(
    name="newssearch",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class SortOrder(StrEnum):
    """How search hits are ordered."""

    relevance = "relevance"
    newest = "newest"
    oldest = "oldest"


EXIT_OK, EXIT_NONE, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130

IndexDir = Annotated[
    str,
    typer.Option(
        "--index",
        "-i",
        envvar="NEWSSEARCH_INDEX",
        show_envvar=True,
        help="Index directory.",
    ),
]
Since = Annotated[
    str | None,
    typer.Option(
        help="Only stories from this date on: 2024, 2024-04, 2024-04-17, 'April 2024', "
        "yesterday, '30 days ago', -30d, 'last week'.",
        show_default=False,
    ),
]
Until = Annotated[
    str | None,
    typer.Option(
        help="Only stories up to this date, inclusive (a month or year: all of it); "
        "same forms as --since.",
        show_default=False,
    ),
]
HitsFormat = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
SummaryFormat = Annotated[TableFormat, typer.Option("--format", "-f", help="Output format.")]
RecordFormat = Annotated[TextFormat, typer.Option("--format", "-f", help="Output format.")]
Limit = Annotated[int, typer.Option("--limit", "-n", min=1, help="Hits per page.")]
PageNumber = Annotated[int, typer.Option("--page", "-p", min=1, help="Which page of hits.")]


def _fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the library's errors into one line on stderr and exit status 2."""
    from newssearch.errors import NewsSearchError

    try:
        yield
    except NewsSearchError as e:
        _fail(str(e))
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (`| head`): nothing left to say
        raise typer.Exit(EXIT_OK) from None


def _date_option(name: str, value: str | None, *, end: bool) -> datetime | None:
    from newssearch.dates import parse_date
    from newssearch.errors import QueryError

    if value is None:
        return None
    try:
        return parse_date(value, end=end)
    except QueryError as e:
        _fail(f"{name}: {e}")


def _version(value: bool) -> None:
    if value:
        from newssearch import __version__

        typer.echo(f"newssearch {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Index a directory of news stories and search it from the terminal.

    The index lives in --index DIR, else $NEWSSEARCH_INDEX, else ./index.
    Exit status: 0 found (or indexed everything), 1 found nothing (or rejected some
    files), 2 error.
    """


@app.command()
def index(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Directories (walked recursively) or files. None: every root indexed before.",
            show_default=False,
        ),
    ] = None,
    index_dir: IndexDir = DEFAULT_INDEX,
    glob: Annotated[
        str, typer.Option("--glob", "-g", help="Only files whose name matches this pattern.")
    ] = "*.txt",
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild the index from scratch (also repairs it).")
    ] = False,
    follow_links: Annotated[
        bool,
        typer.Option(
            "--follow-links",
            help="Follow directory links, and file links that lead out of the indexed root.",
        ),
    ] = False,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size",
            min=1,
            help="Stories written per commit; an interrupted run keeps whole batches.",
        ),
    ] = BATCH_SIZE,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Worker processes for a large run. [default: one per core, at most 4]",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="No progress or summary; problems still go to stderr."),
    ] = False,
    fmt: Annotated[
        TextFormat, typer.Option("--format", "-f", help="Report format.")
    ] = TextFormat.text,
) -> None:
    """Index story files, updating only what changed since the last run.

    Files that cannot be indexed are listed with the reason; the exit status is 1 when
    any file was rejected, 0 otherwise (duplicates of a story code do not count).

    Example:

        newssearch index data/

        newssearch index ~/archive --glob '*.story' --index ~/archive-index --format json
    """
    from newssearch.newsindex import index_stories
    from newssearch.output import console, render_report, report_record

    with _errors():
        err = console(sys.stderr)
        options = IndexOptions(
            glob=glob, full=full, follow_links=follow_links, batch_size=batch_size, jobs=jobs
        )
        if quiet or not err.is_terminal:
            report = index_stories(index_dir, paths or [], **options)
        else:
            report = _index_with_progress(index_dir, paths or [], options, err)
        if fmt is TextFormat.json:
            import json

            typer.echo(json.dumps(report_record(report), ensure_ascii=False, indent=2))
        elif quiet:
            render_report(report, sys.stderr, details=True, summary=False)
        else:
            render_report(report, sys.stdout)
    raise typer.Exit(EXIT_NONE if report.rejected else EXIT_OK)


class IndexOptions(TypedDict):
    """The `index` options passed on to `index_stories`."""

    glob: str
    full: bool
    follow_links: bool
    batch_size: int
    jobs: int | None


def _index_with_progress(
    index_dir: str, paths: list[str], options: IndexOptions, err: Console
) -> IndexReport:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from newssearch.newsindex import index_stories

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("indexing", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return index_stories(index_dir, paths, progress=advance, **options)


@app.command()
def search(
    query: Annotated[
        str, typer.Argument(help="What to look for (see the README's query language).")
    ],
    index_dir: IndexDir = DEFAULT_INDEX,
    since: Since = None,
    until: Until = None,
    limit: Limit = 10,
    page: PageNumber = 1,
    sort: Annotated[SortOrder, typer.Option("--sort", "-s", help="Order of hits.")] = (
        SortOrder.relevance
    ),
    recent: Annotated[
        bool,
        typer.Option(
            "--recent",
            help="Blend relevance with recency: the latest on a subject first (README).",
        ),
    ] = False,
    fmt: HitsFormat = Format.table,
) -> None:
    """Search the index; exit 0 with hits, 1 with none.

    Words are matched stemmed in headline and body; stories holding all the words come
    first, then those holding some. Also: "exact phrases", AND / OR / NOT, headline:,
    body:, code:, wildcards (gaz*) and date:[2024-04-01 to 2024-04-30].

    Example:

        newssearch search "gaza truce"

        newssearch search 'headline:cocoa AND brazil' --since 1987-03 --until 1987-04 --format json
    """
    from newssearch.newsindex import NewsIndex
    from newssearch.output import render_search

    since_at = _date_option("--since", since, end=False)
    until_at = _date_option("--until", until, end=True)
    with _errors():
        with NewsIndex.open(index_dir) as ix:
            result = ix.search(
                query,
                since=since_at,
                until=until_at,
                limit=limit,
                page=page,
                sort=sort.value,
                recent=recent,
            )
        render_search(result, fmt, sys.stdout)
    raise typer.Exit(EXIT_OK if result.total else EXIT_NONE)


@app.command()
def show(
    code: Annotated[str, typer.Argument(help="The story code, as printed by search.")],
    index_dir: IndexDir = DEFAULT_INDEX,
    fmt: RecordFormat = TextFormat.text,
) -> None:
    """Print one whole story; exit 1 when no story has that code.

    Example:

        newssearch show 1129250
    """
    from newssearch.newsindex import NewsIndex
    from newssearch.output import render_story

    with _errors():
        with NewsIndex.open(index_dir) as ix:
            story = ix.get(code)
        if story is None:
            typer.echo(f"newssearch: no story with code {code} in {index_dir}", err=True)
            raise typer.Exit(EXIT_NONE)
        render_story(story, fmt, sys.stdout)


@app.command()
def stats(
    index_dir: IndexDir = DEFAULT_INDEX,
    fmt: SummaryFormat = TableFormat.table,
) -> None:
    """Print how many stories the index holds, their dates, size on disk and roots.

    Example:

        newssearch stats --format json
    """
    from newssearch.newsindex import NewsIndex
    from newssearch.output import render_stats

    with _errors():
        with NewsIndex.open(index_dir) as ix:
            summary = ix.stats()
        render_stats(summary, fmt, sys.stdout)


@app.command()
def similar(
    code: Annotated[str, typer.Argument(help="The story code to find stories like.")],
    index_dir: IndexDir = DEFAULT_INDEX,
    since: Since = None,
    until: Until = None,
    limit: Limit = 10,
    page: PageNumber = 1,
    fmt: HitsFormat = Format.table,
) -> None:
    """Find the stories most like one story (never the story itself); exit 1 with none.

    Example:

        newssearch similar 1 --limit 5

        newssearch similar 1129250 --since 2024-01 --format json
    """
    from newssearch.newsindex import NewsIndex
    from newssearch.output import render_search

    since_at = _date_option("--since", since, end=False)
    until_at = _date_option("--until", until, end=True)
    with _errors():
        with NewsIndex.open(index_dir) as ix:
            result = ix.similar(code, since=since_at, until=until_at, limit=limit, page=page)
        if result is None:
            typer.echo(f"newssearch: no story with code {code} in {index_dir}", err=True)
            raise typer.Exit(EXIT_NONE)
        render_search(result, fmt, sys.stdout)
    raise typer.Exit(EXIT_OK if result.total else EXIT_NONE)


class PeriodName(StrEnum):
    """Timeline bucket sizes."""

    day = "day"
    week = "week"
    month = "month"
    year = "year"


@app.command()
def timeline(
    query: Annotated[str, typer.Argument(help="What to look for, as for search.")],
    index_dir: IndexDir = DEFAULT_INDEX,
    since: Since = None,
    until: Until = None,
    by: Annotated[PeriodName, typer.Option("--by", "-b", help="Bucket size.")] = PeriodName.month,
    fmt: SummaryFormat = TableFormat.table,
) -> None:
    """Count the stories matching a query per day, week, month or year, as a bar chart.

    Empty periods inside the range show as zero; the counts add up to what search reports
    as the total. Exit 1 when nothing matches.

    Example:

        newssearch timeline cocoa --by month

        newssearch timeline "oil prices" --since 1987-03 --until 1987-04 --by week --format json
    """
    from newssearch.newsindex import NewsIndex
    from newssearch.output import render_timeline

    since_at = _date_option("--since", since, end=False)
    until_at = _date_option("--until", until, end=True)
    with _errors():
        with NewsIndex.open(index_dir) as ix:
            result = ix.timeline(query, since=since_at, until=until_at, by=by.value)
        render_timeline(result, fmt, sys.stdout)
    raise typer.Exit(EXIT_OK if result.total else EXIT_NONE)


@app.command()
def serve(
    index_dir: IndexDir = DEFAULT_INDEX,
    host: Annotated[
        str,
        typer.Option(help="Address to listen on; the default serves this machine only."),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port to listen on; 0 takes any free one.")
    ] = 8080,
) -> None:
    """Serve a search page and a JSON API over the index, read-only, until Ctrl-C.

    The page searches, pages and shows stories without JavaScript; the API answers
    /api/search, /api/stories/CODE, /api/similar/CODE, /api/timeline and /api/stats with
    the JSON of the matching command's --format json. New stories indexed meanwhile show
    up without a restart.

    Example:

        newssearch serve --index ~/archive-index --port 8080
    """
    from newssearch.web.server import serve as run

    def ready(url: str) -> None:
        typer.echo(f"Serving {index_dir} at {url} (Ctrl-C to stop)")

    with _errors():
        run(index_dir, host=host, port=port, ready=ready)
