"""Reading a segment's files directly, around three of Whoosh's costs at scale.

* A term's posting list is read whole (`posting_arrays`, `value_rows`), its blocks
  decoded by `blocks`, without Whoosh's matcher, which steps a posting at a time.
* One story's column value or stored fields are read by position (`column_value`,
  `stored_fields`), and a whole text column in one read (`column_strings`), rather than
  through Whoosh's column readers, which first compute the offset of every value.

Segment files are read in place from their memory maps (`files`).
"""

from __future__ import annotations

import bisect
import pickle
import sys
import weakref
import zlib
from array import array
from collections.abc import Callable, Iterator, Sequence
from itertools import accumulate
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh import columns
from whoosh.codec import whoosh3
from whoosh.reading import TermNotFound

from newssearch.engine import blocks, fields
from newssearch.engine.codec import NewsCodec


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
    """Whether the segment's postings are `NewsCodec`'s (so `posting_arrays` reads them)."""
    return isinstance(getattr(reader, "_codec", None), NewsCodec)


def posting_arrays(
    reader: Any, info: Any, wanted: Callable[[int, int], bool] | None = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Every document number and weight of a term in a segment (`is_compact`), deleted
    documents included, as arrays, read in one pass over its blocks (Whoosh's matcher
    steps through them a posting at a time, and is costly to make). Only the numbers and
    weights of a block are inflated, not its values. `wanted(first, last)` may leave out
    blocks: those whose document numbers lie between first and last (inclusive) are read
    only when it returns True."""
    if info.is_inlined():
        inlined_ids, inlined_weights, _ = info.inlined_postings()
        return np.array(inlined_ids, np.int64), np.array(inlined_weights, np.float64)
    gaps: list[npt.NDArray[Any]] = []
    weights: list[npt.NDArray[Any]] = []
    for count, block in _term_blocks(reader, info, wanted):
        packed_gaps, packed_weights, _ = blocks.head_parts(block)
        gaps.append(number_array(packed_gaps))
        weights.append(weight_numbers(packed_weights, count))
    if not gaps:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    # each block's first gap is its first document number: sum the gaps of all blocks
    # at once, then take off what the blocks before each added
    sizes = np.array([len(g) for g in gaps])
    summed = np.cumsum(np.concatenate(gaps, dtype=np.int64))
    ends = np.cumsum(sizes)
    before = np.concatenate(([0], summed[ends[:-1] - 1]))
    return summed - np.repeat(before, sizes), np.concatenate(weights, dtype=np.float64)


def read_whole(
    reader: Any, info: Any, fixed: int | None
) -> tuple[list[int], array[float], array[int], bytes]:
    """Every posting of a term in a segment (`is_compact`), deleted documents included:
    document numbers, weights, value lengths and the values as one string. `fixed`: the
    field format's value size (None when values vary in size)."""
    if info.is_inlined():
        inlined_ids, inlined_weights, inlined_values = info.inlined_postings()
        values = [v or b"" for v in inlined_values]
        return (
            list(inlined_ids),
            array("f", inlined_weights),
            array("I", map(len, values)),
            b"".join(values),
        )
    ids: list[int] = []
    weights = array("f")
    lengths = array("I")
    joined: list[bytes] = []
    for count, block in _term_blocks(reader, info, None):
        gaps, packed_weights, tail = blocks.head_parts(block)
        ids.extend(blocks.doc_numbers(gaps))
        weights.fromlist(blocks.weight_array(packed_weights, count).tolist())
        packed_lengths, block_values = blocks.tail_parts(tail)
        if fixed is None:
            lengths.fromlist(blocks.unpack(packed_lengths).tolist())
        else:
            lengths.extend(array("I", [fixed]) * count)
        joined.append(block_values)
    return ids, weights, lengths, b"".join(joined)


def value_rows(
    reader: Any, info: Any, docs: npt.NDArray[np.int64], base: int = 0
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], bytes]:
    """For each document of `docs` (ascending; numbers in the segment plus `base`) that
    holds the term (variable-sized values, such as positions): its number, where its
    value starts in the string returned and the value's length. Only blocks holding one
    of `docs` are inflated."""
    if info.is_inlined():
        inlined_ids, _, inlined_values = info.inlined_postings()
        ids = np.array(inlined_ids, np.int64) + base
        values = [v or b"" for v in inlined_values]
        lengths = np.array([len(v) for v in values], np.int64)
        held = members(ids, docs)
        return ids[held], (np.cumsum(lengths) - lengths)[held], lengths[held], b"".join(values)

    def wanted(first: int, last: int) -> bool:
        i = int(np.searchsorted(docs, first + base))
        return i < len(docs) and docs[i] <= last + base

    id_parts, start_parts, length_parts, joined = [], [], [], []
    at = 0
    for _, block in _term_blocks(reader, info, wanted):
        gaps, _, tail = blocks.head_parts(block)
        ids = np.cumsum(number_array(gaps), dtype=np.int64) + base
        packed_lengths, block_values = blocks.tail_parts(tail)
        lengths = number_array(packed_lengths).astype(np.int64)
        held = members(ids, docs)
        id_parts.append(ids[held])
        start_parts.append((np.cumsum(lengths) - lengths + at)[held])
        length_parts.append(lengths[held])
        joined.append(block_values)
        at += len(block_values)
    if not id_parts:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, b""
    return (
        np.concatenate(id_parts),
        np.concatenate(start_parts),
        np.concatenate(length_parts),
        b"".join(joined),
    )


def members(keys: npt.NDArray[np.int64], known: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Which of `keys` are in `known` (ascending)."""
    if not len(known):
        return np.zeros(len(keys), np.bool_)
    at = np.minimum(np.searchsorted(known, keys), len(known) - 1)
    found: npt.NDArray[np.bool_] = known[at] == keys
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
        size, (count, last, _, _, _, _), start = blocks.block_info(data, at)
        end = at + blocks.BLOCK_SIZE.size + abs(size)
        if wanted is None or wanted(first, last):
            yield count, data[start:end]
        at, first = end, last + 1


def column_strings(reader: Any, fieldname: str) -> list[str]:
    """Every document's value in a segment's text column (a field like `ID(sortable=True)`),
    in one read of its data where Whoosh's reader fetches value by value (and first
    works out every value's offset, in Python)."""
    colfile, base, length = reader._perdoc._get_column_file(fieldname)
    lengths = _var_bytes_lengths(colfile, base, length, reader.doc_count_all())
    if lengths is None:
        return [
            v.decode("utf-8", "surrogateescape")
            for v in reader.column_reader(fieldname, translate=False)
        ]
    data = colfile.get(base, sum(lengths))
    ends = list(accumulate(lengths))
    starts = [0, *ends]
    if data.isascii():  # byte offsets are character offsets: decode once
        text = data.decode("ascii")
        return [text[a:b] for a, b in zip(starts, ends, strict=False)]
    # (a path column may hold any bytes a file name does)
    return [
        data[a:b].decode("utf-8", "surrogateescape") for a, b in zip(starts, ends, strict=False)
    ]


def column_reader(reader: Any, fieldname: str) -> Callable[[int], bytes] | None:
    """A function that reads one document's value of a segment's variable-length column
    by position (None when the column does not end like one)."""
    known = _value_places(reader, fieldname)
    if known is None:
        return None
    colfile, base, starts, lengths = known
    get = colfile.get

    def value(docnum: int) -> bytes:
        return get(base + starts[docnum], lengths[docnum])  # type: ignore[no-any-return]

    return value


def column_numbers(reader: Any, fieldname: str) -> array[int] | None:
    """Every document's value of a segment's numeric column, in one read of its packed
    array where Whoosh's reader unpacks them one by one (its layout: big-endian
    fixed-width values for the first documents, the default for the rest); None when
    the column is not a `columns.NumericColumn`."""
    column = reader.column_reader(fieldname, translate=False)
    if not isinstance(column, columns.NumericColumn.Reader):
        return None
    packed = array(column._typecode)
    packed.frombytes(column._dbfile.get(column._basepos, column._count * column._fixedlen))
    if sys.byteorder == "little":
        packed.byteswap()
    fill: array[int] = array(column._typecode, [column._default])
    found: array[int] = packed + fill * (column._doccount - column._count)
    return found


def column_value(searcher: Any, fieldname: str, docnum: int) -> bytes:
    """One story's value in a variable-length column (a text column, or the stored
    fields), read by position. Whoosh's column reader first works out the offset of
    every value in the segment, in Python: 60 ms for the paths of 250,000 stories."""
    reader, n = _segment_of(searcher, docnum)
    known = _value_places(reader, fieldname)
    if known is None:
        return reader.column_reader(fieldname, translate=False)[n]  # type: ignore[no-any-return]
    colfile, base, starts, lengths = known
    return colfile.get(base + starts[n], lengths[n])  # type: ignore[no-any-return]


_places: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def _value_places(
    reader: Any, fieldname: str
) -> tuple[Any, int, Sequence[int], Sequence[int]] | None:
    """(file, base, where each value starts, each value's length) of a segment's
    variable-length column, made once per segment reader (a searcher keeps its
    readers); None when the column does not end like one. Whoosh writes the starts
    of a column of more than 32,768 values; for a smaller one they are added up."""
    known = _places.setdefault(reader, {})
    if fieldname not in known:
        colfile, base, length = reader._perdoc._get_column_file(fieldname)
        count = reader.doc_count_all()
        lengths = _var_bytes_lengths(colfile, base, length, count)
        starts = _var_bytes_offsets(colfile, base, length, count)
        if lengths is not None and starts is None:
            starts = array("Q", accumulate(lengths, initial=0))
        known[fieldname] = None if lengths is None else (colfile, base, starts, lengths)
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


def _var_bytes_offsets(colfile: Any, base: int, length: int, count: int) -> array[int] | None:
    """Where each value of a `columns.VarBytesColumn` starts, when the column holds
    them (see `_var_bytes_lengths`)."""
    last = base + length - 1
    if not count or chr(colfile.get_byte(last)) != "X":
        return None
    code = chr(colfile.get_byte(last - 1))
    size = array(code).itemsize * count if code in _TYPECODES else -1
    if size < 0 or last - 2 - size < base:
        return None
    return colfile.get_array(last - 2 - size, code, count)  # type: ignore[no-any-return]


_TYPECODES = "bBhHiIlLqQ"
"""The integer types Whoosh writes a column's lengths and offsets in (it grows them from
`B` through `H` to the signed `i` as values pass 255, 65,535, ...)."""


# -- decoding blocks into numpy arrays ---------------------------------------------


def number_array(data: bytes) -> npt.NDArray[Any]:
    """The numbers `blocks.pack` packed, as a numpy array of the same width."""
    return np.frombuffer(data, _LITTLE_ENDIAN[data[:1]], offset=1)


_LITTLE_ENDIAN = {code.encode(): np.dtype(code).newbyteorder("<") for code in "BHIf"}


def weight_numbers(packed: bytes, count: int) -> npt.NDArray[Any]:
    """What `blocks.weight_array` gives, as a numpy array."""
    if not packed:
        return np.ones(count, np.uint8)
    return number_array(packed)


def position_keys(
    docs: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64],
    joined: bytes,
) -> npt.NDArray[np.int64]:
    """Every position of the encoded position lists in `joined` (list i starts at
    `starts[i]`, is `lengths[i]` bytes long and belongs to story `docs[i]`), as keys
    story x 2^32 + position: ascending when `docs` ascend."""
    data = np.frombuffer(joined, np.uint8)
    wide = data[starts] == fields.WIDE if len(starts) else np.zeros(0, np.bool_)
    counts = np.where(wide, (lengths - 1) // 4, lengths)
    into = np.cumsum(counts) - counts  # where each list's positions go
    positions = np.zeros(int(counts.sum()), np.int64)
    for rows, skip in ((~wide, 0), (wide, 1)):
        raw = data[_ranges(starts[rows] + skip, lengths[rows] - skip)]
        gaps = raw.view("<u4") if skip else raw
        positions[_ranges(into[rows], counts[rows])] = _running_sums(
            gaps.astype(np.int64), counts[rows]
        )
    found: npt.NDArray[np.int64] = (np.repeat(docs, counts) << 32) | positions
    return found


def _ranges(starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The indexes starts[0] ... starts[0] + lengths[0] - 1, then those of the next range."""
    before = np.cumsum(lengths) - lengths  # where each range begins in the result
    counting: npt.NDArray[np.int64] = np.arange(int(lengths.sum()), dtype=np.int64)
    found: npt.NDArray[np.int64] = counting + np.repeat(starts - before, lengths)
    return found


def _running_sums(
    values: npt.NDArray[np.int64], counts: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """The running sums of `values` taken in runs of `counts[0]`, `counts[1]`, ..."""
    if not len(values):
        return values
    summed = np.cumsum(values)
    ends = np.cumsum(counts)
    before = np.concatenate(([0], summed[ends[:-1] - 1]))
    found: npt.NDArray[np.int64] = summed - np.repeat(before, counts)
    return found
