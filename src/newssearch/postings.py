"""The fast indexing path for headline and body.

Whoosh turns every word into a `Token` object and passes it through four generator
filters (tokenizer, lower case, stop words, stemmer), then pickles each word's position
list. `term_positions` gives the same words at the same positions as Whoosh's
`StemmingAnalyzer` in one loop, with one dictionary lookup per word, and
`CompactPositions` stores each position list as one byte per gap. Queries, highlighting
and spelling still go through the analyzer (`make_analyzer`), so both paths must agree; a
property test holds them to it.

The analyzer is Whoosh's `StemmingAnalyzer` with two parts changed, each measured on the
judged collections of bench/quality.py: Snowball's English stemmer (Porter2, through
PyStemmer) instead of Whoosh's Porter, which splits "news" from "new" and "running"
from "run", and Snowball's English stop words, which add the question words ("what",
"how", "which") and pronouns of a pasted question to Whoosh's short list.
"""

from __future__ import annotations

import re
import sys
import threading
from array import array
from collections import Counter
from collections.abc import Iterator
from itertools import accumulate, pairwise
from typing import Any, cast

import Stemmer
from whoosh import analysis, fields, formats
from whoosh.lang.stopwords import stoplists

WORD = re.compile(r"[\w\*]+(?:\.?[\w\*]+)*")
"""Whoosh's default tokenizer pattern, with its group made non-capturing."""
MIN_WORD = 2
"""Shorter words are dropped, as StemmingAnalyzer's stop filter does."""
STOP_WORDS = frozenset(stoplists["en"])
"""Snowball's English stop words (as Whoosh ships them): not indexed, not searched."""
CACHE_LIMIT = 200_000
"""Words remembered with their stems; the cache starts again when full."""

_STOPPED = ""
_stems: dict[str, str] = {}
_local = threading.local()


def stem(word: str) -> str:
    """The Snowball English (Porter2) stem of a lower-case word."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:  # a stemmer keeps state while it works: one per thread
        stemmer = _local.stemmer = Stemmer.Stemmer("english", 0)
    result: str = stemmer.stemWord(word)
    return result


def make_analyzer() -> Any:
    """The analyzer of headline and body, for indexing through Whoosh, queries, snippets
    and spelling: words as `WORD` finds them, lower case, `STOP_WORDS` and words shorter
    than `MIN_WORD` dropped, then stemmed by `stem`."""
    return analysis.StemmingAnalyzer(
        expression=WORD, stoplist=STOP_WORDS, minsize=MIN_WORD, stemfn=stem
    )


def _stem_of(word: str) -> str:
    lower = word.lower()
    result = _STOPPED if len(lower) < MIN_WORD or lower in STOP_WORDS else stem(lower)
    if len(_stems) >= CACHE_LIMIT:
        _stems.clear()
    _stems[word] = result
    return result


def stem_of(word: str) -> str:
    """The stem the analyzer makes of one tokenizer word; "" for a stop word."""
    found = _stems.get(word)
    return _stem_of(word) if found is None else found


def word_counts(text: str) -> dict[str, int]:
    """How often each stem of `text` is in it: the frequencies `term_positions` gives,
    counted in C (a map over the stem cache, then a Counter) for speed."""
    words = WORD.findall(text)
    cached = list(map(_stems.get, words))
    if None in cached:
        stems = [stem_of(w) if s is None else s for w, s in zip(words, cached, strict=True)]
    else:
        stems = cast(list[str], cached)
    counts = Counter(stems)
    counts.pop(_STOPPED, None)
    return dict(counts)


def term_positions(text: str) -> dict[str, list[int]]:
    """Each stem of `text` with its positions, numbered as `make_analyzer` numbers them:
    the first kept word keeps its place in the word sequence, and each later kept word
    comes one after the kept word before it."""
    stems = _stems
    positions: dict[str, list[int]] = {}
    pos = -1
    for i, word in enumerate(WORD.findall(text)):
        s = stems.get(word)
        if s is None:
            s = _stem_of(word)
        if not s:  # a stop word or a short one
            continue
        pos = i if pos < 0 else pos + 1
        found = positions.get(s)
        if found is None:
            positions[s] = [pos]
        else:
            found.append(pos)
    return positions


_WIDE = 255
"""First byte of a position list whose gaps do not all fit in one byte."""
_SINGLE = [bytes([n]) for n in range(_WIDE)]


def encode_positions(positions: list[int]) -> bytes:
    """Gaps between ascending positions: one byte each when all are under 255, else a
    255 marker and four little-endian bytes each."""
    if len(positions) == 1 and positions[0] < _WIDE:
        return _SINGLE[positions[0]]
    gaps = [positions[0], *(b - a for a, b in pairwise(positions))]
    if max(gaps) < _WIDE:
        return bytes(gaps)
    wide = array("I", gaps)
    if sys.byteorder == "big":
        wide.byteswap()
    return bytes([_WIDE]) + wide.tobytes()


def decode_positions(value: bytes) -> list[int]:
    """The positions `encode_positions` encoded."""
    return list(iter_positions(value))


_WIDE_MARK = bytes([_WIDE])


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
