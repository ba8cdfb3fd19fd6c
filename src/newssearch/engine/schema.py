"""The Whoosh schema, in one place.

Fields:

* `code` -- the story code, the unique key (`update_document` replaces by it);
* `headline`, `body` -- stemmed text, stored for display (their weights are set at query
  time, in `ranking`); the headline's unstemmed words also feed spelling suggestions.
  Both are `postings.FastText`, indexed by a fast path that makes the same words as
  the analyzer that queries and highlighting use;
* `date` -- publication time, stored and a column, not indexed: date limits and sorting
  read the column, which is far smaller and faster than Whoosh's 16 trie terms a date;
  `undated` (0/1), a column, sorts stories without a date after the dated ones whichever
  way the dates run;
* `path` -- the file's absolute path, a column only (not indexed: the indexer deletes
  by code; not stored: the column already holds it), so the indexer reads every path
  without loading stored documents;
* `language` -- "en", "fa", "ar" or "other", stored, indexed (`--lang` filters by it)
  and a column (counted per language by `stats`);
* `sig` -- `mtime_ns:size:ctime_ns:inode` of the file when indexed, a column: incremental
  runs compare it with a fresh `stat` and parse nothing that is unchanged.

Segments are written by `codec.NewsCodec`. `SCHEMA_VERSION` is written beside the index;
an index with another version must be rebuilt with `newssearch index --full`.
"""

from __future__ import annotations

import functools
from typing import Any

from whoosh import fields

from newssearch.engine.fields import FastText, make_analyzer
from newssearch.models import Story

SCHEMA_VERSION = 7


class PathField(fields.ID):  # type: ignore[misc]
    """A file path as a column: any bytes a file name may hold (a name that is not UTF-8
    comes from the file system as text with `surrogateescape`) go in and come back."""

    def to_bytes(self, value: str) -> bytes:
        return value.encode("utf-8", "surrogateescape")

    def from_bytes(self, bs: bytes) -> str:
        return bs.decode("utf-8", "surrogateescape")


def _unindexed(field: Any) -> Any:
    field.indexed = False
    return field


def make_schema() -> fields.Schema:
    """Build the schema a newssearch index uses."""
    analyzer = make_analyzer()
    return fields.Schema(
        code=fields.ID(stored=True, unique=True, sortable=True),
        headline=FastText(analyzer, spelling=True),
        body=FastText(analyzer),
        date=_unindexed(fields.DATETIME(stored=True, sortable=True)),
        undated=_unindexed(fields.NUMERIC(int, bits=8, sortable=True)),
        path=_unindexed(PathField(sortable=True)),
        sig=_unindexed(fields.ID(sortable=True)),
        language=fields.ID(stored=True, sortable=True),
    )


@functools.cache
def query_schema() -> fields.Schema:
    """The schema of this version, made once: `store.open_index` has checked that an
    index has it too, and parsing with it saves re-reading the index's table of
    contents for every query."""
    return make_schema()


def document(story: Story, sig: str) -> dict[str, Any]:
    """The fields of a story's document (`sig`: `stories.files.sig_of` its file)."""
    return {
        "code": story.code,
        "headline": story.headline,
        "body": story.body,
        "date": story.date,
        "undated": int(story.date is None),
        "path": story.path,
        "sig": sig,
        "language": story.language,
    }
