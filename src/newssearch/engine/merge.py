"""Merging segments a term at a time, in constant memory.

Whoosh merges a segment into a writer (`add_reader`) by putting every one of its
postings into the writer's pool: with `pool.TermPool` a merged segment's postings all
sit in memory until the new segment is written -- about 3 GB to merge 1,200,000 stories
into one segment, at a Python call per posting. `MergingPool` is a `TermPool` that is
told which segments are merged in (`merge_in`) instead, and reads them only when the new
segment is written: for each field, it walks the sorted terms of every merged segment and
of its own postings together, and hands the field writer one term at a time, with that
term's postings from every source renumbered and joined (`segments.read_whole`, a block
at a time). Memory then holds one term's postings, however large the merge.

The documents' stored fields and columns are still copied by Whoosh (`write_per_doc`),
which writes them to disk as it goes.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate, compress, pairwise
from typing import Any

from whoosh.reading import SegmentReader

from newssearch.engine.codec import NewsCodec
from newssearch.engine.pool import Postings, TermPool
from newssearch.engine.segments import is_compact, read_whole


@dataclass
class _Source:
    """A segment merged into the pool: its documents are renumbered by adding `base`,
    or (when it has deletions) by `renumber`, where a deleted document maps to -1."""

    storage: Any
    schema: Any
    segment: Any
    base: int
    renumber: array[int] | None


class MergingPool(TermPool):
    """A `TermPool` that merges whole segments in when the segment is written."""

    def __init__(self) -> None:
        super().__init__()
        self._sources: list[_Source] = []
        self._readers: list[Any] = []

    def merge_in(
        self, storage: Any, schema: Any, segment: Any, base: int, docmap: dict[int, int] | None
    ) -> bool:
        """Take the postings of `segment` (of `storage`), its documents numbered from
        `base` or by `docmap` (old number -> new, live documents only); False when the
        segment is not `NewsCodec`'s (the caller adds its postings one by one)."""
        if not isinstance(segment.codec(), NewsCodec):
            return False
        renumber = None
        if docmap is not None:
            renumber = array("i", [-1]) * segment.doc_count_all()
            for old, new in docmap.items():
                renumber[old] = new
        self._sources.append(_Source(storage, schema, segment, base, renumber))
        return True

    def terms(self) -> Iterator[tuple[str, Iterator[tuple[bytes, Postings]]]]:
        if not self._sources:
            yield from super().terms()
            return
        readers = self._readers
        try:
            for source in self._sources:
                readers.append(SegmentReader(source.storage, source.schema, source.segment))
            names = set(self._fields)
            for reader in readers:
                if not is_compact(reader):
                    raise ValueError(f"segment {reader.segment()} is not NewsCodec's")
                names.update(reader.indexed_field_names())
            for fieldname in sorted(names):
                yield fieldname, self._merged_terms(fieldname, readers)
        finally:
            self._close_readers()

    def _close_readers(self) -> None:
        readers, self._readers = self._readers, []
        for reader in readers:
            reader.close()

    def _merged_terms(self, fieldname: str, readers: list[Any]) -> Iterator[tuple[bytes, Postings]]:
        """The field's terms in order, each with its postings from every source."""
        own = self._fields.get(fieldname, {})
        streams: list[Iterator[tuple[bytes, int, Any]]] = [
            ((tbytes, -1, own[tbytes]) for tbytes in sorted(own))
        ]
        for i, reader in enumerate(readers):
            if fieldname in reader.indexed_field_names():
                streams.append(_numbered(reader.iter_field(fieldname), i))
        fixed = readers[0].schema[fieldname].format.fixed_value_size()
        merged = heapq.merge(*streams)  # (term, source) pairs are unique: never compares more
        term = None
        postings = None
        for tbytes, i, found in merged:
            if tbytes != term:
                if postings:  # (not when every posting was of a deleted document)
                    yield term, postings  # type: ignore[misc]
                term = tbytes
                if i < 0:
                    found.sort()
                    postings = found
                    continue
                postings = Postings()
            assert postings is not None
            self._add_source(postings, readers[i], self._sources[i], found, fixed)
        if postings:
            yield term, postings  # type: ignore[misc]

    @staticmethod
    def _add_source(
        postings: Postings, reader: Any, source: _Source, info: Any, fixed: int | None
    ) -> None:
        """Append a source segment's postings of a term (its documents come after every
        document already in `postings`)."""
        ids, weights, lengths, joined = read_whole(reader, info, fixed)
        if source.renumber is not None:
            renumber = source.renumber
            new_ids = [renumber[d] for d in ids]
            kept = [d >= 0 for d in new_ids]
            if not all(kept):
                ends = list(accumulate(lengths, initial=0))
                joined = b"".join(joined[a:b] for a, b in compress(pairwise(ends), kept))
                weights = array("f", compress(weights, kept))
                lengths = array("I", compress(lengths, kept))
                new_ids = list(compress(new_ids, kept))
            docs: Any = new_ids
        else:
            docs = map(source.base.__add__, ids)
        start = len(postings.docs)
        postings.docs.extend(docs)
        if start and len(postings.docs) > start and postings.docs[start - 1] > postings.docs[start]:
            raise ValueError("merged segments must follow the documents added before them")
        postings.weights.extend(weights)
        ends_from = accumulate(lengths, initial=len(postings.values))
        next(ends_from)
        postings.ends.extend(ends_from)
        postings.values += joined

    def cleanup(self) -> None:
        super().cleanup()
        self._close_readers()  # (a segment that failed half-way leaves them open)
        self._sources = []


def _numbered(terms: Iterator[tuple[bytes, Any]], source: int) -> Iterator[tuple[bytes, int, Any]]:
    for tbytes, info in terms:
        yield tbytes, source, info
