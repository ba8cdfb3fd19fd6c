"""`newssearch index` and `newssearch forget`: build and maintain an index."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from newssearch.cli.common import (
    EXIT_NONE,
    EXIT_OK,
    Command,
    IndexDir,
    app,
    reported_errors,
)
from newssearch.models import BATCH_SIZE, DEFAULT_INDEX, IndexOptions
from newssearch.output import TextFormat

if TYPE_CHECKING:
    from newssearch.models import IndexReport


@app.command(cls=Command)
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
    from newssearch.output import console, render_report
    from newssearch.records import dumps, report_record

    options = IndexOptions(
        glob=glob, full=full, follow_links=follow_links, batch_size=batch_size, jobs=jobs
    )
    with reported_errors():
        err = console(sys.stderr)
        if quiet or not err.is_terminal:
            report = index_stories(index_dir, paths or [], options)
        else:
            report = _index_with_progress(index_dir, paths or [], options, err)
        if fmt is TextFormat.json:
            typer.echo(dumps(report_record(report)))
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


@app.command(cls=Command)
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
    from newssearch.records import clean

    with reported_errors(), NewsIndex.open(index_dir) as ix:
        removed = ix.forget(root)
    typer.echo(f"forgot {clean(root)}: {removed:,} stories removed")
