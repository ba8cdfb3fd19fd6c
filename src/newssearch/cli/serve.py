"""`newssearch serve` and `newssearch shard`: the archive over HTTP, and a cluster's shards."""

from __future__ import annotations

from typing import Annotated

import typer

from newssearch.cli.common import (
    AllowPartial,
    Cluster,
    Command,
    IndexDir,
    app,
    fail,
    opened,
    reported_errors,
)
from newssearch.models import DEFAULT_INDEX


@app.command(cls=Command)
def serve(
    index_dir: IndexDir = DEFAULT_INDEX,
    cluster: Cluster = None,
    allow_partial: AllowPartial = False,
    host: Annotated[
        str,
        typer.Option(
            metavar="ADDRESS", help="Address to listen on; the default serves this machine only."
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            min=0, max=65535, metavar="PORT", help="Port to listen on; 0 takes any free one."
        ),
    ] = 8080,
) -> None:
    """Serve a search page and a JSON API over the index, read-only, until Ctrl-C.

    The page searches, pages and shows stories without JavaScript; the API answers
    /api/search, /api/stories/CODE, /api/similar/CODE, /api/timeline and /api/stats with
    the JSON of the matching command's --format json. New stories indexed meanwhile show
    up without a restart. With --cluster it serves the shards of a Dask cluster.

    Example:

    \b
        newssearch serve --index ~/archive-index --port 8080
    """
    from newssearch.web.server import serve as run

    where = cluster or index_dir

    def ready(url: str) -> None:
        typer.echo(f"Serving {where} at {url} (Ctrl-C to stop)")

    with reported_errors():
        index = opened(index_dir, cluster, allow_partial) if cluster else None
        run(index_dir, host=host, port=port, ready=ready, index=index)


@app.command(cls=Command)
def shard(
    shards: Annotated[
        list[str],
        typer.Argument(
            metavar="NAME=INDEX...",
            help="The shards this worker holds: a name and an index directory for each.",
            show_default=False,
        ),
    ],
    scheduler: Annotated[
        str,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="The Dask scheduler to join (started with 'dask scheduler').",
        ),
    ],
    host: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS",
            help="The address this worker listens on. [default: chosen by Dask]",
            show_default=False,
        ),
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="N",
            help="Searches run at once. [default: one per core]",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Hold shards of a cluster: run a Dask worker that answers searches from them.

    Each shard is an ordinary index, built and kept up to date with 'newssearch index'
    on this machine; a cluster of several machines runs 'dask scheduler' on one of them
    and this command on each. Searches then go to the scheduler with --cluster. Runs
    until Ctrl-C.

    Example:

    \b
        dask scheduler --port 8786 &
        newssearch shard reuters=./ix-reuters --scheduler tcp://HOST:8786
        newssearch search "oil prices" --cluster tcp://HOST:8786
    """
    named = {}
    for given in shards:
        name, found, path = given.partition("=")
        if not found or not name or not path:
            fail(f"a shard is NAME=INDEX, not {given!r}")
        named[name] = path
    from newssearch.cluster.shard import serve as run

    def ready(address: str) -> None:
        typer.echo(f"Holding {', '.join(named)} at {address} for {scheduler} (Ctrl-C to stop)")

    with reported_errors():
        run(scheduler, named, host=host, threads=threads, ready=ready)
