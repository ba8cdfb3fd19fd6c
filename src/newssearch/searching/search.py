"""Run a parsed query and copy the results into `Hit` objects.

`run_search` is one search from start to end: the query's wildcards are expanded once
(`query.expand`), date limits become a set of stories (a filter, never part of the
score), `ranking.ranked` finds the hits of the page and the total, and each hit's stored
fields, path and snippet are copied into a `Hit` while the view is open. A query that
finds little gets a spelling suggestion (`suggest`). `get_story` and `collect_stats`
read one story and the archive's summary the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from newssearch import analysis
from newssearch.engine.reader import IndexView
from newssearch.engine.scoring import Ranked
from newssearch.engine.stats import CorpusStats
from newssearch.errors import QueryError
from newssearch.models import Hit, IndexStats, SearchResult, Sort, Story
from newssearch.searching import feedback, ranking, snippets
from newssearch.searching.query import SEARCH_FIELDS, ParsedQuery, expand, open_end, word_weight
from newssearch.searching.suggest import suggest


def check_page(limit: int, page: int) -> None:
    """Raise `QueryError` for a page size or page number below 1."""
    if limit < 1:
        raise QueryError("limit must be at least 1")
    if page < 1:
        raise QueryError("page must be at least 1")


def limits(
    view: IndexView, since: datetime | None, until: datetime | None, language: str | None
) -> set[int] | None:
    """The stories within the date limits and of the language asked for; None when
    there are no limits."""
    within = view.dated_within(since, until)
    if language is None:
        return within
    written = view.in_language(language)
    return written if within is None else within & written


def run_search(
    view: IndexView,
    parsed: ParsedQuery,
    text: str,
    *,
    limit: int,
    page: int,
    sort: Sort,
    recent: bool = False,
    language: str | None = None,
    stats: CorpusStats | None = None,
    reorder: bool = True,
) -> SearchResult:
    """Run `parsed` and return page `page` of `limit` hits, with the totals and, when
    the query finds little, a suggested spelling. `stats`: corpus statistics to choose
    words and score with, when not the index's own; `reorder` off: no feedback.

    The stories that *match* a plain query hold all of its words: they make the total,
    the date orders and the first hits. A relevance list then goes on with the stories
    holding only some of the words (`Hit.partial`, counted in `partial_total`). Plain
    text's first stories are ordered again by `feedback.rerank`."""
    check_page(limit, page)
    if recent and sort is not Sort.relevance:
        raise QueryError("recent ranking blends relevance with dates; it cannot sort by date")
    parsed = expand(parsed, view, ranking.frequencies(view, stats))
    if parsed.only_dates and sort is Sort.relevance:
        sort = Sort.newest  # a date-only query, or `*`, has nothing to rank by
    within = limits(view, parsed.since, parsed.until, language)
    if within is not None and not within:
        return SearchResult(text, 0, page, limit, (), suggest(view, parsed, text, 0))
    by_date = None if sort is Sort.relevance else sort.value
    tiers = [parsed.all_words]
    if parsed.any_word is not None and by_date is None:
        tiers.append(parsed.any_word)
    # --recent orders the best RECENT_POOL matches, whatever the page: pages never overlap
    wanted = ranking.RECENT_POOL if recent else limit * page
    found, reordered = _ordered(view, parsed, tiers, within, wanted, by_date, stats, reorder)
    shown = [
        (h, 0.0 if by_date else ranking.shown_score(h.score, tier == 0, n < reordered), tier > 0)
        for n, (h, tier) in enumerate(zip(found.hits, found.tiers, strict=True))
    ]
    if recent:
        shown = ranking.by_recency(view, shown)
    total = found.counts[0]
    return page_of(
        view,
        text,
        tiers[-1],
        shown,
        total,
        limit,
        page,
        partial_total=found.counts[-1] - total,
        suggestion=suggest(view, parsed, text, total),
    )


def _ordered(
    view: IndexView,
    parsed: ParsedQuery,
    tiers: list[Any],
    within: set[int] | None,
    wanted: int,
    by_date: str | None,
    stats: CorpusStats | None,
    reorder: bool,
) -> tuple[ranking.Tiered, int]:
    """The first `wanted` hits of the tiers, and how many of the first were ordered again
    by feedback (plain text's, when `reorder` and `ranking.FEEDBACK` are on)."""
    words = {word: word_weight(n) for word, n in parsed.words} if by_date is None else {}
    reorder = bool(words and ranking.FEEDBACK and reorder)
    depth = max(wanted, ranking.FEEDBACK_DEPTH) if reorder else wanted
    found = ranking.ranked(view, tiers, within=within, wanted=depth, by_date=by_date, stats=stats)
    if not reorder:
        return found, 0
    scores = ranking.scores(view, within, stats)
    hits, of_tier = feedback.rerank(view, scores, words, found.hits, found.tiers)
    return ranking.Tiered(hits[:wanted], of_tier[:wanted], found.counts), ranking.FEEDBACK_DEPTH


def corpus_stats(
    view: IndexView, parsed: ParsedQuery | None, terms: list[tuple[str, str]]
) -> CorpusStats:
    """This index's corpus statistics for every word a query may be searched by (all of
    plain text's words, the words its wildcards stand for here) and for `terms`."""
    words = list(terms)
    if parsed is not None:
        for stem, _ in parsed.words:
            words += [(f, stem) for f in SEARCH_FIELDS]
        for end in parsed.open_ends:
            for word in [analysis.term_of(end), *open_end(view, end)]:
                words += [(f, word) for f in SEARCH_FIELDS if word]
        if not parsed.words:
            expanded = expand(parsed, view)
            for q in (expanded.all_words, expanded.any_word):
                if q is not None:
                    words += [(f, t) for f, t in q.iter_all_terms() if f in SEARCH_FIELDS]
    return view.corpus_stats(words)


def page_of(
    view: IndexView,
    text: str,
    q: Any,
    hits: list[tuple[Ranked, float, bool]],
    total: int,
    limit: int,
    page: int,
    **extra: Any,
) -> SearchResult:
    """The `SearchResult` for page `page` of `hits` (each with the score it shows and
    whether it is a partial match), with snippets of the words of `q`."""
    start = limit * (page - 1)
    words = {t for f, t in q.iter_all_terms() if f == "body"}
    page_hits = hits[start : start + limit]
    return SearchResult(
        query=text,
        total=total,
        page=page,
        limit=limit,
        hits=tuple(
            _hit(view, ranked, rank, words, score, partial)
            for rank, (ranked, score, partial) in enumerate(page_hits, start + 1)
        ),
        **extra,
    )


def _hit(
    view: IndexView, ranked: Ranked, rank: int, words: set[str], score: float, partial: bool
) -> Hit:
    fields = view.stored(ranked.docnum)
    snippet, spans = snippets.snippet(fields.get("body", ""), words)
    return Hit(
        rank=rank,
        score=score,
        code=fields["code"],
        date=fields.get("date"),
        headline=fields.get("headline", ""),
        snippet=snippet,
        path=view.path(ranked.docnum),
        highlights=spans,
        partial=partial,
        language=fields.get("language", "en"),
    )


def get_story(view: IndexView, code: str) -> Story | None:
    """The stored story with this code, or None."""
    docnum = view.document_number(code)
    if docnum is None:
        return None
    fields = view.stored(docnum)
    return Story(
        code=fields["code"],
        headline=fields.get("headline", ""),
        body=fields.get("body", ""),
        date=fields.get("date"),
        path=view.path(docnum),
        language=fields.get("language", "en"),
    )


def collect_stats(view: IndexView, size_bytes: int, roots: tuple[str, ...]) -> IndexStats:
    """Count stories, their date span and stories per year, from the date column."""
    stories, dates = view.live_dates()
    per_year: dict[int, int] = {}
    for d in dates:
        per_year[d.year] = per_year.get(d.year, 0) + 1
    return IndexStats(
        stories=stories,
        first_date=min(dates, default=None),
        last_date=max(dates, default=None),
        per_year=dict(sorted(per_year.items())),
        per_language=view.live_languages(),
        size_bytes=size_bytes,
        roots=roots,
    )
