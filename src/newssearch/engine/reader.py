"""`IndexView`: what `searching` may ask of the index, through one searcher.

A view wraps one Whoosh searcher (a point-in-time view of the index's segments) and
answers in story numbers, words and plain values: which stories a query matches, the
best of them (`Scores` for words and phrases, Whoosh's matchers for the rest), a story's
stored fields, path and date, the dates of the whole archive sorted once, the words a
wildcard stands for, spelling candidates and word statistics.

Every method that reads index files is marked `reads_index`, so a damaged file surfaces
as `IndexReadError` (and, from the facade, as `IndexDamaged`), while an error in the
searching code around it stays a bug.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh import sorting
from whoosh.util.times import datetime_to_long, long_to_datetime

from newssearch.engine.matching import Matches
from newssearch.engine.scoring import Ranked, Scores
from newssearch.engine.segments import column_numbers, column_strings, column_value, stored_fields
from newssearch.engine.stats import CorpusStats, Idf
from newssearch.engine.vocabulary import edit_distance, fuzzy_words, word_ends
from newssearch.errors import reads_index

MISSING_DATE = 2**64 - 1
"""What Whoosh's date column holds for a story without a date."""


MAX_SPELLED_CHARS = 40
"""Longer words get no spelling suggestions (no word of a headline is that long, and
comparing one with the vocabulary costs in proportion to its length squared)."""


class IndexView:
    """One searcher's view of the index, keeping what it works out for later searches
    (the archive's dates in order, the headline vocabulary by length); one thread's."""

    def __init__(self, searcher: Any) -> None:
        self._searcher = searcher
        self._date_segments: list[_Dates] | None = None
        self._vocabulary: dict[int, list[str]] | None = None
        self._languages: list[str] | None = None

    @property
    def searcher(self) -> Any:
        """The Whoosh searcher (for `engine` code only)."""
        return self._searcher

    @property
    def schema(self) -> Any:
        return self._searcher.schema

    def analyze(self, text: str) -> list[str]:
        """The indexed words (stems) the query analyzer makes of `text`."""
        return [t.text for t in self._searcher.schema["body"].analyzer(text)]

    # -- matching and ranking -------------------------------------------------------

    def scores(
        self,
        B: float,
        K1: float,
        within: AbstractSet[int] | None = None,
        *,
        idf: Idf,
        stats: CorpusStats | None = None,
    ) -> Scores:
        """A `Scores` for one search (BM25 with these parameters and `idf`; `within`: the
        stories the caller will keep; `stats`: corpus statistics other than the index's)."""
        return Scores(self._searcher, B=B, K1=K1, within=within, idf=idf, stats=stats)

    @reads_index
    def corpus_stats(self, words: list[tuple[str, str]]) -> CorpusStats:
        """This index's corpus statistics for the (field, word) pairs `words`."""
        reader = self._searcher.reader()
        return CorpusStats(
            doc_count=self._searcher.doc_count_all(),
            field_lengths={f: reader.field_length(f) for f in ("headline", "body")},
            doc_frequencies={(f, w): reader.doc_frequency(f, w) for f, w in set(words)},
        )

    def doc_count(self) -> int:
        """How many stories the index holds, deleted ones included (as idf counts them)."""
        count: int = self._searcher.doc_count_all()
        return count

    @reads_index
    def matches(self, q: Any, scores: Scores | None = None) -> AbstractSet[int]:
        """The numbers of the stories `q` matches: from `scores` for words and phrases
        (a set operation over posting lists), else through Whoosh's matchers."""
        found = scores.docs(q) if scores is not None else None
        return set(self._searcher.docs_for_query(q)) if found is None else found

    @reads_index
    def whoosh_ranked(
        self,
        q: Any,
        *,
        limit: int,
        within: AbstractSet[int] | None = None,
        exclude: AbstractSet[int] | None = None,
        by_date: str | None = None,
    ) -> list[Ranked]:
        """The best `limit` stories for `q` ranked by Whoosh (queries `Scores` does not
        take apart), or ordered by date (`by_date` "newest" or "oldest"; stories without
        a date last) with score 0."""
        facet = None
        if by_date is not None:
            facet = sorting.MultiFacet(
                [
                    sorting.FieldFacet("undated"),
                    sorting.FieldFacet("date", reverse=by_date == "newest"),
                    sorting.FieldFacet("code"),  # stories of the same minute: a fixed order
                ]
            )
        results = self._searcher.search(
            q,
            filter=set(within) if within is not None else None,
            mask=set(exclude) if exclude else None,
            limit=limit,
            sortedby=facet,
        )
        # slicing by the scored length: len(results) would run the query again to count
        page = [
            Ranked(h.docnum, float(h.score) if isinstance(h.score, int | float) else 0.0)
            for h in results[: results.scored_length()]
        ]
        if by_date is None:  # equal scores by story code, as `scoring.top` orders them
            page.sort(key=lambda r: (-r.score, self.code(r.docnum)))
        return page

    @reads_index
    def expansions(self, q: Any, limit: int) -> list[str]:
        """Up to `limit` + 1 indexed words that a wildcard, prefix, fuzzy term or range
        `q` stands for (one more than `limit` says there are too many).

        The index holds stems, and a reader writes a wildcard against the words as
        written: so a wildcard that ends a word (`negotiat*`, `ceasefir?`) also stands
        for the stems that begin with the stem of its letters (`negoti`, `ceasefir`),
        no longer than the letters and the `?`s allow."""
        reader = self._searcher.reader()
        found = fuzzy_words(q, reader) if isinstance(q, wq.FuzzyTerm) else q._btexts(reader)
        field = reader.schema[q.fieldname]
        # Whoosh yields bytes for some of these queries and text for others
        words = [
            field.from_bytes(w) if isinstance(w, bytes) else w
            for w in itertools.islice(found, limit + 1)
        ]
        if isinstance(q, wq.Prefix | wq.Wildcard) and q.fieldname in ("headline", "body"):
            more = itertools.islice(word_ends(q, reader), limit + 1)
            words = sorted({*words, *more})
        return words[: limit + 1]

    # -- one story ----------------------------------------------------------------

    @reads_index
    def document_number(self, code: str) -> int | None:
        """The number of the story with this code, or None."""
        found: int | None = self._searcher.document_number(code=code)
        return found

    @reads_index
    def code(self, docnum: int) -> str:
        """A story's code, from the code column."""
        return column_value(self._searcher, "code", docnum).decode()

    @reads_index
    def stored(self, docnum: int) -> dict[str, Any]:
        """A story's stored fields (code, headline, body, date)."""
        return stored_fields(self._searcher, docnum)

    @reads_index
    def path(self, docnum: int) -> str:
        """A story's file path, from the path column."""
        return column_value(self._searcher, "path", docnum).decode("utf-8", "surrogateescape")

    # -- dates ----------------------------------------------------------------------

    @reads_index
    def dated_within(self, since: datetime | None, until: datetime | None) -> set[int] | None:
        """The stories dated within the limits (stories without a date never are); None
        when there are no limits."""
        if since is None and until is None:
            return None
        lo = datetime_to_long(since) if since is not None else 0
        hi = datetime_to_long(until) if until is not None else MISSING_DATE - 1
        found: set[int] = set()
        for segment in self._dates():
            found.update(segment.within(lo, hi))
        return found

    @reads_index
    def dates_of(self, docs: AbstractSet[int] | Sequence[int]) -> dict[int, datetime | None]:
        """Each story's date (None when it has none)."""
        values = self._date_values()
        return {d: None if values[d] == MISSING_DATE else long_to_datetime(values[d]) for d in docs}

    @reads_index
    def live_dates(self) -> tuple[int, list[datetime]]:
        """How many live stories the index holds, and the dates of those that have one."""
        reader = self._searcher.reader()
        live = set(reader.all_doc_ids())
        values = self._date_values()
        dates = [
            long_to_datetime(v) for n, v in enumerate(values) if n in live and v != MISSING_DATE
        ]
        return len(live), dates

    def _date_values(self) -> Sequence[int]:
        """Every story's date value (Whoosh's long; `MISSING_DATE` for none), by number."""
        found = array("Q")
        for segment in self._dates():
            found += segment.values
        return found

    def _dates(self) -> list[_Dates]:
        """Each segment's dates, read once per view."""
        if self._date_segments is None:
            found = []
            for leaf, offset in self._searcher.leaf_searchers():
                reader = leaf.reader()
                values = array("Q")
                if reader.doc_count_all():
                    values = _date_column(reader)
                assert len(values) == reader.doc_count_all()  # a value's index: its story
                found.append(_Dates(offset, values))
            self._date_segments = found
        return self._date_segments

    # -- languages ------------------------------------------------------------------

    @reads_index
    def in_language(self, language: str) -> set[int]:
        """The stories written in `language` ("en", "fa", "ar" or "other")."""
        return {n for n, found in enumerate(self._language_values()) if found == language}

    @reads_index
    def live_languages(self) -> dict[str, int]:
        """How many live stories the index holds in each language."""
        live = set(self._searcher.reader().all_doc_ids())
        counts: dict[str, int] = {}
        for n, found in enumerate(self._language_values()):
            if n in live:
                counts[found] = counts.get(found, 0) + 1
        return dict(sorted(counts.items()))

    def _language_values(self) -> list[str]:
        """Every story's language, by number, read once per view."""
        if self._languages is None:
            found: list[str] = []
            for leaf, _ in self._searcher.leaf_searchers():
                reader = leaf.reader()
                if reader.doc_count_all():
                    found += column_strings(reader, "language")
            self._languages = found
        return self._languages

    # -- words ----------------------------------------------------------------------

    @reads_index
    def doc_frequency(self, fieldname: str, text: str) -> int:
        """In how many stories the word occurs in the field."""
        found: int = self._searcher.reader().doc_frequency(fieldname, text)
        return found

    @reads_index
    def idf(self, fieldname: str, text: str) -> float:
        """The word's inverse document frequency in the field (Whoosh's)."""
        return float(self._searcher.idf(fieldname, text))

    @reads_index
    def holds(self, word: str) -> bool:
        """Whether some story holds the word (a stem) in its headline or body."""
        reader = self._searcher.reader()
        return any(reader.doc_frequency(f, word) for f in ("headline", "body"))

    @reads_index
    def counts_with(self, words: list[str], candidates: list[str]) -> list[int]:
        """For each candidate word, how many stories hold it and every one of `words`,
        each word in the headline or the body (indexed words: stems)."""
        matches = Matches(self._searcher)

        def holding(word: str) -> Any:
            return wq.Or([wq.Term(f, word) for f in ("headline", "body")])

        found = []
        for candidate in candidates:
            q = wq.And([holding(w) for w in [*words, candidate]])
            count = matches.count(q, None)
            found.append(len(set(self._searcher.docs_for_query(q))) if count is None else count)
        return found

    @reads_index
    def spellings(self, word: str, limit: int, maxdist: int) -> list[str]:
        """Up to `limit` headline words within `maxdist` edits of `word` (a swap of two
        letters is one), the nearest first, then the most common. Only words of about
        its length are compared (Whoosh's corrector computes a full edit distance with
        every word of the vocabulary: 24 s for a word of 300 letters on Reuters)."""
        if len(word) > MAX_SPELLED_CHARS:
            return []
        by_length = self._headline_words()
        near = []
        for length in range(len(word) - maxdist, len(word) + maxdist + 1):
            for candidate in by_length.get(length, ()):
                distance = edit_distance(word, candidate, limit=maxdist)
                if distance <= maxdist:
                    near.append((distance, candidate))
        frequency = self._searcher.reader().doc_frequency
        near.sort(key=lambda pair: (pair[0], -frequency("spell_headline", pair[1]), pair[1]))
        return [candidate for _, candidate in near[:limit]]

    def _headline_words(self) -> dict[int, list[str]]:
        """The headline vocabulary (unstemmed), by word length; made once per view."""
        if self._vocabulary is None:
            found: dict[int, list[str]] = {}
            for term in self._searcher.reader().lexicon("spell_headline"):
                text = term.decode("utf-8") if isinstance(term, bytes) else term
                found.setdefault(len(text), []).append(text)
            self._vocabulary = found
        return self._vocabulary


class _Dates:
    """One segment's date values (by story number within it). A search with date limits
    compares them all as one array (sorting them once per view cost the first such
    search 100 ms at 1,200,000 stories; comparing costs a millisecond a search)."""

    def __init__(self, offset: int, values: array[int]) -> None:
        self.offset = offset
        self.values = values
        self._numbers = np.frombuffer(values, np.uint64) if values else np.zeros(0, np.uint64)

    def within(self, lo: int, hi: int) -> list[int]:
        """The stories (numbers in the searcher) dated from `lo` to `hi`, inclusive."""
        dates = self._numbers
        held = (dates >= np.uint64(lo)) & (dates <= np.uint64(hi))
        found: list[int] = (np.flatnonzero(held) + self.offset).tolist()
        return found


def _date_column(reader: Any) -> array[int]:
    """A segment's date values, as unsigned longs (Whoosh's date column holds them)."""
    found = column_numbers(reader, "date")
    if found is None:
        return array("Q", reader.column_reader("date", translate=False))
    return found if found.typecode == "Q" else array("Q", found)
