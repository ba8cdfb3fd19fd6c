"""BM25F scores of word queries, computed a posting list at a time.

Whoosh ranks by stepping a tree of matchers through every candidate story in Python
(`id`, `next`, `skip_to`, `score` on each node): most of a search's time. For queries
built only of words (`Term`) and exact phrases joined by OR and AND, with NOT clauses,
`Scores` computes the same numbers in bulk instead, on numpy arrays, in three steps:

1. `docs`, `count` (`matching.Matches`): the stories a query matches, by algebra on
   masks made from each word's posting lists (`segments.posting_arrays`);
2. `scores`: the scores of just the stories asked about -- a search asks about the
   stories of its first tier not shut out by date limits, and about a broader tier only
   when the first runs short, so a common word costs an array operation, not a score
   per posting;
3. `best`: the top stories of those.

The formula is Whoosh's BM25F as `ranking.weighting()` configures it:

    idf x tf x (K1 + 1) / (tf + K1 x (1 - B + B x length / average length))

with the searcher's idf (`ranking.idf`), Whoosh's one-byte field lengths, term boosts,
and compound boosts (Whoosh applies them to clauses of two or more parts); fields that
are not scorable score their weight. Each story's sum is taken in the order of Whoosh's
matchers, so scores agree with Whoosh's to rounding (tested); ties
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

import numpy as np
import numpy.typing as npt
from whoosh import query as wq
from whoosh.util.numeric import byte_to_length

from newssearch.engine.matching import Matches
from newssearch.engine.postings import Numbers, field_lengths, numbers
from newssearch.engine.stats import CorpusStats, Frequencies, Idf
from newssearch.errors import reads_index

Scored = dict[int, float]

Flags = npt.NDArray[np.bool_]
"""One flag per story of an array of story numbers."""

Values = npt.NDArray[np.float64]
"""One score per story of an array of story numbers."""


@dataclass(frozen=True, slots=True)
class Ranked:
    """One ranked story: its number in the searcher and its score."""

    docnum: int
    score: float


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
        self._norms: dict[str, Values] = {}
        self._lengths: dict[str, npt.NDArray[np.uint8]] = {}

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
        docs = np.sort(numbers(among))
        held, values = self._array_scores(q, docs)
        return dict(zip(docs[held].tolist(), values[held].tolist(), strict=True))

    @reads_index
    def best(self, q: Any, among: AbstractSet[int], wanted: int) -> list[Ranked]:
        """The `wanted` best stories of `among` that `q` matches, as `top` orders them
        (only for a query whose `docs` is not None)."""
        docs = np.sort(numbers(among))
        held, values = self._array_scores(q, docs)
        docs, values = docs[held], values[held]
        if len(values) > wanted:
            # every story that scores at least the wanted-th best is a candidate: ties
            cut = np.partition(values, len(values) - wanted)[len(values) - wanted]
            docs, values = docs[values >= cut], values[values >= cut]
        return top(dict(zip(docs.tolist(), values.tolist(), strict=True)), wanted, self.code)

    def _array_scores(self, q: Any, docs: Numbers) -> tuple[Flags, Values]:
        """Which of `docs` (ascending story numbers) `q` matches, and the score of each
        (0 where it does not match). Each score is summed in the order, and with the
        operations, of Whoosh's matchers, so that it is the same float."""
        if isinstance(q, wq.Term):
            return self._term_scores(q.fieldname, q.text, q.boost, docs)
        if type(q) is wq.Or:
            parts = [self._array_scores(sub, docs) for sub in q.subqueries]
            if len(parts) == 1:
                return parts[0]
            held = np.zeros(len(docs), np.bool_)
            total = np.zeros(len(docs))
            for part_held, part in parts:
                held |= part_held
                total += part
            return held, _boosted(total, q)
        matched = self.mask(q)
        assert matched is not None
        held = matched[docs]
        kept = docs[held]
        found = np.zeros(len(docs))
        if type(q) is wq.Phrase:  # Whoosh: the sum of its words' scores, times its boost
            total = np.zeros(len(kept))
            for word in q.words:
                total += self._term_scores(q.fieldname, word, 1.0, kept)[1]
            found[held] = total * q.boost
        elif type(q) is wq.And:
            total = np.zeros(len(kept))
            for sub in q.subqueries:
                if not isinstance(sub, wq.Not):
                    total += self._array_scores(sub, kept)[1]
            # in Whoosh each NOT clause adds its boost to the stories it lets by
            bonus = sum(sub.boost for sub in q.subqueries if isinstance(sub, wq.Not))
            found[held] = _boosted(total + bonus, q)
        else:  # AndNot
            found[held] = self._array_scores(q.a, kept)[1]
        return held, found

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
                norm = float(self._norm(fieldname)[self._field_lengths(fieldname)[docnum]])
                for text, coefficient in coefficients.items():  # a fixed order: the same sum
                    tf = tfs.get(text)
                    if tf is not None:
                        total += coefficient * tf / (tf + norm)
            found.append(total)
        return found

    def _term_scores(
        self, fieldname: str, text: str, boost: float, docs: Numbers
    ) -> tuple[Flags, Values]:
        postings = self._term_postings(fieldname, text)
        assert postings is not None
        if not postings:
            return np.zeros(len(docs), np.bool_), np.zeros(len(docs))
        held, weights = postings.weights_at(docs)
        if not self._searcher.schema[fieldname].scorable:
            return held, weights * boost
        c = self.idf(fieldname, text) * (self._K1 + 1) * boost
        found = np.zeros(len(docs))
        weights = weights[held]
        norm = self._norm(fieldname)[self._field_lengths(fieldname)[docs[held]]]
        found[held] = c * weights / (weights + norm)
        return held, found

    def _field_lengths(self, fieldname: str) -> npt.NDArray[np.uint8]:
        """Every story's one-byte length in the field, by story number."""
        found = self._lengths.get(fieldname)
        if found is None:
            packed = array("B")
            for leaf, _ in self._searcher.leaf_searchers():
                packed += field_lengths(leaf.reader(), fieldname)
            found = self._lengths[fieldname] = np.frombuffer(packed, np.uint8)
        return found

    def _norm(self, fieldname: str) -> Values:
        """K1 x (1 - B + B x length / average length) for each one-byte length."""
        norm = self._norms.get(fieldname)
        if norm is None:
            average = self.frequencies.average_length(fieldname)
            B, K1 = self._B, self._K1
            norm = np.array([K1 * ((1 - B) + B * byte_to_length(b) / average) for b in range(256)])
            self._norms[fieldname] = norm
        return norm


def _boosted(found: Values, q: Any) -> Values:
    """Whoosh applies a compound query's boost only when it has two or more parts."""
    if q.boost != 1.0 and len(q.subqueries) > 1:
        boosted: Values = found * float(q.boost)
        return boosted
    return found


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
