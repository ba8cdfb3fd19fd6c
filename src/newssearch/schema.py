"""The Whoosh schema, in one place.

Fields:

* `code` -- the story code, the unique key (`update_document` replaces by it);
* `headline`, `body` -- stemmed text, stored for display (their weights are set at query
  time, in `ranking`); the headline's unstemmed words also feed spelling suggestions;
* `date` -- publication time, stored and sortable; `undated` (0/1) sorts stories without
  a date after the dated ones whichever way the dates run;
* `path` -- the file's absolute path, stored, indexed and a column, so the indexer can
  delete by path and read every path without loading stored documents;
* `sig` -- `mtime_ns:size` of the file when indexed, a column: incremental runs compare
  it with a fresh `stat` and parse nothing that is unchanged.

`SCHEMA_VERSION` is written beside the index; an index with another version must be
rebuilt with `newssearch index --full`.
"""

from __future__ import annotations

from whoosh import analysis, fields

SCHEMA_VERSION = 2


def make_schema() -> fields.Schema:
    """Build the schema a newssearch index uses."""
    analyzer = analysis.StemmingAnalyzer()
    return fields.Schema(
        code=fields.ID(stored=True, unique=True, sortable=True),
        headline=fields.TEXT(analyzer=analyzer, stored=True, spelling=True),
        body=fields.TEXT(analyzer=analyzer, stored=True),
        date=fields.DATETIME(stored=True, sortable=True),
        undated=fields.NUMERIC(int, bits=8, sortable=True),
        path=fields.ID(stored=True, sortable=True),
        sig=fields.ID(sortable=True),
    )
