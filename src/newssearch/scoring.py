"""BM25F scores of word queries, computed a posting list at a time.

Whoosh ranks by stepping a tree of matchers through every candidate story in Python
(`id`, `next`, `skip_to`, `score` on each node): most of a search's time. For queries
built only of words (`Term`) and exact phrases joined by OR and AND, with NOT clauses,
`Scores` computes the same numbers in bulk instead, in two steps:

1. `docs`: the stories a query matches, by set algebra over each word's posting lists,
   read a block at a time (`segments.read_postings`);
2. `scores`: the scores of just the stories asked about -- a search asks about the
   stories of its first tier not shut out by date limits, and about a broader tier only
   when the first runs short, so a common word costs a set operation, not a score per
   posting;
3. `best`: the top stories of those, leaving unscored the ones that cannot reach the
   top by the ceilings of the words they hold (MaxScore).

The formula is Whoosh's BM25F as `ranking.weighting()` configures it:

    idf x tf x (K1 + 1) / (tf + K1 x (1 - B + B x length / average length))

with the searcher's idf (`ranking.idf`), Whoosh's one-byte field lengths, term boosts,
and compound boosts (Whoosh applies them to clauses of two or more parts); fields that
are not scorable score their weight. Scores agree with Whoosh's to rounding (tested); ties
go to the lower story number, as in Whoosh. Anything else (phrases with a slop, ranges,
`*`) makes `docs` return None and is left to Whoosh.
"""

from __future__ import annotations

import bisect
import heapq
from array import array
from collections.abc import Callable, Collection, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from whoosh import columns
from whoosh import query as wq
from whoosh.util.numeric import byte_to_length, length_to_byte

from newssearch.postings import CompactPositions, iter_positions
from newssearch.segments import is_compact, read_postings, read_values, term_infos

Scored = dict[int, float]


@dataclass
class Ranked:
    """One hit: what `search` reads of Whoosh's `Hit` (its number, score and searcher)."""

    docnum: int
    score: float
    searcher: Any


class _Postings:
    """One word's postings in one field across the searcher's segments: the live stories
    holding it in ascending order, and its weight in each. The set and map of them are
    made only when asked for (on a common word each costs more than the reading)."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.weights: list[float] = []
        self.max_weight = 0.0
        """The largest weight (Whoosh's term statistics, deleted stories included)."""
        self.min_length = 0
        """The shortest field length, as its one byte (0 when there are no postings)."""
        self._set: set[int] | None = None
        self._map: dict[int, float] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def docs(self) -> set[int]:
        if self._set is None:
            self._set = set(self.ids)
        return self._set

    def weights_of(self, among: AbstractSet[int]) -> dict[int, float]:
        """Story -> weight for each story of `among` holding the word: by binary search
        when `among` is a small share of the postings, else from a map of them all."""
        if self._map is None and len(among) * _SEARCH_SHARE < len(self.ids):
            ids, weights, n = self.ids, self.weights, len(self.ids)
            found = {}
            for d in among:
                i = bisect.bisect_left(ids, d)
                if i < n and ids[i] == d:
                    found[d] = weights[i]
            return found
        if self._map is None:
            self._map = dict(zip(self.ids, self.weights, strict=True))
        known = self._map
        return {d: known[d] for d in _common(among, known.keys())}


_PRUNE_FROM = 500
"""`best` scores every story when asked about no more than this many."""
_SEARCH_SHARE = 16
"""`weights_of` searches when the stories asked about are fewer than 1/this of the
postings (a binary search costs about as much as this many map entries made)."""


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
        self._postings: dict[tuple[str, str], _Postings | None] = {}
        self._docs: dict[int, tuple[Any, AbstractSet[int] | None]] = {}
        self._gone: dict[int, set[int]] = {}

    def docs(self, q: Any) -> AbstractSet[int] | None:
        """The stories `q` matches (do not change the set); None for a query this cannot
        evaluate."""
        key = id(q)
        if key not in self._docs:  # the query is kept with its answer: ids are not reused
            self._docs[key] = (q, self._match(q))
        return self._docs[key][1]

    def _match(self, q: Any) -> AbstractSet[int] | None:
        if isinstance(q, wq.Term):
            postings = self._term_postings(q.fieldname, q.text)
            return None if postings is None else postings.docs()
        if type(q) is wq.Or and not q.minmatch and not q.scale:
            parts = self._all_members(q.subqueries)
            if parts is None:
                return None
            parts.sort(key=len)
            found = set(parts.pop()) if parts else set()
            found.update(*parts)
            return found
        if type(q) is wq.And:
            parts = self._all_members([s for s in q.subqueries if not isinstance(s, wq.Not)])
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
        parts = self._all_members([wq.Term(q.fieldname, word) for word in q.words])
        if parts is None:
            return None
        parts.sort(key=len)
        candidates = sorted(set(parts[0]).intersection(*parts[1:]))
        if len(q.words) == 1 or not candidates:
            return set(candidates)
        positions = {w: self._positions(q.fieldname, w, candidates) for w in set(q.words)}
        first = positions[q.words[0]]
        rest = [(i.__rsub__, positions[w]) for i, w in enumerate(q.words) if i]
        decode = (
            iter_positions
            if isinstance(field.format, CompactPositions)
            else field.format.decode_positions
        )
        *middle, (back, last) = rest  # back: from a word's position to the phrase's start
        found = set()
        for d in candidates:
            starts = set(decode(first[d]))  # where the phrase may start
            for middle_back, at in middle:
                starts.intersection_update(map(middle_back, decode(at[d])))
            if not starts.isdisjoint(map(back, decode(last[d]))):
                found.add(d)
        return found

    def _positions(self, fieldname: str, text: str, docs: list[int]) -> dict[int, bytes]:
        """Story -> the word's encoded positions in the field, for the stories in `docs`
        (sorted) that hold it."""
        wanted = set(docs)
        found: dict[int, bytes] = {}
        for reader, offset, info in term_infos(self._searcher, fieldname, text):
            found.update(read_values(reader, info, wanted, _holding(docs, offset), base=offset))
        return found

    def _all_members(self, queries: list[Any]) -> list[Collection[int]] | None:
        """The stories each query matches, as sets or, for words whose set is not made
        yet, as their postings' story lists (set operations take either); None when
        one of them cannot be evaluated."""
        found: list[Collection[int]] = []
        for q in queries:
            members: Collection[int] | None
            if isinstance(q, wq.Term) and id(q) not in self._docs:
                postings = self._term_postings(q.fieldname, q.text)
                members = None if postings is None else postings.ids
            else:
                members = self.docs(q)
            if members is None:
                return None
            found.append(members)
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

    def best(self, q: Any, among: AbstractSet[int], wanted: int) -> list[Ranked]:
        """The `wanted` best stories of `among` that `q` matches, as `top` orders them
        (only for a query whose `docs` is not None), scoring as few as it can.

        A query's score is a sum over its words of a coefficient (its boosts) times the
        word's term score (`_linear`), and a word's term score has a ceiling from its
        largest weight and shortest field (`_ceiling`). Stories are scored a word at a
        time, the words with the highest ceilings first; once the `wanted`th best score
        so far is above what the words not yet taken could add up to, no story holding
        only those words can reach it, and the rest are left unscored. This is MaxScore
        (Turtle and Flood, 1995) over sets of stories instead of posting cursors."""
        terms: dict[tuple[str, str], float] = {}
        constant = self._linear(q, 1.0, terms)
        if constant is None or len(among) <= _PRUNE_FROM or min(terms.values(), default=0) < 0:
            return top(self.scores(q, among), wanted, self._searcher)
        ceilings = sorted(
            ((c * self._ceiling(f, t), f, t) for (f, t), c in terms.items()), reverse=True
        )
        left = sum(c for c, _, _ in ceilings)
        scored: Scored = {}
        for ceiling, fieldname, text in ceilings:
            left -= ceiling
            postings = self._term_postings(fieldname, text)
            assert postings is not None
            pool = _common(among, postings.docs())
            scored.update(self.scores(q, {d for d in pool if d not in scored}))
            if (
                len(scored) >= wanted
                and constant + left < heapq.nlargest(wanted, scored.values())[-1]
            ):
                break
        else:
            scored.update(self.scores(q, {d for d in among if d not in scored}))
        return top(scored, wanted, self._searcher)

    def counted_scores(
        self,
        docnums: Sequence[int],
        counts: Sequence[dict[str, dict[str, int]]],
        terms: dict[tuple[str, str], float],
    ) -> list[float]:
        """The scores the stories would have for an OR of words, `terms` ((field, word)
        -> boost), from how often each story holds each word (`counts`, in the order of
        `docnums`: field -> word -> count, as the index counts them) instead of from the
        words' postings: what `scores` gives for such a query, without reading a
        posting list."""
        fields: dict[str, dict[str, float]] = {}
        for (fieldname, text), boost in terms.items():
            scorable = self._searcher.schema[fieldname].scorable
            c = self._searcher.idf(fieldname, text) * (self._K1 + 1) if scorable else 1.0
            fields.setdefault(fieldname, {})[text] = c * boost
        found = []
        for docnum, held in zip(docnums, counts, strict=True):
            total = 0.0
            for fieldname, coefficients in fields.items():
                tfs = held.get(fieldname, {})
                if not self._searcher.schema[fieldname].scorable:
                    total += sum(tfs[t] * c for t, c in coefficients.items() if t in tfs)
                    continue
                norm = self._norm(fieldname)[self._field_lengths(fieldname)[docnum]]
                for text in coefficients.keys() & tfs.keys():
                    tf = tfs[text]
                    total += coefficients[text] * tf / (tf + norm)
            found.append(total)
        return found

    def _linear(
        self, q: Any, coefficient: float, terms: dict[tuple[str, str], float]
    ) -> float | None:
        """Add to `terms` each word's coefficient in `q`'s score, times `coefficient`, and
        return the part of the score that is the same for every story (NOT clauses' boosts);
        None for a query `scores` does not take apart."""
        if isinstance(q, wq.Term) or type(q) is wq.Phrase:
            for word in [q.text] if isinstance(q, wq.Term) else q.words:
                key = (q.fieldname, word)
                terms[key] = terms.get(key, 0.0) + coefficient * q.boost
            return 0.0
        if type(q) is wq.AndNot:
            return self._linear(q.a, coefficient, terms)
        if type(q) not in (wq.Or, wq.And):
            return None
        if q.boost != 1.0 and len(q.subqueries) > 1:  # as `_boosted`
            coefficient *= q.boost
        constant = 0.0
        for sub in q.subqueries:
            if type(q) is wq.And and isinstance(sub, wq.Not):
                constant += sub.boost * coefficient
                continue
            part = self._linear(sub, coefficient, terms)
            if part is None:
                return None
            constant += part
        return constant

    def _ceiling(self, fieldname: str, text: str) -> float:
        """The highest term score the word can have in the field: its largest weight in
        a story of the field's shortest length among those holding it."""
        postings = self._term_postings(fieldname, text)
        assert postings is not None
        if not postings:
            return 0.0
        weight = postings.max_weight
        if not self._searcher.schema[fieldname].scorable:
            return float(weight)
        shortest = self._norm(fieldname)[postings.min_length]
        idf = self._searcher.idf(fieldname, text)
        return float(idf * (self._K1 + 1) * weight / (weight + shortest))

    def _term_postings(self, fieldname: str, text: str) -> _Postings | None:
        """The word's postings in the field, for every live story holding it (or, with
        `within`, at least those of them); None when a segment is not the codec's."""
        key = (fieldname, text)
        if key in self._postings:
            return self._postings[key]
        found = _Postings()
        lengths = []
        for reader, offset, info in term_infos(self._searcher, fieldname, text):
            if not is_compact(reader):
                self._postings[key] = None
                return None
            ids, weights = read_postings(reader, info, self._wanted(offset), base=offset)
            if reader.has_deletions():
                # the few deleted stories are cut out of the sorted lists, instead of
                # testing every posting in Python
                for d in sorted(self._deleted(reader, offset).intersection(ids), reverse=True):
                    i = bisect.bisect_left(ids, d)
                    del ids[i], weights[i]
            found.ids += ids
            found.weights += weights
            found.max_weight = max(found.max_weight, info.max_weight())
            lengths.append(length_to_byte(info.min_length()))
        found.min_length = min(lengths, default=0)
        self._postings[key] = found
        return found

    def _deleted(self, reader: Any, offset: int) -> set[int]:
        """The story numbers of a segment's deleted stories, made once per search."""
        found = self._gone.get(offset)
        if found is None:
            found = self._gone[offset] = {d + offset for d in reader.deleted_docs_set}
        return found

    def _wanted(self, offset: int) -> Callable[[int, int], bool] | None:
        """Whether a block of a segment starting at `offset` holds a story `within`."""
        return None if self._within is None else _holding(self._within, offset)

    def _term_scores(
        self, fieldname: str, text: str, boost: float, among: AbstractSet[int]
    ) -> Scored:
        postings = self._term_postings(fieldname, text)
        assert postings is not None
        if not postings:
            return {}
        weights = postings.weights_of(among)
        if not self._searcher.schema[fieldname].scorable:
            return {d: w * boost for d, w in weights.items()}
        c = self._searcher.idf(fieldname, text) * (self._K1 + 1) * boost
        norm = self._norm(fieldname)
        lengths = self._field_lengths(fieldname)
        return {d: c * w / (w + norm[lengths[d]]) for d, w in weights.items()}

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
