"""What the index holds, read from its columns: each file's path, `sig` and story code.

An indexing run compares this with the files on disk (`indexing.plan`): an unchanged
file (same `sig`) is never read. Codes are read only when the run will change something
(`Contents.read_codes`), and tell where each story's documents are, so that replacing
a story deletes its old document by position (`writers.BatchWriter`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

from newssearch.engine.segments import column_strings
from newssearch.errors import reads_index


@dataclass
class Contents:
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

    @classmethod
    def empty(cls) -> Contents:
        """An index holding nothing (what a full rebuild starts from)."""
        return cls(_codes_of=[])

    @reads_index
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


@reads_index
def read_contents(ix: Any) -> Contents:
    """What the index holds, read from its columns (no stored documents)."""
    found = Contents()
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
