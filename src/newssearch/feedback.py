"""Pseudo-relevance feedback: what a plain-text query's best stories say, added to it.

A query names its subject with a few words; the stories that match it best use more.
`expanded` takes the `ranking.FEEDBACK_STORIES` best stories of a first ranking, finds the
`ranking.FEEDBACK_WORDS` words that describe them best (Rocchio's centroid: the mean over
those stories of (1 + ln tf) x idf of each word of headline and body, among the words at
least `ranking.FEEDBACK_MIN_STORIES` of them hold), and returns a
query of the original words and those, each side weighing its share
(`ranking.FEEDBACK_SHARE` for the new words). `search` ranks with it, within the tiers
of the original words: which stories match, and which hold every word, does not change.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from typing import Any

from whoosh import query as wq

from newssearch import ranking
from newssearch.postings import term_positions
from newssearch.query import SEARCH_FIELDS
from newssearch.segments import stored_fields


def describing_words(searcher: Any, docnums: Iterable[int], wanted: int) -> dict[str, float]:
    """The `wanted` words that describe the stories best, each with its mean
    (1 + ln tf) x idf over them."""
    docnums = list(docnums)
    stories = searcher.reader().doc_count_all()
    totals: dict[str, float] = {}
    holding: dict[str, int] = {}
    for docnum in docnums:
        fields = stored_fields(searcher, docnum)
        counts: dict[str, int] = {}
        for field in SEARCH_FIELDS:
            for word, positions in term_positions(fields.get(field, "")).items():
                counts[word] = counts.get(word, 0) + len(positions)
        for word, n in counts.items():
            totals[word] = totals.get(word, 0.0) + 1 + math.log(n)
            holding[word] = holding.get(word, 0) + 1
    # a word of one story alone describes that story, not what the stories share
    least = min(ranking.FEEDBACK_MIN_STORIES, len(docnums))
    totals = {word: total for word, total in totals.items() if holding[word] >= least}
    # Looking up a word's story count costs more than all the rest, so the words are
    # taken from the most frequent down, and the lookups stop once no word left could
    # reach the `wanted` best even with the highest idf (that of a word in one story).
    ceiling = ranking.idf(1, stories) / len(docnums)
    weights: dict[str, float] = {}
    kept: list[float] = []  # the `wanted` highest weights so far, smallest first
    for word, total in sorted(totals.items(), key=lambda item: (-item[1], item[0])):
        if len(kept) == wanted and total * ceiling < kept[0]:
            break
        rarity = min(searcher.idf(field, word) for field in SEARCH_FIELDS)  # cached
        weights[word] = weight = total * rarity / len(docnums)
        if len(kept) < wanted:
            heapq.heappush(kept, weight)
        elif weight > kept[0]:
            heapq.heapreplace(kept, weight)
    best = heapq.nsmallest(wanted, weights.items(), key=lambda item: (-item[1], item[0]))
    return dict(best)


def expanded(searcher: Any, words: dict[str, float], docnums: list[int]) -> Any:
    """The query to rank with: `words` (word -> weight) and the words describing the
    stories `docnums`, the new words' weights summing to `ranking.FEEDBACK_SHARE` of the
    whole and the query's words' to the rest."""
    found = describing_words(searcher, docnums, ranking.FEEDBACK_WORDS)
    share = ranking.FEEDBACK_SHARE
    mass = sum(words.values())
    new_mass = sum(found.values()) or 1.0
    weights = {word: (1 - share) * weight for word, weight in words.items()}
    for word, weight in found.items():
        weights[word] = weights.get(word, 0.0) + share * weight * mass / new_mass
    return wq.Or(
        [
            wq.Or(
                [
                    wq.Term("headline", word, boost=weight * ranking.HEADLINE_BOOST),
                    wq.Term("body", word, boost=weight),
                ]
            )
            for word, weight in sorted(weights.items())
        ]
    )
