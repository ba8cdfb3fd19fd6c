"""Pseudo-relevance feedback: what a plain-text query's best stories say, added to it.

A query names its subject with a few words; the stories that match it best use more.
`rerank` takes the `ranking.FEEDBACK_DEPTH` best stories of a ranking (tier by tier),
finds the `ranking.FEEDBACK_WORDS` words that describe the first
`ranking.FEEDBACK_STORIES` of them best (Rocchio's centroid: the mean over those
stories of (1 + ln tf) x idf of each word of headline and body, among the words at
least `ranking.FEEDBACK_MIN_STORIES` of them hold, the `ranking.FEEDBACK_CANDIDATES`
most frequent of those), and orders those stories again by
BM25 with the query's words and those together, each side weighing its share
(`ranking.FEEDBACK_SHARE` for the new words). Which stories match, and the tiers, do not
change; neither does the order after the first `FEEDBACK_DEPTH`.

The words of the re-ranked stories are counted from their stored text with the index's
own chain (`analysis.term_counts`: the same terms the index holds), so the cost is that
of reading a fixed number of stories (each up to `FEEDBACK_CHARS`), however large the
archive or its stories: adding the new words
to the query and ranking again would read their whole posting lists.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

from newssearch.analysis import term_counts
from newssearch.engine.reader import IndexView
from newssearch.engine.scoring import Ranked, Scores
from newssearch.engine.stats import Frequencies
from newssearch.searching import ranking
from newssearch.searching.query import SEARCH_FIELDS

Counts = dict[str, dict[str, int]]
"""Field -> word -> how often a story holds it."""


FEEDBACK_CHARS = 100_000
"""Only this many first characters of a story's headline and body are counted: a story
near the 10 MiB file limit took two seconds a search to count whole (news stories are
far shorter: the longest of the judged collections has 56,000 characters)."""


def story_words(view: IndexView, docnum: int) -> Counts:
    """How often each word (stem) is in the first `FEEDBACK_CHARS` characters of the
    story's headline and body."""
    fields = view.stored(docnum)
    return {field: term_counts(fields.get(field, "")[:FEEDBACK_CHARS]) for field in SEARCH_FIELDS}


def shared_words(stories: Sequence[Counts]) -> list[tuple[str, float]]:
    """The words at least `FEEDBACK_MIN_STORIES` of the stories hold, each with its total
    (1 + ln tf) over them, the most frequent first: the candidates `describing_words`
    weighs (only the first `FEEDBACK_CANDIDATES` of them)."""
    totals: dict[str, float] = {}
    holding: dict[str, int] = {}
    for counts in stories:
        together: dict[str, int] = {}
        for found in counts.values():
            for word, n in found.items():
                together[word] = together.get(word, 0) + n
        for word, n in together.items():
            totals[word] = totals.get(word, 0.0) + 1 + math.log(n)
            holding[word] = holding.get(word, 0) + 1
    # a word of one story alone describes that story, not what the stories share
    least = min(ranking.FEEDBACK_MIN_STORIES, len(stories))
    shared = [(word, total) for word, total in totals.items() if holding[word] >= least]
    shared.sort(key=lambda item: (-item[1], item[0]))
    return shared


def describing_words(
    stories: Sequence[Counts], wanted: int, frequencies: Frequencies
) -> dict[str, float]:
    """The `wanted` words that describe the stories best, each with its mean
    (1 + ln tf) x idf over them, among the words at least `FEEDBACK_MIN_STORIES` of
    them hold (idf from `frequencies`)."""
    if not stories:
        return {}
    # Looking up a word's idf costs more than all the rest (a lookup in every segment),
    # so only the FEEDBACK_CANDIDATES most frequent words are weighed, from the most
    # frequent down, and the lookups stop once no word left could reach the `wanted`
    # best even with the highest idf (that of a word in one story).
    ceiling = ranking.idf(1, frequencies.doc_count()) / len(stories)
    weights: dict[str, float] = {}
    kept: list[float] = []  # the `wanted` highest weights so far, smallest first
    for word, total in shared_words(stories)[: ranking.FEEDBACK_CANDIDATES]:
        if len(kept) == wanted and total * ceiling < kept[0]:
            break
        rarity = min(frequencies.idf(field, word) for field in SEARCH_FIELDS)
        weights[word] = weight = total * rarity / len(stories)
        if len(kept) < wanted:
            heapq.heappush(kept, weight)
        elif weight > kept[0]:
            heapq.heapreplace(kept, weight)
    best = heapq.nsmallest(wanted, weights.items(), key=lambda item: (-item[1], item[0]))
    return dict(best)


def expanded_terms(
    words: dict[str, float], found: dict[str, float]
) -> dict[tuple[str, str], float]:
    """(field, word) -> weight of the query `words` (word -> weight) with the words
    `found`, these summing to `FEEDBACK_SHARE` of the whole and the query's to the rest;
    a headline's weight times `HEADLINE_BOOST`, as the query's own terms."""
    share = ranking.FEEDBACK_SHARE
    mass = sum(words.values())
    new_mass = sum(found.values()) or 1.0
    weights = {word: (1 - share) * weight for word, weight in words.items()}
    for word, weight in found.items():
        weights[word] = weights.get(word, 0.0) + share * weight * mass / new_mass
    boosts = {"headline": ranking.HEADLINE_BOOST, "body": 1.0}
    return {(f, word): w * boosts[f] for word, w in weights.items() for f in SEARCH_FIELDS}


def rerank(
    view: IndexView,
    scores: Scores,
    words: dict[str, float],
    hits: list[Ranked],
    tiers: list[int],
) -> tuple[list[Ranked], list[int]]:
    """`hits` (best first, tier by tier; `tiers`: each hit's tier) with the first
    `FEEDBACK_DEPTH` ordered again within their tiers by the query `words` (word ->
    weight) with the words describing its first stories added; equal scores by code."""
    top = hits[: ranking.FEEDBACK_DEPTH]
    if not top:
        return hits, tiers
    counts = [story_words(view, h.docnum) for h in top]
    found = describing_words(
        counts[: ranking.FEEDBACK_STORIES], ranking.FEEDBACK_WORDS, scores.frequencies
    )
    terms = expanded_terms(words, found)
    rescored = scores.counted_scores([h.docnum for h in top], counts, terms)
    again = sorted(
        zip(tiers, rescored, top, strict=False),
        key=lambda item: (item[0], -item[1], scores.code(item[2].docnum)),
    )
    depth = ranking.FEEDBACK_DEPTH
    return (
        [Ranked(h.docnum, score) for _, score, h in again] + hits[depth:],
        [tier for tier, _, _ in again] + tiers[depth:],
    )
