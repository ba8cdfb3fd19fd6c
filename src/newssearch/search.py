"""Run parsed queries against the index and copy the results into `Hit` objects.

Ranking is BM25F over headline and body. A plain multi-word query is run in two tiers:
first the stories that hold every word, then those that hold only some, so a long
natural-language question still finds stories while the best matches come first. The
first stories of plain text are ordered again with the words of its best stories added
(`feedback`).
Date limits are a filter. Everything a `Hit` needs is copied while the searcher is open.
"""

from __future__ import annotations

import bisect
import math
import re
import sys
import weakref
from array import array
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from whoosh import columns, sorting
from whoosh import query as wq
from whoosh.util.times import datetime_to_long, long_to_datetime

from newssearch import feedback, ranking, scoring, snippets
from newssearch.errors import QueryError
from newssearch.models import Hit, IndexStats, SearchResult, Story, Timeline, TimelineBucket
from newssearch.newsindex import Sort
from newssearch.query import ParsedQuery, edit_distance, expand, word_weight
from newssearch.segments import column_value, stored_fields

SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest")

_MISSING_DATE = 2**64 - 1
"""What Whoosh's date column holds for a story without a date."""


def _sort_facet(sort: Sort) -> Any:
    if sort == "relevance":
        return None
    # undated stories last, whichever way the dates run
    return sorting.MultiFacet(
        [sorting.FieldFacet("undated"), sorting.FieldFacet("date", reverse=sort == "newest")]
    )


RECENT_HALF_LIFE_DAYS = 30.0
"""`recent`: a story this many days older than the newest candidate counts half."""
RECENT_POOL = 200
"""`recent`: how many of the best matches are re-ranked by the blend."""


def _check_page(limit: int, page: int) -> None:
    if limit < 1:
        raise QueryError("limit must be at least 1")
    if page < 1:
        raise QueryError("page must be at least 1")


def date_docs(searcher: Any, since: datetime | None, until: datetime | None) -> set[int] | None:
    """The numbers of the stories dated within the limits, from the date column sorted
    once per searcher (`_dates`); None when there are no limits. Stories without a date
    never match."""
    if since is None and until is None:
        return None
    values, docnums = _dates(searcher)
    lo = datetime_to_long(since) if since is not None else 0
    hi = datetime_to_long(until) if until is not None else _MISSING_DATE - 1
    return set(docnums[bisect.bisect_left(values, lo) : bisect.bisect_right(values, hi)])


_sorted_dates: weakref.WeakKeyDictionary[Any, tuple[list[int], list[int]]] = (
    weakref.WeakKeyDictionary()
)


def _dates(searcher: Any) -> tuple[list[int], list[int]]:
    """Every story's date value (Whoosh's long, `_MISSING_DATE` for none) in ascending
    order, with the story numbers in the same order; made once per searcher."""
    known = _sorted_dates.get(searcher)
    if known is None:
        values: list[int] = []
        for leaf, offset in searcher.leaf_searchers():
            reader = leaf.reader()
            if reader.doc_count_all():
                values += _column_values(reader.column_reader("date", translate=False))
            assert len(values) == offset + reader.doc_count_all()  # a value's index: its story
        # story numbers sorted by date (a stable sort keeps equal dates in story order)
        order = sorted(range(len(values)), key=values.__getitem__)
        known = ([values[n] for n in order], order)
        _sorted_dates[searcher] = known
    return known


def _column_values(column: Any) -> Sequence[int]:
    """All of a numeric column's values: one read of its packed array where Whoosh's
    reader unpacks them one by one (its layout: big-endian fixed-width values for the
    first documents, the default for the rest)."""
    if not isinstance(column, columns.NumericColumn.Reader):
        return list(column)
    packed = array(column._typecode)
    packed.frombytes(column._dbfile.get(column._basepos, column._count * column._fixedlen))
    if sys.byteorder == "little":
        packed.byteswap()
    return [*packed, *[column._default] * (column._doccount - column._count)]


def query_docs(searcher: Any, q: Any) -> set[int]:
    """The numbers of the stories `q` matches. Words and exact phrases joined by AND and OR
    are counted from their posting lists a block at a time (`scoring.Scores.docs`), many
    times faster than Whoosh's matchers, which step through every match in Python; other
    queries go through Whoosh."""
    docs = _scores(searcher).docs(q)
    return set(searcher.docs_for_query(q)) if docs is None else set(docs)


def _scores(searcher: Any, within: set[int] | None = None) -> scoring.Scores:
    return scoring.Scores(searcher, B=ranking.BM25_B, K1=ranking.BM25_K1, within=within)


def _ranked(
    searcher: Any,
    tiers: list[Any],
    *,
    flt: set[int] | None,
    exclude: set[int] | None = None,
    wanted: int,
    facet: Any = None,
    words: dict[str, float] | None = None,
) -> tuple[list[Any], int]:
    """The first `wanted` hits of the tiers in turn, and the total number of matches.

    Each tier must match everything the tiers before it match (the last is the
    broadest), so a later tier is only needed when the earlier ones ran out, and then
    it leaves out exactly the hits they gave. The total is one pass over the last
    tier's matches, instead of Whoosh's count, which runs every tier's query again.
    With `words` (a plain-text query's words and weights) and `ranking.FEEDBACK` on, a
    relevance search's first stories are ordered again by `feedback.rerank`.
    """
    if facet is None:
        if not ranking.FEEDBACK:
            words = None
        fast = _ranked_fast(searcher, tiers, flt=flt, exclude=exclude, wanted=wanted, words=words)
        if fast is not None:
            return fast
    return _ranked_whoosh(searcher, tiers, flt=flt, exclude=exclude, wanted=wanted, facet=facet)


def _ranked_whoosh(
    searcher: Any,
    tiers: list[Any],
    *,
    flt: set[int] | None,
    exclude: set[int] | None,
    wanted: int,
    facet: Any,
) -> tuple[list[Any], int]:
    """`_ranked` through Whoosh's searcher: for sorted results and queries other than
    words (phrases, ranges, `*`)."""
    hits: list[Any] = []
    seen: set[int] = set(exclude or ())
    for q in tiers:
        if len(hits) >= wanted:
            break
        results = searcher.search(
            q,
            filter=flt,
            mask=seen or None,  # an empty set would mean "no mask" to Whoosh anyway
            limit=wanted - len(hits),
            sortedby=facet,
        )
        # slicing by the scored length: len(results) would re-run the query to count
        page = results[: results.scored_length()]
        hits.extend(page)
        seen.update(h.docnum for h in page)
    matches = query_docs(searcher, tiers[-1])
    if flt is not None:
        matches &= flt
    return hits, len(matches - (exclude or set()))


def _ranked_fast(
    searcher: Any,
    tiers: list[Any],
    *,
    flt: set[int] | None,
    exclude: set[int] | None,
    wanted: int,
    words: dict[str, float] | None = None,
) -> tuple[list[Any], int] | None:
    """What `_ranked` returns for a relevance search, from `scoring.Scores` (the same
    scores, many times faster); None when a tier is not a word query. Only the stories a
    tier is asked for are scored: those of the first tier, then of the next while hits
    are short."""
    scores = _scores(searcher, within=flt)
    matched = [scores.docs(q) for q in tiers]
    if any(docs is None for docs in matched):
        return None
    if words:
        hits = _best(scores, tiers, matched, flt, exclude, max(wanted, ranking.FEEDBACK_DEPTH))
        hits = feedback.rerank(searcher, scores, words, hits, matched)[:wanted]
    else:
        hits = _best(scores, tiers, matched, flt, exclude, wanted)
    last = matched[-1]
    assert last is not None
    total = last if flt is None else flt.intersection(last)
    if exclude:
        total = total - exclude
    return hits, len(total) + sum(1 for h in hits if h.docnum not in total)


def _best(
    scores: scoring.Scores,
    tiers: list[Any],
    matched: list[Any],
    flt: set[int] | None,
    exclude: set[int] | None,
    wanted: int,
) -> list[scoring.Ranked]:
    """The `wanted` best stories of the tiers in turn (`matched`: what each matches)."""
    hits: list[scoring.Ranked] = []
    seen: set[int] = set(exclude or ())
    for q, docs in zip(tiers, matched, strict=True):
        if len(hits) >= wanted:
            break
        among = docs if flt is None else flt.intersection(docs)
        page = scores.best(q, among - seen, wanted - len(hits))
        hits.extend(page)
        seen.update(h.docnum for h in page)
    return hits


def _page(
    text: str, q: Any, hits: list[Any], total: int, limit: int, page: int, **extra: Any
) -> SearchResult:
    start = limit * (page - 1)
    words = {t for f, t in q.iter_all_terms() if f == "body"}
    return SearchResult(
        query=text,
        total=total,
        page=page,
        limit=limit,
        hits=tuple(
            _hit(h, rank, words) for rank, h in enumerate(hits[start : start + limit], start + 1)
        ),
        **extra,
    )


def _by_recency(hits: list[Any]) -> list[Any]:
    """Re-rank by score x 2^(-age / half-life), the age counted back from the newest hit;
    a story without a date counts as a year older than the oldest."""
    dates = {h.docnum: stored_fields(h.searcher, h.docnum).get("date") for h in hits}
    known = [d for d in dates.values() if d is not None]
    if not known:
        return hits
    newest, oldest = max(known), min(known)

    def blended(h: Any) -> tuple[float, int]:
        d = dates[h.docnum] or oldest - timedelta(days=365)
        age = (newest - d).total_seconds() / 86400
        return -float(h.score) * 0.5 ** (age / RECENT_HALF_LIFE_DAYS), h.docnum

    return sorted(hits, key=blended)


def run_search(
    searcher: Any,
    parsed: ParsedQuery,
    text: str,
    *,
    limit: int,
    page: int,
    sort: Sort,
    recent: bool = False,
) -> SearchResult:
    """Run `parsed` and return page `page` of `limit` hits, with the total and, when the
    query finds little, a suggested spelling."""
    _check_page(limit, page)
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}: use one of {', '.join(SORTS)}")
    if recent and sort != "relevance":
        raise QueryError("recent ranking blends relevance with dates; it cannot sort by date")
    parsed = expand(parsed, searcher.reader())
    if parsed.any_word is None and isinstance(parsed.all_words, wq.Every) and sort == "relevance":
        sort = "newest"  # a date-only query, or `*`, has nothing to rank by
    wanted = limit * page
    flt = date_docs(searcher, parsed.since, parsed.until)
    if flt is not None and not flt:
        # Whoosh would take an empty filter set for no filter at all (`if allow and ...`)
        return SearchResult(text, 0, page, limit, (), suggest(searcher, parsed, text, 0))
    facet = _sort_facet(sort)
    if parsed.any_word is None:
        tiers = [parsed.all_words]
    elif facet is not None or not ranking.ALL_WORDS_FIRST:
        tiers = [parsed.any_word]
    else:
        tiers = [parsed.all_words, parsed.any_word]
    words = {word: word_weight(n) for word, n in parsed.words} or None
    if recent:
        pool = max(wanted, RECENT_POOL)
        hits, total = _ranked(searcher, tiers, flt=flt, wanted=pool, words=words)
        hits = _by_recency(hits)
    else:
        hits, total = _ranked(searcher, tiers, flt=flt, wanted=wanted, facet=facet, words=words)
    suggestion = suggest(searcher, parsed, text, total)
    return _page(text, tiers[-1], hits, total, limit, page, suggestion=suggestion)


MIN_RESULTS = 3
"""A query with fewer matches than this gets a spelling suggestion if one is better."""


def suggest(searcher: Any, parsed: ParsedQuery, text: str, total: int) -> str | None:
    """A corrected query, from the index's own vocabulary (the headlines' unstemmed
    words), when some of its words are unknown to the index, or when the query finds
    fewer than `MIN_RESULTS` stories and some of its words are rare and never appear in
    a headline. None when the query looks well spelled."""
    reader = searcher.reader()
    words = {
        (t.fieldname, t.text)
        for t in parsed.all_words.leaves()
        if isinstance(t, wq.Term) and t.fieldname in ("headline", "body")
    }
    stems = {w for _, w in words}
    if not stems:
        return None
    corrector = searcher.corrector("headline")
    analyzer = searcher.schema["body"].analyzer
    replaced = text
    changed = False
    for token in set(re.findall(r"[^\W\d_]{3,}", text)):
        stem = next((t.text for t in analyzer(token)), None)
        if stem is None or stem not in stems:
            continue
        freq = reader.doc_frequency("body", stem) + reader.doc_frequency("headline", stem)
        known = reader.doc_frequency("spell_headline", token.lower()) > 0
        if freq and (total >= MIN_RESULTS or freq >= MIN_RESULTS or known):
            continue
        best: tuple[int, int, str] | None = None
        for candidate in corrector.suggest(token.lower(), limit=20, maxdist=2):
            c_stem = next((t.text for t in analyzer(candidate)), candidate)
            c_freq = reader.doc_frequency("body", c_stem) + reader.doc_frequency("headline", c_stem)
            if c_freq > max(10 * freq, MIN_RESULTS):
                # the nearest spelling first, then the most common
                surface = reader.doc_frequency("spell_headline", candidate)
                key = (edit_distance(token.lower(), candidate), -surface, candidate)
                best = key if best is None or key < best else best
        if best is not None:
            replaced = re.sub(rf"\b{re.escape(token)}\b", best[2], replaced)
            changed = True
    return replaced if changed else None


SIMILAR_TERMS = 25
"""How many key terms of a story describe it for `similar`."""


def key_terms(searcher: Any, docnum: int) -> list[tuple[str, float]]:
    """A story's most telling words: (1 + log tf) x idf over its stemmed headline (counted
    `HEADLINE_BOOST` times) and body, numbers left out."""
    stored = stored_fields(searcher, docnum)
    analyzer = searcher.schema["body"].analyzer
    tf: dict[str, float] = {}
    for field, weight in (("headline", ranking.HEADLINE_BOOST), ("body", 1.0)):
        for token in analyzer(stored.get(field, "")):
            if not any(ch.isdigit() for ch in token.text):
                tf[token.text] = tf.get(token.text, 0.0) + weight
    scored = [(w, (1 + math.log(n)) * searcher.idf("body", w)) for w, n in tf.items()]
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored[:SIMILAR_TERMS]


def run_similar(
    searcher: Any,
    code: str,
    *,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    page: int,
) -> SearchResult | None:
    """Stories most like story `code` (by the key terms of its headline and body), never
    the story itself; None when no story has that code."""
    _check_page(limit, page)
    docnum = searcher.document_number(code=code)
    if docnum is None:
        return None
    terms: list[Any] = []
    for word, weight in key_terms(searcher, docnum):
        terms.append(wq.Term("headline", word, boost=weight * ranking.HEADLINE_BOOST))
        terms.append(wq.Term("body", word, boost=weight))
    text = f"similar:{code}"
    flt = date_docs(searcher, since, until)
    if not terms or (flt is not None and not flt):
        return SearchResult(text, 0, page, limit, ())
    q = wq.Or(terms)
    hits, total = _ranked(searcher, [q], flt=flt, exclude={docnum}, wanted=limit * page)
    return _page(text, q, hits, total, limit, page)


PERIODS = ("day", "week", "month", "year")


def period_start(d: date, by: str) -> date:
    """The first day of the period of kind `by` that holds `d` (weeks start on Monday)."""
    if by == "day":
        return d
    if by == "week":
        return d - timedelta(days=d.weekday())
    if by == "month":
        return d.replace(day=1)
    return d.replace(month=1, day=1)


def next_period(start: date, by: str) -> date:
    """The first day of the period after the one starting on `start`."""
    if by == "day":
        return start + timedelta(days=1)
    if by == "week":
        return start + timedelta(days=7)
    if by == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


def run_timeline(searcher: Any, parsed: ParsedQuery, text: str, *, by: str) -> Timeline:
    """Count the stories `run_search` would match, per period of kind `by`."""
    if by not in PERIODS:
        raise QueryError(f"unknown period {by!r}: use one of {', '.join(PERIODS)}")
    parsed = expand(parsed, searcher.reader())
    flt = date_docs(searcher, parsed.since, parsed.until)
    q = parsed.any_word if parsed.any_word is not None else parsed.all_words
    docs = query_docs(searcher, q) if flt is None or flt else set()
    if flt is not None:
        docs &= flt
    column = searcher.reader().column_reader("date", translate=False) if docs else []
    counts: dict[date, int] = {}
    undated = 0
    for docnum in docs:
        value = column[docnum]
        if value == _MISSING_DATE:
            undated += 1
            continue
        start = period_start(long_to_datetime(value).date(), by)
        counts[start] = counts.get(start, 0) + 1
    lo = [period_start(parsed.since.date(), by)] if parsed.since else []
    hi = [period_start(parsed.until.date(), by)] if parsed.until else []
    buckets: list[TimelineBucket] = []
    if counts or (lo and hi):
        current = min(lo or [min(counts)])
        last = max(hi or [max(counts)])
        while current <= last:
            buckets.append(TimelineBucket(current, counts.get(current, 0)))
            current = next_period(current, by)
    return Timeline(text, by, len(docs), tuple(buckets), undated)


def _path(searcher: Any, docnum: int) -> str:
    """A story's file path, from the path column."""
    return column_value(searcher, "path", docnum).decode()


def _hit(h: Any, rank: int, words: set[str]) -> Hit:
    fields = stored_fields(h.searcher, h.docnum)
    snippet, spans = snippets.snippet(fields.get("body", ""), words)
    return Hit(
        rank=rank,
        score=float(h.score) if isinstance(h.score, int | float) else 0.0,
        code=fields["code"],
        date=fields.get("date"),
        headline=fields.get("headline", ""),
        snippet=snippet,
        path=_path(h.searcher, h.docnum),
        highlights=spans,
    )


def get_story(searcher: Any, code: str) -> Story | None:
    """The stored story with this code, or None."""
    docnum = searcher.document_number(code=code)
    if docnum is None:
        return None
    fields = stored_fields(searcher, docnum)
    return Story(
        code=fields["code"],
        headline=fields.get("headline", ""),
        body=fields.get("body", ""),
        date=fields.get("date"),
        path=_path(searcher, docnum),
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
