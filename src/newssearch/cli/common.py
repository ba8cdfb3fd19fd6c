"""The command group, the options its commands share, and errors turned into exit statuses.

Exit status follows grep: 0 results (or all files indexed), 1 no results (or some files
not indexed), 2 an error, printed as one `Error: ...` line on stderr (a usage error
too), 130 interrupted, 143 terminated. An exception that is not a `NewsSearchError` is a bug: it is
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
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperCommand, TyperGroup

from newssearch.models import DEFAULT_INDEX, Language
from newssearch.output import Format, TableFormat, TextFormat

EXIT_OK, EXIT_NONE, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that a run cancels cleanly (workers stopped, files
    removed) instead of dying with its semaphores."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


_USAGE_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)
"""The base of the usage errors of the Click that typer vendors (typer exports it as
`TyperException` only from 0.28; its `BadParameter` derives from it in every release)."""


class _Commands(TyperGroup):
    """The command group, printing a usage error (or a Ctrl-C that came before a command
    took it over) as one line."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _Terminated:
            fail("terminated", EXIT_TERMINATED)
        except KeyboardInterrupt:  # before the command's own error handling took over
            fail("interrupted", EXIT_INTERRUPTED)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        try:
            code = super().main(*args, **{**kwargs, "standalone_mode": False})
        except _USAGE_ERROR as e:
            message = e.format_message() if hasattr(e, "format_message") else str(e)
            if type(e).__name__ == "NoArgsIsHelpError":  # `newssearch` alone: its help
                typer.echo(message, err=True)
                sys.exit(EXIT_ERROR)
            where = getattr(getattr(e, "ctx", None), "command_path", "newssearch")
            typer.echo(f"Error: {message} (see '{where} --help')", err=True)
            code = getattr(e, "exit_code", EXIT_ERROR)
        if not standalone_mode:
            return code
        sys.exit(code or 0)


class Command(TyperCommand):
    """A command whose usage line names its arguments as their help does (`QUERY`; typer
    writes a required one as `{QUERY}`)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces: list[str] = super().collect_usage_pieces(ctx)
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in pieces]


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
Lang = Annotated[
    Language | None,
    typer.Option(
        "--lang",
        help="Only stories in this language (detected from their text).",
        show_default=False,
    ),
]
Cluster = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        metavar="ADDRESS",
        envvar="NEWSSEARCH_CLUSTER",
        help="Ask the shards of a Dask cluster (its scheduler, tcp://HOST:8786) instead "
        "of --index.",
        show_default=False,
    ),
]
AllowPartial = Annotated[
    bool,
    typer.Option(
        "--allow-partial",
        help="With --cluster: leave out shards that are down (and say so) instead of failing.",
    ),
]
Code = Annotated[str, typer.Argument(metavar="CODE", help="A story code, as search prints it.")]


def _debug() -> bool:
    return os.environ.get("NEWSSEARCH_DEBUG", "") not in ("", "0")


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """Print `message` as the `Error:` line (a path the user typed may hold control
    characters: they are shown escaped) and exit with `code`."""
    from newssearch.records import clean

    typer.echo("Error: " + "\n".join(map(clean, message.split("\n"))), err=True)
    raise typer.Exit(code)


def _hint(error: Exception) -> str:
    """How to mend an error with a command, for the ones a command mends (a cluster's
    errors say their own)."""
    from newssearch.cluster.client import ClusterError
    from newssearch.errors import IndexDamaged, IndexNotFound

    if isinstance(error, ClusterError):
        return ""
    if isinstance(error, IndexNotFound | IndexDamaged):
        index = "" if error.path == DEFAULT_INDEX else f" --index {error.path}"
        if isinstance(error, IndexNotFound):
            return f"; build one with 'newssearch index DIR{index}'"
        return f" ('newssearch index --full{index}')"
    return ""


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn the library's errors into one line on stderr and exit status 2; report any
    other exception as the bug it is.

    From here on Ctrl-C and SIGTERM become exceptions, so that a run cancels cleanly
    (workers stopped, files removed) and ends with one line. The library's modules are
    imported first, while a signal still ends the process at once: an exception raised
    in the middle of an import can surface only as Python's "Exception ignored" report."""
    from newssearch.api import load_library
    from newssearch.errors import NewsSearchError

    load_library()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    except typer.Exit:
        raise
    except NewsSearchError as e:
        fail(f"{e}{_hint(e)}")
    except _Terminated:
        fail("terminated", EXIT_TERMINATED)
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (`| head`): nothing left to say
        raise typer.Exit(EXIT_OK) from None
    except Exception as e:
        if _debug():
            raise
        fail(
            f"internal error ({type(e).__name__}: {e}); this is a bug in newssearch: "
            "please report it with the output of the same command with NEWSSEARCH_DEBUG=1"
        )


def opened(index_dir: str, cluster: str | None, allow_partial: bool) -> Any:
    """The index to ask: the one at `index_dir`, or the shards of the cluster whose
    scheduler is at `cluster`."""
    if cluster:
        from newssearch.cluster.client import ClusterIndex

        return ClusterIndex(cluster, allow_partial=allow_partial)
    from newssearch import NewsIndex

    return NewsIndex.open(index_dir)


def date_option(name: str, value: str | None, *, end: bool) -> datetime | None:
    from newssearch import parse_date
    from newssearch.errors import QueryError

    if value is None:
        return None
    try:
        return parse_date(value, end=end)
    except QueryError as e:
        fail(f"{name}: {e}")


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
    some files), 2 error, 130 interrupted, 143 terminated.
    """
    if debug:
        os.environ["NEWSSEARCH_DEBUG"] = "1"
