"""Defaults the command line shows in `--help`, in a module that imports nothing heavy."""

from __future__ import annotations

import os

DEFAULT_INDEX = "index"
"""Where the index lives when neither `--index` nor `$NEWSSEARCH_INDEX` says."""

BATCH_SIZE = 30_000
"""Stories written per commit: a killed run loses at most this much work, and each
commit adds a segment per worker process."""


def default_index_path() -> str:
    """`$NEWSSEARCH_INDEX` if set, else `./index`."""
    return os.environ.get("NEWSSEARCH_INDEX") or DEFAULT_INDEX
