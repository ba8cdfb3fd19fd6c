"""One indexing run: walk the roots, plan, write (`update_index`).

1. The caller holds the run lock (`engine.store.run_lock`) and has chosen the roots to
   walk (`roots.to_walk`), each with its own glob and link rule.
2. Walk them and `stat` every matched file (`stories.files.walk`).
3. Read what the index holds (`engine.contents`) and plan the run (`plan.Planner`):
   unchanged files are never parsed; the planner reads the others and says what to
   write and delete.
4. Apply the plan through `engine.writers.BatchWriter`: batches of `batch_size`
   stories, one commit each, so a killed run keeps what it committed and the next run
   carries on. A large run writes in worker processes. A full rebuild stages its batches
   and swaps them in at the end, so the old index answers until then. The side file
   (roots, skipped files) is written before each commit.
5. Segments are merged as the engine's merge policy says, after each batch and at the
   end (`writers.tidy`). A run that fails cancels its batch and removes the files it
   wrote (`store.remove_orphans`).
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from operator import attrgetter
from typing import Any

from newssearch.engine import store, writers
from newssearch.engine.contents import Contents, read_contents
from newssearch.engine.parallel import WorkerFailed
from newssearch.engine.schema import SCHEMA_VERSION, document
from newssearch.errors import IndexWriteError, InputError, shown
from newssearch.indexing.plan import Delete, FoundFiles, Planner, Tally
from newssearch.indexing.roots import Root, holders, recorded_roots, resolve
from newssearch.models import (
    FileWarning,
    IndexOptions,
    IndexReport,
    Phase,
    Progress,
    RejectedFile,
)
from newssearch.stories.files import Unusable, walk

PARALLEL_FROM = 1000
"""Runs with fewer stories to index than this use one process."""
PROGRESS_EVERY = 100
"""Files between two progress reports."""

_by_path = attrgetter("path")  # reports list files in path order, whatever the walk's


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


def _walk(
    roots: list[Root], tally: Tally, progress: Progress | None
) -> tuple[FoundFiles, set[str]]:
    """The files under the roots, and the paths of those that cannot be used (which are
    in `tally.rejected`; unreadable directories are warnings)."""
    found = FoundFiles()
    unusable: set[str] = set()
    with _collector_paused():
        for root in roots:
            found.walking(os.path.abspath(root.path), os.path.isdir(root.path))
            for item in walk(root.path, root.glob, follow_links=root.follow_links):
                if isinstance(item, Unusable):
                    if not item.is_file:
                        tally.warnings.append(FileWarning(item.path, item.reason))
                    elif item.path not in found and item.path not in unusable:
                        tally.rejected.append(RejectedFile(item.path, item.reason))
                        unusable.add(item.path)
                elif item.path not in found:
                    found.add(item)
                    if progress is not None and len(found) % PROGRESS_EVERY == 0:
                        progress(Phase.scanning, len(found), None)
    if progress is not None:  # the walk is over: every file found, not the last hundred
        matched = len(found) + len(unusable)
        progress(Phase.scanning, matched, matched)
    return found, unusable


class _Reports:
    """The progress reports of one run to a `Progress` callback (if any), from the plan
    on: each phase's total as soon as it is known, never below its count, and each
    phase's last report with its count equal to its total.

    `committing` counts the stories made searchable, of the stories to write (at most
    the files to read; exact once reading is over). A commit is reported as it starts
    (the stories committed before it) and once it is over (its own stories included),
    so the count never runs ahead of what is committed."""

    def __init__(self, progress: Progress | None, *, to_write: int) -> None:
        self._progress = progress
        self._last: tuple[Phase, int, int] | None = None
        self.to_write = to_write
        self._committed = 0
        self._committing: int | None = None
        """The stories committed once the commit under way is over (None: no commit)."""

    def __call__(self, phase: Phase, done: int, total: int) -> None:
        if self._progress is not None and (phase, done, total) != self._last:
            self._last = (phase, done, total)
            self._progress(phase, done, total)

    def commit_starts(self, written: int) -> None:
        """A commit is starting; once it is over, the `written` stories written so far
        are searchable."""
        self._committing = written
        self(Phase.committing, self._committed, self.to_write)

    def commit_over(self) -> None:
        """The commit under way, if any, is over."""
        if self._committing is not None:
            self._committed, self._committing = self._committing, None
            self(Phase.committing, self._committed, self.to_write)


def update_index(
    ix: Any,
    index_path: str,
    walked: list[Root],
    recorded: list[Root],
    options: IndexOptions,
    *,
    missing: list[Root] = (),  # type: ignore[assignment]
    progress: Progress | None = None,
) -> IndexReport:
    """Bring the index in line with the story files under the `walked` roots (see the
    module docstring). `recorded` is every root the side file will list afterwards;
    `missing` those of them that were not found (reported, their stories kept)."""
    started = time.perf_counter()
    tally = Tally()
    found, unusable = _walk(walked, tally, progress)
    meta = store.read_meta(index_path)
    known = Contents.empty() if options.full else read_contents(ix)
    planner = _planner(found, known, meta, walked, recorded, options, tally, unusable)
    known.sig.clear()  # the plan has what it needs of it (a million sigs: 160 MB)
    if planner.changes and not options.full:
        known.read_codes(ix)  # before the first commit: the index must be the one read
    todo = planner.to_read
    reports = _Reports(progress, to_write=len(planner.changed))
    procs = writers.workers() if options.jobs is None else options.jobs
    batches = writers.BatchWriter(
        ix,
        size=options.batch_size,
        procs=procs if todo >= PARALLEL_FROM else 1,
        known=known,
        full=options.full,
        before_commit=lambda: before_commit(),
    )

    def before_commit() -> None:
        reports.commit_starts(batches.written)
        _save_meta(index_path, planner, recorded)

    _write(ix, index_path, planner, batches, tally, reports)
    return IndexReport(
        matched=len(found) + len(unusable),
        added=tally.added,
        updated=tally.updated,
        removed=tally.removed,
        unchanged=tally.unchanged,
        rejected=tuple(sorted(tally.rejected, key=_by_path)),
        duplicates=tuple(sorted(tally.duplicates, key=_by_path)),
        warnings=tuple(sorted(tally.warnings, key=_by_path)),
        missing_roots=tuple(r.path for r in missing),
        seconds=time.perf_counter() - started,
    )


def _write(
    ix: Any,
    index_path: str,
    planner: Planner,
    batches: writers.BatchWriter,
    tally: Tally,
    reports: _Reports,
) -> None:
    """Apply the plan and commit; on failure, cancel and remove what was written."""
    try:
        _apply(planner, batches, tally, reports)
        reports.to_write = batches.written  # (reading is over: no more stories to write)
        batches.commit()
        reports.commit_over()
        reports(Phase.merging, 0, 1)
        writers.tidy(ix)
        reports(Phase.merging, 1, 1)
    except (OSError, WorkerFailed) as e:
        _cancel(ix, batches)
        if isinstance(e, WorkerFailed) and e.details:
            raise RuntimeError(f"an indexing process failed:\n{e.details}") from e
        reason = e.reason if isinstance(e, WorkerFailed) else e.strerror or e
        raise IndexWriteError(
            f"cannot write to the index at {shown(index_path)}: {reason}; "
            "it still holds what earlier commits wrote"
        ) from e
    except BaseException:
        _cancel(ix, batches)
        raise


def _planner(
    found: FoundFiles,
    known: Contents,
    meta: dict[str, Any],
    walked: list[Root],
    recorded: list[Root],
    options: IndexOptions,
    tally: Tally,
    unusable: set[str],
) -> Planner:
    """The run's plan: a file leaves the index only when every recorded root holding it
    was walked (and none found it)."""
    walked_paths = {r.path for r in walked}

    def gone_from_walks(path: str) -> bool:
        held_by = holders(path, recorded)
        return bool(held_by) and all(r.path in walked_paths for r in held_by)

    return Planner(
        found,
        sigs=known.sig,
        codes=known.codes,
        holding=known.paths,
        skipped={} if options.full else meta.get("skipped", {}),
        gone_from_walks=gone_from_walks,
        walked=lambda path: any(r.path in walked_paths for r in holders(path, walked)),
        tally=tally,
        unusable=unusable,
    )


def _save_meta(index_path: str, planner: Planner, recorded: list[Root]) -> None:
    """Write the side file: what a commit is about to make true."""
    store.write_meta(
        index_path,
        {
            "schema_version": SCHEMA_VERSION,
            "roots": {r.path: r.record() for r in recorded},
            "skipped": planner.new_skipped,
        },
    )


def _apply(
    planner: Planner,
    batches: writers.BatchWriter,
    tally: Tally,
    reports: _Reports,
) -> None:
    """Write the plan's actions, reporting progress every `PROGRESS_EVERY` files and
    after each batch commit."""
    total = len(planner.changed)
    reports(Phase.reading, 0, total)
    reported = 0
    for action in planner.actions():
        if isinstance(action, Delete):
            batches.delete_code(action.code)
        else:
            batches.add(document(action.story, action.sig))
        reports.commit_over()  # (if that action filled a batch, it was committed)
        if tally.read - reported >= PROGRESS_EVERY:
            reported = tally.read
            reports(Phase.reading, reported, total)
    reports(Phase.reading, total, total)


def _cancel(ix: Any, batches: writers.BatchWriter) -> None:
    """Drop what a failed run was writing, and the files it left."""
    batches.cancel()
    with contextlib.suppress(OSError):  # if not, the next commit removes them
        store.remove_orphans(ix)


def forget_root(ix: Any, index_path: str, root: str) -> int:
    """Remove a root from the side file, and its stories (those no other root holds)
    from the index; return how many stories were removed. The caller holds the run
    lock. `InputError` when `root` is not an indexed root."""
    meta = store.read_meta(index_path)
    recorded = recorded_roots(meta)
    wanted = {root, resolve(root)}
    target = next((r for r in recorded if r.path in wanted), None)
    if target is None:
        listed = ", ".join(r.path for r in recorded) or "none"
        raise InputError(f"{root} is not an indexed root (the roots: {listed})")
    kept = [r for r in recorded if r is not target]
    known = read_contents(ix)
    doomed = [p for p in known.sig if target.holds(p) and not holders(p, kept)]
    if doomed:
        known.read_codes(ix)
    batches = writers.BatchWriter(
        ix,
        size=max(1, len(doomed)),
        procs=1,
        known=known,
        before_commit=lambda: store.write_meta(
            index_path,
            {
                **meta,
                "roots": {r.path: r.record() for r in kept},
                "skipped": {
                    p: v for p, v in meta.get("skipped", {}).items() if not target.holds(p)
                },
            },
        ),
    )
    codes = known.codes(set(doomed)) if doomed else {}
    try:
        for path in doomed:
            batches.delete_code(codes[path])
        batches.commit()
    except OSError as e:
        _cancel(ix, batches)
        raise IndexWriteError(
            f"cannot write to the index at {shown(index_path)}: {e.strerror or e}"
        ) from e
    except BaseException:
        _cancel(ix, batches)
        raise
    return len(doomed)
