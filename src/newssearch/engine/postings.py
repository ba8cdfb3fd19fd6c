"""One word's postings across a searcher's segments, read in bulk for `scoring`.

`read_term` gathers a word's live postings in a field from every segment (through
`segments.read_postings`, a block at a time) into a `TermPostings`: story numbers in
ascending order and their weights, with the word's largest weight and shortest field
length for `scoring`'s ceilings. `field_lengths` reads a segment's one-byte field
lengths in one piece.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from whoosh import columns
from whoosh.util.numeric import length_to_byte

from newssearch.engine.segments import is_compact, read_postings, term_infos


class TermPostings:
    """One word's postings in one field across the searcher's segments: the live stories
    holding it in ascending order, and its weight in each. The set and map of them are
    made only when asked for (on a common word each costs more than the reading)."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.weights: list[float] = []
        self.max_weight = 0.0
        """The largest weight (Whoosh's term statistics, deleted stories included)."""
        self.min_length = 0
        """The shortest field length, as its one byte (0 when there are no postings)."""
        self._set: set[int] | None = None
        self._map: dict[int, float] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def docs(self) -> set[int]:
        if self._set is None:
            self._set = set(self.ids)
        return self._set

    def weights_of(self, among: AbstractSet[int]) -> dict[int, float]:
        """Story -> weight for each story of `among` holding the word: by binary search
        when `among` is a small share of the postings, else from a map of them all."""
        if self._map is None and len(among) * _SEARCH_SHARE < len(self.ids):
            ids, weights, n = self.ids, self.weights, len(self.ids)
            found = {}
            for d in among:
                i = bisect.bisect_left(ids, d)
                if i < n and ids[i] == d:
                    found[d] = weights[i]
            return found
        if self._map is None:
            self._map = dict(zip(self.ids, self.weights, strict=True))
        known = self._map
        return {d: known[d] for d in common(among, known.keys())}


_SEARCH_SHARE = 16
"""`weights_of` searches when the stories asked about are fewer than 1/this of the
postings (a binary search costs about as much as this many map entries made)."""


def read_term(
    searcher: Any,
    fieldname: str,
    text: str,
    within: Sequence[int] | None = None,
    *,
    deleted: dict[int, set[int]] | None = None,
) -> TermPostings | None:
    """The word's postings in the field, for every live story holding it (or, with
    `within`, sorted story numbers, at least those of them: blocks holding none are not
    read); None when a segment is not `NewsCodec`'s. `deleted` keeps each segment's
    deleted story numbers (by its first story number) between calls."""
    found = TermPostings()
    lengths = []
    for reader, offset, info in term_infos(searcher, fieldname, text):
        if not is_compact(reader):
            return None
        wanted = None if within is None else holding(within, offset)
        ids, weights = read_postings(reader, info, wanted, base=offset)
        if reader.has_deletions():
            # the few deleted stories are cut out of the sorted lists, instead of testing
            # every posting in Python
            gone = _deleted(reader, offset, {} if deleted is None else deleted)
            for d in sorted(gone.intersection(ids), reverse=True):
                i = bisect.bisect_left(ids, d)
                del ids[i], weights[i]
        found.ids += ids
        found.weights += weights
        found.max_weight = max(found.max_weight, info.max_weight())
        lengths.append(length_to_byte(info.min_length()))
    found.min_length = min(lengths, default=0)
    return found


def _deleted(reader: Any, offset: int, known: dict[int, set[int]]) -> set[int]:
    """The story numbers of a segment's deleted stories (`known` keeps them)."""
    found = known.get(offset)
    if found is None:
        found = known[offset] = {d + offset for d in reader.deleted_docs_set}
    return found


def holding(docs: Sequence[int], offset: int) -> Callable[[int, int], bool]:
    """A test of whether a block of a segment starting at `offset` holds one of `docs`
    (sorted story numbers), given the block's first and last story number."""

    def holds(first: int, last: int) -> bool:
        i = bisect.bisect_left(docs, first + offset)
        return i < len(docs) and docs[i] <= last + offset

    return holds


def common(a: AbstractSet[int], b: AbstractSet[int]) -> AbstractSet[int]:
    """The stories in both, looking the smaller set's members up in the larger."""
    if a is b:
        return a
    if isinstance(a, set) and isinstance(b, set):
        return a & b
    if len(a) > len(b):
        a, b = b, a
    return {d for d in a if d in b}


def field_lengths(reader: Any, fieldname: str) -> array[int]:
    """The one-byte field lengths of a segment's stories, read in one piece (Whoosh's
    column reader unpacks them one at a time)."""
    column = reader._perdoc._cached_reader(f"_{fieldname}_len", _LENGTHS)
    packed = array("B")
    if isinstance(column, columns.NumericColumn.Reader):
        packed.frombytes(column._dbfile.get(column._basepos, column._count))
    packed.frombytes(bytes(reader.doc_count_all() - len(packed)))
    return packed


_LENGTHS = columns.NumericColumn("B", default=0)
