"""`NewsIndex`, the one facade over indexing and searching.

It owns the Whoosh index object and hands out only the plain dataclasses of
`newssearch.models`. Indexing goes through `indexer`, queries through `query` and
`search`.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, Literal

from newssearch.defaults import BATCH_SIZE
from newssearch.errors import DAMAGE_ERRORS, InputError, NewsSearchError, damaged
from newssearch.models import IndexReport, IndexStats, SearchResult, Story, Timeline
from newssearch.searching.dates import as_bound, check_range

# Whoosh is imported inside the methods, so that importing newssearch (and running
# `newssearch --help`) stays fast.

Sort = Literal["relevance", "newest", "oldest"]
Period = Literal["day", "week", "month", "year"]
Progress = Callable[[int, int], None]
"""Called with (files done, files in all) as an indexing run goes."""


def index_stories(
    index_path: str,
    paths: Iterable[str] = (),
    *,
    glob: str = "*.txt",
    full: bool = False,
    follow_links: bool = False,
    batch_size: int = BATCH_SIZE,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> IndexReport:
    """Index story files into the index at `index_path`, creating it when needed: what
    `newssearch index` does. The paths are checked before anything is created.

    index_path: the index directory.
    paths, glob, full, follow_links, batch_size, jobs, progress: as for `NewsIndex.index`.
    """
    from newssearch.indexing import run as indexer

    paths = indexer.check_roots(paths)
    if full:
        # with no paths the rebuild refills the roots indexed before
        ix = NewsIndex.create(index_path) if paths else NewsIndex.rebuild(index_path)
    else:
        ix = NewsIndex.open_or_create(index_path)
    with ix:
        return ix.index(
            paths,
            glob=glob,
            follow_links=follow_links,
            batch_size=batch_size,
            jobs=jobs,
            progress=progress,
        )


def _parse(query: str, since: date | datetime | None, until: date | datetime | None) -> Any:
    from newssearch.searching.query import parse_query

    return parse_query(
        query, _schema(), since=as_bound(since, end=False), until=as_bound(until, end=True)
    )


@functools.cache
def _schema() -> Any:
    # the schema of this version: open() has checked that the index has it too, and
    # parsing with it saves re-reading the index's table of contents for every query
    from newssearch.engine.schema import make_schema

    return make_schema()


class NewsIndex:
    """A newssearch index on disk.

    Open one with `NewsIndex.open(path)` (it must exist) or `NewsIndex.create(path)` (new
    and empty), or `NewsIndex.open_or_create(path)`; use it as a context manager. Searches
    from several threads may share one `NewsIndex`; only one indexing run at a time may
    write to an index, across all processes (the others get `IndexLocked`).

    >>> import tempfile
    >>> with NewsIndex.create(tempfile.mkdtemp()) as ix:
    ...     report = ix.index(["data"])
    ...     result = ix.search("gaza truce")
    >>> report.rejected, result.hits[0].code
    ((), '1129250')
    """

    def __init__(self, path: str, ix: Any) -> None:
        self.path = path
        self._ix = ix
        self._local = threading.local()

    @classmethod
    def open(cls, path: str) -> NewsIndex:
        """Open the existing index at `path`; raise `IndexNotFound` or `IndexDamaged`."""
        from newssearch.engine import store

        return cls(path, store.open_index(path))

    @classmethod
    def create(cls, path: str) -> NewsIndex:
        """Create an empty index at `path`, replacing any newssearch index there."""
        from newssearch.engine import store

        with store.run_lock(path):
            return cls(path, store.create_index(path))

    @classmethod
    def rebuild(cls, path: str) -> NewsIndex:
        """Replace the index at `path` (even a damaged one) with an empty one that keeps
        the list of indexed roots, so `index()` with no paths refills it."""
        from newssearch.engine import store

        with store.run_lock(path):
            roots = store.read_meta(path).get("roots", []) if os.path.isdir(path) else []
            return cls(path, store.create_index(path, roots=roots))

    @classmethod
    def open_or_create(cls, path: str) -> NewsIndex:
        """Open the index at `path`, creating it when there is none yet."""
        from newssearch.engine import store

        if store.is_empty(path):
            return cls.create(path)
        return cls.open(path)

    def __enter__(self) -> NewsIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the index; results already returned stay valid."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None
        self._ix.close()

    def index(
        self,
        paths: Iterable[str] = (),
        *,
        glob: str = "*.txt",
        full: bool = False,
        follow_links: bool = False,
        batch_size: int = BATCH_SIZE,
        jobs: int | None = None,
        progress: Progress | None = None,
    ) -> IndexReport:
        """Index the story files under `paths`, incrementally unless `full`.

        paths: directories (walked recursively) or single files; empty means every root
            indexed before.
        glob: which file names count as stories.
        full: rebuild the index from scratch instead of updating it.
        follow_links: follow directory links, and file links that lead out of a root.
        batch_size: stories written per commit (an interrupted run keeps whole batches).
        jobs: worker processes for a large run (default: one per core, at most 4).
        progress: called with (files done, files in all) as the run goes.
        """
        from newssearch.engine import store
        from newssearch.indexing import run as indexer

        paths = list(paths) or list(self.roots())
        if not paths:
            raise InputError("nothing to index: name a directory of story files")
        with store.run_lock(self.path):
            if full:
                self._ix.close()
                self._ix = store.create_index(self.path)
            return indexer.update_index(
                self._ix,
                self.path,
                paths,
                glob=glob,
                full=full,
                follow_links=follow_links,
                batch_size=batch_size,
                jobs=jobs,
                progress=progress,
            )

    def search(
        self,
        query: str,
        *,
        since: date | datetime | None = None,
        until: date | datetime | None = None,
        limit: int = 10,
        page: int = 1,
        sort: Sort = "relevance",
        recent: bool = False,
    ) -> SearchResult:
        """Search the index.

        query: words, "phrases", AND/OR/NOT, field prefixes and `date:[A to B]` (README).
        since, until: only stories dated within these limits (a `date` as `until` covers
            that whole day); stories without a date never match a date limit.
        limit: hits per page.
        page: which page, from 1.
        sort: "relevance", "newest" or "oldest".
        recent: blend relevance with recency (see the README); only with "relevance".
        """
        from newssearch.searching import search

        parsed = _parse(query, since, until)
        with self._searcher() as s:
            return search.run_search(
                s, parsed, query, limit=limit, page=page, sort=sort, recent=recent
            )

    def similar(
        self,
        code: str,
        *,
        since: date | datetime | None = None,
        until: date | datetime | None = None,
        limit: int = 10,
        page: int = 1,
    ) -> SearchResult | None:
        """Stories most like story `code`, by the key terms of its headline and body; never
        the story itself. None when no story has that code.

        since, until, limit, page: as for `search`.
        """
        from newssearch.searching import search

        lo, hi = as_bound(since, end=False), as_bound(until, end=True)
        check_range(lo, hi)
        with self._searcher() as s:
            return search.run_similar(s, code, since=lo, until=hi, limit=limit, page=page)

    def timeline(
        self,
        query: str,
        *,
        since: date | datetime | None = None,
        until: date | datetime | None = None,
        by: Period = "month",
    ) -> Timeline:
        """How many stories matching `query` fall in each day, week, month or year.

        query, since, until: as for `search` (the counts add up to its total).
        by: "day", "week", "month" or "year".
        """
        from newssearch.searching import search

        parsed = _parse(query, since, until)
        with self._searcher() as s:
            return search.run_timeline(s, parsed, query, by=by)

    def get(self, code: str) -> Story | None:
        """The story with this code, or None."""
        from newssearch.searching import search

        with self._searcher() as s:
            return search.get_story(s, code)

    def stats(self) -> IndexStats:
        """How many stories, over which dates, from which roots, and the size on disk."""
        from newssearch.searching import search

        size = sum(
            os.path.getsize(os.path.join(self.path, n))
            for n in os.listdir(self.path)
            if os.path.isfile(os.path.join(self.path, n))
        )
        with self._searcher() as s:
            return search.collect_stats(s, size, self.roots())

    def roots(self) -> tuple[str, ...]:
        """The directories and files indexed into this index so far."""
        from newssearch.engine import store

        return tuple(store.read_meta(self.path).get("roots", []))

    @contextmanager
    def _searcher(self) -> Iterator[Any]:
        """This thread's Whoosh searcher, refreshed when a commit has changed the index
        (opening one costs a file open per segment, so it is kept between searches); the
        file errors a damaged index raises while it is opened or read become
        `IndexDamaged`. Errors of newssearch's own pass through."""
        from newssearch.searching import ranking

        try:
            # Whoosh's reader() itself retries when a commit removes files under it
            searcher = getattr(self._local, "searcher", None)
            if searcher is not None and not searcher.up_to_date():
                # a fresh one, not refresh(): that fails on an index with no segments
                searcher.close()
                searcher = None
            if searcher is None:
                searcher = self._ix.searcher(weighting=ranking.weighting())
            self._local.searcher = searcher
            yield searcher
        except NewsSearchError:
            raise
        except DAMAGE_ERRORS as e:
            raise damaged(self.path, e) from e
