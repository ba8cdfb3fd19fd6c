"""The HTML pages: search, a story, and the stories like one.

Every page is plain HTML from a GET, so searching, paging and reading work without
JavaScript, and every address holds the query and its limits, so it can be shared. The
search form sits on every page. Templates get views made here (hits with their snippets
cut into marked and unmarked pieces, the pager, the timeline's chart) and escape every
story field as they print it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from newssearch import Hit, QueryError, SearchResult
from newssearch.models import RECENT_POOL
from newssearch.web import params
from newssearch.web.api import index_of, no_story
from newssearch.web.timelines import MAX_BARS, bounded_timeline, chart, page_timeline

FORM = ("q", "since", "until", "sort", "recent", "limit", "by", "lang")
DEFAULTS = {"sort": "relevance", "limit": "10", "page": "1", "by": "auto", "recent": ""}
SIMILAR_SHOWN = 5
"""Similar stories listed under a story."""
PAGER_SPAN = 4
"""Page links shown on either side of the current page."""


def address(path: str, form: dict[str, str], **changes: str) -> str:
    """`path` with the form's values (and `changes`) as its query, defaults left out."""
    values = {**form, **changes}
    query = {k: v for k, v in values.items() if v.strip() and v != DEFAULTS.get(k)}
    return f"{path}?{urlencode(query)}" if query else path


def story_path(code: str) -> str:
    """The address of a story's page."""
    return f"/stories/{quote(code, safe='')}"


def pieces(text: str, spans: tuple[tuple[int, int], ...]) -> list[tuple[str, bool]]:
    """`text` cut at the highlight offsets: (piece, whether it matched the query)."""
    out: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted(spans):
        if start < at:  # overlapping spans: the first one wins
            continue
        if start > at:
            out.append((text[at:start], False))
        out.append((text[start:end], True))
        at = end
    if at < len(text):
        out.append((text[at:], False))
    return out


def when(d: datetime | None) -> str:
    """A story's date as the page shows it."""
    return f"{d:%a %d %b %Y, %H:%M}" if d else "no date"


@dataclass(frozen=True, slots=True)
class HitView:
    """A hit as a results list shows it."""

    hit: Hit
    href: str
    date: str
    snippet: list[tuple[str, bool]]


@dataclass(frozen=True, slots=True)
class Pager:
    """Links to the pages of a result."""

    first: int
    last: int
    shown: int
    pages: list[tuple[int, str]]
    previous: str | None
    next: str | None
    past_end: str | None


def hit_views(result: SearchResult, form: dict[str, str]) -> list[HitView]:
    """The hits of `result` ready for the page; their links carry the search with them."""
    return [
        HitView(h, address(story_path(h.code), form), when(h.date), pieces(h.snippet, h.highlights))
        for h in result.hits
    ]


def pager(result: SearchResult, path: str, form: dict[str, str]) -> Pager:
    """Previous, next and nearby pages of `result`, as links."""
    listed = result.total + result.partial_total  # the partial matches follow the matches
    if form.get("recent"):
        listed = min(listed, RECENT_POOL)
    pages = min(-(-listed // result.limit), params.MAX_PAGE)
    here = result.page

    def link(n: int) -> str:
        return address(path, form, page=str(n))

    nearby = range(max(1, here - PAGER_SPAN), min(pages, here + PAGER_SPAN) + 1)
    first = result.limit * (here - 1) + 1
    return Pager(
        first=first,
        last=first + len(result.hits) - 1,
        shown=len(result.hits),
        pages=[(n, link(n)) for n in nearby],
        previous=link(here - 1) if 1 < here <= pages else None,
        next=link(here + 1) if here < pages else None,
        past_end=link(pages) if listed and here > pages else None,
    )


def _form(request: Request) -> dict[str, str]:
    return params.lenient(request.query_params.multi_items(), (*FORM, "page"))


def _page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    templates = request.app.state.templates
    context.setdefault("form", {})
    response: Response = templates.TemplateResponse(request, name, context, status_code=status)
    return response


def search_page(request: Request) -> Response:
    """The search page: the form, then (with a query) the hits, the pager and the timeline."""
    form = _form(request)
    ix = index_of(request)
    if not form.get("q", "").strip():
        return _page(request, "home.html", form=form, stats=ix.stats())
    try:
        query, limits = params.text(form, "q"), params.limits(form)
        by = params.choice(form, "by", "auto", ("auto", *params.PERIODS))
        result = ix.search(
            query,
            since=limits.since,
            until=limits.until,
            limit=limits.limit,
            page=limits.page,
            sort=limits.sort,
            recent=limits.recent,
            lang=limits.lang,
        )
    except (params.ParamError, QueryError) as e:
        return _page(request, "search.html", 400, form=form, error=str(e))
    timeline, timeline_error = None, None
    try:
        if by == "auto":
            timeline = page_timeline(
                ix, query, since=limits.since, until=limits.until, lang=limits.lang
            )
        else:
            timeline = bounded_timeline(
                ix,
                query,
                since=limits.since,
                until=limits.until,
                by=params.period(form) if by != "auto" else None,
                most=MAX_BARS,
                lang=limits.lang,
            )
    except params.ParamError as e:
        timeline_error = str(e)
    return _page(
        request,
        "search.html",
        form=form,
        result=result,
        hits=hit_views(result, form),
        pager=pager(result, "/", form),
        timeline=timeline,
        timeline_error=timeline_error,
        chart=chart(timeline) if timeline else None,
        periods=[(p, address("/", form, by=p, page="1")) for p in ("auto", *params.PERIODS)],
        bar_link=lambda since, until: address("/", form, since=since, until=until, page="1"),
        suggestion=address("/", form, q=result.suggestion) if result.suggestion else None,
    )


def story_page(request: Request) -> Response:
    """One whole story, with the stories most like it."""
    form = _form(request)
    code = request.path_params["code"]
    ix = index_of(request)
    story = ix.get(code)
    if story is None:
        raise no_story(code)
    similar = ix.similar(code, limit=SIMILAR_SHOWN)
    more = similar is not None and similar.total > SIMILAR_SHOWN
    return _page(
        request,
        "story.html",
        form=form,
        story=story,
        date=when(story.date),
        paragraphs=[p for p in story.body.split("\n") if p.strip()],
        similar=hit_views(similar, form) if similar else [],
        more=f"/similar/{quote(code, safe='')}" if more else None,
        back=address("/", form) if form.get("q", "").strip() else None,
    )


def similar_page(request: Request) -> Response:
    """Every story like one story, a page at a time."""
    form = _form(request)
    code = request.path_params["code"]
    ix = index_of(request)
    story = ix.get(code)
    if story is None:
        raise no_story(code)
    try:
        limits = params.limits(form)
        result = ix.similar(
            code,
            since=limits.since,
            until=limits.until,
            limit=limits.limit,
            page=limits.page,
            lang=limits.lang,
        )
    except (params.ParamError, QueryError) as e:
        return _page(
            request,
            "similar.html",
            400,
            form={},
            story=story,
            story_href=story_path(code),
            error=str(e),
        )
    if result is None:  # removed by a commit since it was read
        raise no_story(code)
    path = f"/similar/{quote(code, safe='')}"
    return _page(
        request,
        "similar.html",
        form={},
        story=story,
        story_href=story_path(code),
        result=result,
        hits=hit_views(result, {}),
        pager=pager(result, path, {k: v for k, v in form.items() if k in params.SIMILAR}),
    )


ROUTES = [
    Route("/", search_page),
    Route("/stories/{code}", story_page),
    Route("/similar/{code}", similar_page),
]
