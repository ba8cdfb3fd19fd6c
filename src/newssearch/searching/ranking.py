"""Ranking: its parameters, and the best stories of a list of query tiers.

BM25 per field over headline and body, summed; a headline match counts `HEADLINE_BOOST`
times a body match. The parameters were chosen by the mean nDCG@10 over four judged
collections at once (news topics, library science, aeronautics and medical abstracts),
never for one of them (bench/quality.py; see the README). All are applied at query
time, so changing them needs no re-index.

`ranked` takes the tiers of a query (the stories holding every word, then those holding
some) and returns the first hits of each in turn, and what each tier matches; word and
phrase queries are scored by the engine's `Scores` (the same numbers as Whoosh's BM25,
many times faster), anything else by Whoosh. Plain text's first stories are ordered
again with the words of its best stories added (`feedback`). `by_recency` re-ranks for
`--recent`.
"""

from __future__ import annotations

import math
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from whoosh import scoring

from newssearch.engine.reader import IndexView
from newssearch.engine.scoring import Ranked, Scores
from newssearch.engine.stats import CorpusStats, Frequencies
from newssearch.models import RECENT_POOL as RECENT_POOL  # (search and cluster use it)

HEADLINE_BOOST = 1.0
"""A headline's words are most often in the body too, so they already count twice."""
BM25_B = 0.35
BM25_K1 = 3.0
BM25_K3 = 1.0
"""How fast a word's weight in plain text saturates as the text repeats it (1, 1.33,
1.5, 1.6, ... times for 1, 2, 3, 4 mentions)."""
FEEDBACK = True
"""Order plain text's first stories again with the words of its best stories added
(`feedback`)."""
FEEDBACK_DEPTH = 30
"""How many of the first stories are ordered again."""
FEEDBACK_STORIES = 5
FEEDBACK_WORDS = 20
FEEDBACK_MIN_STORIES = 2
FEEDBACK_CANDIDATES = 60
"""Only this many of the words most frequent in the stories are weighed by idf."""
FEEDBACK_SHARE = 0.5
"""The added words' share of the query's weight."""

RECENT_HALF_LIFE_DAYS = 30.0
"""`recent`: a story this many days older than the newest candidate counts half."""


def idf(found: int, stories: int) -> float:
    """The textbook BM25 idf, kept positive: log(1 + (N - df + 0.5) / (df + 0.5)). Whoosh's
    own, 1 + log(N / (df + 1)), is flatter: a word in half the stories still weighs a
    third of the rarest, which lets the common words of a long question outvote its rare
    ones."""
    return math.log(1 + (stories - found + 0.5) / (found + 0.5))


class BM25(scoring.BM25F):  # type: ignore[misc]
    """Whoosh's BM25F (BM25 per field, summed) with `idf` in place of Whoosh's idf."""

    def idf(self, searcher: Any, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        return idf(parent.doc_frequency(fieldname, text), parent.doc_count_all())


def weighting() -> Any:
    """The Whoosh scoring model searches use."""
    return BM25(B=BM25_B, K1=BM25_K1)


def frequencies(view: IndexView, stats: CorpusStats | None = None) -> Frequencies:
    """Word frequencies with the ranking's idf: the index's, or those of `stats`."""
    return Frequencies(idf, searcher=view.searcher, stats=stats)


def scores(view: IndexView, within: set[int] | None, stats: CorpusStats | None = None) -> Scores:
    """The engine's scorer for one search, with the ranking's parameters (and, from a
    cluster, the corpus statistics of the whole archive)."""
    return view.scores(B=BM25_B, K1=BM25_K1, within=within, idf=idf, stats=stats)


def field_boosts() -> dict[str, float]:
    """Query-time weights of the searched fields."""
    return {"headline": HEADLINE_BOOST, "body": 1.0}


@dataclass(frozen=True, slots=True)
class Tiered:
    """The best hits of a query's tiers, in order, and how many stories each tier matches
    (tiers nest: each count includes the tiers before it)."""

    hits: list[Ranked]
    tiers: list[int]
    """The tier of each hit (0: the first)."""
    counts: list[int]


def ranked(
    view: IndexView,
    tiers: list[Any],
    *,
    within: set[int] | None,
    exclude: AbstractSet[int] | None = None,
    wanted: int,
    by_date: str | None = None,
    stats: CorpusStats | None = None,
) -> Tiered:
    """The first `wanted` hits of the tiers in turn, and what each tier matches.

    Each tier must match everything the tiers before it match (the last is the broadest),
    so a later tier is only needed when the earlier ones ran out, and then it leaves out
    exactly the hits they gave. `within`: only these stories (date limits); `exclude`:
    never these; `by_date` ("newest" or "oldest"): order by date instead of relevance.
    `stats`: the corpus statistics to score with, when not the index's own.
    """
    found = scores(view, within, stats)
    if by_date is None:
        fast = ranked_fast(found, tiers, within=within, exclude=exclude, wanted=wanted)
        if fast is not None:
            return fast
    return ranked_whoosh(
        view, found, tiers, within=within, exclude=exclude, wanted=wanted, by_date=by_date
    )


def ranked_whoosh(
    view: IndexView,
    scores: Scores,
    tiers: list[Any],
    *,
    within: set[int] | None,
    exclude: AbstractSet[int] | None,
    wanted: int,
    by_date: str | None = None,
) -> Tiered:
    """What `ranked` returns, through Whoosh's matchers: for date orders and for queries
    `Scores` does not take apart."""
    hits: list[Ranked] = []
    of_tier: list[int] = []
    seen: set[int] = set(exclude or ())
    for tier, q in enumerate(tiers):
        if len(hits) >= wanted:
            break
        page = view.whoosh_ranked(
            q, limit=wanted - len(hits), within=within, exclude=seen, by_date=by_date
        )
        hits.extend(page)
        of_tier.extend([tier] * len(page))
        seen.update(h.docnum for h in page)
    counts = []
    for q in tiers:
        matches = set(view.matches(q, scores))
        if within is not None:
            matches &= within
        counts.append(len(matches - (exclude or set())))
    return Tiered(hits, of_tier, counts)


def ranked_fast(
    scores: Scores,
    tiers: list[Any],
    *,
    within: set[int] | None,
    exclude: AbstractSet[int] | None,
    wanted: int,
) -> Tiered | None:
    """What `ranked` returns for a relevance search, from `Scores`; None when a tier is not
    a word query. Only the stories a tier is asked for are scored: those of the first
    tier, then of the next while hits are short."""
    hits: list[Ranked] = []
    of_tier: list[int] = []
    seen: set[int] = set(exclude or ())
    counts = []
    for tier, q in enumerate(tiers):
        count = scores.count(q, within, exclude)
        if count is None:
            return None
        counts.append(count)
        if len(hits) >= wanted:
            continue
        among = scores.docs_within(q, within, seen)
        assert among is not None
        page = scores.best(q, among, wanted - len(hits))
        hits.extend(page)
        of_tier.extend([tier] * len(page))
        seen.update(h.docnum for h in page)
    return Tiered(hits, of_tier, counts)


def shown_score(score: float, full: bool, reordered: bool = False) -> float:
    """The score a hit shows, the one its list is ordered by. A list goes: the stories
    holding every word of the query, then those holding some (each tier's first stories
    ordered again by feedback, the rest by BM25); so the score is 1 for holding every
    word, plus 0.5 for being among those feedback ordered, plus the story's score s
    (from feedback or BM25) scaled into [0, 0.5) as s / (1 + s) / 2. Every full match
    shows more than every partial one, and within each part the order is its score's."""
    return (1.0 if full else 0.0) + (0.5 if reordered else 0.0) + score / (1.0 + score) / 2


def _half_lives(dates: list[datetime | None]) -> list[float]:
    """Each date's age in half-lives, counted back from the newest of the dates (a story
    without a date counts as a year older than the oldest); all 0 when none has a date."""
    known = [d for d in dates if d is not None]
    if not known:
        return [0.0] * len(dates)
    newest, undated = max(known), min(known) - timedelta(days=365)
    day = RECENT_HALF_LIFE_DAYS * 86400
    return [(newest - (d or undated)).total_seconds() / day for d in dates]


def recency_order(
    shown: list[float], dates: list[datetime | None], partial: list[bool], codes: list[str]
) -> list[tuple[int, float]]:
    """A `--recent` list: (position in the given list, score shown), in order. Each hit's
    shown score within its part (less the 1 of a full match) is multiplied by
    2^(-age / half-life), full matches stay above partial ones (the part's 1 is added
    again), and equal scores go by story code. The blend is compared in log2, so that
    stories decades old, whose blended scores are too small to change the sum with the
    part's 1, still come newest first; the score shown is made from the same number,
    so it never rises down the list."""
    keyed = []
    for at, (score, part, age, code) in enumerate(
        zip(shown, partial, _half_lives(dates), codes, strict=True)
    ):
        within = score - (0.0 if part else 1.0)
        log = math.log2(within) - age if within > 0 else -math.inf
        keyed.append((part, -log, code, at))
    keyed.sort()
    return [(at, (0.0 if part else 1.0) + 2.0 ** (-neg)) for part, neg, _, at in keyed]


def by_recency(
    view: IndexView, hits: list[tuple[Ranked, float, bool]]
) -> list[tuple[Ranked, float, bool]]:
    """Re-rank (hit, shown score, partial) by `recency_order`."""
    dates = view.dates_of([h.docnum for h, _, _ in hits])
    order = recency_order(
        [score for _, score, _ in hits],
        [dates[h.docnum] for h, _, _ in hits],
        [partial for _, _, partial in hits],
        [view.code(h.docnum) for h, _, _ in hits],
    )
    return [(hits[at][0], score, hits[at][2]) for at, score in order]
