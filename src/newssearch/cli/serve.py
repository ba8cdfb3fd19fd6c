"""`newssearch serve`: the search page and JSON API (`newssearch.web`) over an index."""

from __future__ import annotations

from typing import Annotated

import typer

from newssearch.cli.common import Command, IndexDir, app, reported_errors
from newssearch.models import DEFAULT_INDEX


@app.command(cls=Command)
def serve(
    index_dir: IndexDir = DEFAULT_INDEX,
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
    up without a restart.

    Example:

    \b
        newssearch serve --index ~/archive-index --port 8080
    """
    from newssearch.web.server import serve as run

    def ready(url: str) -> None:
        typer.echo(f"Serving {index_dir} at {url} (Ctrl-C to stop)")

    with reported_errors():
        run(index_dir, host=host, port=port, ready=ready)
