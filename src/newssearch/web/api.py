"""The JSON API: one route per command, answering with the document that command prints
with `--format json`.

Each route reads its parameters with `params`, makes one `NewsIndex` call and sends the
`*_record` document of `newssearch.records`, serialised by the same `json_text`, so a
response is byte for byte what the command line prints for the same call. Errors are
raised, and `app.py` turns them into `{"error": "..."}` with the status.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from newssearch import NewsIndex
from newssearch.records import (
    json_text,
    search_record,
    stats_record,
    story_record,
    timeline_record,
)
from newssearch.web import params
from newssearch.web.timelines import bounded_timeline


class DocumentResponse(Response):
    """A JSON document, written as `--format json` writes it."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json_text(content).encode()


def index_of(request: Request) -> NewsIndex:
    """The app's open index."""
    ix: NewsIndex = request.app.state.index
    return ix


def no_story(code: str) -> HTTPException:
    """The 404 for a story code the index does not hold."""
    return HTTPException(404, f"no story with code {code}")


def search(request: Request) -> Response:
    """`newssearch search Q --format json`."""
    given = params.collect(request.query_params.multi_items(), params.SEARCH)
    query, limits = params.text(given, "q"), params.limits(given)
    result = index_of(request).search(
        query,
        since=limits.since,
        until=limits.until,
        limit=limits.limit,
        page=limits.page,
        sort=limits.sort,
        recent=limits.recent,
        lang=limits.lang,
    )
    return DocumentResponse(search_record(result))


def story(request: Request) -> Response:
    """`newssearch show CODE --format json`."""
    params.collect(request.query_params.multi_items(), ())
    code = request.path_params["code"]
    found = index_of(request).get(code)
    if found is None:
        raise no_story(code)
    return DocumentResponse(story_record(found))


def similar(request: Request) -> Response:
    """`newssearch similar CODE --format json`."""
    given = params.collect(request.query_params.multi_items(), params.SIMILAR)
    limits, code = params.limits(given), request.path_params["code"]
    result = index_of(request).similar(
        code,
        since=limits.since,
        until=limits.until,
        limit=limits.limit,
        page=limits.page,
        lang=limits.lang,
    )
    if result is None:
        raise no_story(code)
    return DocumentResponse(search_record(result))


def timeline(request: Request) -> Response:
    """`newssearch timeline Q --format json`."""
    given = params.collect(request.query_params.multi_items(), params.TIMELINE)
    query, limits, by = params.text(given, "q"), params.limits(given), params.period(given)
    result = bounded_timeline(
        index_of(request), query, since=limits.since, until=limits.until, by=by, lang=limits.lang
    )
    return DocumentResponse(timeline_record(result))


def stats(request: Request) -> Response:
    """`newssearch stats --format json`."""
    params.collect(request.query_params.multi_items(), ())
    return DocumentResponse(stats_record(index_of(request).stats()))


ROUTES = [
    Route("/api/search", search),
    Route("/api/stories/{code}", story),
    Route("/api/similar/{code}", similar),
    Route("/api/timeline", timeline),
    Route("/api/stats", stats),
]
