"""Update the index: one indexing run (`update_index`).

1. The caller takes the run lock (`store.run_lock`).
2. Walk the roots and `stat` every matched file.
3. Read what the index already holds (path, `sig`, code) from its columns, and the
   side file's memory of rejected and duplicate files, so an unchanged file is never parsed.
4. Visit files newest first (ties by path): the first live file to claim a story code
   keeps it, later ones are reported as duplicates -- so a story saved again under another
   name replaces the older copy, and the choice depends only on the files on disk.
5. Write in batches of `BATCH_SIZE` stories, one commit each: a killed run keeps what it
   committed and the next run carries on from there. A large run writes in worker
   processes (`parallel`); commits drop segments left with no live story and merge small
   ones (`MAX_SEGMENTS`).
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import compress
from operator import attrgetter
from typing import Any

from whoosh import writing
from whoosh.reading import SegmentReader

from newssearch.api import Progress
from newssearch.defaults import BATCH_SIZE
from newssearch.engine import store
from newssearch.engine.codec import NewsCodec
from newssearch.engine.parallel import SafeMpWriter, WorkerFailed
from newssearch.engine.schema import SCHEMA_VERSION
from newssearch.engine.segments import column_strings
from newssearch.engine.store import LOCK_WAIT
from newssearch.errors import DAMAGE_ERRORS, IndexWriteError, InputError, damaged
from newssearch.models import DuplicateFile, FileWarning, IndexReport, RejectedFile, Story
from newssearch.stories import parse as stories

PARALLEL_FROM = 1000
"""Runs with fewer stories to index than this use one process."""
MAX_WORKERS = 4
MAX_SEGMENTS = 24
"""A run that leaves more segments merges the smallest (searches visit every segment).
250,000 stories in batches of `BATCH_SIZE` on two cores make 18, which need no merge."""

_by_path = attrgetter("path")  # reports list files in path order, whatever the walk's


def new_writer(ix: Any, procs: int = 1) -> Any:
    """A writer for `ix` that writes compact segments (every writer must be one), in
    `procs` worker processes when `procs` > 1 (commit those with `_drop_empty`,
    which merges nothing)."""
    if procs > 1:
        return SafeMpWriter(ix, procs, batchsize=256, timeout=LOCK_WAIT, codec=NewsCodec())
    return store.writer(ix)


def workers() -> int:
    """How many worker processes a large run uses: one per core, at most `MAX_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def _live(segments: list[Any]) -> list[Any]:
    """The segments that hold a live document. A segment whose every document was
    deleted (each of its stories was updated since) is left out of the table of
    contents, and the commit removes its files; otherwise each small re-run would leave
    one more empty segment for every search to open."""
    return [seg for seg in segments if seg.deleted_count() < seg.doc_count_all()]


def _drop_empty(writer: Any, segments: list[Any]) -> list[Any]:
    """Merge policy: no merging, only empty segments dropped."""
    return _live(segments)


def _merge_small(writer: Any, segments: list[Any]) -> list[Any]:
    """Merge policy: empty segments dropped, then Whoosh's `MERGE_SMALL`."""
    kept: list[Any] = writing.MERGE_SMALL(writer, _live(segments))
    return kept


def _merge_smallest(writer: Any, segments: list[Any]) -> list[Any]:
    """Merge policy: merge the smallest segments into one so at most `MAX_SEGMENTS` stay."""
    segments = _live(segments)
    if len(segments) <= MAX_SEGMENTS:
        return segments
    ordered = sorted(segments, key=lambda seg: seg.doc_count())
    count = len(segments) - MAX_SEGMENTS + 1
    for seg in ordered[:count]:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return ordered[count:]


def tidy(ix: Any) -> None:
    """Merge segments down to `MAX_SEGMENTS` if a run left more."""
    if len(ix._segments()) > MAX_SEGMENTS:
        new_writer(ix).commit(mergetype=_merge_smallest)


@dataclass
class _Indexed:
    """What the index holds: each file path's `sig`; on request (`read_codes`), each
    path's story code and where each code's documents are (a run that changes nothing
    needs neither)."""

    sig: dict[str, str] = field(default_factory=dict)
    segments: list[tuple[str, list[str], Iterable[int]]] = field(default_factory=list)
    """Each segment's id, and the paths and numbers of its live documents."""
    _codes_of: list[list[str]] | None = None
    """Each segment's codes, in the order of its paths."""
    _codes: dict[str, str] | None = None
    _numbers: list[tuple[str, dict[str, int] | None]] | None = None

    def read_codes(self, ix: Any) -> None:
        """Read the segments' code columns. Call it before the run's first commit: the
        index must be the one `_indexed` read."""
        codes_of = []
        with ix.reader() as r:
            leaves = [leaf for leaf, _ in r.leaf_readers()] if r.doc_count_all() else []
            for (segment, _, docnums), leaf in zip(self.segments, leaves, strict=True):
                if leaf.segment().segment_id() != segment:
                    raise ValueError(f"segment {segment} changed during the run")
                codes = column_strings(leaf, "code")
                codes_of.append([codes[n] for n in docnums] if leaf.has_deletions() else codes)
        self._codes_of = codes_of

    def _segment_codes(self) -> list[list[str]]:
        if self._codes_of is None:
            raise RuntimeError("read_codes() first")
        return self._codes_of

    def code(self) -> dict[str, str]:
        """Each indexed path's story code."""
        if self._codes is None:
            self._codes = {}
            for (_, paths, _), codes in zip(self.segments, self._segment_codes(), strict=True):
                self._codes.update(zip(paths, codes, strict=True))
        return self._codes

    def places(self, code: str) -> list[tuple[str, int]] | None:
        """Where the documents with this code are, as (segment id, document number in
        the segment); None when a segment holds some code twice (ask Whoosh then)."""
        if self._numbers is None:
            self._numbers = []
            for (segment, _, docnums), codes in zip(
                self.segments, self._segment_codes(), strict=True
            ):
                numbers = dict(zip(codes, docnums, strict=True))
                unique = len(numbers) == len(codes)
                self._numbers.append((segment, numbers if unique else None))
        found = []
        for segment, held in self._numbers:
            if held is None:
                return None
            if code in held:
                found.append((segment, held[code]))
        return found


@dataclass
class _Tally:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    rejected: list[RejectedFile] = field(default_factory=list)
    duplicates: list[DuplicateFile] = field(default_factory=list)
    warnings: list[FileWarning] = field(default_factory=list)


class _Batches:
    """Writes stories and deletions through one writer per batch, committing each batch.

    `known` is what the index held when the run began: a story with one of its codes
    replaces the old document, unless the run deleted it already. Documents are deleted
    where `known` places them. (Whoosh's `update_document` would search the index for
    every story, new or not; its `delete_by_term` costs a query per story.)
    """

    def __init__(
        self,
        ix: Any,
        on_commit: Callable[[], None],
        size: int,
        procs: int,
        known: _Indexed,
    ) -> None:
        self._ix = ix
        self._size = size
        self._procs = procs
        self._writer: Any = None
        self._segments: dict[str, Any] = {}
        self._pending = 0
        self._on_commit = on_commit
        self._known = known
        self._deleted: set[str] = set()

    def _w(self) -> Any:
        if self._writer is None:
            self._writer = new_writer(self._ix, self._procs)
            self._segments = {seg.segment_id(): seg for seg in self._writer.segments}
        return self._writer

    def delete_code(self, code: str) -> None:
        if code in self._deleted:
            return
        writer = self._w()
        places = self._known.places(code)
        if places and all(segment in self._segments for segment, _ in places):
            for segment, docnum in places:
                self._segments[segment].delete_document(docnum)
        else:  # a merge since the run began renumbered them, or `places` cannot tell
            writer.delete_by_term("code", code)
        self._deleted.add(code)
        self._pending += 1

    def add(self, story: Story, sig: str) -> None:
        if self._known.places(story.code) != []:  # held, or perhaps held (None)
            self.delete_code(story.code)
        self._w().add_document(
            code=story.code,
            headline=story.headline,
            body=story.body,
            date=story.date,
            undated=int(story.date is None),
            path=story.path,
            sig=sig,
        )
        self._pending += 1
        if self._pending >= self._size:
            self.commit()

    def commit(self) -> None:
        if self._writer is not None:
            # (the parallel writer's check counts the documents of the new segments,
            # which a merge would move)
            merge = _drop_empty if self._procs > 1 else _merge_small
            self._writer.commit(mergetype=merge)
            self._writer = None
            self._pending = 0
        self._on_commit()

    def cancel(self) -> None:
        writer, self._writer = self._writer, None
        if writer is None or writer.is_closed:
            return
        try:
            writer.cancel()
        except OSError:
            # Closing the half-written segment failed as well (a full disk stays
            # full): free the lock anyway; the next commit deletes the orphan files.
            writer._finish()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector. The walk of a large tree makes a tuple per file,
    none of them in a cycle, and the collector would visit each several times: 6-7 ms
    of a 120 ms re-run of 19,000 unchanged files."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _indexed(ix: Any) -> _Indexed:
    """What the index holds, read from its columns (no stored documents)."""
    found = _Indexed()
    with ix.reader() as r:
        for leaf, _ in r.leaf_readers() if r.doc_count_all() else ():
            paths, sigs = column_strings(leaf, "path"), column_strings(leaf, "sig")
            docnums: Iterable[int] = range(len(paths))
            if leaf.has_deletions():
                live = [n not in leaf.deleted_docs_set for n in docnums]
                docnums = list(compress(docnums, live))
                paths, sigs = list(compress(paths, live)), list(compress(sigs, live))
            found.sig.update(zip(paths, sigs, strict=True))
            found.segments.append((leaf.segment().segment_id(), paths, docnums))
    return found


def check_roots(roots: Iterable[str]) -> list[str]:
    """The roots as absolute paths; raise `InputError` for one that does not exist."""
    checked = []
    for root in roots:
        if not os.path.exists(root):
            raise InputError(f"no such file or directory: {root}")
        checked.append(os.path.abspath(root))
    return checked


def update_index(
    ix: Any,
    index_path: str,
    roots: Iterable[str],
    *,
    glob: str = "*.txt",
    full: bool = False,
    follow_links: bool = False,
    batch_size: int = BATCH_SIZE,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> IndexReport:
    """Bring the index in line with the story files under `roots` (see module docstring).

    The caller holds `store.run_lock(index_path)` and, for `full`, has just recreated `ix`.
    `jobs` worker processes index a large run (default: one per core, see `workers`).
    """
    started = time.perf_counter()
    roots = check_roots(roots)
    under = _under_roots(roots)
    tally = _Tally()
    live: dict[str, stories.FoundFile] = {}
    with _collector_paused():
        for root in roots:
            for item in stories.walk(root, glob, follow_links=follow_links):
                if isinstance(item, stories.Unusable):
                    if item.is_file and item.path not in live:
                        tally.rejected.append(RejectedFile(item.path, item.reason))
                    elif not item.is_file:
                        tally.warnings.append(FileWarning(item.path, item.reason))
                elif item.path not in live:
                    live[item.path] = item
    unusable = {r.path for r in tally.rejected}

    meta = store.read_meta(index_path)
    try:
        known = _indexed(ix)
    except DAMAGE_ERRORS as e:
        raise damaged(index_path, e) from e
    skipped: dict[str, dict[str, str]] = {} if full else meta.get("skipped", {})
    new_skipped: dict[str, dict[str, str]] = {p: v for p, v in skipped.items() if not under(p)}
    meta_roots = sorted(set(meta.get("roots", [])) | set(roots))

    def save_meta() -> None:
        store.write_meta(
            index_path,
            {"schema_version": SCHEMA_VERSION, "roots": meta_roots, "skipped": new_skipped},
        )

    sigs = known.sig
    unchanged = [p for p, f in live.items() if f.sig == sigs.get(p)]
    if len(unchanged) == len(live):
        changed: list[stories.FoundFile] = []
    else:
        held = set(unchanged)
        changed = [f for p, f in live.items() if p not in held]
    gone = sorted(known.sig.keys() - live.keys())
    if changed or gone:
        try:
            known.read_codes(ix)
        except DAMAGE_ERRORS as e:
            raise damaged(index_path, e) from e
    todo = sum(1 for f in changed if skipped.get(f.path, {}).get("sig") != f.sig)
    procs = workers() if jobs is None else max(1, jobs)
    batches = _Batches(
        ix,
        save_meta,
        max(1, batch_size),
        procs if todo >= PARALLEL_FROM else 1,
        known,
    )
    claims: dict[str, str] = {}

    def drop(path: str) -> None:
        # By code: unless another file took the code over in this run, replacing the
        # old document already, the code is this file's.
        code = known.code()[path]
        if claims.get(code, path) == path:
            batches.delete_code(code)

    try:
        outside = []
        for path in gone:
            if not under(path):
                outside.append(path)
                continue
            drop(path)
            tally.removed += 1 if path not in unusable else 0

        # Newest first (ties by path), the first file to claim a story code keeps it.
        # Files that hold their code already are not visited: unchanged ones, and
        # indexed files outside this run's roots (ranked by the mtime in their sig).
        # A file that is read asks `holder` whether one of them is ahead of it.
        holding = unchanged + outside
        owner: dict[str, str] = {}
        if changed:  # only a file that is read asks who holds its code
            codes = known.code()
            owner = {codes[path]: path for path in holding}

        def rank(path: str) -> tuple[int, str]:
            f = live.get(path)
            return -(f.mtime_ns if f is not None else _mtime(known.sig[path])), path

        def holder(code: str, path: str) -> str | None:
            kept = claims.get(code)
            if kept is None and code in owner and rank(owner[code]) < rank(path):
                kept = owner[code]
            return kept

        done = len(unchanged)
        for path in sorted((f.path for f in changed), key=rank):
            f = live[path]
            done += 1
            if progress is not None and done % 100 == 0:
                progress(done, len(live))
            sig = f.sig
            was_indexed = path in known.sig
            cached = skipped.get(path)
            if cached is not None and cached.get("sig") == sig:
                if "reason" in cached:
                    tally.rejected.append(RejectedFile(path, cached["reason"]))
                    new_skipped[path] = cached
                    continue
                kept = holder(cached["code"], path)
                if kept is not None:
                    tally.duplicates.append(DuplicateFile(path, cached["code"], kept))
                    new_skipped[path] = cached
                    continue
            try:
                parsed = stories.read_story(path, f.rel)
            except stories.StoryRejected as e:
                tally.rejected.append(RejectedFile(path, str(e)))
                new_skipped[path] = {"sig": sig, "reason": str(e)}
                if was_indexed:
                    drop(path)
                continue
            tally.warnings.extend(FileWarning(path, w) for w in parsed.warnings)
            code = parsed.story.code
            kept = holder(code, path)
            if kept is not None:
                tally.duplicates.append(DuplicateFile(path, code, kept))
                new_skipped[path] = {"sig": sig, "code": code}
                if was_indexed:
                    drop(path)
                continue
            claims[code] = path
            if was_indexed:
                drop(path)
                tally.updated += 1
            else:
                tally.added += 1
            batches.add(parsed.story, sig)
        still = len(unchanged)
        for code, path in claims.items():
            earlier = owner.get(code)
            if earlier is not None and earlier != path and earlier in live:
                # a newer file took over the code of an unchanged one
                tally.duplicates.append(DuplicateFile(earlier, code, path))
                new_skipped[earlier] = {"sig": live[earlier].sig, "code": code}
                still -= 1
        tally.unchanged = still
        batches.commit()
        tidy(ix)
    except (OSError, WorkerFailed) as e:
        batches.cancel()
        reason = e.reason if isinstance(e, WorkerFailed) else e.strerror or e
        raise IndexWriteError(
            f"cannot write to the index at {index_path}: {reason}; "
            "it still holds what earlier commits wrote"
        ) from e
    except BaseException:
        batches.cancel()
        raise
    if progress is not None:
        progress(len(live), len(live))
    return IndexReport(
        matched=len(live) + len(unusable),
        added=tally.added,
        updated=tally.updated,
        removed=tally.removed,
        unchanged=tally.unchanged,
        rejected=tuple(sorted(tally.rejected, key=_by_path)),
        duplicates=tuple(sorted(tally.duplicates, key=_by_path)),
        warnings=tuple(sorted(tally.warnings, key=_by_path)),
        seconds=time.perf_counter() - started,
    )


def _mtime(sig: str) -> int:
    return int(sig.partition(":")[0] or 0)


def _under_roots(roots: list[str]) -> Callable[[str], bool]:
    """A test of whether a path is one of `roots` or lies under one."""
    exact = set(roots)
    prefixes = tuple(r.rstrip(os.sep) + os.sep for r in roots)
    return lambda path: path in exact or path.startswith(prefixes)
