"""One word's postings across a searcher's segments, read in bulk as arrays.

`read_term` gathers a word's live postings in a field from every segment (through
`segments.posting_arrays`, a block at a time) into a `TermPostings`: story numbers in
ascending order and their weights, as numpy arrays, with the word's largest weight and
shortest field length for `scoring`'s ceilings. `field_lengths` reads a segment's
one-byte field lengths in one piece.

At a million stories a common word has hundreds of thousands of postings, and any work
done per posting in Python (a gap added, a set entry made) costs more than a search may;
so story numbers are summed from their gaps, filtered of deleted stories and looked up
by whole arrays.
"""

from __future__ import annotations

import bisect
import weakref
from array import array
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh import columns
from whoosh.util.numeric import length_to_byte

from newssearch.engine.segments import is_compact, posting_arrays, term_infos

Numbers = npt.NDArray[np.int64]
"""Story numbers, ascending."""


class TermPostings:
    """One word's postings in one field across the searcher's segments: the live stories
    holding it in ascending order, and its weight in each."""

    def __init__(self, ids: Numbers, weights: npt.NDArray[np.float64]) -> None:
        self.ids = ids
        self.weights = weights
        self.max_weight = 0.0
        """The largest weight (Whoosh's term statistics, deleted stories included)."""
        self.min_length = 0
        """The shortest field length, as its one byte (0 when there are no postings)."""

    def __len__(self) -> int:
        return len(self.ids)

    def weights_at(self, docs: Numbers) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
        """Which of `docs` hold the word, and the word's weight in each (0 where not)."""
        at = np.searchsorted(self.ids, docs)
        held = at < len(self.ids)
        held[held] = self.ids[at[held]] == docs[held]
        weights = np.zeros(len(docs))
        weights[held] = self.weights[at[held]]
        return held, weights


def numbers(docs: Iterable[int] | AbstractSet[int]) -> Numbers:
    """Story numbers as an array (in the order given)."""
    if isinstance(docs, np.ndarray):
        return docs.astype(np.int64, copy=False)
    if isinstance(docs, AbstractSet):
        return np.fromiter(docs, np.int64, len(docs))
    return np.fromiter(docs, np.int64)


def read_term(
    searcher: Any,
    fieldname: str,
    text: str,
    within: Sequence[int] | None = None,
) -> TermPostings | None:
    """The word's postings in the field, for every live story holding it (or, with
    `within`, sorted story numbers, at least those of them: blocks holding none are not
    read); None when a segment is not `NewsCodec`'s."""
    id_parts = []
    weight_parts = []
    lengths = []
    max_weight = 0.0
    for reader, offset, info in term_infos(searcher, fieldname, text):
        if not is_compact(reader):
            return None
        wanted = None if within is None else holding(within, offset)
        ids, weights = posting_arrays(reader, info, wanted)
        if len(ids) and reader.has_deletions():
            live = live_mask(reader)[ids]
            ids, weights = ids[live], weights[live]
        id_parts.append(ids + offset)
        weight_parts.append(weights)
        max_weight = max(max_weight, info.max_weight())
        lengths.append(length_to_byte(info.min_length()))
    found = TermPostings(
        np.concatenate(id_parts) if id_parts else np.zeros(0, np.int64),
        np.concatenate(weight_parts) if weight_parts else np.zeros(0, np.float64),
    )
    found.max_weight = max_weight
    found.min_length = min(lengths, default=0)
    return found


def live_mask(reader: Any) -> npt.NDArray[np.bool_]:
    """Which of a segment's documents are not deleted, by document number (once per
    segment reader: its deletions do not change)."""
    mask = _live.get(reader)
    if mask is None:
        mask = np.ones(reader.doc_count_all(), np.bool_)
        mask[numbers(reader.deleted_docs_set)] = False
        _live[reader] = mask
    return mask


_live: weakref.WeakKeyDictionary[Any, npt.NDArray[np.bool_]] = weakref.WeakKeyDictionary()


def holding(docs: Sequence[int], offset: int) -> Callable[[int, int], bool]:
    """A test of whether a block of a segment starting at `offset` holds one of `docs`
    (sorted story numbers), given the block's first and last story number."""

    def holds(first: int, last: int) -> bool:
        i = bisect.bisect_left(docs, first + offset)
        return i < len(docs) and docs[i] <= last + offset

    return holds


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
