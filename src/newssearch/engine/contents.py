"""What the index holds, read from its columns: each file's path, `sig` and story code.

An indexing run compares this with the files on disk (`indexing.plan`): an unchanged
file (same `sig`) is never read. Codes are read only when the run will change something
(`Contents.read_codes`), and tell where each story's documents are, so that replacing
a story deletes its old document by position (`writers.BatchWriter`).

A run over a million stories holds all of this at once, so a code is kept in one map
only: from the code to its spot (its segment and its place in the segment's lists,
packed in one number), where its path and document number are read.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

from newssearch.engine.segments import column_strings
from newssearch.errors import reads_index

_SHIFT = 32
"""A spot is `segment << 32 | place` (a segment holds fewer than 2**32 documents)."""
_PLACE = (1 << _SHIFT) - 1


@dataclass
class Contents:
    """What the index holds: each file path's `sig`; on request (`read_codes`), each
    story code's spot (a run that changes nothing needs none)."""

    sig: dict[str, str] = field(default_factory=dict)
    segments: list[tuple[str, list[str], Sequence[int]]] = field(default_factory=list)
    """Each segment's id, and the paths and numbers of its live documents."""
    _codes_of: list[list[str]] | None = None
    """Each segment's codes, in the order of its paths."""
    _spot: dict[str, int] = field(default_factory=dict)
    """Each code's spot (its first, for a code held more than once)."""
    _more: dict[str, list[int]] = field(default_factory=dict)
    """The further spots of a code held more than once (rare)."""

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
        spot, held = self._spot, 0
        for number, codes in enumerate(codes_of):
            first = number << _SHIFT
            spot.update(zip(codes, range(first, first + len(codes)), strict=False))
            held += len(codes)
        if len(spot) < held:  # some code is held more than once: keep each of its spots
            spot.clear()
            for number, codes in enumerate(codes_of):
                for at, code in enumerate(codes, number << _SHIFT):
                    if spot.setdefault(code, at) != at:
                        self._more.setdefault(code, []).append(at)

    def _segment_codes(self) -> list[list[str]]:
        if self._codes_of is None:
            raise RuntimeError("read_codes() first")
        return self._codes_of

    def _spots(self, code: str) -> list[int]:
        self._segment_codes()
        first = self._spot.get(code)
        return [] if first is None else [first, *self._more.get(code, ())]

    def places(self, code: str) -> list[tuple[str, int]]:
        """Where the documents with this code are, as (segment id, document number in
        the segment)."""
        found = []
        for at in self._spots(code):
            segment, _, docnums = self.segments[at >> _SHIFT]
            found.append((segment, docnums[at & _PLACE]))
        return found

    def paths(self, code: str) -> list[str]:
        """The indexed paths of the stories with this code."""
        return [self.segments[at >> _SHIFT][1][at & _PLACE] for at in self._spots(code)]

    def codes(self, paths: AbstractSet[str]) -> dict[str, str]:
        """The story codes of those of `paths` that are indexed (one pass over the index's
        paths)."""
        found: dict[str, str] = {}
        for (_, held, _), codes in zip(self.segments, self._segment_codes(), strict=True):
            wanted = list(map(paths.__contains__, held))
            found.update(zip(compress(held, wanted), compress(codes, wanted), strict=True))
        return found


@reads_index
def read_contents(ix: Any) -> Contents:
    """What the index holds, read from its columns (no stored documents)."""
    found = Contents()
    with ix.reader() as r:
        for leaf, _ in r.leaf_readers() if r.doc_count_all() else ():
            paths, sigs = column_strings(leaf, "path"), column_strings(leaf, "sig")
            docnums: Sequence[int] = range(len(paths))
            if leaf.has_deletions():  # (an array: a million numbers as ints take 36 MB)
                live = [n not in leaf.deleted_docs_set for n in docnums]
                docnums = array("L", compress(docnums, live))
                paths, sigs = list(compress(paths, live)), list(compress(sigs, live))
            found.sig.update(zip(paths, sigs, strict=True))
            found.segments.append((leaf.segment().segment_id(), paths, docnums))
    return found
