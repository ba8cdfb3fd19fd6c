"""The index directory: open, create and lock it, and its side file.

`open_index`/`create_index` translate Whoosh's failures into `IndexNotFound` and
`IndexDamaged`; `run_lock` is what one indexing run holds from start to end (a second
writer waits `LOCK_WAIT` seconds, then gets `IndexLocked`). Beside Whoosh's files the
directory holds `newssearch.json`: the schema version, the indexed roots and the files
last skipped (rejected or duplicate) with their `sig`. `indexer` updates the index.

Importing this module makes Whoosh read segment files in place (see `segments`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from whoosh import index as whoosh_index
from whoosh import writing
from whoosh.filedb.filestore import FileStorage
from whoosh.util.filelock import try_for

from newssearch.engine import segments  # noqa: F401 (installs the in-place file reads)
from newssearch.engine.codec import NewsCodec
from newssearch.engine.pool import news_writer
from newssearch.engine.schema import SCHEMA_VERSION, make_schema
from newssearch.errors import (
    DAMAGE_ERRORS,
    IndexDamaged,
    IndexLocked,
    IndexNotFound,
    InputError,
    damaged,
)

META_FILE = "newssearch.json"
RUN_LOCK = "newssearch-run"
LOCK_WAIT = 3.0
"""Seconds a second writer waits for the index before giving up."""


def open_index(path: str) -> Any:
    """Open the index at `path` for reading and writing, checking its schema version."""
    if not os.path.isdir(path):
        raise IndexNotFound(f"no index at {path}; run 'newssearch index DIR' first")
    if is_empty(path):
        raise IndexNotFound(f"no index at {path}; run 'newssearch index DIR' first")
    if not os.path.exists(os.path.join(path, META_FILE)):
        raise IndexNotFound(
            f"{path} is not a newssearch index (it holds other files); choose another --index"
        )
    if read_meta(path).get("schema_version") != SCHEMA_VERSION:
        raise IndexDamaged(
            f"the index at {path} was made by an incompatible version of newssearch; "
            f"rebuild it with 'newssearch index --full --index {path} DIR'"
        )
    try:
        return retry_vanished(lambda: whoosh_index.open_dir(path))
    except whoosh_index.EmptyIndexError as e:
        raise IndexDamaged(
            f"the index at {path} is damaged (no table of contents); "
            f"rebuild it with 'newssearch index --full --index {path} DIR'"
        ) from e
    except (*DAMAGE_ERRORS, whoosh_index.IndexError) as e:
        raise damaged(path, e) from e


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


def create_index(path: str, *, roots: Iterable[str] = ()) -> Any:
    """Create an empty index at `path`, replacing an index already there.

    A readable index of this version is emptied by a commit that drops every segment, so
    readers never see a moment without an index; a damaged or older one is recreated.
    A directory that holds other files and no index is left alone, so a mistyped
    `--index` cannot wipe unrelated data.
    """
    check_creatable(path)
    meta = {"schema_version": SCHEMA_VERSION, "roots": list(roots), "skipped": {}}
    try:
        ix = _emptied(path)
        if ix is None:
            os.makedirs(path, exist_ok=True)
            ix = whoosh_index.create_in(path, make_schema())
        write_meta(path, meta)
    except OSError as e:
        raise InputError(f"cannot create an index at {path}: {e.strerror}") from e
    return ix


def _emptied(path: str) -> Any:
    """The index at `path` after a commit that clears it, or None when there is no
    readable index of this schema version there."""
    if read_meta(path).get("schema_version") != SCHEMA_VERSION:
        return None
    try:
        ix = whoosh_index.open_dir(path)
        writer(ix).commit(mergetype=writing.CLEAR)
    except (*DAMAGE_ERRORS, whoosh_index.IndexError):
        return None
    return ix


def check_creatable(path: str) -> None:
    """Raise `InputError` unless an index may be created at `path`."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise InputError(f"cannot create an index at {path}: it is a file")
    if not is_empty(path) and not _is_ours(path):
        raise InputError(
            f"{path} is not empty and holds no newssearch index; choose another --index"
        )


def is_empty(path: str) -> bool:
    """Whether `path` is missing, or a directory holding nothing but the run lock."""
    if not os.path.isdir(path):
        return not os.path.exists(path)
    return not set(os.listdir(path)) - {RUN_LOCK}


def _is_ours(path: str) -> bool:
    return os.path.exists(os.path.join(path, META_FILE)) or whoosh_index.exists_in(path)


def read_meta(path: str) -> dict[str, Any]:
    """Read the side file; a missing or unreadable one reads as empty."""
    try:
        with open(os.path.join(path, META_FILE), encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def write_meta(path: str, meta: dict[str, Any]) -> None:
    """Replace the side file atomically."""
    target = os.path.join(path, META_FILE)
    tmp = target + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(meta, f)
    os.replace(tmp, target)


class _RunLock:
    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = FileStorage(path).lock(RUN_LOCK)

    def __enter__(self) -> _RunLock:
        if not try_for(self._lock.acquire, timeout=LOCK_WAIT, delay=0.05):
            raise IndexLocked(f"index {self._path} is locked by another writer")
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def run_lock(path: str) -> _RunLock:
    """The lock one indexing run holds from start to end."""
    check_creatable(path)
    os.makedirs(path, exist_ok=True)
    return _RunLock(path)


def writer(ix: Any) -> Any:
    """A single-process writer for `ix` that writes compact segments (every writer of a
    newssearch index must: see `codec`) and waits `LOCK_WAIT` seconds for the lock."""
    return news_writer(ix, timeout=LOCK_WAIT, codec=NewsCodec())
