"""Results as plain JSON documents, shared by `--format json` and the web API.

Each `*_record` function turns one of the library's result dataclasses into the JSON
object the README documents; `json_text` writes one as both send it. `clean` and `dumps`
make text safe to print: control characters (say, escape sequences in a file name) and
the bytes of a file name that are not UTF-8 are shown escaped, never sent as they are.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import datetime
from typing import Any

from newssearch.models import Hit, IndexReport, IndexStats, SearchResult, Story, Timeline

_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NOT_FOR_JSON = re.compile("[\x7f-\x9f\ud800-\udfff]")


def _escaped(char: str) -> str:
    """`\\xNN` for a control character or for a byte of a file name that is not UTF-8
    (Python hands those over as the surrogates U+DC80-U+DCFF), else `\\uNNNN`."""
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean(text: str) -> str:
    """Text safe to print on a terminal or in a CSV cell: control characters (escape
    sequences in a file name, say) and bytes of a file name that are not UTF-8 are
    shown escaped (`\\x1b`), never sent as they are."""
    if text.isprintable():
        return text
    return _UNPRINTABLE.sub(lambda m: _escaped(m.group()), text)


def dumps(doc: Any, *, indent: int | None = 2) -> str:
    """JSON text, valid whatever the data: C1 control characters escaped as well as C0
    (which JSON escapes itself), and a file name's bytes that are not UTF-8 given as the
    text `\\xNN` (as the other formats show them)."""
    text = json.dumps(doc, ensure_ascii=False, indent=indent)
    return _NOT_FOR_JSON.sub(lambda m: _json_escaped(m.group()), text)


def _json_escaped(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return "\\" + _escaped(char)  # a backslash in JSON, then xNN
    return f"\\u{code:04x}"


def iso(d: datetime | None) -> str | None:
    return d.isoformat() if d is not None else None


def hit_record(hit: Hit) -> dict[str, Any]:
    """A hit as the JSON object documented in the README."""
    return {
        "rank": hit.rank,
        "score": round(hit.score, 4),
        "code": hit.code,
        "date": iso(hit.date),
        "headline": hit.headline,
        "snippet": hit.snippet,
        "path": hit.path,
        "partial": hit.partial,
        "language": hit.language,
    }


def search_record(result: SearchResult) -> dict[str, Any]:
    """A page of search (or similar) results as the JSON document documented in the README."""
    return _unavailable(result.unavailable) | {
        "query": result.query,
        "total": result.total,
        "page": result.page,
        "limit": result.limit,
        "partial_total": result.partial_total,
        "hits": [hit_record(h) for h in result.hits],
        "suggestion": result.suggestion,
    }


def story_record(story: Story) -> dict[str, Any]:
    """A whole story as the JSON object documented in the README."""
    doc = asdict(story)
    doc["date"] = iso(story.date)
    return doc


def stats_record(stats: IndexStats) -> dict[str, Any]:
    """What an index holds, as the JSON object documented in the README."""
    return _unavailable(stats.unavailable) | {
        "stories": stats.stories,
        "first_date": iso(stats.first_date),
        "last_date": iso(stats.last_date),
        "per_year": {str(y): n for y, n in stats.per_year.items()},
        "per_language": stats.per_language,
        "size_bytes": stats.size_bytes,
        "roots": list(stats.roots),
    }


def timeline_record(timeline: Timeline) -> dict[str, Any]:
    """A timeline as the JSON object documented in the README."""
    return _unavailable(timeline.unavailable) | {
        "query": timeline.query,
        "by": timeline.by,
        "total": timeline.total,
        "buckets": [{"start": b.start.isoformat(), "count": b.count} for b in timeline.buckets],
        "undated": timeline.undated,
    }


def _unavailable(shards: tuple[str, ...]) -> dict[str, Any]:
    """`unavailable_shards`, first, for a cluster's answer that left some out."""
    return {"unavailable_shards": list(shards)} if shards else {}


def json_text(doc: dict[str, Any]) -> str:
    """A JSON document as `--format json` prints it (and the web API sends it)."""
    return dumps(doc) + "\n"


def report_record(report: IndexReport) -> dict[str, Any]:
    """An indexing report as the JSON object documented in the README."""
    doc = asdict(report)
    doc["seconds"] = round(report.seconds, 3)
    return doc
