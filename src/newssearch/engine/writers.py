"""Writing to the index: writers, batches, merge policies.

Every writer of a newssearch index writes compact segments (`codec.NewsCodec`) from a
`pool.TermPool`: `new_writer` makes one, in worker processes (`parallel.SafeMpWriter`)
for a large run. `BatchWriter` is what an indexing run writes through: stories and
deletions, one writer and one commit per batch, so a killed run keeps whole batches.

Searches visit every segment, so segments are merged as they pile up: after each batch,
`tidy` merges `MERGE_FACTOR` segments of about the same size into one whenever a size
class has that many (`merge_group`): a size class keeps at most 9 segments (at 1,200,000
stories in batches of 30,000, 8 or so segments stay), and each story is rewritten about
log10(stories / batch size) times. A merge reads its segments a term at a time
(`merge.MergingPool`): its memory does not grow with them.

A full rebuild (`BatchWriter(full=True)`) *stages* its batches instead: each batch's
segment is written to disk but left out of the table of contents, and the last commit
replaces every old segment with the staged ones at once. Readers, and a run killed
half-way, keep the old index until then; the staged files of a run that did not finish
are removed by `store.remove_orphans` (or by the next commit).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from whoosh import writing
from whoosh.reading import SegmentReader

from newssearch.engine.codec import NewsCodec
from newssearch.engine.contents import Contents
from newssearch.engine.merge import DocumentCopy, MergingPool
from newssearch.engine.parallel import LockSafe, SafeMpWriter, StagedCommits, discard_segment
from newssearch.engine.segments import is_compact
from newssearch.engine.store import LOCK_WAIT

MAX_WORKERS = 4
MERGE_FACTOR = 10
"""Segments of about the same size are merged this many at a time: each story is
rewritten about log10(stories / batch) times, and a level holds at most 9 segments."""
MERGE_FLOOR = 1000
"""Segments of fewer live stories than this all count as the same size."""
MAX_SEGMENTS = 24
"""A run that leaves more segments merges the smallest (searches visit every segment);
the merge levels leave more only past 10 million stories."""


class NewsWriter(LockSafe, StagedCommits, writing.SegmentWriter):  # type: ignore[misc]
    """Whoosh's one-process `SegmentWriter`, filling a `MergingPool` (so that merging
    segments in takes constant memory), able to stage."""

    pool: MergingPool

    def write_per_doc(self, fieldnames: Any, reader: Any) -> Any:
        copy = DocumentCopy.plan(self, reader) if is_compact(reader) else None
        if copy is None:
            return super().write_per_doc(fieldnames, reader)
        return copy.copy(self, reader)

    def add_postings_to_pool(self, reader: Any, startdoc: int, docmap: Any) -> None:
        if not self.pool.merge_in(self.storage, self.schema, reader.segment(), startdoc, docmap):
            super().add_postings_to_pool(reader, startdoc, docmap)


def new_writer(ix: Any, procs: int = 1) -> Any:
    """A writer for `ix` that writes compact segments (every writer must be one) and
    waits `LOCK_WAIT` seconds for Whoosh's lock, in `procs` worker processes when
    `procs` > 1 (commit those with a policy that merges nothing)."""
    if procs > 1:
        return SafeMpWriter(ix, procs, batchsize=256, timeout=LOCK_WAIT, codec=NewsCodec())
    writer = NewsWriter(ix, timeout=LOCK_WAIT, codec=NewsCodec())
    writer.pool = MergingPool()
    return writer


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


def _level(segment: Any) -> int:
    """A segment's size class: 0 below `MERGE_FLOOR` x `MERGE_FACTOR` live stories, one
    more for each further factor."""
    live, level = segment.doc_count(), 0
    while live >= MERGE_FLOOR * MERGE_FACTOR ** (level + 1):
        level += 1
    return level


def merge_group(segments: list[Any]) -> list[Any]:
    """The segments to merge next: the `MERGE_FACTOR` smallest of the lowest level that
    has that many, else (when more than `MAX_SEGMENTS` are left) enough of the smallest
    to leave `MAX_SEGMENTS`; none when no merge is due."""
    segments = sorted(_live(segments), key=lambda seg: seg.doc_count())
    levels: dict[int, list[Any]] = {}
    for seg in segments:
        levels.setdefault(_level(seg), []).append(seg)
    for level in sorted(levels):
        if len(levels[level]) >= MERGE_FACTOR:
            return levels[level][:MERGE_FACTOR]
    if len(segments) > MAX_SEGMENTS:
        return segments[: len(segments) - MAX_SEGMENTS + 1]
    return []


def _merging(group: list[Any], keep: bool) -> Callable[[Any, list[Any]], list[Any]]:
    """Merge policy: merge `group` into the writer's new segment; keep the index's other
    live segments (`keep`) or none (a staged merge, whose segments are not listed)."""
    ids = {seg.segment_id() for seg in group}

    def policy(writer: Any, segments: list[Any]) -> list[Any]:
        for seg in group:
            reader = SegmentReader(writer.storage, writer.schema, seg)
            writer.add_reader(reader)  # (its postings are read when the segment is written)
            reader.close()
        return [seg for seg in _live(segments) if seg.segment_id() not in ids] if keep else []

    return policy


def _none(writer: Any, segments: list[Any]) -> list[Any]:
    """Merge policy of a staged batch: keep no old segment (the rebuild replaces them)."""
    return []


def segment_count(ix: Any) -> int:
    """How many segments the index's table of contents lists."""
    return len(ix._segments())


def _commit(writer: Any, policy: Callable[[Any, list[Any]], list[Any]]) -> None:
    """Commit with this merge policy; a commit that fails is cancelled (the lock freed)."""
    try:
        writer.commit(mergetype=policy)
    except BaseException:
        _abandon(writer)
        raise


def _abandon(writer: Any) -> None:
    """Cancel a writer that may have failed half-way, freeing its lock whatever happens."""
    if writer.is_closed:
        return
    discard_segment(writer)  # (not finished: its files are removed next, as orphans)
    try:
        writer.cancel()
    except OSError:
        # Cleaning up failed as well (a full disk stays full): free the lock anyway.
        writer._finish()


def tidy(ix: Any) -> int:
    """Merge the index's segments as `merge_group` says, until no merge is due; how many
    merges that took."""
    merges = 0
    while group := merge_group(ix._segments()):
        _commit(new_writer(ix), _merging(group, keep=True))
        merges += 1
    return merges


def tidy_staged(ix: Any, staged: list[Any]) -> list[Any]:
    """Merge a rebuild's staged segments as `merge_group` says (into staged segments);
    the staged segments left."""
    while group := merge_group(staged):
        writer = new_writer(ix)
        writer.staging = True
        _commit(writer, _merging(group, keep=False))
        merged = {seg.segment_id() for seg in group}
        staged = [seg for seg in staged if seg.segment_id() not in merged] + writer.staged
    return staged


class BatchWriter:
    """Writes stories and deletions through one writer per batch, committing each batch.

    `known` is what the index held when the run began: a story with one of its codes
    replaces the old document, unless the run deleted it already. Documents are deleted
    where `known` places them. (Whoosh's `update_document` would search the index for
    every story, new or not; its `delete_by_term` costs a query per story.)
    `before_commit` runs before each commit of the table of contents (the side file is
    written then). With `full`, batches are staged and the last commit swaps them in.
    """

    def __init__(
        self,
        ix: Any,
        *,
        size: int,
        procs: int,
        known: Contents,
        full: bool = False,
        before_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._ix = ix
        self._size = size
        self._procs = procs
        self._known = known
        self._full = full
        self._before_commit = before_commit
        self._writer: Any = None
        self._segments: dict[str, Any] = {}
        self._pending = 0
        self._deleted: set[str] = set()
        self._staged: list[Any] = []
        self.written = 0
        """Stories written so far."""

    def _w(self) -> Any:
        if self._writer is None:
            self._writer = new_writer(self._ix, self._procs)
            self._writer.staging = self._full
            self._segments = {seg.segment_id(): seg for seg in self._writer.segments}
        return self._writer

    def delete_code(self, code: str) -> None:
        """Delete the story with this code (once per run)."""
        if code in self._deleted:
            return
        writer = self._w()
        places = self._known.places(code)
        if places and all(segment in self._segments for segment, _ in places):
            for segment, docnum in places:
                self._segments[segment].delete_document(docnum)
        else:  # a merge since the run began renumbered them
            writer.delete_by_term("code", code)
        self._deleted.add(code)
        self._pending += 1

    def add(self, fields: dict[str, Any]) -> None:
        """Add a story's document (replacing one with its code); commit a full batch."""
        code = fields["code"]
        if self._known.places(code):
            self.delete_code(code)
        self._w().add_document(**fields)
        self.written += 1
        self._pending += 1
        if self._pending >= self._size:
            self._commit_batch()

    def _commit_batch(self) -> None:
        if self._writer is None:
            return
        if self._full:
            writer, self._writer = self._writer, None
            _commit(writer, _none)
            self._staged = tidy_staged(self._ix, self._staged + writer.staged)
        else:
            self._before_commit()
            # (the parallel writer's check counts the documents of the new segments,
            # which a merge would move: merges are commits of their own)
            self._writer.commit(mergetype=_drop_empty if self._procs > 1 else _merge_small)
            self._writer = None
            tidy(self._ix)
        self._pending = 0

    def commit(self) -> None:
        """Commit what is left; for a full rebuild, swap every staged batch in."""
        if not self._full:
            if self._writer is not None:
                self._commit_batch()
            else:
                self._before_commit()
            return
        staged, self._staged = self._staged, []
        writer = self._w()
        writer.staging = False
        self._before_commit()
        writer.commit(mergetype=lambda w, segments: staged)
        self._writer = None
        self._pending = 0

    def cancel(self) -> None:
        """Drop the batch being written (and a rebuild's staged ones)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            _abandon(writer)
        self._staged = []
