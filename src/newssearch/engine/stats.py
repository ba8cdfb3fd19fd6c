"""Corpus statistics: what BM25 weighs a word by, beyond the story it is in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


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


Idf = Callable[[int, int], float]
"""An idf function: (stories holding the word, stories in all) -> weight."""
