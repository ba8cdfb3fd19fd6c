"""`ClusterIndex`: search the shards of a Dask cluster as one index.

Each question is answered in rounds of calls, one call per shard in a round, each placed
by the scheduler on the worker holding the shard (`shard.call`):

1. each shard's corpus statistics for every word the query may be searched by, added up
   (`CorpusStats.combine`), so that every shard chooses words and scores with those of
   the whole archive;
2. each shard's first hits, merged by score (or date) and story code (`merge.order`);
3. for plain text, feedback as one index does it: the word counts of the archive's first
   stories, the frequencies of the words that describe them, and those stories'
   scores with the new words, each from the shard holding the story.

`similar` first asks the story's shard for its words, and `timeline` asks every shard
for the span of the matches, so that all count over the same periods.

A shard that no worker holds is a `ShardDown` error naming it -- or, with
`allow_partial`, is left out and named in the answer's `unavailable` (`stats` too); a
story that none of the shards left holds is a `ShardDown` error then, as it may be on
one that is down, and so is a question with every shard down. A shard that does not
answer within `timeout` seconds is a `ShardDown` error, `allow_partial` or not. Every
error about the cluster itself is a `ClusterError`; so is an address where no Dask
scheduler answers within `timeout` seconds, saying what is there instead (nothing, a
server that speaks another protocol, a worker).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from typing import Any

from newssearch import checks
from newssearch.cluster import merge
from newssearch.cluster.connect import NotAScheduler, check_scheduler, no_scheduler
from newssearch.cluster.shard import PREFIX, resource
from newssearch.engine.stats import CorpusStats, Frequencies
from newssearch.errors import IndexNotFound, InputError, NewsSearchError, QueryError
from newssearch.models import Hit, IndexStats, Period, SearchResult, Sort, Story, Timeline
from newssearch.searching import feedback, ranking
from newssearch.searching.query import SEARCH_FIELDS, telling_words, word_weight
from newssearch.searching.similar import choose_terms
from newssearch.searching.timeline import period_for

TIMEOUT = 10.0
"""Seconds a shard has to answer one call."""


class ClusterError(IndexNotFound):
    """The cluster cannot answer: no scheduler at the address, no shard, a shard down."""


class ShardDown(ClusterError):
    """A shard of the cluster did not answer."""


class ClusterIndex:
    """An archive split into shards held by the workers of a Dask cluster; answers like
    `NewsIndex` (search, similar, timeline, get, stats), read-only.

    address: the Dask scheduler, such as `tcp://10.0.0.5:8786`.
    timeout: seconds each shard has to answer a call, and the scheduler to answer on
        connecting.
    allow_partial: leave out shards that are down (named in the answers' `unavailable`)
        instead of failing.
    """

    def __init__(
        self, address: str, *, timeout: float = TIMEOUT, allow_partial: bool = False
    ) -> None:
        try:
            from distributed import Client
        except ImportError as e:
            raise InputError(
                "a cluster needs Dask's distributed: pip install 'newssearch[cluster]'"
            ) from e
        self.path = address
        self._timeout = timeout
        self._allow_partial = allow_partial
        try:
            check_scheduler(address, timeout)
        except NotAScheduler as e:
            raise ClusterError(str(e), address) from e.__cause__
        try:
            self._client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise ClusterError(no_scheduler(address, timeout), address) from e

    def __enter__(self) -> ClusterIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Disconnect from the cluster."""
        self._client.close()

    def shards(self) -> dict[str, str | None]:
        """Every shard the cluster has held, and the worker holding it now (None: down)."""
        held: dict[str, str | None] = {}
        for address, worker in self._client.scheduler_info(n_workers=-1)["workers"].items():
            for name in worker.get("resources", {}):
                if name.startswith(PREFIX):
                    held[name[len(PREFIX) :]] = address
        for name in self._client.list_datasets():
            if name.startswith(PREFIX):
                held.setdefault(name[len(PREFIX) :], None)
        return dict(sorted(held.items()))

    def _live(self) -> tuple[list[str], tuple[str, ...]]:
        """The shards to ask, and those left out (down); at least one to ask."""
        shards = self.shards()
        if not shards:
            raise ClusterError(
                f"the cluster at {self.path} holds no shard; start workers with "
                f"'newssearch shard NAME=INDEX --scheduler {self.path}'",
                self.path,
            )
        down = tuple(name for name, worker in shards.items() if worker is None)
        if len(down) == len(shards):  # allow_partial cannot help: nothing would answer
            raise ShardDown(f"{_down(down, self.path)}: no shard is left to answer", self.path)
        if down and not self._allow_partial:
            raise ShardDown(_down(down, self.path, advice=True), self.path)
        return [name for name in shards if name not in down], down

    def _round(self, names: list[str], method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """One call of `Shard.method` per shard of `names`, all at once; the answers by
        shard. A shard that does not answer in time is an error naming it."""
        from newssearch.cluster.shard import call

        futures = {
            name: self._client.submit(
                call, name, method, args, kwargs, resources={resource(name): 1}, pure=False
            )
            for name in names
        }
        deadline = time.monotonic() + self._timeout
        for future in futures.values():
            with contextlib.suppress(Exception):  # a failure is looked at just below
                future.result(timeout=max(0.0, deadline - time.monotonic()))
        for future in futures.values():
            if future.status == "error":
                error = future.exception()
                if isinstance(error, NewsSearchError):
                    raise error
                raise RuntimeError(f"a shard failed: {error!r}") from error
        late = tuple(name for name, f in futures.items() if f.status != "finished")
        if late:
            for future in futures.values():
                future.cancel()
            advice = not self._allow_partial
            raise ShardDown(_down(late, self.path, timed_out=True, advice=advice), self.path)
        return {name: future.result() for name, future in futures.items()}

    def _statistics(
        self, names: list[str], query: str | None, since: Any = None, until: Any = None, **kw: Any
    ) -> CorpusStats:
        parts = self._round(names, "statistics", query, since, until, **kw)
        return CorpusStats.combine(list(parts.values()))

    def search(
        self,
        query: str,
        *,
        since: Any = None,
        until: Any = None,
        limit: int = 10,
        page: int = 1,
        sort: Sort | str = Sort.relevance,
        recent: bool = False,
        lang: str | None = None,
    ) -> SearchResult:
        """As `NewsIndex.search`, over every shard."""
        order = checks.one_of(Sort, sort, "sort")
        limit, page = checks.whole_number(limit, "limit"), checks.whole_number(page, "page")
        if recent and order is not Sort.relevance:
            raise QueryError("recent ranking blends relevance with dates; it cannot sort by date")
        parsed = checks.query(query, since, until)
        if parsed.only_dates and order is Sort.relevance:
            order = Sort.newest  # as one index answers: nothing to rank by
        names, down = self._live()
        stats = self._statistics(names, query, since, until)
        wanted = ranking.RECENT_POOL if recent else limit * page  # as one index does
        reorder = bool(parsed.words and order is Sort.relevance and ranking.FEEDBACK)
        depth = max(wanted, ranking.FEEDBACK_DEPTH) if reorder else wanted
        parts = self._round(
            names, "ranked", query, stats=stats, limit=depth, since=since, until=until,
            sort=order, lang=lang,
        )  # fmt: skip
        results = list(parts.values())
        hits = merge.order((h for r in results for h in r.hits), order)[:depth]
        if reorder:
            hits = self._reordered(names, parsed, hits, stats)
        hits = hits[:wanted]
        if recent:
            hits = merge.recent(hits)
        total = sum(r.total for r in results)
        return merge.page_of(
            query, results, hits, limit=limit, page=page,
            suggestion=merge.suggestion(results, total), unavailable=down,
        )  # fmt: skip

    def _reordered(
        self, names: list[str], parsed: Any, hits: list[Hit], stats: CorpusStats
    ) -> list[Hit]:
        """`hits` with the first `FEEDBACK_DEPTH` ordered again by feedback, as
        `feedback.rerank` orders one index's."""
        top = hits[: ranking.FEEDBACK_DEPTH]
        if not top:  # nothing to learn from, as `feedback.rerank`
            return hits
        codes = [h.code for h in top]
        counts: dict[str, feedback.Counts] = {}
        for part in self._round(names, "story_words", codes).values():
            counts.update(part)
        stories = [counts[code] for code in codes[: ranking.FEEDBACK_STORIES]]
        candidates = feedback.shared_words(stories)[: ranking.FEEDBACK_CANDIDATES]
        more = [(f, word) for word, _ in candidates for f in SEARCH_FIELDS]
        stats = stats.adding(self._statistics(names, None, terms=more))
        frequencies = Frequencies(ranking.idf, stats=stats)
        words = telling_words(parsed.words, frequencies)
        found = feedback.describing_words(stories, ranking.FEEDBACK_WORDS, frequencies)
        terms = feedback.expanded_terms({w: word_weight(n) for w, n in words}, found)
        scores: dict[str, float] = {}
        for part in self._round(names, "rescored", codes, terms, stats).values():
            scores.update(part)
        again = sorted(top, key=lambda h: (h.partial, -scores[h.code], h.code))
        shown = [
            replace(h, score=ranking.shown_score(scores[h.code], not h.partial, True))
            for h in again
        ]
        return shown + hits[ranking.FEEDBACK_DEPTH :]

    def similar(
        self,
        code: str | int,
        *,
        since: Any = None,
        until: Any = None,
        limit: int = 10,
        page: int = 1,
        lang: str | None = None,
    ) -> SearchResult | None:
        """As `NewsIndex.similar`, over every shard."""
        code = checks.story_code(code)
        limit, page = checks.whole_number(limit, "limit"), checks.whole_number(page, "page")
        names, down = self._live()
        counts = next((c for c in self._round(names, "term_counts", code).values() if c), None)
        if counts is None:
            self._not_found(code, down)
            return None
        stats = self._statistics(names, None, terms=[("body", word) for word in counts])
        chosen = choose_terms(counts, Frequencies(ranking.idf, stats=stats))
        more = [(f, word) for word, _ in chosen for f in SEARCH_FIELDS]
        stats = stats.adding(self._statistics(names, None, terms=more))
        parts = self._round(
            names, "similar_terms", code, chosen, stats=stats, limit=limit * page,
            since=since, until=until, lang=lang,
        )  # fmt: skip
        results = list(parts.values())
        hits = merge.order((h for r in results for h in r.hits), Sort.relevance)
        return merge.page_of(
            f"similar:{code}", results, hits, limit=limit, page=page, suggestion=None,
            unavailable=down,
        )  # fmt: skip

    def timeline(
        self,
        query: str,
        *,
        since: Any = None,
        until: Any = None,
        by: Period | str | None = None,
        lang: str | None = None,
    ) -> Timeline:
        """As `NewsIndex.timeline`, over every shard."""
        parsed = checks.query(query, since, until)
        period = None if by is None else checks.one_of(Period, by, "by")
        names, down = self._live()
        stats = self._statistics(names, query, since, until)
        spans = list(self._round(names, "span", query, since, until, lang).values())
        firsts = [first.date() for first, _ in spans if first is not None]
        lasts = [last.date() for _, last in spans if last is not None]
        first = parsed.since.date() if parsed.since else min(firsts, default=None)
        last = parsed.until.date() if parsed.until else max(lasts, default=None)
        span = (first, last) if first and last else None
        if period is None:
            period = period_for(span[0], span[1]) if span else Period.month
        parts = self._round(
            names, "counted", query, by=period, span=span, stats=stats, since=since,
            until=until, lang=lang,
        )  # fmt: skip
        return merge.timelines(query, list(parts.values()), down)

    def get(self, code: str | int) -> Story | None:
        """The story with this code, from whichever shard holds it (None: no shard does;
        with a shard left out, a `ShardDown` error, as that shard may hold it)."""
        code = checks.story_code(code)
        names, down = self._live()
        found = self._round(names, "get", code)
        story = next((story for story in found.values() if story is not None), None)
        if story is None:
            self._not_found(code, down)
        return story

    def stats(self) -> IndexStats:
        """What every shard holds, added up (the shards left out named in `unavailable`)."""
        names, down = self._live()
        return merge.stats(self._round(names, "stats"), down)

    def _not_found(self, code: str, down: tuple[str, ...]) -> None:
        """Story `code` is on none of the shards asked: a `ShardDown` error if a shard
        left out may hold it."""
        if down:
            raise ShardDown(
                f"no story with code {code} on the shards that answered; "
                f"{_down(down, self.path)} and may hold it",
                self.path,
            )


def _down(
    names: tuple[str, ...], address: str, *, timed_out: bool = False, advice: bool = False
) -> str:
    """`shard b of the cluster at ADDRESS is down (...)`; with `advice`, how to do
    without it."""
    several = len(names) > 1
    which = f"shards {', '.join(names)}" if several else f"shard {names[0]}"
    if timed_out:
        how = "did not answer in time"
    else:
        how = "are down (no worker holds them)" if several else "is down (no worker holds it)"
    message = f"{which} of the cluster at {address} {how}"
    if advice:
        message += f"; search without {'them' if several else 'it'} with --allow-partial"
    return message
