"""Which stories a word query matches, by set algebra over posting lists.

`Matches.docs` evaluates queries built of words (`Term`) and exact phrases joined by OR
and AND, with NOT clauses, from each word's posting lists (`postings.read_term`), read a
block at a time; an exact phrase reads the positions of just the stories holding all of
its words. Anything else makes `docs` return None, and is left to Whoosh. `scoring.Scores`
builds on it.

The algebra is done on masks, one flag per story of the searcher, so that a common
word's hundreds of thousands of stories cost an array operation, not a Python set
entry each; `count` counts a query's stories without listing them, and a set of story
numbers is made only for what is scored or handed on (`docs`, `docs_within`).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh import query as wq

from newssearch.engine.fields import CompactPositions
from newssearch.engine.postings import TermPostings, numbers, read_term
from newssearch.engine.segments import (
    column_value,
    members,
    position_keys,
    term_infos,
    value_rows,
)
from newssearch.errors import reads_index

Mask = npt.NDArray[np.bool_]
"""One flag per story of the searcher (never changed once made)."""


class Matches:
    """Evaluates word queries against one searcher (create one per search)."""

    def __init__(self, searcher: Any, within: AbstractSet[int] | None = None) -> None:
        """`within`: the stories the caller will keep (date limits); `docs` may then
        leave out others, and posting blocks holding none of them are not read."""
        self._searcher = searcher
        self._size: int = searcher.doc_count_all()
        self._within = sorted(within) if within is not None else None
        self._postings: dict[tuple[str, str], TermPostings | None] = {}
        # the query is kept with its answer: ids are not reused while it lives
        self._masks: dict[int, tuple[Any, Mask | None]] = {}
        self._sets: dict[int, tuple[Any, AbstractSet[int]]] = {}
        self._word_masks: dict[tuple[str, str], Mask | None] = {}

    @reads_index
    def docs(self, q: Any) -> AbstractSet[int] | None:
        """The stories `q` matches (do not change the set); None for a query this cannot
        evaluate."""
        found = self.mask(q)
        if found is None:
            return None
        key = id(q)
        if key not in self._sets:
            self._sets[key] = (q, set(np.flatnonzero(found).tolist()))
        return self._sets[key][1]

    @reads_index
    def count(
        self, q: Any, within: AbstractSet[int] | None, exclude: AbstractSet[int] | None = None
    ) -> int | None:
        """How many stories of `within` (all when None) `q` matches, less those of
        `exclude`; None for a query `docs` cannot evaluate."""
        found = self._limited(q, within, exclude)
        return None if found is None else int(np.count_nonzero(found))

    @reads_index
    def docs_within(
        self, q: Any, within: AbstractSet[int] | None, exclude: AbstractSet[int] | None = None
    ) -> set[int] | None:
        """The stories of `within` (all when None) `q` matches, less those of `exclude`;
        None for a query `docs` cannot evaluate."""
        found = self._limited(q, within, exclude)
        return None if found is None else set(np.flatnonzero(found).tolist())

    @reads_index
    def among(self, q: Any, among: AbstractSet[int]) -> AbstractSet[int]:
        """The stories of `among` that `q` matches (evaluable queries only)."""
        found = self.mask(q)
        assert found is not None
        return _kept(among, found)

    @reads_index
    def holding_word(self, fieldname: str, text: str, among: AbstractSet[int]) -> set[int]:
        """The stories of `among` holding the word in the field (evaluable words only)."""
        found = self._word_mask(fieldname, text)
        assert found is not None
        return _kept(among, found)

    def mask(self, q: Any) -> Mask | None:
        """The stories `q` matches as a `Mask`; None for a query this cannot evaluate."""
        key = id(q)
        if key not in self._masks:
            self._masks[key] = (q, self._match(q))
        return self._masks[key][1]

    def mask_of(self, docs: AbstractSet[int]) -> Mask:
        """The `Mask` of a set of stories."""
        found = np.zeros(self._size, np.bool_)
        found[numbers(docs)] = True
        return found

    def _limited(
        self, q: Any, within: AbstractSet[int] | None, exclude: AbstractSet[int] | None
    ) -> Mask | None:
        found = self.mask(q)
        if found is None:
            return None
        if within is not None:
            found = found & self._set_mask(within)
        if exclude:
            found = found & ~self.mask_of(exclude)
        return found

    def _set_mask(self, docs: AbstractSet[int]) -> Mask:
        """`mask_of` the date limits, kept for the set's life (asked about often: the set
        must not change)."""
        key = id(docs)
        if key not in self._masks:
            self._masks[key] = (docs, self.mask_of(docs))
        found = self._masks[key][1]
        assert found is not None
        return found

    def _match(self, q: Any) -> Mask | None:
        if isinstance(q, wq.Term):
            return self._word_mask(q.fieldname, q.text)
        if type(q) is wq.Or and not q.minmatch and not q.scale:
            parts = self._masks_of(q.subqueries)
            if parts is None:
                return None
            found = np.zeros(self._size, np.bool_)
            for part in parts:
                found |= part
            return found
        if type(q) is wq.And:
            parts = self._masks_of([s for s in q.subqueries if not isinstance(s, wq.Not)])
            if not parts:
                return None
            found = _every(parts)
            for n in q.subqueries:
                if isinstance(n, wq.Not):
                    found = found & ~self._any_mask(n.query)
            return found
        if type(q) is wq.AndNot:
            kept = self.mask(q.a)
            return None if kept is None else kept & ~self._any_mask(q.b)
        if type(q) is wq.Phrase:
            return self._phrase_mask(q)
        return None

    def _phrase_mask(self, q: Any) -> Mask | None:
        """The stories holding the phrase's words at consecutive positions: Whoosh's
        `Phrase` with its default slop of 1. The words' posting lists give the stories
        holding all of them; only those stories' positions are read, as keys story x 2^32
        + position (`segments.position_keys`), and a phrase starts at the keys of its first
        word whose next keys are those of the words that follow."""
        schema = self._searcher.schema
        if q.fieldname not in schema:
            return None
        field = schema[q.fieldname]
        if q.slop != 1 or not q.words or not isinstance(field.format, CompactPositions):
            return None
        parts = self._masks_of([wq.Term(q.fieldname, word) for word in q.words])
        if parts is None:
            return None
        every = _every(parts)
        candidates = np.flatnonzero(every)
        if len(q.words) == 1 or not len(candidates):
            return every
        keys = {w: self._position_keys(q.fieldname, w, candidates) for w in set(q.words)}
        starts = keys[q.words[0]]
        for i, word in enumerate(q.words[1:], 1):
            starts = starts[members(starts + i, keys[word])]
        found = np.zeros(self._size, np.bool_)
        found[starts >> 32] = True
        return found

    def _position_keys(
        self, fieldname: str, text: str, docs: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.int64]:
        """The word's positions in the field in the stories `docs` (ascending), as
        ascending keys (`segments.position_keys`; the segments come in story order)."""
        found = [
            position_keys(*value_rows(reader, info, docs, base=offset))
            for reader, offset, info in term_infos(self._searcher, fieldname, text)
        ]
        return np.concatenate(found) if found else np.zeros(0, np.int64)

    def _masks_of(self, queries: list[Any]) -> list[Mask] | None:
        """The `Mask` of each query; None when one of them cannot be evaluated."""
        found = []
        for q in queries:
            mask = self.mask(q)
            if mask is None:
                return None
            found.append(mask)
        return found

    def _any_mask(self, q: Any) -> Mask:
        """What a left-out clause matches, through Whoosh when `docs` cannot tell."""
        found = self.mask(q)
        if found is None:
            return self.mask_of(set(self._searcher.docs_for_query(q)))
        return found

    def code(self, docnum: int) -> str:
        """A story's code (the tie-breaker of equal scores)."""
        return column_value(self._searcher, "code", docnum).decode()

    def _word_mask(self, fieldname: str, text: str) -> Mask | None:
        """The stories holding the word in the field, as a `Mask` (once per search)."""
        key = (fieldname, text)
        if key not in self._word_masks:
            postings = self._term_postings(fieldname, text)
            found = None
            if postings is not None:
                found = np.zeros(self._size, np.bool_)
                found[postings.ids] = True
            self._word_masks[key] = found
        return self._word_masks[key]

    def _term_postings(self, fieldname: str, text: str) -> TermPostings | None:
        """The word's postings in the field, read once per search (`postings.read_term`)."""
        key = (fieldname, text)
        if key not in self._postings:
            self._postings[key] = read_term(self._searcher, fieldname, text, self._within)
        return self._postings[key]


def _every(parts: list[Mask]) -> Mask:
    """The stories in every one of the masks (at least one), as a new mask."""
    found = parts[0].copy()
    for part in parts[1:]:
        found &= part
    return found


def _kept(docs: AbstractSet[int], mask: Mask) -> set[int]:
    """The stories of `docs` that `mask` holds."""
    wanted = numbers(docs)
    return set(wanted[mask[wanted]].tolist())
