"""End to end on the whole Reuters-21578 corpus (19,043 stories), when ../shared is here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from newssearch import NewsIndex, index_stories

REUTERS_STORIES = 19_043


@pytest.fixture(scope="module")
def reuters(reuters_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsIndex]:
    index_path = str(tmp_path_factory.mktemp("reuters") / "index")
    report = index_stories(index_path, [str(reuters_dir)])
    assert (report.matched, report.added, report.rejected, report.duplicates) == (
        REUTERS_STORIES,
        REUTERS_STORIES,
        (),
        (),
    )
    again = index_stories(index_path, [str(reuters_dir)])
    assert (again.unchanged, again.added, again.updated, again.removed) == (
        REUTERS_STORIES,
        0,
        0,
        0,
    )
    with NewsIndex.open(index_path) as ix:
        yield ix


def test_whole_corpus_indexed_and_searchable(reuters: NewsIndex) -> None:
    stats = reuters.stats()
    assert stats.stories == REUTERS_STORIES
    assert stats.first_date is not None and stats.first_date.date() == date(1987, 2, 26)
    story = reuters.get("1")
    assert story is not None and story.headline == "BAHIA COCOA REVIEW"
    cocoa = reuters.search("cocoa", limit=10)
    assert all("cocoa" in (h.headline + h.snippet).lower() for h in cocoa.hits)
    march = reuters.search("cocoa", since=date(1987, 3, 1), until=date(1987, 3, 31), limit=50)
    assert 0 < march.total < cocoa.total
    assert all(h.date is not None and h.date.month == 3 for h in march.hits)
    question = reuters.search("what is happening to the price of crude oil in the gulf")
    assert question.total + question.partial_total > 100 and len(question.hits) == 10


@pytest.mark.parametrize(
    ("query", "since", "until", "by"),
    [
        ("cocoa", None, None, "month"),
        ("oil prices", date(1987, 3, 1), date(1987, 4, 30), "week"),
        ("opec output ceiling", None, None, "day"),
        ('"trade deficit"', date(1987, 1, 1), None, "year"),
        ("bank of japan intervention", None, date(1987, 6, 30), "month"),
    ],
)
def test_timeline_counts_add_up_to_search_totals(
    reuters: NewsIndex, query: str, since: date | None, until: date | None, by: str
) -> None:
    timeline = reuters.timeline(query, since=since, until=until, by=by)
    total = reuters.search(query, since=since, until=until).total
    assert timeline.total == total > 0
    assert sum(b.count for b in timeline.buckets) + timeline.undated == total
    starts = [b.start for b in timeline.buckets]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    if since is not None:
        assert starts[0] <= since
    # every period between the first and the last is there, empty ones as zero
    if by == "day":
        assert (starts[-1] - starts[0]).days + 1 == len(starts)


def test_similar_to_story_1_is_about_cocoa(reuters: NewsIndex) -> None:
    result = reuters.similar("1", limit=10)
    assert result is not None and result.total > 10
    codes = [h.code for h in result.hits]
    assert "1" not in codes
    assert all("COCOA" in h.headline for h in result.hits)


def test_misspelling_gets_a_suggestion(reuters: NewsIndex) -> None:
    assert reuters.search("cocao").suggestion == "cocoa"
    assert reuters.search("coffe quotas").suggestion == "coffee quotas"
    assert reuters.search("cocoa").suggestion is None
    assert reuters.search("oil prices").suggestion is None
