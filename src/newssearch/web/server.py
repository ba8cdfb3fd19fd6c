"""Run the app under uvicorn with limits fit for a read-only server.

The socket is bound here, before uvicorn starts, so that a port in use is a one-line error
and `--port 0` (any free port) can say which port it got. Uvicorn is told to drop idle
connections after 5 s, answer 503 past `MAX_CONNECTIONS`, refuse request heads over
`MAX_HEAD` bytes, and not to trust proxy headers; Ctrl-C stops it after the requests in
flight.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

from newssearch import NewsSearchError
from newssearch.web.app import create_app
from newssearch.web.guard import MAX_HEAD

MAX_CONNECTIONS = 256
"""Connections (and requests) served at once; past that, 503 at once rather than a queue."""
BACKLOG = 512
KEEP_ALIVE = 5
"""Seconds an idle connection is kept."""
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


class ServeError(NewsSearchError):
    """The server cannot listen where it was told to."""


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_of(host: str, port: int) -> str:
    """The address a browser uses for a server on `host`:`port`."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(
    index_path: str,
    *,
    host: str,
    port: int,
    ready: Callable[[str], None],
    index: Any = None,
) -> None:
    """Serve the index at `index_path` on `host`:`port` until interrupted.

    index_path: the index directory (it must exist).
    index: an index already open to serve instead (see `app.create_app`).
    host, port: where to listen; port 0 takes any free port.
    ready: called with the server's address once it listens.
    """
    import uvicorn

    allowed = (*LOOPBACK_NAMES, host) if is_loopback(host) else ("*",)
    app = create_app(index_path, allowed_hosts=allowed, index=index)
    # IPPROTO_TCP said outright: asyncio turns Nagle's algorithm off only on sockets that
    # say so, and with it on a keep-alive response waits 40 ms for the client's ACK
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as e:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    config = uvicorn.Config(
        app,
        http="h11",
        ws="none",
        lifespan="on",
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=False,
        limit_concurrency=MAX_CONNECTIONS,
        backlog=BACKLOG,
        timeout_keep_alive=KEEP_ALIVE,
        timeout_graceful_shutdown=5,
        h11_max_incomplete_event_size=MAX_HEAD,
    )
    ready(url_of(host, sock.getsockname()[1]))
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it stopped on
        pass
    finally:
        sock.close()
