"""The app factory: one open `NewsIndex`, the page and API routes, the static files, and
the error handlers, wrapped in `Guard`.

Routes are plain functions, which Starlette runs in a pool of `THREADS` threads; each
thread keeps its own searcher, which `NewsIndex` refreshes when another process has
committed, so new stories show up without a restart. Errors become responses here, in one
place: a bad parameter, query or date is 400, an unknown story 404, an index that cannot
be read 503; API routes answer `{"error": "..."}`, pages an HTML page with the message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

import jinja2
from anyio import to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from newssearch import NewsIndex, NewsSearchError, QueryError
from newssearch.web import api, pages
from newssearch.web.guard import Guard
from newssearch.web.params import ParamError

THREADS = 4
"""Requests served at once. Searches hold the interpreter lock, and each thread keeps a
searcher that it reopens after every commit: under bench/load.py, 4 served more than 2 or 8."""
STATIC = {
    "style.css": "text/css; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("newssearch.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=env)


def _static_route() -> Route:
    """The static files, read once from the package: a request names one of `STATIC`,
    never a path on disk."""
    folder = files("newssearch.web") / "static"
    content = {name: (folder / name).read_bytes() for name in STATIC}

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in content:
            raise HTTPException(404, f"no static file {name}")
        headers = {"cache-control": "public, max-age=3600"}
        return Response(content[name], media_type=STATIC[name], headers=headers)

    return Route("/static/{name}", static)


def _error(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        return api.DocumentResponse({"error": message}, status)
    templates: Jinja2Templates = request.app.state.templates
    context = {"status": status, "message": message, "form": {}}
    return templates.TemplateResponse(request, "error.html", context, status_code=status)


async def _bad_request(request: Request, exc: Exception) -> Response:
    return _error(request, 400, str(exc))


async def _unavailable(request: Request, exc: Exception) -> Response:
    return _error(request, 503, str(exc))


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    response = _error(request, exc.status_code, exc.detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def create_app(
    index_path: str, *, allowed_hosts: Sequence[str] = ("*",), index: Any = None
) -> Starlette:
    """A Starlette app serving the index at `index_path`, which is opened now (so a
    missing or damaged index is an error before anything listens) and closed when the app
    shuts down.

    index_path: the index directory.
    index: an index already open to serve instead (such as a cluster's
        `ClusterIndex`: anything that answers as `NewsIndex` does).
    allowed_hosts: the host names requests may be addressed to ("*": any); a server on
        loopback takes only loopback names, so a web page cannot reach it through a
        domain that resolves to 127.0.0.1.
    """
    ix = index if index is not None else NewsIndex.open(index_path)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = THREADS
        try:
            yield
        finally:
            ix.close()

    app = Starlette(
        routes=[*pages.ROUTES, *api.ROUTES, _static_route()],
        middleware=[
            Middleware(Guard),
            Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)),
        ],
        exception_handlers={
            ParamError: _bad_request,
            QueryError: _bad_request,
            NewsSearchError: _unavailable,
            HTTPException: _http,
        },
        lifespan=lifespan,
    )
    app.state.index = ix
    app.state.templates = _templates()
    return app
