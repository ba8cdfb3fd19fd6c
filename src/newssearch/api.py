"""`NewsIndex`, the one facade over indexing and searching.

It owns the Whoosh index object and hands out only the plain dataclasses of
`newssearch.models`. Arguments are checked and normalised here (story codes given as
numbers, dates given as text, one path given as a string), so every mistake a caller
can make is an `InputError` or `QueryError`. Indexing goes through `indexing`, queries
through `searching`, both over the `engine`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from newssearch import checks
from newssearch.checks import DateLimit
from newssearch.errors import IndexDamaged, IndexReadError, InputError, damaged, shown
from newssearch.models import (
    IndexOptions,
    IndexReport,
    IndexStats,
    Language,
    Period,
    Progress,
    SearchResult,
    Sort,
    Story,
    Timeline,
)

# The engine and Whoosh are imported inside the methods, so that importing newssearch
# (and running `newssearch --help`) stays fast.


def load_library() -> None:
    """Import now the modules indexing and searching import when first used (numpy among
    them), for a caller that must not be interrupted in the middle of an import."""
    import newssearch.indexing.run
    import newssearch.searching.search  # noqa: F401


def index_stories(
    index_path: str | os.PathLike[str],
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str] = (),
    options: IndexOptions | None = None,
    *,
    progress: Progress | None = None,
) -> IndexReport:
    """Index story files into the index at `index_path`, creating it when needed: what
    `newssearch index` does. The paths are checked before anything is created.

    index_path: the index directory.
    paths, options, progress: as for `NewsIndex.index`.
    """
    options = options or IndexOptions()
    from newssearch.engine import store

    checked = checks.paths(paths)
    if not checked and not store.holds_index(os.fspath(index_path)):
        # (a new index would have no roots to re-index: say so before making one)
        raise InputError("nothing to index: name a directory of story files")
    with NewsIndex.open_or_create(index_path, repair=options.full) as ix:
        return ix.index(checked, options, progress=progress)


class NewsIndex:
    """A newssearch index on disk.

    Open one with `NewsIndex.open(path)` (it must exist) or `NewsIndex.create(path)` (new
    and empty), or `NewsIndex.open_or_create(path)`; use it as a context manager. Searches
    from several threads may share one `NewsIndex`; only one indexing run at a time may
    write to an index, across all processes (the others get `IndexLocked`).

    >>> import tempfile
    >>> with NewsIndex.create(tempfile.mkdtemp()) as ix:
    ...     report = ix.index("data")
    ...     result = ix.search("gaza truce")
    >>> report.rejected, result.hits[0].code
    ((), '1129250')
    """

    def __init__(self, path: str, ix: Any) -> None:
        self.path = path
        self._ix = ix
        self._local = threading.local()

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> NewsIndex:
        """Open the existing index at `path`; raise `IndexNotFound` or `IndexDamaged`."""
        from newssearch.engine import store

        path = checks.path(path, "index path")
        return cls(path, store.open_index(path))

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, overwrite: bool = False) -> NewsIndex:
        """Create an empty index at `path`. An index already there is an `InputError`,
        unless `overwrite`, which empties it (keeping none of its roots)."""
        from newssearch.engine import store

        path = checks.path(path, "index path")
        with store.run_lock(path):
            if not store.is_empty(path) and not overwrite:
                raise InputError(
                    f"an index already exists at {shown(path)}; open it, "
                    "or create it with overwrite=True to empty it"
                )
            return cls(path, store.create_index(path))

    @classmethod
    def open_or_create(cls, path: str | os.PathLike[str], *, repair: bool = False) -> NewsIndex:
        """Open the index at `path`, creating it when there is none yet (decided under the
        writers' lock, so two processes cannot both create it). With `repair`, a damaged
        index is recreated, keeping its list of roots, for a full run to refill."""
        from newssearch.engine import store

        path = checks.path(path, "index path")
        with store.run_lock(path):
            if store.is_empty(path):
                return cls(path, store.create_index(path))
            try:
                return cls(path, store.open_index(path))
            except IndexDamaged:
                if not repair:
                    raise
                roots = store.read_meta(path).get("roots", {})
                return cls(path, store.create_index(path, {"roots": roots}))

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
        paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str] = (),
        options: IndexOptions | None = None,
        *,
        progress: Progress | None = None,
    ) -> IndexReport:
        """Index the story files under `paths`, incrementally unless `options.full`.

        paths: directories (walked recursively) or single files, or one of them; empty
            means every root indexed before, each with the glob and link rule it was
            indexed with.
        options: glob, full rebuild, links, batch size, worker processes
            (`IndexOptions`; the defaults when None).
        progress: called with (phase, done, total) as the run goes.
        """
        from newssearch.engine import store
        from newssearch.indexing.roots import plan_roots, recorded_roots
        from newssearch.indexing.run import update_index

        options = options or IndexOptions()
        checks.index_options(options)
        named = checks.paths(paths)
        with store.run_lock(self.path), self._reading():
            recorded = recorded_roots(store.read_meta(self.path))
            walked, everything, missing = plan_roots(named, recorded, options)
            return update_index(
                self._ix,
                self.path,
                walked,
                everything,
                options,
                missing=missing,
                progress=progress,
            )

    def forget(self, root: str | os.PathLike[str]) -> int:
        """Stop indexing `root` (as listed by `roots()`, or a path that resolves to it)
        and remove its stories; return how many were removed. Stories that another
        root also holds stay."""
        from newssearch.engine import store
        from newssearch.indexing.run import forget_root

        root = checks.path(root, "root")
        with store.run_lock(self.path), self._reading():
            return forget_root(self._ix, self.path, root)

    def search(
        self,
        query: str,
        *,
        since: DateLimit = None,
        until: DateLimit = None,
        limit: int = 10,
        page: int = 1,
        sort: Sort | str = Sort.relevance,
        recent: bool = False,
        lang: Language | str | None = None,
    ) -> SearchResult:
        """Search the index.

        query: words, "phrases", AND/OR/NOT, field prefixes and `date:[A to B]` (README).
        since, until: only stories dated within these limits (a `date` as `until` covers
            that whole day; text as on the command line); stories without a date never
            match a date limit.
        limit: hits per page.
        page: which page, from 1.
        sort: "relevance", "newest" or "oldest".
        recent: blend relevance with recency (see the README); only with "relevance".
        lang: only stories in this language: "en", "fa", "ar" or "other".
        """
        from newssearch.searching.search import run_search

        parsed = checks.query(query, since, until)
        checked = checks.one_of(Sort, sort, "sort")
        with self._view() as view:
            return run_search(
                view,
                parsed,
                query,
                limit=checks.whole_number(limit, "limit"),
                page=checks.whole_number(page, "page"),
                sort=checked,
                recent=bool(recent),
                language=checks.language(lang),
            )

    def similar(
        self,
        code: str | int,
        *,
        since: DateLimit = None,
        until: DateLimit = None,
        limit: int = 10,
        page: int = 1,
        lang: Language | str | None = None,
    ) -> SearchResult | None:
        """Stories most like story `code`, by the key terms of its headline and body; never
        the story itself. None when no story has that code.

        since, until, limit, page, lang: as for `search`.
        """
        from newssearch.searching.dates import check_range
        from newssearch.searching.similar import run_similar

        lo, hi = checks.date_limit(since, end=False), checks.date_limit(until, end=True)
        check_range(lo, hi)
        with self._view() as view:
            return run_similar(
                view,
                checks.story_code(code),
                since=lo,
                until=hi,
                limit=checks.whole_number(limit, "limit"),
                page=checks.whole_number(page, "page"),
                language=checks.language(lang),
            )

    def timeline(
        self,
        query: str,
        *,
        since: DateLimit = None,
        until: DateLimit = None,
        by: Period | str | None = None,
        lang: Language | str | None = None,
    ) -> Timeline:
        """How many stories matching `query` fall in each day, week, month or year.

        query, since, until, lang: as for `search` (the counts add up to its total). The
            range runs from `since` (else the first match) to `until` (else the last).
        by: "day", "week", "month" or "year"; None chooses from the range's length.
        """
        from newssearch.searching.timeline import run_timeline

        parsed = checks.query(query, since, until)
        period = None if by is None else checks.one_of(Period, by, "by")
        with self._view() as view:
            return run_timeline(view, parsed, query, by=period, language=checks.language(lang))

    def get(self, code: str | int) -> Story | None:
        """The story with this code (a leading zero or two make no difference), or None."""
        from newssearch.searching.search import get_story

        with self._view() as view:
            return get_story(view, checks.story_code(code))

    def stats(self) -> IndexStats:
        """How many stories, over which dates, from which roots, and the size on disk."""
        from newssearch.engine import store
        from newssearch.searching.search import collect_stats

        with self._view() as view:
            return collect_stats(view, store.size_on_disk(self.path), self.roots())

    def roots(self) -> tuple[str, ...]:
        """The directories and files indexed into this index so far (resolved paths)."""
        from newssearch.engine import store
        from newssearch.indexing.roots import recorded_roots

        return tuple(r.path for r in recorded_roots(store.read_meta(self.path)))

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Turn a failure to read the index's files into `IndexDamaged`."""
        try:
            yield
        except IndexReadError as e:
            raise damaged(self.path, str(e)) from e

    @contextmanager
    def _view(self) -> Iterator[Any]:
        """This thread's `engine.reader.IndexView`, replaced when a commit has changed the
        index (opening one costs a file open per segment, and a view keeps what it has
        worked out, such as the archive's dates in order, so it is kept between
        searches)."""
        from newssearch.engine.reader import IndexView
        from newssearch.errors import DAMAGE_ERRORS
        from newssearch.searching import ranking

        with self._reading():
            try:
                searcher = getattr(self._local, "searcher", None)
                if searcher is not None and not searcher.up_to_date():
                    # a fresh one, not refresh(): that fails on an index with no segments
                    searcher.close()
                    searcher = None
                if searcher is None:
                    # Whoosh's reader() itself retries (10 times, 50 ms apart) when a
                    # commit removes files under it: a retry around it would multiply that
                    searcher = self._ix.searcher(weighting=ranking.weighting())
                    self._local.searcher = searcher
                    self._local.view = IndexView(searcher)
            except DAMAGE_ERRORS as e:
                raise IndexReadError(f"{type(e).__name__}: {e}") from e
            yield self._local.view
