"""Which stories a word query matches, by set algebra over posting lists.

`Matches.docs` evaluates queries built of words (`Term`) and exact phrases joined by OR
and AND, with NOT clauses, from each word's posting lists (`postings.read_term`), read a
block at a time; an exact phrase reads the positions of just the stories holding all of
its words. Anything else makes `docs` return None, and is left to Whoosh. `scoring.Scores`
builds on it.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Set as AbstractSet
from typing import Any

from whoosh import query as wq

from newssearch.engine.fields import CompactPositions, iter_positions
from newssearch.engine.postings import TermPostings, holding, read_term
from newssearch.engine.segments import column_value, read_values, term_infos
from newssearch.errors import reads_index


class Matches:
    """Evaluates word queries against one searcher (create one per search)."""

    def __init__(self, searcher: Any, within: AbstractSet[int] | None = None) -> None:
        """`within`: the stories the caller will keep (date limits); `docs` may then
        leave out others, and posting blocks holding none of them are not read."""
        self._searcher = searcher
        self._within = sorted(within) if within is not None else None
        self._postings: dict[tuple[str, str], TermPostings | None] = {}
        self._docs: dict[int, tuple[Any, AbstractSet[int] | None]] = {}

    @reads_index
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
            found.update(read_values(reader, info, wanted, holding(docs, offset), base=offset))
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

    def code(self, docnum: int) -> str:
        """A story's code (the tie-breaker of equal scores)."""
        return column_value(self._searcher, "code", docnum).decode()

    def _term_postings(self, fieldname: str, text: str) -> TermPostings | None:
        """The word's postings in the field, read once per search (`postings.read_term`)."""
        key = (fieldname, text)
        if key not in self._postings:
            self._postings[key] = read_term(self._searcher, fieldname, text, self._within)
        return self._postings[key]
