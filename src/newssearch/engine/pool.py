"""A segment's postings gathered in memory, term by term.

Whoosh's writer puts every posting of a segment into a `PostingPool` as a tuple
`(field, term, docnum, weight, value)`, spills sorted runs of them to temporary files
with `marshal` once an estimated size is passed, and merges the runs back with a heap:
in a profile of a full Reuters run that external sort was 45% of the indexing time.

`TermPool` keeps each term's postings as packed arrays instead (document numbers,
weights, and the values as one byte string with their end offsets): about 16 bytes a
posting, so a segment's postings fit in memory and nothing is sorted but the terms.
`NewsCodec`'s field writer reads it a whole term at a time (`TermPool.terms`); anything
else can iterate it in Whoosh's sorted tuple order.

`news_writer` opens a `SegmentWriter` that uses it; `parallel.SafeMpWriter` and its
workers do the same.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

from whoosh import writing


class Postings:
    """One term's postings in the order they were added."""

    __slots__ = ("docs", "ends", "values", "weights")

    def __init__(self) -> None:
        self.docs = array("I")
        self.weights = array("f")
        self.values = bytearray()
        self.ends = array("I")

    def __len__(self) -> int:
        return len(self.docs)

    def sort(self) -> None:
        """Order by document number: documents arrive in order, but postings merged in
        from other segments need not."""
        docs = self.docs
        if len(docs) < 2 or all(a <= b for a, b in pairwise(docs)):
            return
        order = sorted(range(len(docs)), key=docs.__getitem__)
        values = self.value_list()
        self.docs = array("I", (docs[i] for i in order))
        self.weights = array("f", (self.weights[i] for i in order))
        self.values = bytearray(b"".join(values[i] for i in order))
        self.ends = array("I")
        end = 0
        for i in order:
            end += len(values[i])
            self.ends.append(end)

    def value_list(self) -> list[bytes]:
        values, start = self.values, 0
        found = []
        for end in self.ends:
            found.append(bytes(values[start:end]))
            start = end
        return found


class TermPool:
    """Drop-in for Whoosh's `PostingPool` (the parts a `SegmentWriter` uses)."""

    def __init__(self) -> None:
        self._fields: dict[str, dict[bytes, Postings]] = {}
        self.fieldnames: set[str] = set()

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        postings = terms.get(tbytes)
        if postings is None:
            postings = terms[tbytes] = Postings()
        postings.docs.append(docnum)
        postings.weights.append(weight)
        if vbytes:
            postings.values += vbytes
        postings.ends.append(len(postings.values))

    def terms(self) -> Iterator[tuple[str, Iterator[tuple[bytes, Postings]]]]:
        """Each field in order, with its terms in order and their postings."""
        for fieldname in sorted(self._fields):
            yield fieldname, self._field_terms(self._fields[fieldname])

    def _field_terms(self, terms: dict[bytes, Postings]) -> Iterator[tuple[bytes, Postings]]:
        for tbytes in sorted(terms):
            postings = terms[tbytes]
            postings.sort()
            yield tbytes, postings

    def iter_postings(self) -> TermPool:
        return self

    def __iter__(self) -> Iterator[tuple[str, bytes, int, float, bytes]]:
        for fieldname, terms in self.terms():
            for tbytes, postings in terms:
                values = postings.value_list()
                for docnum, weight, value in zip(
                    postings.docs, postings.weights, values, strict=True
                ):
                    yield fieldname, tbytes, docnum, weight, value

    def cleanup(self) -> None:
        self._fields = {}


def use_term_pool(writer: Any) -> Any:
    """Give a new `SegmentWriter` (or subclass) a `TermPool`; returns the writer."""
    writer.pool = TermPool()
    return writer


def news_writer(ix: Any, **options: Any) -> Any:
    """`ix.writer(**options)` with a `TermPool`."""
    return use_term_pool(writing.SegmentWriter(ix, **options))
