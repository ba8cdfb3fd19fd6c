"""BM25F scores of word queries, computed a posting list at a time.

Whoosh ranks by stepping a tree of matchers through every candidate story in Python
(`id`, `next`, `skip_to`, `score` on each node): most of a search's time. For queries
built only of words (`Term`) and exact phrases joined by OR and AND, with NOT clauses,
`Scores` computes the same numbers in bulk instead, in two steps:

1. `docs`: the stories a query matches, by set algebra over each word's posting lists,
   read a block at a time (`codec.LeafMatcher.all_postings`) into story -> weight maps;
2. `scores`: the scores of just the stories asked about -- a search asks about the
   stories of its first tier not shut out by date limits, and about a broader tier only
   when the first runs short, so a common word costs a set operation, not a score per
   posting.

The formula is Whoosh's BM25F as `ranking.weighting()` configures it:

    idf x tf x (K1 + 1) / (tf + K1 x (1 - B + B x length / average length))

with Whoosh's idf (1 + log(stories / (df + 1))), its one-byte field lengths, term boosts,
and compound boosts (Whoosh applies them to clauses of two or more parts); fields that
are not scorable score their weight. Scores agree with Whoosh's to rounding (tested); ties
go to the lower story number, as in Whoosh. Anything else (phrases with a slop, ranges,
`*`) makes `docs` return None and is left to Whoosh.
"""

from __future__ import annotations

import bisect
import heapq
from array import array
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from whoosh import columns
from whoosh import query as wq
from whoosh.util.numeric import byte_to_length

from newssearch.codec import LeafMatcher, term_matchers
from newssearch.postings import decode_positions

Scored = dict[int, float]


@dataclass
class Ranked:
    """One hit: what `search` reads of Whoosh's `Hit` (its number, score and searcher)."""

    docnum: int
    score: float
    searcher: Any


class Scores:
    """Evaluates word queries against one searcher (create one per search)."""

    def __init__(
        self, searcher: Any, B: float, K1: float, within: AbstractSet[int] | None = None
    ) -> None:
        """`within`: the stories the caller will keep (date limits); `docs` may then
        leave out others, and posting blocks holding none of them are not read."""
        self._searcher = searcher
        self._within = sorted(within) if within is not None else None
        self._B = B
        self._K1 = K1
        self._norms: dict[str, list[float]] = {}
        self._lengths: dict[str, Sequence[int]] = {}
        self._weights: dict[tuple[str, str], dict[int, float] | None] = {}
        self._docs: dict[int, tuple[Any, AbstractSet[int] | None]] = {}

    def docs(self, q: Any) -> AbstractSet[int] | None:
        """The stories `q` matches (do not change the set); None for a query this cannot
        evaluate."""
        key = id(q)
        if key not in self._docs:  # the query is kept with its answer: ids are not reused
            self._docs[key] = (q, self._match(q))
        return self._docs[key][1]

    def _match(self, q: Any) -> AbstractSet[int] | None:
        if isinstance(q, wq.Term):
            weights = self._term_weights(q.fieldname, q.text)
            return None if weights is None else weights.keys()
        if type(q) is wq.Or and not q.minmatch and not q.scale:
            parts = self._all_docs(q.subqueries)
            return None if parts is None else set().union(*parts)
        if type(q) is wq.And:
            parts = self._all_docs([s for s in q.subqueries if not isinstance(s, wq.Not)])
            if not parts:
                return None
            parts.sort(key=len)
            found = set(parts[0]).intersection(*parts[1:])
            for n in q.subqueries:
                if isinstance(n, wq.Not):
                    found -= self._any_docs(n.query)
            return found
        if type(q) is wq.AndNot:
            kept = self.docs(q.a)
            return None if kept is None else kept - self._any_docs(q.b)
        if type(q) is wq.Phrase:
            return self._phrase_docs(q)
        return None

    def _phrase_docs(self, q: Any) -> AbstractSet[int] | None:
        """The stories holding the phrase's words at consecutive positions: Whoosh's
        `Phrase` with its default slop of 1. The words' posting lists give the stories
        holding all of them; only those stories' positions are read."""
        schema = self._searcher.schema
        if q.fieldname not in schema:
            return None
        field = schema[q.fieldname]
        if (
            q.slop != 1
            or not q.words
            or not field.format.supports("positions")
            or field.format.fixed_value_size() is not None
        ):
            return None
        parts = []
        for word in q.words:
            weights = self._term_weights(q.fieldname, word)
            if weights is None:
                return None
            parts.append(weights)
        parts.sort(key=len)
        candidates = sorted(set(parts[0]).intersection(*parts[1:]))
        if len(q.words) == 1 or not candidates:
            return set(candidates)
        positions = {w: self._positions(q.fieldname, w, candidates) for w in set(q.words)}
        rest = [(i, positions[w]) for i, w in enumerate(q.words) if i]
        found = set()
        for d in candidates:
            if any(all(p + i in at[d] for i, at in rest) for p in positions[q.words[0]][d]):
                found.add(d)
        return found

    def _positions(self, fieldname: str, text: str, docs: list[int]) -> dict[int, set[int]]:
        """Story -> the word's positions in the field, for the stories in `docs` (sorted)."""
        wanted = set(docs)
        found: dict[int, set[int]] = {}
        for _, offset, inner in term_matchers(self._searcher, fieldname, text):
            ids, values = inner.all_values(_holding(docs, offset))
            for d, value in zip(ids, values, strict=True):
                if d + offset in wanted:
                    found[d + offset] = set(decode_positions(value))
        return found

    def _all_docs(self, queries: list[Any]) -> list[AbstractSet[int]] | None:
        found = []
        for q in queries:
            docs = self.docs(q)
            if docs is None:
                return None
            found.append(docs)
        return found

    def _any_docs(self, q: Any) -> AbstractSet[int]:
        """What a left-out clause matches, through Whoosh when `docs` cannot tell."""
        found = self.docs(q)
        return set(self._searcher.docs_for_query(q)) if found is None else found

    def scores(self, q: Any, among: AbstractSet[int]) -> Scored:
        """Story number -> score for each story of `among` that `q` matches. Only for a
        query whose `docs` is not None."""
        if isinstance(q, wq.Term):
            return self._term_scores(q.fieldname, q.text, q.boost, among)
        if type(q) is wq.Or:
            return _boosted(_union([self.scores(sub, among) for sub in q.subqueries]), q)
        matched = self.docs(q)
        assert matched is not None
        among = _common(among, matched)
        if type(q) is wq.Phrase:  # Whoosh: the sum of its words' scores, times its boost
            words = [self._term_scores(q.fieldname, w, 1.0, among) for w in q.words]
            return {d: sum(s[d] for s in words) * q.boost for d in among}
        if type(q) is wq.And:
            parts = [self.scores(s, among) for s in q.subqueries if not isinstance(s, wq.Not)]
            # in Whoosh each NOT clause adds its boost to the stories it lets by
            bonus = sum(s.boost for s in q.subqueries if isinstance(s, wq.Not))
            return _boosted({d: sum(p[d] for p in parts) + bonus for d in among}, q)
        return self.scores(q.a, among)  # AndNot

    def _term_weights(self, fieldname: str, text: str) -> dict[int, float] | None:
        """Story number -> the word's weight in the field, for every live story holding
        it; None when a segment's matcher is not the codec's."""
        key = (fieldname, text)
        if key in self._weights:
            return self._weights[key]
        found: dict[int, float] = {}
        for reader, offset, inner in term_matchers(self._searcher, fieldname, text):
            if not isinstance(inner, LeafMatcher):
                self._weights[key] = None
                return None
            ids, weights = inner.all_postings(self._wanted(offset))
            found.update(zip(map(offset.__add__, ids) if offset else ids, weights, strict=True))
            if reader.has_deletions():
                for d in reader.deleted_docs_set:
                    found.pop(d + offset, None)
        self._weights[key] = found
        return found

    def _wanted(self, offset: int) -> Callable[[int, int], bool] | None:
        """Whether a block of a segment starting at `offset` holds a story `within`."""
        return None if self._within is None else _holding(self._within, offset)

    def _term_scores(
        self, fieldname: str, text: str, boost: float, among: AbstractSet[int]
    ) -> Scored:
        weights = self._term_weights(fieldname, text)
        assert weights is not None
        if not weights:
            return {}  # also spares Whoosh's idf a log(0) on an index with no stories
        docs = _common(among, weights.keys())
        if not self._searcher.schema[fieldname].scorable:
            return {d: weights[d] * boost for d in docs}
        c = self._searcher.idf(fieldname, text) * (self._K1 + 1) * boost
        norm = self._norm(fieldname)
        lengths = self._field_lengths(fieldname)
        return {d: c * (w := weights[d]) / (w + norm[lengths[d]]) for d in docs}

    def _field_lengths(self, fieldname: str) -> Sequence[int]:
        """Every story's one-byte length in the field, by story number."""
        found = self._lengths.get(fieldname)
        if found is None:
            packed = array("B")
            for leaf, _ in self._searcher.leaf_searchers():
                packed += _lengths(leaf.reader(), fieldname)
            found = self._lengths[fieldname] = packed
        return found

    def _norm(self, fieldname: str) -> list[float]:
        """K1 x (1 - B + B x length / average length) for each one-byte length."""
        norm = self._norms.get(fieldname)
        if norm is None:
            average = self._searcher.avg_field_length(fieldname) or 1
            B, K1 = self._B, self._K1
            norm = [K1 * ((1 - B) + B * byte_to_length(b) / average) for b in range(256)]
            self._norms[fieldname] = norm
        return norm


def _holding(docs: list[int], offset: int) -> Callable[[int, int], bool]:
    """A test of whether a block of a segment starting at `offset` holds one of `docs`
    (sorted story numbers), given the block's first and last story number."""

    def holds(first: int, last: int) -> bool:
        i = bisect.bisect_left(docs, first + offset)
        return i < len(docs) and docs[i] <= last + offset

    return holds


def _common(a: AbstractSet[int], b: AbstractSet[int]) -> AbstractSet[int]:
    """The stories in both, looking the smaller set's members up in the larger."""
    if a is b:
        return a
    if isinstance(a, set) and isinstance(b, set):
        return a & b
    if len(a) > len(b):
        a, b = b, a
    return {d for d in a if d in b}


def _boosted(found: Scored, q: Any) -> Scored:
    if q.boost != 1.0 and len(q.subqueries) > 1:
        return {d: s * q.boost for d, s in found.items()}
    return found


def _union(parts: list[Scored]) -> Scored:
    if len(parts) == 1:
        return parts[0]
    total: Scored = {}
    for part in parts:
        for d, s in part.items():
            total[d] = total.get(d, 0.0) + s
    return total


def top(found: Scored, wanted: int, searcher: Any) -> list[Ranked]:
    """The `wanted` best, by score and then story number, as Whoosh orders them."""
    best = heapq.nsmallest(wanted, found.items(), key=lambda item: (-item[1], item[0]))
    return [Ranked(d, s, searcher) for d, s in best]


def _lengths(reader: Any, fieldname: str) -> array[int]:
    """The one-byte field lengths of a segment's stories, read in one piece (Whoosh's
    column reader unpacks them one at a time)."""
    column = reader._perdoc._cached_reader(f"_{fieldname}_len", _LENGTHS)
    packed = array("B")
    if isinstance(column, columns.NumericColumn.Reader):
        packed.frombytes(column._dbfile.get(column._basepos, column._count))
    packed.frombytes(bytes(reader.doc_count_all() - len(packed)))
    return packed


_LENGTHS = columns.NumericColumn("B", default=0)
