"""Whoosh's W3 codec with compact posting blocks.

W3 pickles each block of up to 128 postings as tuples: the document-number gaps as
Python ints, the weights as 8-byte floats and each posting's value as its own pickled
bytes object (a dozen bytes of overhead each). `NewsCodec` writes the same blocks with
the three parts as packed arrays -- gaps and integral weights in the narrowest unsigned
type that holds them, values as one length array and one byte string -- and reads them
back into what W3's matcher expects. Block headers, term files, stored fields and
columns are W3's own, so everything else Whoosh does works unchanged.

An index remembers the codec that wrote each segment, so every writer that adds to a
newssearch index must be given `NewsCodec()` (see `indexer.new_writer`).

Reading, this module also goes around three of Whoosh's costs at scale: files inside a
segment are read in place from its memory map (`_MappedFile`; importing this module
installs it in `whoosh.filedb.compound`), posting lists are read whole
(`read_postings`, `read_values`), and one story's column value or stored fields
are read by position (`column_value`, `stored_fields`) rather than through Whoosh's column
readers, which first compute the offset of every value in the segment.
"""

from __future__ import annotations

import bisect
import io
import pickle
import struct
import sys
import weakref
import zlib
from array import array
from collections.abc import Callable, Iterator
from itertools import accumulate, pairwise
from typing import Any

from whoosh.codec import whoosh3
from whoosh.compat import dumps
from whoosh.filedb import compound, structfile
from whoosh.reading import TermNotFound
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from newssearch.pool import TermPool

_FLOATS = "f"


_ONE_BYTE = [b"B" + bytes([n]) for n in range(256)]


def pack(numbers: Any) -> bytes:
    """Unsigned ints as a typecode byte and a little-endian array of the narrowest type."""
    if len(numbers) == 1 and 0 <= numbers[0] < 256:  # most terms of a small segment
        one: bytes = _ONE_BYTE[numbers[0]]
        return one
    top = max(numbers, default=0)
    code = "B" if top < 1 << 8 else "H" if top < 1 << 16 else "I"
    packed = array(code, numbers)
    if sys.byteorder == "big":
        packed.byteswap()
    return code.encode() + packed.tobytes()


def unpack(data: bytes) -> array[Any]:
    """The numbers `pack` packed (as an array of the same typecode)."""
    packed = array(data[:1].decode())
    packed.frombytes(data[1:])
    if sys.byteorder == "big":
        packed.byteswap()
    return packed


_HEADER = struct.Struct("<BHHHH")
"""A block's data starts with: which of its two parts are deflated (`_HEAD_DEFLATED`,
`_TAIL_DEFLATED`), the byte lengths of its gaps, weights and value lengths, and the
stored length of its head (gaps and weights); the tail (value lengths and values)
follows. Reading numbers and weights never inflates the values, positions included."""
_HEAD_DEFLATED = 1
_TAIL_DEFLATED = 2
COMPRESS_FROM = 64
"""Parts shorter than this many bytes are not worth zlib's 11 bytes of framing."""
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
            low, high = _length_range(lengths, self._ids)
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
            minlength, maxlength = _length_range(lengths, docs)
            maxweight = max(0.0, max(weights))
            value_lengths = [b - a for a, b in zip([0, *ends], ends, strict=False)]
        fixed = self._format.fixed_value_size()
        if fixed is None:
            joined = bytes(postings.values)
        else:
            value_lengths, joined = None, _fitted(postings.value_list(), fixed, len(docs))
        block = self._block(docs, weights, maxweight, minlength, maxlength, value_lengths, joined)
        postfile = self._postfile
        start = postfile.tell()
        written = _START_BLOCK + pack_int(-len(block)) + block
        postfile.write(written)
        stats: bytes = _TERM_INFO.pack(
            False,
            sum(weights),
            len(docs),
            _length_byte(minlength),
            _length_byte(maxlength),
            maxweight,
            docs[0],
            docs[-1],
        )
        extent: bytes = pack_long(start) + pack_int(len(written))
        return stats + extent

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
            value_lengths, joined = None, _fitted(values, fixed, len(self._ids))
        block = self._block(
            self._ids,
            self._weights,
            self._maxweight,
            self._minlength,
            self._maxlength,
            value_lengths,
            joined,
        )
        self._postfile.write(pack_int(-len(block) if last else len(block)))
        self._postfile.write(block)
        self._blockcount += 1
        self._new_block()

    def _block(
        self,
        ids: Any,
        weights: Any,
        maxweight: float,
        minlength: int | None,
        maxlength: int,
        value_lengths: list[int] | None,
        joined: bytes,
    ) -> bytes:
        """A block as W3 lays it out (its info tuple pickled, then its data), with the
        data in the compact form."""
        gaps = pack([ids[0], *(b - a for a, b in pairwise(ids))])
        packed_weights = _packed_weights(weights)
        lengths = b"" if value_lengths is None else pack(value_lengths)
        level = self._compression
        head, head_deflated = _deflated(gaps + packed_weights, level)
        tail, tail_deflated = _deflated(lengths + joined, level)
        flags = (_HEAD_DEFLATED if head_deflated else 0) | (_TAIL_DEFLATED if tail_deflated else 0)
        data = _HEADER.pack(flags, len(gaps), len(packed_weights), len(lengths), len(head))
        data += head + tail
        info = (
            len(ids),
            ids[-1],
            maxweight,
            level,
            _length_byte(minlength),
            _length_byte(maxlength),
        )
        pickled: bytes = dumps(info, 2)
        return pickled + data


def _fitted(values: list[bytes], size: int, count: int) -> bytes:
    """The values of a format with values of a fixed size, as W3 writes them: Whoosh's
    spelling postings carry another field's value, cut or padded to size; postings with
    no value get zeros, after the others."""
    if not size:
        return b""
    given = [v[:size].ljust(size, b"\0") for v in values if v]
    return b"".join(given) + bytes(size * (count - len(given)))


_START_BLOCK = whoosh3.WHOOSH3_HEADER_MAGIC
_LENGTH_BYTES = [length_to_byte(n) for n in range(4096)]


def _length_byte(length: int | None) -> int:
    """Whoosh's `length_to_byte`, looked up for the usual lengths."""
    if length is None:
        return 0
    return _LENGTH_BYTES[length] if length < 4096 else int(length_to_byte(length))


def _deflated(data: bytes, level: int) -> tuple[bytes, bool]:
    """`data` deflated when that is worth it, and whether it was."""
    if level and len(data) >= COMPRESS_FROM:
        return zlib.compress(data, level), True
    return data, False


def _length_range(lengths: list[int] | None, docs: Any) -> tuple[int | None, int]:
    """The shortest and longest known field length among `docs` (None and 0 if none)."""
    known = [n for n in (lengths[d] for d in docs) if n] if lengths is not None else []
    return (min(known), max(known)) if known else (None, 0)


def _packed_weights(weights: Any) -> bytes:
    if weights.count(1.0) == len(weights):
        return b""
    whole = [int(w) for w in weights]
    if whole == list(weights) and min(whole) > 0 and max(whole) < 1 << 32:
        return pack(whole)
    return _FLOATS.encode() + bytes(weights.tobytes())


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
        size, info, start = _block_info(self._postfile.get(position, _MAX_BLOCK_INFO), 0)
        self._lastblock = size < 0
        self._nextoffset = position + _BLOCK_SIZE.size + abs(size)
        self._dataoffset = position + start
        self._blocklength, self._maxid, self._maxweight, self._compression, low, high = info
        self._minlength = byte_to_length(low)
        self._maxlength = byte_to_length(high)

    def _read_data(self) -> None:
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        gaps, weights, tail = _head(data)
        self._data = (gaps, weights, tail)

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        self._ids = tuple(_numbers(self._data[0]))

    def _read_weights(self) -> None:
        if self._data is None:
            self._read_data()
        self._weights = _weights(self._data[1], self._blocklength)

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        if self._fixedsize is None:
            self._values = tuple(_values(self._data[2]))
            return
        gaps, weights, tail = self._data
        self._data = (gaps, weights, _tail(tail)[1])  # W3 cuts fixed-size values itself
        super()._read_values()
        self._data = (gaps, weights, tail)


def term_infos(searcher: Any, fieldname: str, text: str) -> Iterator[tuple[Any, int, Any]]:
    """(segment reader, its first story number, Whoosh's term info) of each segment
    holding the word."""
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        try:
            info = reader.term_info(fieldname, text)
        except TermNotFound:
            continue
        yield reader, offset, info


def is_compact(reader: Any) -> bool:
    """Whether the segment's postings are this codec's (so `read_postings` reads them)."""
    return isinstance(getattr(reader, "_codec", None), NewsCodec)


def read_postings(
    reader: Any, info: Any, wanted: Callable[[int, int], bool] | None = None, base: int = 0
) -> tuple[list[int], list[float]]:
    """Every document number and weight of a term in a segment (`is_compact`), deleted
    documents included, read in one pass over its blocks (Whoosh's matcher steps through
    them a posting at a time, and is costly to make). Only the numbers and weights of a
    block are inflated, not its values. `wanted(first, last)` may leave out blocks: those
    whose document numbers lie between first and last (inclusive) are read only when it
    returns True. `base` is added to every document number (the segment's first story
    number)."""
    if info.is_inlined():
        inlined_ids, inlined_weights, _ = info.inlined_postings()
        return [base + d for d in inlined_ids], list(inlined_weights)
    ids: list[int] = []
    weights: list[float] = []
    for count, block in _term_blocks(reader, info, wanted):
        gaps, packed_weights, _ = _head(block)
        ids.extend(_numbers(gaps, base))
        weights.extend(_weights(packed_weights, count))
    return ids, weights


def read_values(
    reader: Any,
    info: Any,
    docs: set[int],
    wanted: Callable[[int, int], bool] | None = None,
    base: int = 0,
) -> dict[int, bytes]:
    """Document number -> value (variable-sized, such as positions) of a term in a
    segment, for each document of `docs` holding it; `wanted` and `base` as for
    `read_postings`. Only blocks holding one of `docs` have their values inflated, and
    only those documents' values are cut out of them."""
    if info.is_inlined():
        inlined_ids, _, inlined_values = info.inlined_postings()
        pairs = zip((base + d for d in inlined_ids), inlined_values, strict=True)
        return {d: value for d, value in pairs if d in docs}
    found: dict[int, bytes] = {}
    for _, block in _term_blocks(reader, info, wanted):
        gaps, _, tail = _head(block)
        ids = list(_numbers(gaps, base))
        held = docs.intersection(ids)
        if not held:
            continue
        ends, joined = _cut(tail)
        for d in held:
            i = bisect.bisect_left(ids, d)
            found[d] = joined[ends[i] : ends[i + 1]]
    return found


def _term_blocks(
    reader: Any, info: Any, wanted: Callable[[int, int], bool] | None
) -> Iterator[tuple[int, bytes]]:
    """(postings, data) of each block of a term's postings that `wanted` lets by."""
    offset, length = info.extent()
    length = length[0] if isinstance(length, tuple) else length  # W3 reads it as a tuple
    postfile = reader._terms._postfile
    magic = whoosh3.WHOOSH3_HEADER_MAGIC
    if postfile.get(offset, len(magic)) != magic:
        raise ValueError(f"no posting list at {offset}")
    data = postfile.get(offset + len(magic), length - len(magic))
    at = 0
    first = 0
    while at < len(data):
        size, (count, last, _, _, _, _), start = _block_info(data, at)
        end = at + _BLOCK_SIZE.size + abs(size)
        if wanted is None or wanted(first, last):
            yield count, data[start:end]
        at, first = end, last + 1


def _head(data: bytes) -> tuple[bytes, bytes, tuple[bytes, int, int]]:
    """A block's packed gaps and weights, inflated, and its tail as stored, with its
    flags and the byte length of its value lengths (for `_tail`): see `_HEADER`."""
    flags, n_gaps, n_weights, n_lengths, n_head = _HEADER.unpack_from(data)
    start = _HEADER.size
    head = data[start : start + n_head]
    if flags & _HEAD_DEFLATED:
        head = zlib.decompress(head)
    return (
        head[:n_gaps],
        head[n_gaps : n_gaps + n_weights],
        (data[start + n_head :], flags, n_lengths),
    )


def _numbers(gaps: bytes, base: int = 0) -> Iterator[int]:
    """A block's document numbers from their packed gaps, each plus `base`."""
    numbers = accumulate(unpack(gaps), initial=base)
    next(numbers)  # `base` itself
    return numbers


def _tail(stored: tuple[bytes, int, int]) -> tuple[bytes, bytes]:
    """A block's packed value lengths and its values, one string, from what `_head`
    left of it."""
    tail, flags, n_lengths = stored
    if flags & _TAIL_DEFLATED:
        tail = zlib.decompress(tail)
    return tail[:n_lengths], tail[n_lengths:]


def _cut(stored: tuple[bytes, int, int]) -> tuple[list[int], bytes]:
    """Where each of a block's variable-sized values starts, then where the last ends,
    and the values as one string: value i is `joined[ends[i] : ends[i + 1]]`."""
    lengths, joined = _tail(stored)
    return list(accumulate(unpack(lengths), initial=0)), joined


def _values(stored: tuple[bytes, int, int]) -> Iterator[bytes]:
    """A block's variable-sized values."""
    ends, joined = _cut(stored)
    return (joined[a:b] for a, b in pairwise(ends))


def _weights(packed: bytes, count: int) -> array[Any]:
    """A block's `count` weights from their packed form (`_packed_weights`): whole
    weights stay an array of ints (turning them into floats would cost more than the
    rest of reading the block)."""
    if not packed:
        return _ONES * count
    if packed[:1] == _FLOATS.encode():
        floats = array("f")
        floats.frombytes(packed[1:])
        return floats
    return unpack(packed)


_ONES = array("B", [1])


_BLOCK_SIZE = struct.Struct("!i")
"""A block's byte length, negative for a term's last block (W3's `write_int`)."""
_MAX_BLOCK_INFO = 64
"""Bytes enough for a block's length and its pickled info tuple (six numbers)."""


def _block_info(data: bytes, at: int) -> tuple[int, tuple[Any, ...], int]:
    """The block starting at `at`: its signed length, its info tuple, and where its
    data starts."""
    size = _BLOCK_SIZE.unpack_from(data, at)[0]
    infos = io.BytesIO(data)
    infos.seek(at + _BLOCK_SIZE.size)
    info = pickle.load(infos)
    return size, info, infos.tell()


class _ViewFile:
    """What Whoosh reads of a file by seek and read, over a buffer, without copying it."""

    def __init__(self, buf: Any) -> None:
        self._buf = buf
        self._pos = 0

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._buf)}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        end = len(self._buf) if size is None or size < 0 else self._pos + size
        data = bytes(self._buf[self._pos : end])
        self._pos += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        rest = self.read(size)
        line = rest[: rest.find(b"\n") + 1 or len(rest)]
        self._pos -= len(rest) - len(line)
        return line

    def close(self) -> None:
        self._buf = b""


class _MappedFile(structfile.BufferFile):  # type: ignore[misc]
    """Whoosh's file inside a segment's compound file, over its memory map, minus the
    copy: Whoosh's wraps the whole file in a `BytesIO` when it is opened, copying every
    segment's postings and terms into memory for every searcher (at 250,000 stories,
    over 300 MB and a third of a second before the first search). Reads by position
    slice the map as before; the few by seek and read go through `_ViewFile`."""

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = _ViewFile(buf)


compound.BufferFile = _MappedFile


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
            postwriter._format = field.format
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


def column_strings(reader: Any, fieldname: str) -> list[str]:
    """Every document's value in a segment's text column (a field like `ID(sortable=True)`),
    in one read of its data where Whoosh's reader fetches value by value (and first
    works out every value's offset, in Python)."""
    colfile, base, length = reader._perdoc._get_column_file(fieldname)
    lengths = _var_bytes_lengths(colfile, base, length, reader.doc_count_all())
    if lengths is None:
        return [v.decode() for v in reader.column_reader(fieldname, translate=False)]
    data = colfile.get(base, sum(lengths))
    ends = list(accumulate(lengths))
    starts = [0, *ends]
    if data.isascii():  # byte offsets are character offsets: decode once
        text = data.decode("ascii")
        return [text[a:b] for a, b in zip(starts, ends, strict=False)]
    return [data[a:b].decode() for a, b in zip(starts, ends, strict=False)]


def column_value(searcher: Any, fieldname: str, docnum: int) -> bytes:
    """One story's value in a variable-length column (a text column, or the stored
    fields), read by position. Whoosh's column reader first works out the offset of
    every value in the segment, in Python: 60 ms for the paths of 250,000 stories."""
    reader, n = _segment_of(searcher, docnum)
    known = _value_ends(reader, fieldname)
    if known is None:
        return reader.column_reader(fieldname, translate=False)[n]  # type: ignore[no-any-return]
    colfile, base, ends = known
    start = ends[n - 1] if n else 0
    return colfile.get(base + start, ends[n] - start)  # type: ignore[no-any-return]


_ends: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def _value_ends(reader: Any, fieldname: str) -> tuple[Any, int, array[int]] | None:
    """(file, base, where each value ends) of a segment's variable-length column, made
    once per segment reader (a searcher keeps its readers); None when the column does
    not end like one."""
    known = _ends.setdefault(reader, {})
    if fieldname not in known:
        colfile, base, length = reader._perdoc._get_column_file(fieldname)
        lengths = _var_bytes_lengths(colfile, base, length, reader.doc_count_all())
        ends = None if lengths is None else array("Q", accumulate(lengths))
        known[fieldname] = None if ends is None else (colfile, base, ends)
    return known[fieldname]  # type: ignore[no-any-return]


def stored_fields(searcher: Any, docnum: int) -> dict[str, Any]:
    """A story's stored fields: W3 keeps them pickled and deflated in a column."""
    value = column_value(searcher, "_stored", docnum)
    return pickle.loads(zlib.decompress(value)) if value else {}


def _segment_of(searcher: Any, docnum: int) -> tuple[Any, int]:
    """The segment reader holding a story, and the story's number within it."""
    leaves = searcher.reader().leaf_readers()
    starts = [start for _, start in leaves]
    reader, start = leaves[max(0, bisect.bisect_right(starts, docnum) - 1)]
    return reader, docnum - start


def _var_bytes_lengths(colfile: Any, base: int, length: int, count: int) -> array[int] | None:
    """The value lengths of a `columns.VarBytesColumn` (its layout: the values, an array
    of lengths, perhaps an array of offsets, then the type codes, the last of them `X`
    when offsets were written); None when the column does not end like one."""
    if not count:
        return array("B")
    last = base + length - 1
    code = chr(colfile.get_byte(last))
    if code == "X":
        offsets_code = chr(colfile.get_byte(last - 1))
        code = chr(colfile.get_byte(last - 2))
        if offsets_code not in _TYPECODES:
            return None
        last -= 2 + count * array(offsets_code).itemsize
    if code not in _TYPECODES:
        return None
    size = array(code).itemsize * count
    if last - size < base:
        return None
    return colfile.get_array(last - size, code, count)  # type: ignore[no-any-return]


_TYPECODES = "BHILQ"


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
