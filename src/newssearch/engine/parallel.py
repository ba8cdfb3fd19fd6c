"""Whoosh's multi-process writer, made safe to use.

`whoosh.multiproc.MpWriter(procs=N, multisegment=True)` farms documents out to N worker
processes, each of which writes its own segment. As shipped it can lose work quietly:

* a worker that fails puts no segment on the result queue, and the parent waits one
  second for it and commits without it;
* workers wait on their job queue forever, so when the indexing process is killed they
  linger;
* Ctrl-C reaches the workers too, which print tracebacks.

`SafeMpWriter` commits only when every worker exited cleanly and the new segments hold
exactly the documents it was given; otherwise it raises `WorkerFailed` and writes no
table of contents, so the index keeps its last commit. It leaves out the empty segment
of a worker that got no job (the others took them all): with no column files, it would
make the next run read the index as damaged. Workers never see Ctrl-C (the
parent cancels them) and exit when the indexing process is gone. They are started by a
small server process (`_STARTER`), not forked from the indexing process with its whole
heap, and a Ctrl-C or SIGTERM that comes while one starts waits until it has started, so
that the parent knows every worker it must stop.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import queue
import signal
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing import popen_forkserver, spawn
from typing import Any

from whoosh import multiproc
from whoosh.util import random_name

from newssearch.engine.pool import news_writer, use_term_pool

PARENT_POLL = 1.0
"""Seconds between a waiting worker's checks that its parent is alive."""


class WorkerFailed(Exception):
    """A worker process failed, or the segments do not hold the documents sent.
    `details`: the worker's traceback, when it failed with an error of its own."""

    def __init__(self, reason: str, details: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class LockSafe:
    """A writer mixin: a writer whose set-up fails (say, on a full disk) frees the lock it
    took. Whoosh's keeps the lock until the half-made writer is garbage-collected, so
    the next writer may find the index locked."""

    writelock: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().__init__(*args, **kwargs)
        except BaseException:
            lock = getattr(self, "writelock", None)
            if lock is not None and getattr(lock, "fd", None) is not None:
                lock.release()
            raise


def discard_segment(writer: Any) -> None:
    """Leave the segment a failed writer was writing as it is, so that cancelling the
    writer writes nothing more to it (its files are removed as orphans).

    Whoosh's `cancel` closes the segment by finishing its files. When that close is what
    failed (a full disk), the file being closed is shut already, and finishing it again
    fails with `ValueError: I/O operation on closed file`; on a full disk any more
    writing fails anyway. Here the segment's files are closed as they stand."""
    for part in (getattr(writer, "perdocwriter", None), getattr(writer, "fieldwriter", None)):
        if part is None or part.is_closed:
            continue
        tindex = getattr(part, "_tindex", None)
        columns = getattr(part, "_cols", None)
        for structfile in (
            getattr(part, "_postfile", None),
            getattr(tindex, "dbfile", None),
            getattr(part, "_vpostfile", None),
            getattr(columns, "_temp", None),
        ):
            if structfile is not None and not structfile.is_closed:
                with contextlib.suppress(OSError):  # (what is left to write: a full disk)
                    structfile.file.close()
                structfile.is_closed = True
        part.is_closed = True


class StagedCommits:
    """A writer mixin: with `staging` set, a commit writes the new segments' files but
    not the table of contents, and leaves the new segments in `staged` (see
    `writers.BatchWriter`)."""

    staging = False
    staged: list[Any]
    _kept: set[str]

    def _merge_segments(self, mergetype: Any, optimize: Any, merge: Any) -> list[Any]:
        kept: list[Any] = super()._merge_segments(mergetype, optimize, merge)  # type: ignore[misc]
        self._kept = {s.segment_id() for s in kept}
        return kept

    def new_segments(self, segments: list[Any]) -> list[Any]:
        """The segments of a commit that this writer made (the rest were kept)."""
        return [s for s in segments if s.segment_id() not in self._kept]

    def _commit_toc(self, segments: list[Any]) -> None:
        if self.staging:
            self.staged = self.new_segments(segments)
            return
        super()._commit_toc(segments)  # type: ignore[misc]


class _WatchedQueue:
    """The job queue as a worker sees it: `get` gives up when the parent dies."""

    def __init__(self, jobs: Any, parent: int) -> None:
        self._jobs = jobs
        self._parent = parent

    def get(self) -> Any:
        while True:
            try:
                return self._jobs.get(timeout=PARENT_POLL)
            except queue.Empty:
                if not _alive(self._parent):
                    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_STARTER = multiprocessing.get_context("forkserver")
"""Workers start from a small server process, not as forks of the indexing process:
a fork would carry the parent's whole heap (the file lists and bookkeeping of a large
run, 200 MB at 250,000 stories) into every worker. The server loads nothing ahead (by
default it would import the program's main module, the command line and all)."""
_STARTER.set_forkserver_preload([])


class _ServerPopen(popen_forkserver.Popen):
    """The fork server's way of starting a worker, minus running the program's main
    module again in it: multiprocessing does that so the worker can find what the main
    module defines, and a script without an `if __name__ == "__main__":` guard would
    run a second time inside every worker. Workers need only this module."""

    def _launch(self, process: Any) -> None:
        prepare = spawn.get_preparation_data

        def without_main(name: str) -> dict[str, Any]:
            data: dict[str, Any] = prepare(name)
            data.pop("init_main_from_name", None)
            data.pop("init_main_from_path", None)
            return data

        spawn.get_preparation_data = without_main
        try:
            super()._launch(process)  # type: ignore[misc]
        finally:
            spawn.get_preparation_data = prepare


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back while a worker starts, then act on them.

    Raised half-way through starting a worker, `KeyboardInterrupt` would leave a worker
    whose pid the parent never learnt: nothing would stop it, and it would fail with a
    traceback once the parent's queues were gone. And Ctrl-C stays blocked in the fork
    server started here, so neither it nor a worker it forks ever gets the Ctrl-C that a
    terminal sends to every process of the command (the parent stops them itself).
    Python runs signal handlers in the main thread only, so elsewhere nothing is held.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[tuple[int, Any]] = []
    previous = {
        signum: signal.signal(signum, lambda *caught: held.append(caught))
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for number, frame in held[:1]:
            handler = previous[signal.Signals(number)]
            if callable(handler):
                handler(number, frame)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(number)


class _Task(multiproc.SubWriterTask):  # type: ignore[misc]
    """A worker: adds the documents of each job file to its own segment (written with a
    `TermPool`) and, when the parent says it is done, puts the segment on the result
    queue."""

    jobqueue: Any
    errorqueue: Any
    """Where a worker that fails with an error of its own puts its traceback."""
    indexer: int
    """The indexing process (not the parent: workers are children of the server)."""

    @staticmethod
    def _Popen(process: Any) -> Any:
        return _ServerPopen(process)

    def run(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        jobs = _WatchedQueue(self.jobqueue, self.indexer)
        try:
            ix = self.storage.open_index(self.indexname)
            self.writer = news_writer(ix, _lk=False, **self.kwargs)
            while (job := jobs.get()) is not None:
                self._process_file(*job)
            fieldnames = self.writer.pool.fieldnames
            segment = self.writer._finalize_segment()
            self.resultqueue.put((None, fieldnames, segment), timeout=5)
        except OSError as e:
            # the exit status carries errno to the parent (e.g. 28: no space left)
            os._exit(e.errno if e.errno and 0 < e.errno < 126 else 1)
        except BaseException:
            # a bug: its traceback goes to the parent, which reports it
            try:
                self.errorqueue.put(traceback.format_exc(), timeout=5)
                # `put` hands the traceback to the queue's thread: wait until it has
                # been sent, or `os._exit` would drop it
                self.errorqueue.close()
                self.errorqueue.join_thread()
            finally:
                os._exit(1)


class SafeMpWriter(LockSafe, StagedCommits, multiproc.MpWriter):  # type: ignore[misc]
    """`MpWriter` with `multisegment=True` that never commits a partial result.

    Commit with a merge policy that merges nothing (such as `writing.NO_MERGE`): the
    check counts the documents in the segments the commit did not keep.
    """

    tasks: list[Any]
    docbuffer: list[Any]

    def __init__(self, ix: Any, procs: int, **kwargs: Any) -> None:
        super().__init__(ix, procs=procs, multisegment=True, **kwargs)
        # the queues must come from the context that starts the workers
        self.jobqueue = _STARTER.Queue(self.procs * 4)
        self.resultqueue = _STARTER.Queue()
        self.errorqueue = _STARTER.Queue()
        use_term_pool(self)
        self._sent = 0

    def add_document(self, **fields: Any) -> None:
        super().add_document(**fields)
        self._sent += 1

    def _new_task(self) -> Any:
        task = _Task(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        task.indexer = os.getpid()
        task.errorqueue = self.errorqueue
        self.tasks.append(task)
        with _signals_held():
            task.start()
        return task

    def _enqueue(self) -> None:
        """Whoosh's, but the job is put on the queue by `_put`."""
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in self.docbuffer:
                pickle.dump(item, f, 2)
        if len(self.tasks) < self.procs:
            self._new_task()
        self._put((filename, len(self.docbuffer)))
        self.docbuffer = []

    def _put(self, job: Any) -> None:
        """Put a job (None: the end) on the queue, checking while it is full that no
        worker failed (with every worker dead, nothing would ever make room)."""
        while True:
            try:
                self.jobqueue.put(job, timeout=PARENT_POLL)
                return
            except queue.Full:
                # (once the ends are being sent, a worker may have finished)
                self._check_workers(done=job is None)

    def _check_workers(self, *, done: bool) -> None:
        """`WorkerFailed` if a worker exited with an error, or (before it was told it was
        `done`) exited at all."""
        if any(t.exitcode if done else t.exitcode is not None for t in self.tasks):
            raise self._failure()

    def _failure(self) -> WorkerFailed:
        """The error of a run whose worker failed (or whose segments miss documents)."""
        failed = [t.exitcode for t in self.tasks if t.exitcode]
        details = self._worker_traceback()
        code = failed[0] if failed else 0
        reason = os.strerror(code) if code > 1 else "an indexing process failed"
        return WorkerFailed(reason, details)

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        """Whoosh's multi-segment commit, minus its unbounded waits: the parent never
        waits on a worker without checking that none failed. On failure the writer is
        cancelled (the workers stopped, the lock freed)."""
        try:
            if self.docbuffer:
                self._enqueue()
            for _ in self.tasks:
                self._put(None)
            segments = self._merge_segments(mergetype, optimize, merge)
            for task in self.tasks:
                while task.exitcode is None:
                    task.join(PARENT_POLL)
                    self._check_workers(done=True)
            self._check_workers(done=True)
            for _ in self.tasks:
                with contextlib.suppress(queue.Empty):
                    segments.append(self.resultqueue.get(timeout=1)[2])
            if self._added:
                segments.append(self._finalize_segment())
            else:
                self._close_segment()
            self._commit_toc(segments)
        except BaseException:
            if not self.is_closed:
                discard_segment(self)
                self.cancel()
            raise
        self._finish()

    def _commit_toc(self, segments: list[Any]) -> None:
        new = self.new_segments(segments)
        written = sum(s.doc_count_all() for s in new)
        if written != self._sent:
            raise self._failure()
        # (the empty segment of a worker that got no job, left out)
        empty = {s.segment_id() for s in new if not s.doc_count_all()}
        super()._commit_toc([s for s in segments if s.segment_id() not in empty])

    def _worker_traceback(self) -> str | None:
        try:
            found: str = self.errorqueue.get(timeout=0.5)
        except queue.Empty:
            return None
        return found

    def cancel(self) -> None:
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
        for task in self.tasks:
            if task.pid is not None:  # started
                task.join()
        self.tasks = []
        # No worker reads the job queue any more: the process must not wait at its exit
        # for the queue's thread to send what is left (a signal that came while the
        # queue started its thread can leave that thread waiting for ever).
        self.jobqueue.cancel_join_thread()
        super().cancel()
