"""BM25F scores of word queries, computed a posting list at a time.

Whoosh ranks by stepping a tree of matchers through every candidate story in Python
(`id`, `next`, `skip_to`, `score` on each node): most of a search's time. For queries
built only of words (`Term`) and exact phrases joined by OR and AND, with NOT clauses,
`Scores` computes the same numbers in bulk instead, in two steps:

1. `docs` (`matching.Matches`): the stories a query matches, by set algebra over each
   word's posting lists, read a block at a time (`segments.posting_arrays`);
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
go to the lower story code, so that the order does not depend on how the index was built.
Anything else (phrases with a slop, ranges, `*`) makes `docs` return None and is left to
Whoosh.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from whoosh import query as wq
from whoosh.util.numeric import byte_to_length

from newssearch.engine.matching import Matches
from newssearch.engine.postings import field_lengths
from newssearch.engine.stats import CorpusStats, Frequencies, Idf
from newssearch.errors import reads_index

Scored = dict[int, float]


@dataclass(frozen=True, slots=True)
class Ranked:
    """One ranked story: its number in the searcher and its score."""

    docnum: int
    score: float


_PRUNE_FROM = 500
"""`best` scores every story when asked about no more than this many."""


class Scores(Matches):
    """Evaluates and scores word queries against one searcher (one per search)."""

    def __init__(
        self,
        searcher: Any,
        B: float,
        K1: float,
        within: AbstractSet[int] | None = None,
        *,
        idf: Idf,
        stats: CorpusStats | None = None,
    ) -> None:
        """`within`: as for `Matches`. `idf`: the ranking's idf. `stats`: corpus
        statistics to score with instead of the index's own (a word they do not list
        counts as in no story)."""
        super().__init__(searcher, within)
        self._B = B
        self._K1 = K1
        self.frequencies = Frequencies(idf, searcher=searcher, stats=stats)
        """Where story counts and word frequencies come from."""
        self._norms: dict[str, list[float]] = {}
        self._lengths: dict[str, Sequence[int]] = {}

    def doc_count(self) -> int:
        """How many stories the scores count with."""
        return self.frequencies.doc_count()

    def idf(self, fieldname: str, text: str) -> float:
        """The word's idf in the field, from the corpus statistics scored with."""
        return self.frequencies.idf(fieldname, text)

    @reads_index
    def scores(self, q: Any, among: AbstractSet[int]) -> Scored:
        """Story number -> score for each story of `among` that `q` matches. Only for a
        query whose `docs` is not None."""
        if isinstance(q, wq.Term):
            return self._term_scores(q.fieldname, q.text, q.boost, among)
        if type(q) is wq.Or:
            return _boosted(_union([self.scores(sub, among) for sub in q.subqueries]), q)
        among = self.among(q, among)
        if type(q) is wq.Phrase:  # Whoosh: the sum of its words' scores, times its boost
            words = [self._term_scores(q.fieldname, w, 1.0, among) for w in q.words]
            return {d: sum(s[d] for s in words) * q.boost for d in among}
        if type(q) is wq.And:
            parts = [self.scores(s, among) for s in q.subqueries if not isinstance(s, wq.Not)]
            # in Whoosh each NOT clause adds its boost to the stories it lets by
            bonus = sum(s.boost for s in q.subqueries if isinstance(s, wq.Not))
            return _boosted({d: sum(p[d] for p in parts) + bonus for d in among}, q)
        return self.scores(q.a, among)  # AndNot

    @reads_index
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
            return top(self.scores(q, among), wanted, self.code)
        ceilings = sorted(
            ((c * self._ceiling(f, t), f, t) for (f, t), c in terms.items()), reverse=True
        )
        left = sum(c for c, _, _ in ceilings)
        scored: Scored = {}
        for ceiling, fieldname, text in ceilings:
            left -= ceiling
            pool = self.holding_word(fieldname, text, among)
            scored.update(self.scores(q, {d for d in pool if d not in scored}))
            if (
                len(scored) >= wanted
                and constant + left < heapq.nlargest(wanted, scored.values())[-1]
            ):
                break
        else:
            scored.update(self.scores(q, {d for d in among if d not in scored}))
        return top(scored, wanted, self.code)

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
            c = self.idf(fieldname, text) * (self._K1 + 1) if scorable else 1.0
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
        idf = self.idf(fieldname, text)
        return float(idf * (self._K1 + 1) * weight / (weight + shortest))

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
        c = self.idf(fieldname, text) * (self._K1 + 1) * boost
        norm = self._norm(fieldname)
        lengths = self._field_lengths(fieldname)
        return {d: c * w / (w + norm[lengths[d]]) for d, w in weights.items()}

    def _field_lengths(self, fieldname: str) -> Sequence[int]:
        """Every story's one-byte length in the field, by story number."""
        found = self._lengths.get(fieldname)
        if found is None:
            packed = array("B")
            for leaf, _ in self._searcher.leaf_searchers():
                packed += field_lengths(leaf.reader(), fieldname)
            found = self._lengths[fieldname] = packed
        return found

    def _norm(self, fieldname: str) -> list[float]:
        """K1 x (1 - B + B x length / average length) for each one-byte length."""
        norm = self._norms.get(fieldname)
        if norm is None:
            average = self.frequencies.average_length(fieldname)
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


def top(found: Scored, wanted: int, code: Callable[[int], str]) -> list[Ranked]:
    """The `wanted` best, by score, then by story code (`code` gives a story's): equal
    scores come in the same order whatever the segments and story numbers of the build."""
    if len(found) <= wanted:
        best = sorted(found.items(), key=lambda item: (-item[1], code(item[0])))
        return [Ranked(d, s) for d, s in best]
    # every story that scores at least the wanted-th best is a candidate: ties included
    cut = heapq.nlargest(wanted, found.values())[-1]
    candidates = [(d, s) for d, s in found.items() if s >= cut]
    candidates.sort(key=lambda item: (-item[1], code(item[0])))
    return [Ranked(d, s) for d, s in candidates[:wanted]]
