"""The `newssearch` command: parse arguments, call `NewsIndex`, render, map errors to exits.

Exit status follows grep: 0 results (or all files indexed), 1 no results (or some files
not indexed), 2 an error, printed as one `Error: ...` line on stderr (a usage error
too), 130 interrupted. An exception that is not a `NewsSearchError` is a bug: it is
reported as an internal error, with its traceback under `--debug` or
`NEWSSEARCH_DEBUG=1`. The library, Whoosh and rich are imported inside the commands so
`--help` stays fast.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from newssearch.models import BATCH_SIZE, DEFAULT_INDEX, IndexOptions, Period, Sort
from newssearch.output import Format, TableFormat, TextFormat

if TYPE_CHECKING:
    from newssearch.models import IndexReport

EXIT_OK, EXIT_NONE, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that a run cancels cleanly (workers stopped, files
    removed) instead of dying with its semaphores."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


class _Commands(TyperGroup):
    """The command group, printing a usage error as one line."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        try:
            code = super().main(*args, **{**kwargs, "standalone_mode": False})
        except typer.TyperException as e:
            where = getattr(getattr(e, "ctx", None), "command_path", "newssearch")
            message = e.format_message() if hasattr(e, "format_message") else str(e)
            typer.echo(f"Error: {message} (see '{where} --help')", err=True)
            code = getattr(e, "exit_code", EXIT_ERROR)
        if not standalone_mode:
            return code
        sys.exit(code or 0)


app = typer.Typer(
    name="newssearch",
    cls=_Commands,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

IndexDir = Annotated[
    str,
    typer.Option(
        "--index",
        "-i",
        envvar="NEWSSEARCH_INDEX",
        show_envvar=True,
        metavar="DIR",
        help="Index directory.",
    ),
]
Since = Annotated[
    str | None,
    typer.Option(
        metavar="DATE",
        help="Only stories from this date on: 2024, 2024-04, 2024-04-17, 'April 2024', "
        "yesterday, '30 days ago', -30d, 'last week'.",
        show_default=False,
    ),
]
Until = Annotated[
    str | None,
    typer.Option(
        metavar="DATE",
        help="Only stories up to this date, inclusive (a month or year: all of it); "
        "same forms as --since.",
        show_default=False,
    ),
]
HitsFormat = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
SummaryFormat = Annotated[TableFormat, typer.Option("--format", "-f", help="Output format.")]
RecordFormat = Annotated[TextFormat, typer.Option("--format", "-f", help="Output format.")]
Limit = Annotated[int, typer.Option("--limit", "-n", min=1, metavar="N", help="Hits per page.")]
PageNumber = Annotated[
    int, typer.Option("--page", "-p", min=1, metavar="N", help="Which page of hits.")
]
Code = Annotated[str, typer.Argument(metavar="CODE", help="A story code, as search prints it.")]


def _debug() -> bool:
    return os.environ.get("NEWSSEARCH_DEBUG", "") not in ("", "0")


def _fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _hint(error: Exception) -> str:
    """How to mend an error with a command, for the ones a command mends."""
    from newssearch.errors import IndexDamaged, IndexNotFound

    if isinstance(error, IndexNotFound | IndexDamaged):
        index = "" if error.path == DEFAULT_INDEX else f" --index {error.path}"
        if isinstance(error, IndexNotFound):
            return f"; build one with 'newssearch index DIR{index}'"
        return f" ('newssearch index --full{index}')"
    return ""


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the library's errors into one line on stderr and exit status 2; report any
    other exception as the bug it is."""
    from newssearch.errors import NewsSearchError

    try:
        yield
    except typer.Exit:
        raise
    except NewsSearchError as e:
        _fail(f"{e}{_hint(e)}")
    except _Terminated:
        _fail("terminated", EXIT_TERMINATED)
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (`| head`): nothing left to say
        raise typer.Exit(EXIT_OK) from None
    except Exception as e:
        if _debug():
            raise
        _fail(
            f"internal error ({type(e).__name__}: {e}); this is a bug in newssearch: "
            "please report it with the output of the same command with NEWSSEARCH_DEBUG=1"
        )


def _date_option(name: str, value: str | None, *, end: bool) -> datetime | None:
    from newssearch import parse_date
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
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar="NEWSSEARCH_DEBUG",
            help="Show the traceback of an internal error (a bug) instead of one line.",
        ),
    ] = False,
) -> None:
    """Index a directory of news stories and search it from the terminal.

    The index lives in --index DIR, else $NEWSSEARCH_INDEX, else ./index.
    Exit status: 0 found (or indexed everything), 1 found nothing (or did not index
    some files), 2 error, 130 interrupted.
    """
    if debug:
        os.environ["NEWSSEARCH_DEBUG"] = "1"
    signal.signal(signal.SIGTERM, _on_sigterm)


@app.command()
def index(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[PATH]...",
            help="Directories (walked recursively) or files. None: every root indexed "
            "before, each with the glob it was indexed with.",
            show_default=False,
        ),
    ] = None,
    index_dir: IndexDir = DEFAULT_INDEX,
    glob: Annotated[
        str,
        typer.Option(
            "--glob",
            "-g",
            metavar="PATTERN",
            help="Only files whose name matches this pattern (with a /: the path "
            "relative to the root). Remembered for each PATH.",
        ),
    ] = IndexOptions().glob,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Read every file again and rebuild the index (also repairs a damaged one); "
            "searches see the old index until the new one is complete.",
        ),
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
            metavar="N",
            help="Stories written per commit; an interrupted run keeps whole batches.",
        ),
    ] = BATCH_SIZE,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            metavar="N",
            help="Worker processes for a large run. [default: one per core, at most 4]",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="Print only rejected files (on stderr): no progress, no summary."
        ),
    ] = False,
    fmt: Annotated[
        TextFormat, typer.Option("--format", "-f", help="Report format.")
    ] = TextFormat.text,
) -> None:
    """Index story files, updating only what changed since the last run.

    Files that cannot be indexed are listed with the reason; the exit status is 1 when
    any file was rejected or an indexed root is missing, 0 otherwise (duplicates of a
    story code do not count).

    Example:

    \b
        newssearch index data/
        newssearch index ~/archive --glob '*.story' --index ~/archive-index
        newssearch index                   # every root again, each its own way
    """
    from newssearch import index_stories
    from newssearch.output import console, render_report, report_record

    options = IndexOptions(
        glob=glob, full=full, follow_links=follow_links, batch_size=batch_size, jobs=jobs
    )
    with _errors():
        err = console(sys.stderr)
        if quiet or not err.is_terminal:
            report = index_stories(index_dir, paths or [], options)
        else:
            report = _index_with_progress(index_dir, paths or [], options, err)
        if fmt is TextFormat.json:
            import json

            typer.echo(json.dumps(report_record(report), ensure_ascii=False, indent=2))
        elif quiet:
            render_report(report, sys.stderr, rejected_only=True)
        else:
            render_report(report, sys.stdout)
    raise typer.Exit(EXIT_NONE if report.rejected or report.missing_roots else EXIT_OK)


def _index_with_progress(
    index_dir: str, paths: list[str], options: IndexOptions, err: Any
) -> IndexReport:
    from newssearch import Phase, index_stories
    from newssearch.output import progress_bar

    with progress_bar(err) as show:

        def advance(phase: Phase, done: int, total: int | None) -> None:
            show(phase.value, done, total)

        return index_stories(index_dir, paths, options, progress=advance)


@app.command()
def forget(
    root: Annotated[
        str, typer.Argument(metavar="ROOT", help="An indexed root, as 'stats' lists it.")
    ],
    index_dir: IndexDir = DEFAULT_INDEX,
) -> None:
    """Stop indexing a root and remove its stories from the index.

    A root that is gone from disk keeps its stories until it is forgotten; stories that
    another root also holds stay.

    Example:

    \b
        newssearch forget ~/archive/old-agency
    """
    from newssearch import NewsIndex

    with _errors(), NewsIndex.open(index_dir) as ix:
        removed = ix.forget(root)
    typer.echo(f"forgot {root}: {removed:,} stories removed")


@app.command()
def search(
    query: Annotated[
        str,
        typer.Argument(metavar="QUERY", help="What to look for (see the README's query language)."),
    ],
    index_dir: IndexDir = DEFAULT_INDEX,
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
    fmt: HitsFormat = Format.table,
) -> None:
    """Search the index; exit 0 with hits, 1 with none.

    Words are matched stemmed in headline and body; stories holding all the words come
    first, then those holding some. Also: "exact phrases", AND / OR / NOT, headline:,
    body:, code:, wildcards (gaz*) and date:[2024-04-01 to 2024-04-30].

    Example:

    \b
        newssearch search "gaza truce"
        newssearch search 'headline:cocoa AND brazil' --since 1987-03 --format json
    """
    from newssearch import NewsIndex
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
                sort=sort,
                recent=recent,
            )
        render_search(result, fmt, sys.stdout)
    raise typer.Exit(EXIT_OK if result.total else EXIT_NONE)


@app.command()
def show(
    code: Code,
    index_dir: IndexDir = DEFAULT_INDEX,
    fmt: RecordFormat = TextFormat.text,
) -> None:
    """Print one whole story; exit 1 when no story has that code.

    Example:

    \b
        newssearch show 1129250
    """
    from newssearch import NewsIndex
    from newssearch.output import render_story

    with _errors():
        with NewsIndex.open(index_dir) as ix:
            story = ix.get(code)
        if story is None:
            typer.echo(f"newssearch: no story with code {code}", err=True)
            raise typer.Exit(EXIT_NONE)
        render_story(story, fmt, sys.stdout)


@app.command()
def stats(
    index_dir: IndexDir = DEFAULT_INDEX,
    fmt: SummaryFormat = TableFormat.table,
) -> None:
    """Print how many stories the index holds, their dates, size on disk and roots.

    Example:

    \b
        newssearch stats --format json
    """
    from newssearch import NewsIndex
    from newssearch.output import render_stats

    with _errors():
        with NewsIndex.open(index_dir) as ix:
            summary = ix.stats()
        render_stats(summary, fmt, sys.stdout)


@app.command()
def similar(
    code: Code,
    index_dir: IndexDir = DEFAULT_INDEX,
    since: Since = None,
    until: Until = None,
    limit: Limit = 10,
    page: PageNumber = 1,
    fmt: HitsFormat = Format.table,
) -> None:
    """Find the stories most like one story (never the story itself); exit 1 with none.

    Example:

    \b
        newssearch similar 1 --limit 5
        newssearch similar 1129250 --since 2024-01 --format json
    """
    from newssearch import NewsIndex
    from newssearch.output import render_search

    since_at = _date_option("--since", since, end=False)
    until_at = _date_option("--until", until, end=True)
    with _errors():
        with NewsIndex.open(index_dir) as ix:
            result = ix.similar(code, since=since_at, until=until_at, limit=limit, page=page)
        if result is None:
            typer.echo(f"newssearch: no story with code {code}", err=True)
            raise typer.Exit(EXIT_NONE)
        render_search(result, fmt, sys.stdout)
    raise typer.Exit(EXIT_OK if result.total else EXIT_NONE)


@app.command()
def timeline(
    query: Annotated[str, typer.Argument(metavar="QUERY", help="What to look for, as for search.")],
    index_dir: IndexDir = DEFAULT_INDEX,
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
    from newssearch import NewsIndex
    from newssearch.output import render_timeline

    since_at = _date_option("--since", since, end=False)
    until_at = _date_option("--until", until, end=True)
    with _errors():
        with NewsIndex.open(index_dir) as ix:
            result = ix.timeline(query, since=since_at, until=until_at, by=by)
        render_timeline(result, fmt, sys.stdout)
    raise typer.Exit(EXIT_OK if result.total else EXIT_NONE)
