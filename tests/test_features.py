"""Did you mean, similar stories, timelines, dates people type, --recent, query syntax."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newssearch import Hit, NewsIndex, QueryError, index_stories, parse_date
from newssearch.cli import app
from newssearch.models import RECENT_POOL

from .conftest import SEED_CODE, WriteStory

runner = CliRunner()
TODAY = date(2024, 3, 31)  # a Sunday, the day after the last of a leap February


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("April 2024", datetime(2024, 4, 1), datetime(2024, 4, 30, 23, 59, 59, 999999)),
        ("apr 2024", datetime(2024, 4, 1), datetime(2024, 4, 30, 23, 59, 59, 999999)),
        ("17 April 2024", datetime(2024, 4, 17), datetime(2024, 4, 17, 23, 59, 59, 999999)),
        ("April 17, 2024", datetime(2024, 4, 17), datetime(2024, 4, 17, 23, 59, 59, 999999)),
        ("today", datetime(2024, 3, 31), datetime(2024, 3, 31, 23, 59, 59, 999999)),
        ("Yesterday", datetime(2024, 3, 30), datetime(2024, 3, 30, 23, 59, 59, 999999)),
        ("30 days ago", datetime(2024, 3, 1), datetime(2024, 3, 1, 23, 59, 59, 999999)),
        ("-30d", datetime(2024, 3, 1), datetime(2024, 3, 1, 23, 59, 59, 999999)),
        ("2 weeks ago", datetime(2024, 3, 17), datetime(2024, 3, 17, 23, 59, 59, 999999)),
        ("1 month ago", datetime(2024, 2, 29), datetime(2024, 2, 29, 23, 59, 59, 999999)),
        ("-1y", datetime(2023, 3, 31), datetime(2023, 3, 31, 23, 59, 59, 999999)),
        ("last week", datetime(2024, 3, 18), datetime(2024, 3, 24, 23, 59, 59, 999999)),
        ("this week", datetime(2024, 3, 25), datetime(2024, 3, 31, 23, 59, 59, 999999)),
        ("last month", datetime(2024, 2, 1), datetime(2024, 2, 29, 23, 59, 59, 999999)),
        ("last year", datetime(2023, 1, 1), datetime(2023, 12, 31, 23, 59, 59, 999999)),
        ("2024-04-17T09:29", datetime(2024, 4, 17, 9, 29), datetime(2024, 4, 17, 9, 29)),
    ],
)
def test_dates_people_type(text: str, first: datetime, last: datetime) -> None:
    assert parse_date(text, today=TODAY) == first
    assert parse_date(text, end=True, today=TODAY) == last


def test_a_year_ago_from_29_february() -> None:
    assert parse_date("1 year ago", today=date(2024, 2, 29)) == datetime(2023, 2, 28)


@pytest.mark.parametrize("text", ["31 February 2024", "Smarch 2024", "soon", "-30x", "0000-00"])
def test_dates_people_mistype(text: str) -> None:
    with pytest.raises(QueryError, match=repr(text)):
        parse_date(text, today=TODAY)


def test_inline_dates_use_the_same_grammar(data_ix: NewsIndex) -> None:
    found = data_ix.search("truce date:[April 2024 to 17 April 2024]")
    assert [h.code for h in found.hits] == [SEED_CODE]
    assert data_ix.search("truce date:[1 May 2024 to]").total == 0


def test_did_you_mean(data_ix: NewsIndex) -> None:
    assert data_ix.search("cocao").suggestion == "cocoa"
    assert data_ix.search("cocao exports").suggestion == "cocoa exports"
    # the spelling written beside the query's other words, not a more common one
    assert data_ix.search("gaza truse").suggestion == "gaza truce"
    for query in ("cocoa", "gaza truce", "cocoa exports", '"buffer stock"'):
        assert data_ix.search(query).suggestion is None, query


def test_similar_never_returns_the_story_itself(data_ix: NewsIndex) -> None:
    result = data_ix.similar("1", limit=50)
    assert result is not None and result.total > 0
    assert "1" not in {h.code for h in result.hits}
    assert sum("COCOA" in h.headline for h in result.hits[:5]) >= 3
    assert data_ix.similar("424242") is None
    dated = data_ix.similar("1", since=date(1987, 3, 20), until=date(1987, 3, 31))
    assert dated is not None
    assert all(h.date is not None and h.date.day >= 20 for h in dated.hits)


def test_timeline_fills_empty_periods(data_ix: NewsIndex) -> None:
    timeline = data_ix.timeline(
        "cocoa", since=date(1987, 1, 1), until=date(1987, 6, 30), by="month"
    )
    assert [b.start for b in timeline.buckets] == [date(1987, m, 1) for m in range(1, 7)]
    counts = [b.count for b in timeline.buckets]
    assert counts[0] == 0 and counts[2] > 0
    assert sum(counts) == timeline.total == data_ix.search("cocoa", until=date(1987, 6, 30)).total


def test_timeline_counts_undated_stories_apart(write_story: WriteStory, tmp_path: Path) -> None:
    write_story("a.txt", code="1", headline="Cocoa a", date_line="Monday 2 March 1987 - 10:00")
    write_story("b.txt", code="2", headline="Cocoa b", date_line="Monday 16 March 1987 - 10:00")
    root = write_story("c.txt", code="3", headline="Cocoa c", date_line=None).parent
    index_path = str(tmp_path / "index")
    index_stories(index_path, [str(root)])
    with NewsIndex.open(index_path) as ix:
        weeks = ix.timeline("cocoa", by="week")
    assert [(b.start, b.count) for b in weeks.buckets] == [
        (date(1987, 3, 2), 1),
        (date(1987, 3, 9), 0),
        (date(1987, 3, 16), 1),
    ]
    assert (weeks.total, weeks.undated) == (3, 1)


def test_recent_puts_the_latest_first_among_equals(write_story: WriteStory, tmp_path: Path) -> None:
    for n, day in enumerate((2, 20, 9), 1):
        write_story(f"{n}.txt", code=str(n), headline="Cocoa talks", date_line=f"{day} March 1987")
    root = write_story(
        "4.txt", code="4", headline="Coffee", body="Quotas.", date_line="31 March 1987"
    ).parent
    index_path = str(tmp_path / "index")
    index_stories(index_path, [str(root)])
    with NewsIndex.open(index_path) as ix:
        assert [h.code for h in ix.search("cocoa talks", recent=True).hits] == ["2", "3", "1"]
        with pytest.raises(QueryError, match="recent"):
            ix.search("cocoa", recent=True, sort="newest")


def test_recent_keeps_decades_old_stories_newest_first(
    write_story: WriteStory, tmp_path: Path
) -> None:
    """Equal stories 4 to 34 years apart: blended, each is worth 2^-48 to 2^-400 of the
    newest, too little to change the sum with a full match's 1. They still come newest
    first, whatever their story codes say, with scores that never rise."""
    years = (1990, 2000, 2010, 2020, 2024)
    for code, year in enumerate(years, 1):
        day = date(year, 4, 17)
        line = f"{day:%A} 17 April {year} - 09:29"
        write_story(f"{year}.txt", code=str(code), headline="Cocoa talks", date_line=line)
    index_path = str(tmp_path / "index")
    index_stories(index_path, [str(tmp_path / "stories")])
    with NewsIndex.open(index_path) as ix:
        hits = ix.search("cocoa talks", recent=True).hits
    assert [h.date.year for h in hits if h.date] == sorted(years, reverse=True)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_recent_keeps_the_match_set(data_ix: NewsIndex) -> None:
    plain = data_ix.search("cocoa prices", limit=500)
    recent = data_ix.search("cocoa prices", limit=500, recent=True)
    assert recent.total == plain.total
    assert {h.code for h in recent.hits} == {h.code for h in plain.hits}
    pages = [
        h.code
        for p in (1, 2, 3)
        for h in data_ix.search("cocoa prices", limit=5, page=p, recent=True).hits
    ]
    assert pages == [h.code for h in recent.hits[:15]]


def test_recent_pages_never_overlap_and_scores_never_rise(data_ix: NewsIndex) -> None:
    """`said` matches 267 stories of data/: `--recent` lists the best 200, ordered by the
    blend, in pages that neither overlap nor leave a gap, full matches first."""
    plain = data_ix.search("said oil", limit=1000)
    assert plain.total + plain.partial_total > RECENT_POOL
    listed: list[Hit] = []
    for page in range(1, 30):
        listed += data_ix.search("said oil", limit=10, page=page, recent=True).hits
    assert len(listed) == len({h.code for h in listed}) == RECENT_POOL
    assert {h.code for h in listed} == {h.code for h in plain.hits[:RECENT_POOL]}
    scores = [h.score for h in listed]
    assert scores == sorted(scores, reverse=True)
    assert [h.partial for h in listed] == sorted(h.partial for h in listed)
    assert all(h.score >= 1 for h in listed if not h.partial)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"necessity ceasefire"~2', SEED_CODE),
        ("amirabdolahian~", SEED_CODE),
        ("truce^3 cocoa", SEED_CODE),
    ],
)
def test_proximity_fuzzy_and_boosts(data_ix: NewsIndex, query: str, expected: str) -> None:
    assert data_ix.search(query).hits[0].code == expected


def test_phrase_without_proximity_is_exact(data_ix: NewsIndex) -> None:
    assert data_ix.search('"necessity ceasefire"').total == 0
    assert data_ix.search('"immediate ceasefire"').hits[0].code == SEED_CODE


def test_snippet_falls_back_to_the_start_of_the_body(data_ix: NewsIndex) -> None:
    hit = data_ix.search("headline:review code:1").hits[0]
    assert hit.snippet.startswith("Showers continued throughout the week")
    assert hit.highlights == ()
    assert len(hit.snippet) <= 170


def test_cli_similar_timeline_and_suggestion(data_index: str) -> None:
    result = runner.invoke(app, ["search", "cocao", "--index", data_index])
    assert result.exit_code == 1
    assert "Did you mean: cocoa?" in result.stdout
    result = runner.invoke(app, ["similar", "1", "--index", data_index, "--format", "json"])
    assert result.exit_code == 0
    assert "1" not in {h["code"] for h in json.loads(result.stdout)["hits"]}
    result = runner.invoke(app, ["similar", "424242", "--index", data_index])
    assert result.exit_code == 1 and "no story with code 424242" in result.stderr
    result = runner.invoke(
        app, ["timeline", "cocoa", "--index", data_index, "--by", "month", "--format", "json"]
    )
    doc = json.loads(result.stdout)
    assert result.exit_code == 0
    assert set(doc) == {"query", "by", "total", "buckets", "undated"}
    assert doc["buckets"][0] == {"start": "1987-02-01", "count": 1}
    result = runner.invoke(app, ["timeline", "cocoa", "--index", data_index])
    assert result.exit_code == 0 and "1987-03" in result.stdout and "█" in result.stdout
    result = runner.invoke(
        app, ["search", "cocoa", "--index", data_index, "--since", "1987-04", "--until", "1987-03"]
    )
    assert result.exit_code == 2 and result.stderr.startswith("Error: the date range ends")
