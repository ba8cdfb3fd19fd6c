"""Run parsed queries against the index and copy the results into `Hit` objects.

Ranking is BM25F over headline and body. A plain multi-word query is run in two tiers:
first the stories that hold every word, then those that hold only some, so a long
natural-language question still finds stories while the best matches come first. Date
limits are a filter. Everything a `Hit` needs is copied while the searcher is open.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from whoosh import highlight, sorting
from whoosh import query as wq
from whoosh.util.times import long_to_datetime

from newssearch.errors import QueryError
from newssearch.models import Hit, IndexStats, SearchResult, Story
from newssearch.newsindex import Sort
from newssearch.query import ParsedQuery

SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest")

SNIPPET_CHARS = 160
_MARK_START, _MARK_END = "\x02", "\x03"
_MISSING_DATE = 2**64 - 1
"""What Whoosh's date column holds for a story without a date."""


class _MarkFormatter(highlight.Formatter):  # type: ignore[misc]
    """Marks matched words with control characters that `_spans` turns into offsets."""

    between = " … "

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return _MARK_START + str(highlight.get_text(text, token, replace)) + _MARK_END


def _spans(marked: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    start = 0
    for ch in marked:
        if ch == _MARK_START:
            start = length
        elif ch == _MARK_END:
            spans.append((start, length))
        else:
            out.append(ch)
            length += 1
    return "".join(out), tuple(spans)


def _lead(body: str) -> str:
    text = " ".join(body.split())
    if len(text) <= SNIPPET_CHARS:
        return text
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def _sort_facet(sort: Sort) -> Any:
    if sort == "relevance":
        return None
    # undated stories last, whichever way the dates run
    return sorting.MultiFacet(
        [sorting.FieldFacet("undated"), sorting.FieldFacet("date", reverse=sort == "newest")]
    )


def run_search(
    searcher: Any, parsed: ParsedQuery, text: str, *, limit: int, page: int, sort: Sort
) -> SearchResult:
    """Run `parsed` and return page `page` of `limit` hits, with the total."""
    if limit < 1:
        raise QueryError("limit must be at least 1")
    if page < 1:
        raise QueryError("page must be at least 1")
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}: use one of {', '.join(SORTS)}")
    if parsed.any_word is None and isinstance(parsed.all_words, wq.Every) and sort == "relevance":
        sort = "newest"  # a date-only query has nothing to rank by
    wanted = limit * page
    flt = parsed.date_filter()
    if flt is not None and next(iter(searcher.docs_for_query(flt)), None) is None:
        # Whoosh treats an empty filter set as no filter at all (`if allow and ...`)
        return SearchResult(query=text, total=0, page=page, limit=limit, hits=())
    facet = _sort_facet(sort)
    tiers: list[Any] = []
    if parsed.any_word is None or facet is not None:
        q = parsed.any_word if parsed.any_word is not None else parsed.all_words
        results = searcher.search(q, filter=flt, limit=wanted, sortedby=facet)
        tiers.append(results)
        total = len(results)
    else:
        first = searcher.search(parsed.all_words, filter=flt, limit=wanted)
        tiers.append(first)
        total = len(first)
        rest = searcher.search(
            parsed.any_word, filter=flt, mask=parsed.all_words, limit=max(1, wanted - total)
        )
        tiers.append(rest)
        total += len(rest)
    hits: list[Any] = []
    for results in tiers:
        results.fragmenter = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS // 2, surround=30)
        results.formatter = _MarkFormatter()
        hits.extend(results[: wanted - len(hits)])
    start = limit * (page - 1)
    return SearchResult(
        query=text,
        total=total,
        page=page,
        limit=limit,
        hits=tuple(_hit(h, rank) for rank, h in enumerate(hits[start:wanted], start + 1)),
    )


def _hit(h: Any, rank: int) -> Hit:
    fields = h.fields()
    marked = h.highlights("body", top=2)
    snippet, spans = _spans(marked) if marked else (_lead(fields.get("body", "")), ())
    return Hit(
        rank=rank,
        score=float(h.score) if isinstance(h.score, int | float) else 0.0,
        code=fields["code"],
        date=fields.get("date"),
        headline=fields.get("headline", ""),
        snippet=snippet,
        path=fields.get("path", ""),
        highlights=spans,
    )


def get_story(searcher: Any, code: str) -> Story | None:
    """The stored story with this code, or None."""
    fields = searcher.document(code=code)
    if fields is None:
        return None
    return Story(
        code=fields["code"],
        headline=fields.get("headline", ""),
        body=fields.get("body", ""),
        date=fields.get("date"),
        path=fields.get("path", ""),
    )


def collect_stats(searcher: Any, size_bytes: int, roots: tuple[str, ...]) -> IndexStats:
    """Count stories, their date span and stories per year, from the date column."""
    reader = searcher.reader()
    live = set(reader.all_doc_ids())
    column = reader.column_reader("date", translate=False) if reader.doc_count_all() else []
    dates: list[datetime] = [
        long_to_datetime(v) for n, v in enumerate(column) if n in live and v != _MISSING_DATE
    ]
    per_year: dict[int, int] = {}
    for d in dates:
        per_year[d.year] = per_year.get(d.year, 0) + 1
    return IndexStats(
        stories=len(live),
        first_date=min(dates, default=None),
        last_date=max(dates, default=None),
        per_year=dict(sorted(per_year.items())),
        size_bytes=size_bytes,
        roots=roots,
    )
