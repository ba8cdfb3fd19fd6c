"""The byte layout of a posting block, written and read.

A block holds up to `codec.BLOCK_LIMIT` postings of one term. W3, Whoosh's codec, pickles
them as tuples: the document-number gaps as Python ints, the weights as 8-byte floats
and each posting's value as its own pickled bytes object. Here a block is W3's pickled
info tuple followed by:

* a header (`_HEADER`): which parts are deflated, and the byte lengths of the parts;
* the head: the gaps, then the weights, each packed in the narrowest unsigned type that
  holds them (`pack`; weights that are all 1 take no bytes, fractional ones are floats);
* the tail: the value lengths, packed, then the values as one byte string.

Head and tail are deflated apart, so counting and scoring (`head_parts`, `doc_numbers`,
`weight_array`) never inflate the values, positions included. `encode` writes a block;
`codec` puts blocks into Whoosh's files and `segments` reads them back in bulk.
"""

from __future__ import annotations

import io
import pickle
import struct
import sys
import zlib
from array import array
from collections.abc import Iterator
from itertools import accumulate, pairwise
from typing import Any

from whoosh.util.numeric import length_to_byte

_FLOATS = "f"


_ONE_BYTE = [b"B" + bytes([n]) for n in range(256)]


def pack(numbers: list[int]) -> bytes:
    """Unsigned ints as a typecode byte and a little-endian array of the narrowest type."""
    if len(numbers) == 1 and 0 <= numbers[0] < 256:  # most terms of a small segment
        return _ONE_BYTE[numbers[0]]
    try:  # the next most: all below 256 (a fifth of the cost of the array below)
        return b"B" + bytes(numbers)
    except ValueError:
        pass
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


def fitted(values: list[bytes], size: int, count: int) -> bytes:
    """The values of a format with values of a fixed size, as W3 writes them: Whoosh's
    spelling postings carry another field's value, cut or padded to size; postings with
    no value get zeros, after the others."""
    if not size:
        return b""
    given = [v[:size].ljust(size, b"\0") for v in values if v]
    return b"".join(given) + bytes(size * (count - len(given)))


_LENGTH_BYTES = [length_to_byte(n) for n in range(4096)]


def length_byte(length: int | None) -> int:
    """Whoosh's `length_to_byte`, looked up for the usual lengths."""
    if length is None:
        return 0
    return _LENGTH_BYTES[length] if length < 4096 else int(length_to_byte(length))


def deflated(data: bytes, level: int) -> tuple[bytes, bool]:
    """`data` deflated when that is worth it, and whether it was."""
    if level and len(data) >= COMPRESS_FROM:
        return zlib.compress(data, level), True
    return data, False


def length_range(lengths: list[int] | None, docs: Any) -> tuple[int | None, int]:
    """The shortest and longest known field length among `docs` (None and 0 if none)."""
    known = [n for n in (lengths[d] for d in docs) if n] if lengths is not None else []
    return (min(known), max(known)) if known else (None, 0)


def packed_weights(weights: Any) -> bytes:
    if weights.count(1.0) == len(weights):
        return b""
    whole = [int(w) for w in weights]
    if whole == list(weights) and min(whole) > 0 and max(whole) < 1 << 32:
        return pack(whole)
    return _FLOATS.encode() + bytes(weights.tobytes())


def encode(
    ids: Any,
    weights: Any,
    maxweight: float,
    minlength: int | None,
    maxlength: int,
    value_lengths: list[int] | None,
    joined: bytes,
    level: int,
) -> bytes:
    """A block as W3 lays it out (its info tuple pickled, then its data), with the
    data in the compact form, parts of it deflated at `level` (0: none)."""
    first = ids[0]
    gaps = pack([first] if len(ids) == 1 else [first, *(b - a for a, b in pairwise(ids))])
    weight_bytes = packed_weights(weights)
    lengths = b"" if value_lengths is None else pack(value_lengths)
    head, head_deflated = deflated(gaps + weight_bytes, level)
    tail, tail_deflated = deflated(lengths + joined, level)
    flags = (_HEAD_DEFLATED if head_deflated else 0) | (_TAIL_DEFLATED if tail_deflated else 0)
    data = _HEADER.pack(flags, len(gaps), len(weight_bytes), len(lengths), len(head))
    data += head + tail
    info = (
        len(ids),
        ids[-1],
        maxweight,
        level,
        length_byte(minlength),
        length_byte(maxlength),
    )
    pickled: bytes = pickle.dumps(info, 2)
    return pickled + data


def head_parts(data: bytes) -> tuple[bytes, bytes, tuple[bytes, int, int]]:
    """A block's packed gaps and weights, inflated, and its tail as stored, with its
    flags and the byte length of its value lengths (for `tail_parts`): see `_HEADER`."""
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


def doc_numbers(gaps: bytes, base: int = 0) -> Iterator[int]:
    """A block's document numbers from their packed gaps, each plus `base`."""
    numbers = accumulate(unpack(gaps), initial=base)
    next(numbers)  # `base` itself
    return numbers


def tail_parts(stored: tuple[bytes, int, int]) -> tuple[bytes, bytes]:
    """A block's packed value lengths and its values, one string, from what
    `head_parts` left of it."""
    tail, flags, n_lengths = stored
    if flags & _TAIL_DEFLATED:
        tail = zlib.decompress(tail)
    return tail[:n_lengths], tail[n_lengths:]


def value_ends(stored: tuple[bytes, int, int]) -> tuple[list[int], bytes]:
    """Where each of a block's variable-sized values starts, then where the last ends,
    and the values as one string: value i is `joined[ends[i] : ends[i + 1]]`."""
    lengths, joined = tail_parts(stored)
    return list(accumulate(unpack(lengths), initial=0)), joined


def value_list(stored: tuple[bytes, int, int]) -> Iterator[bytes]:
    """A block's variable-sized values."""
    ends, joined = value_ends(stored)
    return (joined[a:b] for a, b in pairwise(ends))


def weight_array(packed: bytes, count: int) -> array[Any]:
    """A block's `count` weights from their packed form (`packed_weights`): whole
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


BLOCK_SIZE = struct.Struct("!i")
"""A block's byte length, negative for a term's last block (W3's `write_int`)."""


MAX_BLOCK_INFO = 64
"""Bytes enough for a block's length and its pickled info tuple (six numbers)."""


def block_info(data: bytes, at: int) -> tuple[int, tuple[Any, ...], int]:
    """The block starting at `at`: its signed length, its info tuple, and where its
    data starts."""
    size = BLOCK_SIZE.unpack_from(data, at)[0]
    infos = io.BytesIO(data)
    infos.seek(at + BLOCK_SIZE.size)
    info = pickle.load(infos)
    return size, info, infos.tell()
