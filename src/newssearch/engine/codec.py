"""Whoosh's W3 codec with compact posting blocks.

`NewsCodec` writes each term's postings in the blocks that `blocks` lays out, in place
of W3's pickled tuples, and reads them back into what W3's matcher expects
(`LeafMatcher`). Block info, term files, stored fields and columns are W3's own, so
everything else Whoosh does works unchanged. Segments are filled from a
`pool.TermPool` a term at a time (`_FieldWriter`); a term whose postings fit one block
is written in one call (`_PostingsWriter.write_term`), as most terms of a small segment
are.

Its segments (`files.NewsSegment`) are read in place from their memory maps. An index
remembers the codec that wrote each segment, so every writer that adds to a
newssearch index must be given `NewsCodec()` (see `indexer.new_writer`).
"""

from __future__ import annotations

import struct
from typing import Any

from whoosh.codec import whoosh3
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length

from newssearch.engine import blocks
from newssearch.engine.files import NewsSegment
from newssearch.engine.pool import TermPool

BLOCK_LIMIT = 512
"""Postings per block (W3's 128 makes reading a common word's postings cost more in
blocks than in postings)."""


class _PostingsWriter(whoosh3.W3PostingsWriter):  # type: ignore[misc]
    _joined: tuple[list[int], bytes] | None
    """A block's value lengths and values, when added by `add_postings`."""
    _ids: Any
    _weights: Any
    _values: list[bytes]
    _maxweight: float
    _minlength: int | None
    _maxlength: int
    _fixed: int | None
    """The value size of the format `use_format` gave (None: values vary in size)."""

    def add_posting(
        self, id_: int, weight: float, vbytes: bytes, length: int | None = None
    ) -> None:
        # W3's, without its four type assertions per posting
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)
        if length:
            if self._minlength is None or length < self._minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length

    def add_postings(self, postings: Any, lengths: list[int] | None) -> None:
        """Add a term's postings from a `pool.TermPool` (`lengths`: each document's
        length in this field, None when the field keeps none)."""
        limit = self._blocklimit
        docs, weights, ends = postings.docs, postings.weights, postings.ends
        fixed = self._format.fixed_value_size() is not None
        values = postings.value_list() if fixed else None
        for start in range(0, len(docs), limit):
            if self._ids:
                self._write_block()
            stop = start + limit
            self._ids = docs[start:stop]
            self._weights = weights[start:stop]
            self._maxweight = max(0.0, max(self._weights))
            if values is not None:
                self._values = [v for v in values[start:stop] if v]
            else:
                first = ends[start - 1] if start else 0
                block_ends = ends[start:stop]
                self._joined = (
                    [b - a for a, b in zip([first, *block_ends], block_ends, strict=False)],
                    bytes(postings.values[first : block_ends[-1]]),
                )
            low, high = blocks.length_range(lengths, self._ids)
            if low is not None:
                self._minlength, self._maxlength = low, high

    def write_term(self, postings: Any, lengths: list[int] | None) -> bytes:
        """Write a term whose postings fit in one block and need no fitting to size
        (`fits_one_block`), and return its term info's bytes: what `start_postings`,
        `add_postings` and `finish_postings` write, in a fraction of the calls -- most
        terms of a small segment have a posting or two."""
        docs, weights, ends = postings.docs, postings.weights, postings.ends
        if len(docs) == 1:
            known = lengths[docs[0]] if lengths is not None else 0
            minlength, maxlength = (known, known) if known else (None, 0)
            maxweight = max(0.0, weights[0])
            value_lengths: list[int] | None = list(ends)
        else:
            minlength, maxlength = blocks.length_range(lengths, docs)
            maxweight = max(0.0, max(weights))
            value_lengths = [b - a for a, b in zip([0, *ends], ends, strict=False)]
        fixed = self._fixed
        if fixed is None:
            joined = bytes(postings.values)
        else:
            value_lengths, joined = None, blocks.fitted(postings.value_list(), fixed, len(docs))
        block = blocks.encode(
            docs, weights, maxweight, minlength, maxlength, value_lengths, joined, self._compression
        )
        postfile = self._postfile
        start = postfile.tell()
        written = _START_BLOCK + pack_int(-len(block)) + block
        postfile.write(written)
        stats: bytes = _TERM_INFO.pack(
            False,
            sum(weights),
            len(docs),
            blocks.length_byte(minlength),
            blocks.length_byte(maxlength),
            maxweight,
            docs[0],
            docs[-1],
        )
        extent: bytes = pack_long(start) + pack_int(len(written))
        return stats + extent

    def use_format(self, format_: Any) -> None:
        """Write the terms of a field with this format next (`write_term`)."""
        self._format = format_
        self._fixed = format_.fixed_value_size()

    def fits_one_block(self, postings: Any) -> bool:
        """Whether `write_term` can write these postings."""
        fits: bool = len(postings.docs) <= self._blocklimit
        return fits

    def _new_block(self) -> None:
        super()._new_block()
        self._joined = None

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(whoosh3.WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        values = self._values
        fixed = self._format.fixed_value_size()
        value_lengths: list[int] | None
        if self._joined is not None:
            value_lengths, joined = self._joined
        elif fixed is None:
            value_lengths, joined = [len(v) for v in values], b"".join(values)
        else:
            value_lengths, joined = None, blocks.fitted(values, fixed, len(self._ids))
        block = blocks.encode(
            self._ids,
            self._weights,
            self._maxweight,
            self._minlength,
            self._maxlength,
            value_lengths,
            joined,
            self._compression,
        )
        self._postfile.write(pack_int(-len(block) if last else len(block)))
        self._postfile.write(block)
        self._blockcount += 1
        self._new_block()


_START_BLOCK = whoosh3.WHOOSH3_HEADER_MAGIC
"""What W3 writes before a term's first block."""

_TERM_INFO = whoosh3.W3TermInfo._struct
"""W3's term statistics; an extent (offset, length) follows them."""


class LeafMatcher(whoosh3.W3LeafMatcher):  # type: ignore[misc]
    """W3's matcher over the compact blocks, reading the postings file by position."""

    _data: Any
    _ids: Any
    _weights: Any
    _values: Any

    def _read_header(self) -> None:
        if self._postfile.get(self._startoffset, 4) != whoosh3.WHOOSH3_HEADER_MAGIC:
            raise ValueError(f"no posting list at {self._startoffset}")
        self._baseoffset = self._startoffset + 4

    def _goto(self, position: int) -> None:
        # W3's, from one read by position instead of a seek and four reads
        self._data = self._ids = self._weights = self._values = None
        self._i = 0
        size, info, start = blocks.block_info(
            self._postfile.get(position, blocks.MAX_BLOCK_INFO), 0
        )
        self._lastblock = size < 0
        self._nextoffset = position + blocks.BLOCK_SIZE.size + abs(size)
        self._dataoffset = position + start
        self._blocklength, self._maxid, self._maxweight, self._compression, low, high = info
        self._minlength = byte_to_length(low)
        self._maxlength = byte_to_length(high)

    def _read_data(self) -> None:
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        gaps, weights, tail = blocks.head_parts(data)
        self._data = (gaps, weights, tail)

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        self._ids = tuple(blocks.doc_numbers(self._data[0]))

    def _read_weights(self) -> None:
        if self._data is None:
            self._read_data()
        self._weights = blocks.weight_array(self._data[1], self._blocklength)

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        if self._fixedsize is None:
            self._values = tuple(blocks.value_list(self._data[2]))
            return
        gaps, weights, tail = self._data
        self._data = (gaps, weights, blocks.tail_parts(tail)[1])  # W3 cuts fixed-size values itself
        super()._read_values()
        self._data = (gaps, weights, tail)


class _Lengths:
    """Remembers the field lengths Whoosh looks up once per posting (a column seek each)."""

    def __init__(self, lengths: Any) -> None:
        self._lengths = lengths
        self._known: dict[tuple[int, str], int] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        key = (docnum, fieldname)
        length = self._known.get(key)
        if length is None:
            length = self._known[key] = self._lengths.doc_field_length(docnum, fieldname, default)
        return length


class _FieldWriter(whoosh3.W3FieldWriter):  # type: ignore[misc]
    _postwriter: _PostingsWriter

    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        if isinstance(items, TermPool):
            self._add_pool(schema, lengths, items)
        else:
            super().add_postings(schema, _Lengths(lengths) if lengths else lengths, items)

    def _add_pool(self, schema: Any, lengths: Any, pool: TermPool) -> None:
        """Whoosh's `add_postings`, a term at a time instead of a posting at a time."""
        for fieldname, terms in pool.terms():
            field = schema[fieldname]
            self.start_field(fieldname, field)
            by_doc = None
            if lengths and field.scorable:
                length = lengths.doc_field_length
                by_doc = [length(d, fieldname) for d in range(lengths.doc_count_all())]
            postwriter, key = self._postwriter, pack_ushort(self._fieldid)
            postwriter.use_format(field.format)
            for tbytes, postings in terms:
                if postwriter.fits_one_block(postings):
                    _add_term(self._tindex, key + tbytes, postwriter.write_term(postings, by_doc))
                    continue
                self.start_term(tbytes)
                postwriter.add_postings(postings, by_doc)
                self.finish_term()
            self.finish_field()


_KEY_VALUE_LENGTHS = struct.Struct("!ii")


def _add_term(tindex: Any, key: bytes, value: bytes) -> None:
    """`OrderedHashWriter.add` (Whoosh's term index) in one write and one `tell`."""
    if key <= tindex.lastkey:
        raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{key!r}")
    dbfile = tindex.dbfile
    position = dbfile.tell()
    tindex.index.append(position)
    dbfile.write(_KEY_VALUE_LENGTHS.pack(len(key), len(value)) + key + value)
    hashed = tindex.hashfn(key)
    tindex.buckets[hashed & 255].append((hashed, position))
    tindex.lastkey = key


class NewsCodec(whoosh3.W3Codec):  # type: ignore[misc]
    """W3 with compact posting blocks (term vectors, unused here, stay W3's)."""

    def __init__(
        self, blocklimit: int | None = None, compression: int = 3, inlinelimit: int = 1
    ) -> None:
        """blocklimit: postings per block, `BLOCK_LIMIT` when None."""
        super().__init__(
            blocklimit=BLOCK_LIMIT if blocklimit is None else blocklimit,
            compression=compression,
            inlinelimit=inlinelimit,
        )

    def new_segment(self, storage: Any, indexname: str) -> Any:
        return NewsSegment(self, indexname)

    def field_writer(self, storage: Any, segment: Any) -> Any:
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        if byteids:
            return super().postings_writer(dbfile, byteids=byteids)
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return LeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)
