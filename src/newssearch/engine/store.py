"""The index directory: open, create and lock it, its side file, and cleaning up.

`open_index`/`create_index` translate Whoosh's failures into `IndexNotFound` and
`IndexDamaged`. `run_lock` is what one indexing run (or the creation of an index) holds
from start to end: whether a directory holds an index is decided under it, so two runs
starting on a new index cannot both create it. A second writer waits `LOCK_WAIT`
seconds, then gets `IndexLocked`.

Beside Whoosh's files the directory holds `newssearch.json`, the side file: the schema
version, the indexed roots (each with how it was indexed) and the files last skipped
(rejected or duplicate) with their `sig`. An indexing run writes it before each commit of
the table of contents, so it never names less than the index holds.

`remove_orphans` deletes the segment files a failed run wrote and never committed.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

from whoosh import index as whoosh_index
from whoosh import writing
from whoosh.filedb.filestore import FileStorage
from whoosh.util.filelock import try_for

from newssearch.engine.schema import SCHEMA_VERSION, make_schema
from newssearch.errors import (
    DAMAGE_ERRORS,
    IndexDamaged,
    IndexLocked,
    IndexNotFound,
    IndexWriteError,
    InputError,
    NewsSearchError,
    damaged,
    shown,
)

META_FILE = "newssearch.json"
RUN_LOCK = "newssearch-run"
LOCK_WAIT = 3.0
"""Seconds a second writer waits for the index before giving up."""
NAME_BYTES = "surrogateescape"
"""How the side file keeps the bytes of file names that are not UTF-8 (as Python's
file system functions hand them over): as they are."""


_OTHER_CODE = (ImportError, AttributeError)
"""What unpickling a table of contents that names classes this release lacks raises."""
_UNREADABLE = (*DAMAGE_ERRORS, whoosh_index.IndexError, *_OTHER_CODE)


def open_index(path: str) -> Any:
    """Open the index at `path` for reading and writing, checking its schema version."""
    if not os.path.isdir(path) or is_empty(path):
        raise IndexNotFound(f"no index at {shown(path)}", path)
    if not os.path.exists(os.path.join(path, META_FILE)):
        raise IndexNotFound(f"{shown(path)} is not a newssearch index (it holds other files)", path)
    if read_meta(path).get("schema_version") != SCHEMA_VERSION:
        raise IndexDamaged(
            f"the index at {shown(path)} was made by an incompatible version of newssearch; "
            "rebuild it with a full indexing run",
            path,
        )
    try:
        return retry_vanished(lambda: whoosh_index.open_dir(path))
    except whoosh_index.EmptyIndexError as e:
        raise damaged(path, "no table of contents") from e
    except (*DAMAGE_ERRORS, whoosh_index.IndexError) as e:
        raise damaged(path, f"{type(e).__name__}: {e}") from e
    except _OTHER_CODE as e:
        raise IndexDamaged(
            f"the index at {shown(path)} names code this version of newssearch does not "
            f"have ({type(e).__name__}: {e}); rebuild it with a full indexing run",
            path,
        ) from e


T = TypeVar("T")


def retry_vanished(opener: Callable[[], T], attempts: int = 8) -> T:
    """Call `opener`, again when a file it needed vanished: a writer committing at that
    moment replaces the table of contents and deletes the files it no longer uses, so
    a reader that lists them just before may find them gone. A file that stays missing
    is damage, and its error is raised."""
    for attempt in range(attempts):
        try:
            return opener()
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def holds_index(path: str) -> bool:
    """Whether `path` holds a newssearch index (readable or not)."""
    if os.path.exists(os.path.join(path, META_FILE)):
        return True
    try:
        return bool(whoosh_index.exists_in(path))
    except _UNREADABLE:  # a table of contents is there, unreadable
        return True


def create_index(path: str, meta: dict[str, Any] | None = None) -> Any:
    """Create an empty index at `path`, replacing an index already there; the caller holds
    `run_lock(path)`. `meta`: the side file's roots and skipped files to keep.

    A readable index of this version is emptied by a commit that drops every segment, so
    readers never see a moment without an index; a damaged or older one is recreated.
    """
    check_creatable(path)
    meta = {"roots": {}, "skipped": {}, **(meta or {}), "schema_version": SCHEMA_VERSION}
    try:
        write_meta(path, meta)
        ix = _emptied(path)
        if ix is None:
            ix = whoosh_index.create_in(path, make_schema())
    except OSError as e:
        raise InputError(f"cannot create an index at {shown(path)}: {e.strerror or e}") from e
    return ix


def _emptied(path: str) -> Any:
    """The index at `path` after a commit that clears it, or None when there is no
    readable index of this schema version there."""
    try:
        if not whoosh_index.exists_in(path):
            return None
        ix = whoosh_index.open_dir(path)
        if ix.schema.names() != make_schema().names():
            return None
        # a commit that adds nothing writes no segment, so the codec does not matter here
        writing.SegmentWriter(ix, timeout=LOCK_WAIT).commit(mergetype=writing.CLEAR)
    except _UNREADABLE:
        return None
    return ix


def check_creatable(path: str) -> None:
    """Raise `InputError` unless an index may be created at `path`."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise InputError(f"cannot create an index at {shown(path)}: it is a file")
    if not is_empty(path) and not holds_index(path):
        raise InputError(
            f"{shown(path)} is not empty and holds no newssearch index; "
            "choose another place for the index"
        )


def is_empty(path: str) -> bool:
    """Whether `path` is missing, or a directory holding nothing but the run lock and
    hidden files (such as the `.gitignore` that keeps a checkout's `index/` empty)."""
    if not os.path.isdir(path):
        return not os.path.exists(path)
    return all(name == RUN_LOCK or name.startswith(".") for name in os.listdir(path))


def read_meta(path: str) -> dict[str, Any]:
    """Read the side file; a missing or unreadable one reads as empty."""
    try:
        with open(os.path.join(path, META_FILE), encoding="utf-8", errors=NAME_BYTES) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def write_meta(path: str, meta: dict[str, Any]) -> None:
    """Replace the side file atomically (unless it would not change)."""
    target = os.path.join(path, META_FILE)
    text = json.dumps(meta, ensure_ascii=False, sort_keys=True)
    try:
        with open(target, encoding="utf-8", errors=NAME_BYTES) as f:
            if f.read() == text:
                return  # a run that changes nothing writes nothing
    except (OSError, ValueError):
        pass
    tmp = target + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8", errors=NAME_BYTES) as f:
            f.write(text)
        os.replace(tmp, target)
    except OSError:
        _remove(tmp)
        raise


class _RunLock:
    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = FileStorage(path).lock(RUN_LOCK)

    def __enter__(self) -> _RunLock:
        try:
            taken = try_for(self._lock.acquire, timeout=LOCK_WAIT, delay=0.05)
        except OSError as e:  # the lock file cannot be made: a read-only directory
            raise _unwritable(self._path, e) from e
        if not taken:
            raise IndexLocked(f"the index at {shown(self._path)} is locked by another writer")
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def run_lock(path: str) -> _RunLock:
    """The lock one indexing run holds from start to end (creating the directory)."""
    check_creatable(path)
    try:
        os.makedirs(path, exist_ok=True)
        return _RunLock(path)
    except OSError as e:
        raise _unwritable(path, e) from e


def _unwritable(path: str, error: OSError) -> NewsSearchError:
    """The error for an index directory that cannot be written (or made)."""
    reason = error.strerror or str(error)
    if holds_index(path):
        return IndexWriteError(f"cannot write to the index at {shown(path)}: {reason}")
    return InputError(f"cannot create an index at {shown(path)}: {reason}")


def size_on_disk(path: str) -> int:
    """The bytes the files of the index directory take (a file that a writer's commit
    removes meanwhile counts for nothing)."""
    total = 0
    with os.scandir(path) as entries:
        for entry in entries:
            with contextlib.suppress(FileNotFoundError):
                if entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
    return total


def remove_orphans(ix: Any) -> None:
    """Delete the files in the index directory that its table of contents does not use:
    the segments of a run that failed or was cancelled (on a full disk, they are what
    keeps it full). Files that cannot be deleted are left for the next commit."""
    try:
        toc = whoosh_index.TOC.read(ix.storage, ix.indexname)
    except (*DAMAGE_ERRORS, whoosh_index.IndexError):
        return
    whoosh_index.clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)
