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

The documents' columns, field lengths and stored fields are copied as they are stored
(`copy_documents`): Whoosh's `write_per_doc` unpickles and inflates every story's
stored fields to write them again, and looks for a length column on disk for each field
of each story, which took two thirds of a merge.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from whoosh import columns
from whoosh.codec import whoosh3
from whoosh.reading import SegmentReader
from whoosh.util.numeric import byte_to_length

from newssearch.engine.codec import NewsCodec
from newssearch.engine.pool import Postings, TermPool
from newssearch.engine.postings import field_lengths
from newssearch.engine.segments import (
    column_numbers,
    column_reader,
    is_compact,
    read_whole,
)


@dataclass
class _Source:
    """A segment merged into the pool."""

    storage: Any
    schema: Any
    segment: Any
    base: int
    renumber: array[int] | None
    """When the segment has deletions, each document's new number (-1: deleted); else
    the documents are numbered on from `base`."""


class MergingPool(TermPool):
    """A `TermPool` that merges whole segments in when the segment is written."""

    def __init__(self) -> None:
        super().__init__()
        self._sources: list[_Source] = []
        self._readers: list[Any] = []

    def merge_in(
        self,
        storage: Any,
        schema: Any,
        segment: Any,
        base: int,
        docmap: dict[int, int] | array[int] | None,
    ) -> bool:
        """Take the postings of `segment` (of `storage`), its documents numbered from
        `base` or by `docmap` (old number -> new: Whoosh's dict of the live documents, or
        `DocumentCopy`'s array); False when the segment is not `NewsCodec`'s (the caller
        adds its postings one by one)."""
        if not isinstance(segment.codec(), NewsCodec):
            return False
        renumber = docmap if isinstance(docmap, array) else None
        if isinstance(docmap, dict):
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
                streams.append(_field_terms(reader, fieldname, i))
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
        docs: Any = map(source.base.__add__, ids)
        if source.renumber is not None:
            docs, weights, lengths, joined = _live_postings(
                ids, weights, lengths, joined, source.renumber
            )
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


class DocumentCopy:
    """Copies the live documents of a segment (`is_compact`) to the end of the segment a
    writer is writing, as Whoosh's `SegmentWriter.write_per_doc` does, but as they are
    stored: text columns and stored fields byte for byte, numeric columns and one-byte
    field lengths from their arrays. Make one with `plan`, which says None for a segment
    holding what this does not copy (term vectors, a column not laid out as Whoosh lays
    out its own): the caller then copies it Whoosh's way.

    A field's total length is carried over exactly (Whoosh adds up the one-byte
    approximations of its stories' lengths, so a merged segment's average length drifts
    from its stories'); a deleted story's length is taken from its one byte."""

    def __init__(
        self,
        texts: list[tuple[str, Any, Callable[[int], bytes]]],
        numbers: list[tuple[str, Any, array[int]]],
        lengths: list[tuple[str, array[int]]],
        stored: Callable[[int], bytes],
        stored_column: Any,
    ) -> None:
        self._texts = texts
        self._numbers = numbers
        self._lengths = lengths
        self._stored = stored
        self._stored_column = stored_column

    @classmethod
    def plan(cls, writer: Any, reader: Any) -> DocumentCopy | None:
        """How to copy the documents of `reader`'s segment into `writer`'s, or None."""
        schema = writer.schema
        texts, numbers, lengths = [], [], []
        for name in schema.names():
            field = schema[name]
            if field.vector:
                return None
            if field.column_type and reader.has_column(name):
                if isinstance(field.column_type, columns.VarBytesColumn):
                    value = column_reader(reader, name)
                    if value is None:
                        return None
                    texts.append((name, field.column_type, value))
                elif isinstance(field.column_type, columns.NumericColumn):
                    found = column_numbers(reader, name)
                    if found is None:
                        return None
                    numbers.append((name, field.column_type, found))
                else:
                    return None
            if field.scorable:
                lengths.append((name, field_lengths(reader, name)))
        stored = column_reader(reader, "_stored")
        stored_column = writer.perdocwriter._get_column("_stored")._child
        if stored is None or not isinstance(stored_column, columns.CompressedBytesColumn.Writer):
            return None
        return cls(texts, numbers, lengths, stored, stored_column)

    def copy(self, writer: Any, reader: Any) -> array[int] | None:
        """Copy the documents; each old document's new number (-1 for a deleted one),
        or None when there are no deletions (the numbers then follow on)."""
        pdw = writer.perdocwriter
        count = reader.doc_count_all()
        deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
        renumber = array("i", [-1]) * count if deleted else None
        lengths = [(f"_{name}_len", packed) for name, packed in self._lengths]
        add_stored = columns.VarBytesColumn.Writer.add  # the bytes as stored: no deflating
        new = writer.docnum
        for old in range(count):
            if old in deleted:
                continue
            pdw.start_doc(new)
            for name, column, value in self._texts:
                pdw.add_column_value(name, column, value(old))
            for name, column, values in self._numbers:
                pdw.add_column_value(name, column, values[old])
            for length_name, packed in lengths:
                if packed[old]:
                    pdw.add_column_value(length_name, _LENGTHS, packed[old])
            raw = self._stored(old)
            if raw:
                add_stored(self._stored_column, new, raw)
            pdw.finish_doc()
            if renumber is not None:
                renumber[old] = new
            new += 1
        writer.docnum = new
        for name, packed in self._lengths:
            gone = sum(byte_to_length(packed[d]) for d in deleted)
            pdw._fieldlengths[name] += reader.field_length(name) - gone
        return renumber


_LENGTHS = whoosh3.LENGTHS_COLUMN
"""W3's column of one-byte field lengths."""


def _live_postings(
    ids: list[int],
    weights: array[float],
    lengths: array[int],
    joined: bytes,
    renumber: array[int],
) -> tuple[list[int], array[float], array[int], bytes]:
    """A term's postings in a segment with deletions, renumbered, without those of
    deleted documents (`renumber` maps them to -1). Deletions are few: most terms lose
    no posting, and the others keep their weights, lengths and values in the runs
    between the postings they lose."""
    new_ids = [renumber[d] for d in ids]
    if min(new_ids) >= 0:
        return new_ids, weights, lengths, joined
    drop = [i for i, d in enumerate(new_ids) if d < 0]
    ends = list(accumulate(lengths, initial=0))
    kept_weights, kept_lengths, parts = array("f"), array("I"), []
    for start, stop in zip([0, *(i + 1 for i in drop)], [*drop, len(ids)], strict=True):
        kept_weights += weights[start:stop]
        kept_lengths += lengths[start:stop]
        parts.append(joined[ends[start] : ends[stop]])
    kept_ids = [d for d in new_ids if d >= 0]
    return kept_ids, kept_weights, kept_lengths, b"".join(parts)


def _field_terms(reader: Any, fieldname: str, source: int) -> Iterator[tuple[bytes, int, Any]]:
    """A segment's terms of a field in order, with the source's number and term info.
    (Whoosh's `iter_field` turns its empty prefix into a term first, which a numeric
    field refuses.)"""
    for (name, tbytes), info in reader._terms.items_from(fieldname, b""):
        if name != fieldname:
            return
        yield tbytes, source, info
