"""End to end on the whole Reuters-21578 corpus (19,043 stories), when ../shared is here."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from newssearch import NewsIndex, index_stories

REUTERS_STORIES = 19_043


def test_whole_reuters_corpus(reuters_dir: Path, tmp_path: Path) -> None:
    index_path = str(tmp_path / "index")
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
        stats = ix.stats()
        assert stats.stories == REUTERS_STORIES
        assert stats.first_date is not None and stats.first_date.date() == date(1987, 2, 26)
        story = ix.get("1")
        assert story is not None and story.headline == "BAHIA COCOA REVIEW"
        cocoa = ix.search("cocoa", limit=10)
        assert all("cocoa" in (h.headline + h.snippet).lower() for h in cocoa.hits)
        march = ix.search("cocoa", since=date(1987, 3, 1), until=date(1987, 3, 31), limit=50)
        assert 0 < march.total < cocoa.total
        assert all(h.date is not None and h.date.month == 3 for h in march.hits)
        question = ix.search("what is happening to the price of crude oil in the gulf")
        assert question.total > 100 and len(question.hits) == 10
