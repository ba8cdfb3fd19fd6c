"""Corpus statistics: what BM25 weighs a word by, beyond the story it is in.

`CorpusStats` holds them for a set of words (a cluster adds its shards' up);
`Frequencies` answers from them, or from an index's searcher, with the ranking's idf.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from newssearch.errors import reads_index


@dataclass(frozen=True, slots=True)
class CorpusStats:
    """The corpus statistics BM25 scores with: how many stories (deleted ones included,
    as Whoosh counts them), the total length of each field, and how many stories hold
    each (field, word). A cluster adds its shards' up (`combine`), so that each shard
    scores as one index of every story would."""

    doc_count: int
    field_lengths: dict[str, int]
    doc_frequencies: dict[tuple[str, str], int]

    @classmethod
    def combine(cls, parts: list[CorpusStats]) -> CorpusStats:
        """The statistics of an archive made of `parts`."""
        lengths: dict[str, int] = {}
        frequencies: dict[tuple[str, str], int] = {}
        for part in parts:
            for field, n in part.field_lengths.items():
                lengths[field] = lengths.get(field, 0) + n
            for key, n in part.doc_frequencies.items():
                frequencies[key] = frequencies.get(key, 0) + n
        return cls(sum(p.doc_count for p in parts), lengths, frequencies)

    def adding(self, more: CorpusStats) -> CorpusStats:
        """These statistics with the word frequencies of `more` (of the same archive)."""
        return CorpusStats(
            self.doc_count, self.field_lengths, {**self.doc_frequencies, **more.doc_frequencies}
        )


Idf = Callable[[int, int], float]
"""An idf function: (stories holding the word, stories in all) -> weight."""


class Frequencies:
    """Story counts, word frequencies, idf and average field lengths, from an index's
    searcher or from given `CorpusStats` (a word they do not list counts as in no
    story). Every number BM25 needs beyond a story's own comes from here, so that a
    shard given its cluster's statistics scores as one index of every story would."""

    def __init__(self, idf: Idf, *, searcher: Any = None, stats: CorpusStats | None = None) -> None:
        if searcher is None and stats is None:
            raise ValueError("frequencies need a searcher or statistics")
        self._idf = idf
        self._searcher = searcher
        self._stats = stats
        self._idfs: dict[tuple[str, str], float] = {}

    def doc_count(self) -> int:
        """How many stories (deleted ones included, as Whoosh counts them)."""
        if self._stats is not None:
            return self._stats.doc_count
        count: int = self._searcher.doc_count_all()
        return count

    @reads_index
    def doc_frequency(self, fieldname: str, text: str) -> int:
        """How many stories hold the word in the field."""
        if self._stats is not None:
            return self._stats.doc_frequencies.get((fieldname, text), 0)
        found: int = self._searcher.doc_frequency(fieldname, text)
        return found

    def idf(self, fieldname: str, text: str) -> float:
        """The word's idf in the field."""
        key = (fieldname, text)
        found = self._idfs.get(key)
        if found is None:
            found = self._idf(self.doc_frequency(fieldname, text), self.doc_count())
            self._idfs[key] = found
        return found

    @reads_index
    def average_length(self, fieldname: str) -> float:
        """The field's average length (1 when it is empty)."""
        if self._stats is not None:
            total = self._stats.field_lengths.get(fieldname, 0)
        else:
            total = self._searcher.field_length(fieldname)
        return float(total / (self.doc_count() or 1)) or 1.0
