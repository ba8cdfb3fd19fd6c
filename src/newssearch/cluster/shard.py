"""The worker side of a cluster: shards opened by the workers that hold them.

A worker process keeps its open shards in `_OPEN`. `open_shard` (run on a running worker
with `Client.run`) opens one and gives the worker the resource `resource(name)`, so that
the scheduler places every call naming that shard on that worker; `serve` starts a worker
holding the shards it is given (what `newssearch shard` runs). `call` is the task a
client submits: it runs one `Shard` method on the shard it names.

A `Shard` is a `NewsIndex` that also reports its corpus statistics for a query, and
searches with the statistics of the whole archive instead of its own (`stats=`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from newssearch import checks
from newssearch.api import NewsIndex
from newssearch.engine import store
from newssearch.engine.stats import CorpusStats
from newssearch.errors import InputError
from newssearch.models import Period, SearchResult, Sort, Timeline
from newssearch.searching import feedback, ranking
from newssearch.searching.search import corpus_stats, run_search
from newssearch.searching.similar import key_term_counts, run_similar_terms
from newssearch.searching.timeline import run_timeline

PREFIX = "newssearch-shard:"


def resource(name: str) -> str:
    """The Dask resource of a worker holding shard `name`, and the name under which the
    scheduler remembers the shard (a published dataset: kept when the worker dies, so
    that a client can name the shard it cannot reach)."""
    return f"{PREFIX}{name}"


class Shard(NewsIndex):
    """One shard's index, answering a cluster client's calls."""

    def statistics(
        self,
        query: str | None,
        since: Any = None,
        until: Any = None,
        terms: list[tuple[str, str]] = (),  # type: ignore[assignment]
    ) -> CorpusStats:
        """This shard's story count, field lengths, and the document frequencies of every
        word the query may be searched by here and of `terms` ((field, word) pairs)."""
        parsed = None if query is None else checks.query(query, since, until)
        with self._view() as view:
            return corpus_stats(view, parsed, list(terms))

    def ranked(
        self,
        query: str,
        *,
        stats: CorpusStats,
        limit: int,
        since: Any = None,
        until: Any = None,
        sort: Sort = Sort.relevance,
        lang: str | None = None,
    ) -> SearchResult:
        """The first `limit` hits of a search scored with the archive's statistics, in
        BM25 order (the client re-orders the archive's first by feedback)."""
        parsed = checks.query(query, since, until)
        with self._view() as view:
            return run_search(
                view,
                parsed,
                query,
                limit=limit,
                page=1,
                sort=sort,
                language=checks.language(lang),
                stats=stats,
                reorder=False,
            )

    def story_words(self, codes: list[str]) -> dict[str, feedback.Counts]:
        """How often each word is in the headline and body of the stories of `codes` this
        shard holds."""
        found = {}
        with self._view() as view:
            for code in codes:
                docnum = view.document_number(code)
                if docnum is not None:
                    found[code] = feedback.story_words(view, docnum)
        return found

    def rescored(
        self, codes: list[str], terms: dict[tuple[str, str], float], stats: CorpusStats
    ) -> dict[str, float]:
        """The feedback scores of the stories of `codes` this shard holds."""
        with self._view() as view:
            held = [(code, view.document_number(code)) for code in codes]
            held = [(code, docnum) for code, docnum in held if docnum is not None]
            docnums = [docnum for _, docnum in held if docnum is not None]
            counts = [feedback.story_words(view, d) for d in docnums]
            scores = ranking.scores(view, None, stats).counted_scores(docnums, counts, terms)
        return {code: score for (code, _), score in zip(held, scores, strict=True)}

    def term_counts(self, code: str) -> dict[str, float] | None:
        """The weighted counts of story `code`'s words (None: not on this shard)."""
        with self._view() as view:
            return key_term_counts(view, checks.story_code(code))

    def similar_terms(
        self,
        code: str,
        terms: list[tuple[str, float]],
        *,
        stats: CorpusStats,
        limit: int,
        since: Any = None,
        until: Any = None,
        lang: str | None = None,
    ) -> SearchResult:
        """The first `limit` stories like story `code`, found by its key `terms`."""
        lo, hi = checks.date_limit(since, end=False), checks.date_limit(until, end=True)
        with self._view() as view:
            return run_similar_terms(
                view,
                checks.story_code(code),
                terms,
                since=lo,
                until=hi,
                limit=limit,
                language=checks.language(lang),
                stats=stats,
            )

    def span(
        self, query: str, since: Any = None, until: Any = None, lang: str | None = None
    ) -> tuple[datetime | None, datetime | None]:
        """The dates of the first and the last story matching the query."""
        first = self.search(query, since=since, until=until, sort=Sort.oldest, limit=1, lang=lang)
        last = self.search(query, since=since, until=until, sort=Sort.newest, limit=1, lang=lang)
        return (
            first.hits[0].date if first.hits and first.total else None,
            last.hits[0].date if last.hits and last.total else None,
        )

    def counted(
        self,
        query: str,
        *,
        by: Period,
        span: tuple[date, date] | None,
        stats: CorpusStats,
        since: Any = None,
        until: Any = None,
        lang: str | None = None,
    ) -> Timeline:
        """The timeline counted per `by` over `span` (every shard counts over the same
        periods, so the client adds them up)."""
        parsed = checks.query(query, since, until)
        with self._view() as view:
            return run_timeline(
                view,
                parsed,
                query,
                by=by,
                language=checks.language(lang),
                span=span,
                stats=stats,
            )


_OPEN: dict[str, Shard] = {}
"""This worker process's shards, by name."""


def call(name: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run `Shard.method` on shard `name` (the task a client submits)."""
    shard = _OPEN.get(name)
    if shard is None:
        raise InputError(f"this worker does not hold shard {name!r}")
    function: Callable[..., Any] = getattr(shard, method)
    return function(*args, **kwargs)


def load(name: str, path: str) -> Shard:
    """Open the index at `path` as shard `name` in this process."""
    if not name or ":" in name or "=" in name:
        raise InputError(f"a shard name is a word without ':' or '=', not {name!r}")
    shard = Shard(path, store.open_index(path))
    old = _OPEN.pop(name, None)
    if old is not None:
        old.close()
    _OPEN[name] = shard
    return shard


async def open_shard(name: str, path: str, dask_worker: Any = None) -> str:
    """Open the index at `path` as shard `name` in a running worker, and give the worker
    the shard's resource: `Client.run(open_shard, name, path, workers=[address])`."""
    load(name, path)
    await dask_worker.set_resources(**{resource(name): 1})
    return name


def register(client: Any, names: list[str]) -> None:
    """Have the scheduler remember these shards (see `resource`)."""
    client.publish_dataset(override=True, **{resource(name): name for name in names})


def serve(
    scheduler: str,
    shards: dict[str, str],
    *,
    host: str | None = None,
    threads: int | None = None,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Run a Dask worker holding `shards` (name -> index path) for the scheduler at
    `scheduler`, until interrupted."""
    try:
        from distributed import Worker
    except ImportError as e:
        raise InputError(
            "holding shards needs Dask's distributed: pip install 'newssearch[cluster]'"
        ) from e
    for name, path in shards.items():
        load(name, path)

    async def run() -> None:
        async with Worker(
            scheduler,
            host=host,
            nthreads=threads or os.cpu_count() or 1,
            resources={resource(name): 1 for name in shards},
            name=f"newssearch-{'+'.join(sorted(shards))}",
        ) as worker:
            await asyncio.to_thread(_register_at, scheduler, list(shards))
            if ready is not None:
                ready(worker.address)
            await worker.finished()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


def _register_at(scheduler: str, names: list[str]) -> None:
    from distributed import Client

    with Client(scheduler, set_as_default=False) as client:
        register(client, names)
