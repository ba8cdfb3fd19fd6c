"""BM25F scores of word queries, computed a posting list at a time.

Whoosh ranks by stepping a tree of matchers through every candidate story in Python
(`id`, `next`, `skip_to`, `score` on each node): most of a search's time. For queries
built only of words (`Term`) joined by OR and AND, with NOT clauses, `Scores` computes
the same numbers in bulk instead: each word's posting list is read a block at a time
(`codec.LeafMatcher.all_postings`) and scored in one loop, and the clauses are combined
with dictionaries. The formula is Whoosh's BM25F as `ranking.weighting()` configures it:

    idf x tf x (K1 + 1) / (tf + K1 x (1 - B + B x length / average length))

with Whoosh's idf (1 + log(stories / (df + 1))), its one-byte field lengths, term boosts,
and compound boosts (Whoosh applies them to clauses of two or more parts); fields that
are not scorable score their weight. Scores agree with Whoosh's to rounding (tested); ties
go to the lower story number, as in Whoosh. Anything else (phrases, ranges, `*`) returns
None and is left to Whoosh.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from whoosh import columns
from whoosh import query as wq
from whoosh.util.numeric import byte_to_length

from newssearch.codec import LeafMatcher, term_matchers

Scored = dict[int, float]


@dataclass
class Ranked:
    """One hit: what `search` reads of Whoosh's `Hit` (number, score, stored fields)."""

    docnum: int
    score: float
    searcher: Any

    def fields(self) -> dict[str, Any]:
        return dict(self.searcher.stored_fields(self.docnum))


class Scores:
    """Evaluates word queries against one searcher (create one per search)."""

    def __init__(self, searcher: Any, B: float, K1: float) -> None:
        self._searcher = searcher
        self._B = B
        self._K1 = K1
        self._norms: dict[str, list[float]] = {}
        self._memo: dict[int, Scored | None] = {}

    def scores(self, q: Any) -> Scored | None:
        """Story number -> score for every story `q` matches; None for a query this
        cannot evaluate."""
        key = id(q)
        if key not in self._memo:
            self._memo[key] = self._evaluate(q)
        return self._memo[key]

    def _evaluate(self, q: Any) -> Scored | None:
        if isinstance(q, wq.Term):
            return self._term(q.fieldname, q.text, q.boost)
        if type(q) is wq.Or and not q.minmatch and not q.scale:
            parts = [self.scores(sub) for sub in q.subqueries]
            if any(p is None for p in parts):
                return None
            return _boosted(_union([p for p in parts if p is not None]), q)
        if type(q) is wq.And:
            nots = [s for s in q.subqueries if isinstance(s, wq.Not)]
            parts = [self.scores(s) for s in q.subqueries if not isinstance(s, wq.Not)]
            if not parts or any(p is None for p in parts):
                return None
            found = _intersection([p for p in parts if p is not None])
            if nots:  # in Whoosh each NOT clause adds its boost to the stories it lets by
                bonus = sum(n.boost for n in nots)
                found = {d: v + bonus for d, v in found.items()}
            return self._without(_boosted(found, q), [n.query for n in nots])
        if type(q) is wq.AndNot:
            kept = self.scores(q.a)
            return None if kept is None else self._without(dict(kept), [q.b])
        return None

    def _without(self, found: Scored, negative: list[Any]) -> Scored:
        from newssearch.search import query_docs

        for q in negative:
            for docnum in query_docs(self._searcher, q) & found.keys():
                del found[docnum]
        return found

    def _term(self, fieldname: str, text: str, boost: float) -> Scored | None:
        searcher = self._searcher
        field = searcher.schema[fieldname]
        scorable = field.scorable
        if not searcher.doc_frequency(fieldname, text):
            return {}  # also spares Whoosh's idf a log(0) on an index with no stories
        if scorable:
            c = searcher.idf(fieldname, text) * (self._K1 + 1) * boost
            norm = self._norm(fieldname)
        found: Scored = {}
        for reader, offset, inner in term_matchers(searcher, fieldname, text):
            if not isinstance(inner, LeafMatcher):
                return None
            ids, weights = inner.all_postings()
            if scorable:
                lengths = _lengths(reader, fieldname)
                scores = [c * w / (w + norm[lengths[d]]) for d, w in zip(ids, weights, strict=True)]
            else:
                scores = [w * boost for w in weights]
            if offset:
                ids = [d + offset for d in ids]
            found.update(zip(ids, scores, strict=True))
            if reader.has_deletions():
                for d in reader.deleted_docs_set:
                    found.pop(d + offset, None)
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


def _intersection(parts: list[Scored]) -> Scored:
    ordered = sorted(parts, key=len)
    common = set(ordered[0]).intersection(*ordered[1:])
    return {d: sum(p[d] for p in parts) for d in common}


def top(found: Scored, wanted: int, searcher: Any) -> list[Ranked]:
    """The `wanted` best, by score and then story number, as Whoosh orders them."""
    best = heapq.nsmallest(wanted, found.items(), key=lambda item: (-item[1], item[0]))
    return [Ranked(d, s, searcher) for d, s in best]


def _lengths(reader: Any, fieldname: str) -> Sequence[int]:
    """The one-byte field lengths of a segment's stories, read in one piece (Whoosh's
    column reader unpacks them one at a time)."""
    column = reader._perdoc._cached_reader(f"_{fieldname}_len", _LENGTHS)
    packed = array("B")
    if isinstance(column, columns.NumericColumn.Reader):
        packed.frombytes(column._dbfile.get(column._basepos, column._count))
    packed.frombytes(bytes(reader.doc_count_all() - len(packed)))
    return packed


_LENGTHS = columns.NumericColumn("B", default=0)
