"""Headline and body as Whoosh fields, indexed through `newssearch.analysis`.

Whoosh turns every word into a `Token` object and passes it through a chain of generator
filters, then pickles each word's position list. `FastText` indexes a field with
`analysis.term_positions` instead (one loop, one dictionary lookup per word) and stores
each position list compactly (`CompactPositions`: one byte per gap). Queries,
highlighting and spelling suggestions go through `ChainAnalyzer`, which yields Whoosh
tokens of the very same chain (`analysis.terms`), so index and queries always agree.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator
from itertools import accumulate, pairwise
from typing import Any

from whoosh import analysis as whoosh_analysis
from whoosh import fields, formats

from newssearch import analysis

term_positions = analysis.term_positions
"""Each term of a text with its positions (the index-time path)."""
word_counts = analysis.term_counts
"""How often each term of a text is in it."""


class ChainAnalyzer(whoosh_analysis.Tokenizer):  # type: ignore[misc]
    """Whoosh's analyzer interface over `analysis.terms`: the terms of headline and body
    for the query parser, highlighting and `similar`, and (Whoosh's `no_morph`, asked for
    by spelling suggestions) the words before stemming."""

    is_morph = True
    """It stems: Whoosh then keeps a field's unstemmed words apart for spelling."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChainAnalyzer)

    def __hash__(self) -> int:
        return hash(ChainAnalyzer)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        no_morph: bool = False,
        **kwargs: Any,
    ) -> Iterator[Any]:
        token = whoosh_analysis.Token(
            positions, chars, removestops=removestops, mode=mode, **kwargs
        )
        if not tokenize:  # the text of a wildcard or a range: one token, folded
            token.text = analysis.fold(value)
            token.boost, token.stopped = 1.0, False
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        for term in analysis.terms(value, stemmed=not no_morph):
            token.text = term.text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[term.start : term.end]
            if positions:
                token.pos = start_pos + term.pos
            if chars:
                token.startchar = start_char + term.start
                token.endchar = start_char + term.end
            yield token


def make_analyzer() -> Any:
    """The analyzer of headline and body."""
    return ChainAnalyzer()


WIDE = 255
"""First byte of a position list whose gaps do not all fit in one byte."""
_SINGLE = [bytes([n]) for n in range(WIDE)]


def encode_positions(positions: list[int]) -> bytes:
    """Gaps between ascending positions: one byte each when all are under 255, else a
    255 marker and four little-endian bytes each."""
    if len(positions) == 1 and positions[0] < WIDE:
        return _SINGLE[positions[0]]
    gaps = [positions[0], *(b - a for a, b in pairwise(positions))]
    if max(gaps) < WIDE:
        return bytes(gaps)
    wide = array("I", gaps)
    if sys.byteorder == "big":
        wide.byteswap()
    return bytes([WIDE]) + wide.tobytes()


def decode_positions(value: bytes) -> list[int]:
    """The positions `encode_positions` encoded."""
    return list(iter_positions(value))


_WIDE_MARK = bytes([WIDE])


def iter_positions(value: bytes) -> Iterator[int]:
    """The positions `encode_positions` encoded, one at a time."""
    if value[:1] != _WIDE_MARK:
        return accumulate(value)
    wide = array("I")
    wide.frombytes(value[1:])
    if sys.byteorder == "big":
        wide.byteswap()
    return accumulate(wide)


class CompactPositions(formats.Positions):  # type: ignore[misc]
    """Whoosh's `Positions` format, filled by `term_positions` and stored compactly."""

    def word_values(
        self, value: Any, analyzer: Any, **kwargs: Any
    ) -> Iterator[tuple[str, int, float, bytes]]:
        boost = self.field_boost
        for word, found in term_positions(value).items():
            yield word, len(found), len(found) * boost, encode_positions(found)

    def encode(self, poslist: list[int]) -> bytes:
        return encode_positions(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return decode_positions(valuestring)

    def decode_frequency(self, valuestring: bytes) -> int:
        if valuestring[:1] == _WIDE_MARK:
            return (len(valuestring) - 1) // 4
        return len(valuestring)


class FastText(fields.TEXT):  # type: ignore[misc]
    """A stored TEXT field indexed through `term_positions` into `CompactPositions`."""

    format: Any

    def __init__(self, analyzer: Any, **options: Any) -> None:
        super().__init__(analyzer=analyzer, stored=True, **options)
        self.format = CompactPositions(field_boost=self.format.field_boost)

    def index(self, value: str, **kwargs: Any) -> list[tuple[bytes, int, float, bytes]]:
        boost = self.format.field_boost
        return [
            (word.encode(), len(found), len(found) * boost, encode_positions(found))
            for word, found in term_positions(value).items()
        ]
