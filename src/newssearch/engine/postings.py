"""One word's postings across a searcher's segments, read in bulk for `scoring`.

`read_term` gathers a word's live postings in a field from every segment (through
`segments.read_postings`, a block at a time) into a `TermPostings`: story numbers in
ascending order and their weights, with the word's largest weight and shortest field
length for `scoring`'s ceilings. `field_lengths` reads a segment's one-byte field
lengths in one piece.
"""

from __future__ import annotations

import bisect
import weakref
from array import array
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from itertools import compress
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
) -> TermPostings | None:
    """The word's postings in the field, for every live story holding it (or, with
    `within`, sorted story numbers, at least those of them: blocks holding none are not
    read); None when a segment is not `NewsCodec`'s."""
    found = TermPostings()
    lengths = []
    for reader, offset, info in term_infos(searcher, fieldname, text):
        if not is_compact(reader):
            return None
        wanted = None if within is None else holding(within, offset)
        ids, weights = read_postings(reader, info, wanted, base=offset)
        if ids and reader.has_deletions():
            ids, weights = _live(ids, weights, reader.deleted_docs_set, offset)
        found.ids += ids
        found.weights += weights
        found.max_weight = max(found.max_weight, info.max_weight())
        lengths.append(length_to_byte(info.min_length()))
    found.min_length = min(lengths, default=0)
    return found


def _live(
    ids: list[int], weights: list[float], deleted: AbstractSet[int], offset: int
) -> tuple[list[int], list[float]]:
    """The postings of live stories, given a segment's deleted documents and its first
    story number. A re-run that replaces 1% of the stories leaves deletions in every
    segment, and testing each posting of a common word against them took a third of the
    time of a search: when the postings far outnumber the deletions, each deletion is
    looked up among the postings instead (a binary search costs about as much as
    testing `_PER_SEARCH` postings), and the postings between them are kept in slices."""
    n = len(ids)
    if len(deleted) * _PER_SEARCH >= n:
        keep = [d - offset not in deleted for d in ids]
        return list(compress(ids, keep)), list(compress(weights, keep))
    drop = []
    for d in sorted(deleted):
        i = bisect.bisect_left(ids, d + offset)
        if i < n and ids[i] == d + offset:
            drop.append(i)
    if not drop:
        return ids, weights
    kept_ids: list[int] = []
    kept_weights: list[float] = []
    for a, b in zip([0, *(i + 1 for i in drop)], [*drop, n], strict=True):
        kept_ids += ids[a:b]
        kept_weights += weights[a:b]
    return kept_ids, kept_weights


_PER_SEARCH = 8
"""`_live` searches for each deletion when the postings are more than this many times
as many."""


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
    column reader unpacks them one at a time), once per segment reader."""
    known = _lengths.setdefault(reader, {})
    packed = known.get(fieldname)
    if packed is None:
        column = reader._perdoc._cached_reader(f"_{fieldname}_len", _LENGTHS)
        packed = known[fieldname] = array("B")
        if isinstance(column, columns.NumericColumn.Reader):
            packed.frombytes(column._dbfile.get(column._basepos, column._count))
        packed.frombytes(bytes(reader.doc_count_all() - len(packed)))
    return packed


_lengths: weakref.WeakKeyDictionary[Any, dict[str, array[int]]] = weakref.WeakKeyDictionary()


_LENGTHS = columns.NumericColumn("B", default=0)
