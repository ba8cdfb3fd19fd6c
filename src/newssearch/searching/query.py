"""Turn query text and date limits into Whoosh queries.

`parse_query` returns a `ParsedQuery`: the query with every bare word required
(`all_words`), the same query with any word enough (`any_word`), and the date limits, which
the searcher applies as a filter rather than inside the scored query (scoring a keyword
query together with a `DateRange` can reorder the top hits). Inline `date:[A to B]` and
`date:A` clauses are taken out of the text here and read with the same grammar as
`--since`/`--until` (`newssearch.searching.dates`).

Text without query syntax (operators, `field:`, wildcards, fuzzy terms, boosts, ranges,
phrases of two or more words) is plain words, as a question or a pasted paragraph is: it
is not given to Whoosh's parser, which would read a question's closing `?` as a wildcard,
a bracketed aside as a group that must match whole, and "high-speed" as two words that
must share a field. Its words are analyzed as the index's are, each counted as often as
it is repeated (`word_weight`), and a long text is searched by its `MAX_QUERY_WORDS` most
telling words (`expand`), so sentence punctuation never changes the results and the cost
of a query is bounded whatever its length.

Whoosh's parser never raises; this module decides what is an error: a query with no words
left to search for, an unknown field, a date that cannot be read.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from whoosh import qparser
from whoosh import query as wq

from newssearch import analysis
from newssearch.engine.reader import IndexView
from newssearch.engine.stats import Frequencies
from newssearch.errors import QueryError
from newssearch.searching import ranking
from newssearch.searching.dates import check_range, parse_date

SEARCH_FIELDS = ("headline", "body")
MAX_QUERY_CHARS = 20_000
"""Longer query text is refused: it is a paste gone wrong."""
MAX_QUERY_WORDS = 32
"""Plain text with more different words is searched by this many of them, those with the
highest `word_weight` x idf: the words it repeats and the words rare in the index."""
MAX_EXPANSION = 250
"""A wildcard, fuzzy term or range may stand for at most this many indexed words."""
MAX_FUZZY = 2
"""A query may hold at most this many fuzzy terms (`word~`, `word~2`): each is weighed
against every indexed word of about its length, a fifth of a second on Reuters."""
MAX_PATTERNS = 12
"""A query may hold at most this many wildcards, fuzzy terms and ranges in all."""
MAX_TERMS = 400
"""A query with syntax may search for at most this many different words in all: its own
words and the indexed words its wildcards, fuzzy terms and ranges stand for (plain text keeps its
`MAX_QUERY_WORDS` most telling words instead)."""
QUERY_FIELDS = frozenset({"headline", "body", "code"})

_DATE_CLAUSE = re.compile(
    r"""\bdate:\s*(?:(?P<open>[\[{])(?P<range>[^\]}]*)[\]}]|(?P<single>[^\s()]+))""",
    re.IGNORECASE | re.VERBOSE,
)
_OPERATOR = re.compile(r"\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b")
_QUOTED = re.compile(r'"[^"]*"')
_SYNTAX = re.compile(
    r"""\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b  # an operator
    | \w:(?=\S)                          # a field: "headline:truce" (not "oil: prices")
    | [*~^\[\]{}]                        # a wildcard, fuzzy term, boost or range
    | \w\?\w                              # a wildcard letter inside a word
    | "[^"]*\s[^"]*"                      # a phrase of two words or more
    """,
    re.VERBOSE,
)
_SENTENCE_END = re.compile(r"[?!]+(?!\w)")
_OPEN_END = re.compile(r"(\w+)\?(?![\w?])")
"""A `?` or `!` that ends a word ends a sentence; Whoosh would take `?` for a wildcard."""
_TO = re.compile(r"\s+to\s+|^\s*to\s+|\s+to\s*$|^\s*to\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A query ready to run. `any_word` (None when there is no second tier) matches the
    stories that hold only some of the words of `all_words`."""

    all_words: Any
    any_word: Any
    since: datetime | None
    until: datetime | None
    words: tuple[tuple[str, int], ...] = ()
    """Plain text's words (stems) and how often each is in it; empty for a query with
    syntax, which is searched as written."""
    open_ends: tuple[str, ...] = ()
    """Plain text's words written with a `?` after them: sentence punctuation, unless
    the index does not know the word, when the `?` is a wildcard (`gaz?`)."""

    @property
    def only_dates(self) -> bool:
        """Whether the query is date limits alone (or `*`): nothing to rank by."""
        return self.any_word is None and isinstance(self.all_words, wq.Every)


def _parser(schema: Any, group: Any) -> Any:
    parser = qparser.MultifieldParser(
        list(SEARCH_FIELDS), schema, fieldboosts=ranking.field_boosts(), group=group
    )
    parser.add_plugin(qparser.FuzzyTermPlugin())
    return parser


def _shown(value: object, width: int = 60) -> str:
    """A query or clause quoted for a one-line message, cut at `width` characters."""
    text = str(value)
    return repr(text if len(text) <= width else text[:width] + "…")


def extract_dates(text: str) -> tuple[str, datetime | None, datetime | None]:
    """Remove `date:` clauses from query text; return the rest and the limits they set.

    >>> rest, since, until = extract_dates("gaza date:[2024-04-01 to 2024-04-30]")
    >>> rest, since.isoformat(), until.isoformat()
    ('gaza  ', '2024-04-01T00:00:00', '2024-04-30T23:59:59.999999')
    """
    since: datetime | None = None
    until: datetime | None = None

    def tighten(lo: datetime | None, hi: datetime | None) -> None:
        nonlocal since, until
        if lo is not None:
            since = lo if since is None else max(since, lo)
        if hi is not None:
            until = hi if until is None else min(until, hi)

    def replace(m: re.Match[str]) -> str:
        if m["single"] is not None:
            tighten(parse_date(m["single"]), parse_date(m["single"], end=True))
            return " "
        parts = _TO.split(m["range"], maxsplit=1)
        if len(parts) != 2:
            raise QueryError(f"cannot read date range {m.group(0)!r}: write date:[A to B]")
        lo, hi = (p.strip() for p in parts)
        tighten(parse_date(lo) if lo else None, parse_date(hi, end=True) if hi else None)
        return " "

    rest = _DATE_CLAUSE.sub(replace, text)
    return rest, since, until


def parse_query(
    text: str,
    schema: Any,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> ParsedQuery:
    """Parse query text (see the README's query language) together with date limits."""
    if not text.strip():
        raise QueryError("the query is empty")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is too long ({len(text):,} characters; the limit is {MAX_QUERY_CHARS:,})"
        )
    rest, inline_since, inline_until = extract_dates(text)
    if inline_since is not None:
        since = inline_since if since is None else max(since, inline_since)
    if inline_until is not None:
        until = inline_until if until is None else min(until, inline_until)
    check_range(since, until)

    if not rest.strip():
        if since is None and until is None:
            raise QueryError("the query is empty")
        return ParsedQuery(wq.Every(), None, since, until)
    if not _SYNTAX.search(rest):
        counts = Counter(token.text for token in schema["body"].analyzer(rest))
        if not counts:
            raise QueryError(
                f"nothing to search for in {_shown(text)} (only common words such as "
                "'the', and words of one character, which are not indexed)"
            )
        words = tuple(sorted(counts.items()))
        ends = tuple(sorted({m[1] for m in _OPEN_END.finditer(rest)}))
        return ParsedQuery(*word_tiers(words), since, until, words, ends)
    try:
        all_words = _parser(schema, qparser.AndGroup).parse(_SENTENCE_END.sub(" ", rest))
    except Exception as e:  # the parser is said never to raise, yet some operator runs do
        raise QueryError(
            f"cannot understand the query {_shown(text)}: check its operators, quotes and brackets"
        ) from e
    if isinstance(all_words, type(wq.NullQuery)):
        raise QueryError(
            f"nothing to search for in {_shown(text)} "
            "(operators alone, or only common words such as 'the' and words of one "
            "character, which are not indexed)"
        )
    for m in _BOOST.finditer(_QUOTED.sub(" ", rest)):
        if not _NUMBER.fullmatch(m[1]):
            raise QueryError(f"a boost must be a number from 0 to {MAX_BOOST:g}, not {m[1]!r}")
    _check_clauses(all_words)
    _check_patterns(all_words)
    return ParsedQuery(all_words, _any_word(all_words, rest), since, until)


_BOOST = re.compile(r"\^([^\s()\"]*)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
MAX_BOOST = 1000.0
"""A boost (`word^3`) may be at most this: more says nothing a smaller one does not, and
an infinite one would turn every score into nan."""


def _check_clauses(q: Any) -> None:
    """Raise `QueryError` for a clause on an unknown field or with a boost that is not a
    number between 0 and `MAX_BOOST`."""
    boost = getattr(q, "boost", 1.0)
    if not (isinstance(boost, int | float) and 0 <= boost <= MAX_BOOST):
        raise QueryError(f"a boost must be a number from 0 to {MAX_BOOST:g}, not {boost}")
    field = getattr(q, "fieldname", None)
    if q.is_leaf() and field is not None and field not in QUERY_FIELDS:
        raise QueryError(f"unknown field {field!r}: use headline:, body:, code: or date:[A to B]")
    for child in q.children():
        _check_clauses(child)


def _check_patterns(q: Any) -> None:
    """Raise `QueryError` for a query with more than `MAX_FUZZY` fuzzy terms or more than
    `MAX_PATTERNS` wildcards, fuzzy terms and ranges (each counted once, whatever the
    fields it is searched in)."""
    patterns = {
        (type(leaf).__name__, str(leaf).removeprefix(f"{leaf.fieldname}:"))
        for leaf in q.leaves()
        if isinstance(leaf, wq.MultiTerm)
    }
    fuzzy = sum(kind == "FuzzyTerm" for kind, _ in patterns)
    if fuzzy > MAX_FUZZY:
        raise QueryError(f"the query has {fuzzy:,} fuzzy terms (word~); the limit is {MAX_FUZZY}")
    if len(patterns) > MAX_PATTERNS:
        raise QueryError(
            f"the query has {len(patterns):,} wildcards, fuzzy terms and ranges; "
            f"the limit is {MAX_PATTERNS}"
        )


def word_weight(count: int) -> float:
    """How much a word of plain text weighs when the text holds it `count` times:
    BM25's query-term weight, (K3 + 1) x count / (K3 + count) with `ranking.BM25_K3`. A
    word a question repeats is what it is about, but each mention adds less than the one
    before, and never more than K3 + 1 times one mention in all (a weight of the count
    itself let a word a query lists four times crowd out the rest)."""
    k3 = ranking.BM25_K3
    return (k3 + 1) * count / (k3 + count)


def word_tiers(
    words: tuple[tuple[str, int], ...], stands_for: dict[str, list[str]] | None = None
) -> tuple[Any, Any]:
    """The two tiers of plain text's words: every word (AND), and any word (OR; None
    when there is only one). Each word is searched in headline and body, weighted by
    `word_weight` and, in the headline, `ranking.HEADLINE_BOOST`; a word of `stands_for`
    (a wildcard's) is any of the words it stands for."""
    alternatives = stands_for or {}
    clauses = [
        wq.Or(
            [
                term
                for each in alternatives.get(word, [word])
                for term in (
                    wq.Term("headline", each, boost=word_weight(n) * ranking.HEADLINE_BOOST),
                    wq.Term("body", each, boost=word_weight(n)),
                )
            ]
        )
        for word, n in words
    ]
    if len(clauses) == 1:
        return clauses[0], None
    return wq.And(clauses), wq.Or(clauses)


def telling_words(
    words: tuple[tuple[str, int], ...], counts: Frequencies
) -> tuple[tuple[str, int], ...]:
    """The `MAX_QUERY_WORDS` words of plain text with the highest `word_weight` x idf
    (words the index does not hold count least), in their first order."""
    if len(words) <= MAX_QUERY_WORDS:
        return words
    stories = counts.doc_count()

    def telling(item: tuple[str, int]) -> float:
        found = max(counts.doc_frequency(f, item[0]) for f in SEARCH_FIELDS)
        return word_weight(item[1]) * ranking.idf(found, stories) if found else -1.0

    kept = set(sorted(words, key=lambda item: (-telling(item), item[0]))[:MAX_QUERY_WORDS])
    return tuple(item for item in words if item in kept)


def expand(parsed: ParsedQuery, view: IndexView, counts: Frequencies | None = None) -> ParsedQuery:
    """Replace each wildcard, fuzzy term and range by the indexed words it stands for, once
    (Whoosh would otherwise expand it again for every tier and every highlighted hit).
    Refuse one that stands for more than `MAX_EXPANSION` words: it is slow and finds
    nothing useful. A bare `*` becomes "every story". A clause the two tiers share stays
    one object in both, so that what it matches is worked out once. Plain text with
    more than `MAX_QUERY_WORDS` words keeps its most telling ones (`telling_words`).
    `counts`: the word frequencies that choose them (the index's own by default)."""
    if parsed.words:
        counts = counts or ranking.frequencies(view)
        words = telling_words(parsed.words, counts)
        wildcards = _open_ends(parsed.open_ends, dict(words), view, counts)
        if words == parsed.words and not wildcards:
            return parsed
        tiers = word_tiers(words, wildcards)
        return ParsedQuery(*tiers, parsed.since, parsed.until, words, parsed.open_ends)
    done: dict[str, Any] = {}
    copied: dict[int, tuple[Any, Any]] = {}  # id -> (clause, its copy)

    def visit(q: Any) -> Any:
        if isinstance(q, wq.Every):
            return wq.Every()
        if isinstance(q, wq.MultiTerm):
            key = repr(q)
            if key not in done:
                words = view.expansions(q, MAX_EXPANSION)
                if len(words) > MAX_EXPANSION:
                    typed = str(q)  # as typed: `a*`, not the `headline:a*` it was read as
                    if q.fieldname in SEARCH_FIELDS:
                        typed = typed.removeprefix(f"{q.fieldname}:")
                    raise QueryError(
                        f"{_shown(typed)} matches more than {MAX_EXPANSION:,} different "
                        "words; make it more specific"
                    )
                terms = [wq.Term(q.fieldname, w, boost=q.boost) for w in words]
                done[key] = wq.Or(terms) if terms else wq.NullQuery
            return done[key]
        if q.is_leaf():
            return q
        if id(q) not in copied:
            copied[id(q)] = (q, q.apply(visit))  # the clause is kept: ids are not reused
        return copied[id(q)][1]

    all_words = visit(parsed.all_words)
    terms = {text for _, text in all_words.iter_all_terms()}
    if len(terms) > MAX_TERMS:
        raise QueryError(
            f"the query searches for {len(terms):,} different words (its own and those its "
            f"wildcards and fuzzy terms stand for); the limit is {MAX_TERMS:,}"
        )
    any_word = visit(parsed.any_word) if parsed.any_word is not None else None
    return ParsedQuery(all_words, any_word, parsed.since, parsed.until)


def _open_ends(
    ends: tuple[str, ...], words: dict[str, int], view: IndexView, counts: Frequencies
) -> dict[str, list[str]]:
    """The words written with a `?` after them that the index does not know, each with
    the indexed words it stands for as a wildcard (`gaz?`: `gaza`)."""
    found: dict[str, list[str]] = {}
    for end in ends:
        term = analysis.term_of(end)
        known = sum(counts.doc_frequency(f, term) for f in SEARCH_FIELDS) if term else 1
        if term not in words or known:
            continue
        stands_for = set(open_end(view, end))
        if stands_for:
            found[term] = sorted(stands_for)
    return found


def open_end(view: IndexView, end: str) -> list[str]:
    """The indexed words `end` followed by a `?` stands for, as a wildcard."""
    stands_for: set[str] = set()
    for field in SEARCH_FIELDS:
        wildcard = wq.Wildcard(field, analysis.fold(end) + "?")
        stands_for.update(view.expansions(wildcard, MAX_EXPANSION)[:MAX_EXPANSION])
    return sorted(stands_for)


def _any_word(all_words: Any, text: str) -> Any:
    """The second tier: any one of the query's clauses, keeping its NOT clauses. None when
    the user wrote AND / OR / NOT (the query says exactly what must match) or when there
    is only one clause."""
    if _OPERATOR.search(_QUOTED.sub(" ", text)) or not isinstance(all_words, wq.And):
        return None
    negative = [q for q in all_words.subqueries if isinstance(q, wq.Not)]
    positive = [q for q in all_words.subqueries if not isinstance(q, wq.Not)]
    if len(positive) < 2:
        return None
    either = wq.Or(positive)
    return wq.And([either, *negative]) if negative else either
