"""Searching a real index of data/: ranking tiers, query language, dates, paging, sorting."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from newssearch import NewsIndex, QueryError, index_stories, parse_date
from newssearch.searching import ranking
from newssearch.searching.query import MAX_QUERY_CHARS, MAX_QUERY_WORDS

from .conftest import SEED_CODE, WriteStory


def codes(ix: NewsIndex, query: str, **kwargs: object) -> list[str]:
    return [h.code for h in ix.search(query, **kwargs).hits]  # type: ignore[arg-type]


def test_gaza_truce_finds_the_seed_story(data_ix: NewsIndex) -> None:
    result = data_ix.search("gaza truce")
    assert result.total >= 1
    top = result.hits[0]
    assert (top.code, top.rank) == (SEED_CODE, 1)
    assert top.date == datetime(2024, 4, 17, 9, 29)
    assert top.headline == "Iran Asks Japan, G7 to Push for Gaza Truce"
    assert top.path.endswith("000_f57659c64b4d332f.txt")
    words = {top.snippet[a:b].lower() for a, b in top.highlights}
    assert words and words <= {"gaza", "truce"}


def test_date_limits(data_ix: NewsIndex) -> None:
    assert codes(data_ix, "gaza truce", since=date(2024, 4, 17)) == [SEED_CODE]
    assert codes(data_ix, "gaza truce", until=date(2024, 4, 17)) == [SEED_CODE]
    assert data_ix.search("gaza truce", since=date(2024, 5, 1)).total == 0
    assert data_ix.search("gaza truce", until=datetime(2024, 4, 17, 9, 28)).total == 0


def test_since_after_until_is_an_error(data_ix: NewsIndex) -> None:
    with pytest.raises(QueryError, match="ends"):
        data_ix.search("cocoa", since=date(1987, 5, 1), until=date(1987, 4, 1))


def test_long_question_ranks_partial_matches_all_words_first(data_ix: NewsIndex) -> None:
    question = "what did Iran say to Japan about a truce in gaza and the humanitarian crisis"
    result = data_ix.search(question)
    assert result.total == 0 and result.partial_total > 1  # no story holds every word
    assert result.hits[0].code == SEED_CODE and result.hits[0].partial
    # stories holding every word of a shorter query come before those holding some
    both = set(codes(data_ix, "cocoa AND exports", limit=100))
    ranked = codes(data_ix, "cocoa exports", limit=100)
    assert set(ranked[: len(both)]) == both
    assert len(ranked) > len(both)


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("what did iran ask japan about the gaza truce?", "what did iran ask japan gaza truce"),
        ("Gaza truce! Now?", "gaza truce now"),
        ('the "truce" in gaza', "truce gaza"),
        ("cocoa exports (from bahia)", "cocoa exports from bahia"),
        ("'cocoa' exports: bahia's", "cocoa exports bahia"),
        ("cocoa-exports/bahia", "cocoa exports bahia"),
    ],
)
def test_sentence_punctuation_changes_nothing(data_ix: NewsIndex, typed: str, plain: str) -> None:
    found, expected = data_ix.search(typed, limit=50), data_ix.search(plain, limit=50)
    assert found.total == expected.total > 0
    assert [(h.code, h.score) for h in found.hits] == [(h.code, h.score) for h in expected.hits]


def test_a_pasted_story_is_searched_by_its_most_telling_words(data_ix: NewsIndex) -> None:
    story = data_ix.get(SEED_CODE)
    assert story is not None
    text = f"{story.headline}\n{story.body}"
    assert len(text) > 2000 and len(set(text.split())) > MAX_QUERY_WORDS
    assert data_ix.search(text).hits[0].code == SEED_CODE
    with pytest.raises(QueryError, match="too long"):
        data_ix.search("word " * (MAX_QUERY_CHARS // 5 + 1))


@pytest.mark.parametrize("query", ["cocoa exports", "oil prices opec", "gaza truce japan"])
def test_feedback_reorders_within_the_tiers_and_keeps_the_matches(
    data_ix: NewsIndex, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_feedback = data_ix.search(query, limit=100)
    monkeypatch.setattr(ranking, "FEEDBACK", False)
    without = data_ix.search(query, limit=100)
    assert with_feedback.total == without.total
    assert {h.code for h in with_feedback.hits} == {h.code for h in without.hits}
    every = set(codes(data_ix, query.replace(" ", " AND "), limit=100))
    assert every and len(every) == with_feedback.total < len(with_feedback.hits)
    for result in (with_feedback, without):
        assert {h.code for h in result.hits[: len(every)]} == every


def test_feedback_words_describe_the_best_stories(data_ix: NewsIndex) -> None:
    from newssearch.searching.feedback import describing_words, story_words

    with data_ix._view() as view:
        cocoa = [view.document_number(h.code) for h in data_ix.search("cocoa").hits]
        counts = [story_words(view, d) for d in cocoa[:5] if d is not None]
        words = describing_words(counts, 20, ranking.frequencies(view))
    assert len(words) == 20 and "cocoa" in words
    assert list(words.values()) == sorted(words.values(), reverse=True)


def test_scores_from_a_storys_words_are_the_scores_from_postings(data_ix: NewsIndex) -> None:
    from newssearch.searching.feedback import story_words
    from newssearch.searching.query import expand, parse_query

    with data_ix._view() as view:
        parsed = expand(parse_query("cocoa exports from bahia", view.schema), view)
        scores = ranking.scores(view, None)
        docs = scores.docs(parsed.any_word)
        assert docs is not None and len(docs) > 5
        expected = scores.scores(parsed.any_word, docs)
        terms = {(t.fieldname, t.text): t.boost for t in parsed.any_word.leaves()}
        found = scores.counted_scores(
            sorted(docs), [story_words(view, d) for d in sorted(docs)], terms
        )
    for d, score in zip(sorted(docs), found, strict=True):
        assert abs(score - expected[d]) < 1e-9 * max(1.0, expected[d])


def test_total_counts_the_stories_holding_every_word(data_ix: NewsIndex) -> None:
    both = data_ix.search("cocoa AND coffee").total
    either = data_ix.search("cocoa OR coffee").total
    plain = data_ix.search("cocoa coffee", limit=100)
    assert (plain.total, plain.total + plain.partial_total) == (both, either)
    assert 0 < both < either
    assert [h.partial for h in plain.hits] == [False] * both + [True] * (len(plain.hits) - both)
    scores = [h.score for h in plain.hits]
    assert scores == sorted(scores, reverse=True)
    assert all(h.score >= 1 for h in plain.hits[:both])
    assert all(h.score < 1 for h in plain.hits[both:])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"push for gaza truce"', SEED_CODE),
        ("headline:truce", SEED_CODE),
        ("body:telephone", SEED_CODE),  # the seed's body has it, its headline not
        ("code:1129250", SEED_CODE),
        ("gaz* AND japan", SEED_CODE),
        ("truce date:[2024-04-01 to 2024-04-30]", SEED_CODE),
        ("truce date:2024-04", SEED_CODE),
        ("truce date:[2024 to]", SEED_CODE),
        ("headline:cocoa AND bahia", "1"),
        ("headline:coc?a AND bahia", "1"),
    ],
)
def test_query_language_finds(data_ix: NewsIndex, query: str, expected: str) -> None:
    assert expected in codes(data_ix, query, limit=20)


@pytest.mark.parametrize(
    "query",
    [
        "truce date:[2024-05-01 to 2024-06-30]",
        "gaza NOT japan",
        '"truce push gaza"',
        "headline:telephone",
    ],
)
def test_query_language_excludes(data_ix: NewsIndex, query: str) -> None:
    assert SEED_CODE not in codes(data_ix, query, limit=50)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("AND OR", "nothing to search for"),
        ("the", "nothing to search for"),
        ("path:/etc", "unknown field"),
        ("x date:[2024-13 to 2025]", "no such date"),
        ("x date:[yesterday-ish to 2025]", "cannot read date"),
        ("x date:[2024 2025]", "write date:"),
        ("gaza~2 truce~ japan~2", r"3 fuzzy terms \(word~\); the limit is 2"),
        (
            " ".join(f"w{n}x*" for n in range(13)),
            "13 wildcards, fuzzy terms and ranges; the limit is 12",
        ),
        (" OR ".join(f"word{n}" for n in range(401)), "401 different words .*; the limit is 400"),
    ],
)
def test_bad_queries(data_ix: NewsIndex, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        data_ix.search(query)


def test_date_only_query_lists_newest_first(data_ix: NewsIndex) -> None:
    result = data_ix.search("date:[1987-03-01 to 1987-03-31]", limit=5)
    dates = [h.date for h in result.hits]
    assert all(d is not None and d.month == 3 for d in dates)
    assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]


def test_paging_has_no_gap_or_overlap(data_ix: NewsIndex) -> None:
    everything = codes(data_ix, "cocoa prices", limit=30)
    pages = [codes(data_ix, "cocoa prices", limit=7, page=p) for p in range(1, 5)]
    assert [code for page in pages for code in page] == everything[:28]
    assert data_ix.search("cocoa prices", limit=7, page=99).hits == ()


def test_sorting_by_date(data_ix: NewsIndex) -> None:
    newest = data_ix.search("cocoa", sort="newest", limit=50).hits
    oldest = data_ix.search("cocoa", sort="oldest", limit=50).hits
    assert [h.date for h in newest] == sorted((h.date for h in newest), reverse=True)  # type: ignore[type-var]
    assert [h.date for h in oldest] == sorted(h.date for h in oldest)  # type: ignore[type-var]
    assert {h.code for h in newest} == {h.code for h in oldest}


def test_undated_stories_sort_last_and_never_match_dates(
    write_story: WriteStory, tmp_path: Path
) -> None:
    write_story("a.txt", code="1", headline="Cocoa one", date_line="Monday 2 March 1987 - 10:00")
    write_story("b.txt", code="2", headline="Cocoa two", date_line=None)
    root = write_story(
        "c.txt", code="3", headline="Cocoa three", date_line="Friday 6 March 1987 - 10:00"
    ).parent
    index_path = str(tmp_path / "index")
    index_stories(index_path, [str(root)])
    with NewsIndex.open(index_path) as ix:
        assert codes(ix, "cocoa", sort="newest") == ["3", "1", "2"]
        assert codes(ix, "cocoa", sort="oldest") == ["1", "3", "2"]
        assert sorted(codes(ix, "cocoa", since=date(1900, 1, 1))) == ["1", "3"]
        stats = ix.stats()
    assert (stats.stories, stats.first_date, stats.per_year) == (
        3,
        datetime(1987, 3, 2, 10),
        {1987: 2},
    )


def test_results_outlive_the_index(data_index: str) -> None:
    with NewsIndex.open(data_index) as ix:
        result = ix.search("cocoa")
        story = ix.get("1")
    assert result.hits[0].headline and result.hits[0].snippet
    assert story is not None and story.headline == "BAHIA COCOA REVIEW"
    assert story.body.startswith("Showers continued")


def test_get_unknown_code(data_ix: NewsIndex) -> None:
    assert data_ix.get("999999999") is None


def test_stats(data_ix: NewsIndex) -> None:
    stats = data_ix.stats()
    assert stats.stories == 326
    assert stats.first_date == datetime(1987, 2, 26, 15, 1)
    assert stats.last_date == datetime(2024, 4, 17, 9, 29)
    assert stats.per_year == {1987: 325, 2024: 1}
    assert stats.size_bytes > 0
    assert len(stats.roots) == 1 and stats.roots[0].endswith("data")


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2024", False, datetime(2024, 1, 1)),
        ("2024", True, datetime(2024, 12, 31, 23, 59, 59, 999999)),
        ("2024-02", True, datetime(2024, 2, 29, 23, 59, 59, 999999)),
        ("2024-12", True, datetime(2024, 12, 31, 23, 59, 59, 999999)),
        ("2024-04-17", False, datetime(2024, 4, 17)),
        ("2024-04-17", True, datetime(2024, 4, 17, 23, 59, 59, 999999)),
        ("2024-04-17T09:29", True, datetime(2024, 4, 17, 9, 29)),
    ],
)
def test_parse_date(text: str, end: bool, expected: datetime) -> None:
    assert parse_date(text, end=end) == expected


@pytest.mark.parametrize("text", ["", "24", "2024-13", "2024-02-30", "April", "2024/04/01"])
def test_parse_date_rejects(text: str) -> None:
    with pytest.raises(QueryError, match=repr(text).strip("'") or "cannot read"):
        parse_date(text)


@pytest.mark.parametrize("query", ["cocoa prices", "cocoa OR coffee", "cocoa -coffee", "code:1"])
def test_an_index_with_no_stories_finds_nothing(tmp_path: Path, query: str) -> None:
    (tmp_path / "none").mkdir()
    index = str(tmp_path / "ix")
    index_stories(index, [str(tmp_path / "none")])
    with NewsIndex.open(index) as ix:
        result = ix.search(query)
    assert (result.total, result.hits) == (0, ())


def test_suggestions_spell_a_bounded_number_of_words(data_ix: NewsIndex) -> None:
    from newssearch.searching.suggest import MAX_SUGGESTED_WORDS

    typos = [f"tru{c}e" for c in "abdfghjklmnpqrstvwxyz"][: MAX_SUGGESTED_WORDS + 3]
    result = data_ix.search(" OR ".join(["gaza", *typos]))
    # the first ones are spelled again, the rest are left as typed
    assert result.suggestion is not None
    assert typos[-1] in result.suggestion


def test_feedback_counts_a_bounded_prefix_of_a_huge_story(
    write_story: WriteStory, tmp_path: Path
) -> None:
    from newssearch.searching.feedback import FEEDBACK_CHARS, story_words

    filler = "Cocoa prices held steady in Bahia. " * (FEEDBACK_CHARS // 35 + 1)
    root = write_story(body=filler + "Zanzibar cloves were sold late.").parent
    index_path = str(tmp_path / "index")
    index_stories(index_path, [str(root)])
    with NewsIndex.open(index_path) as ix, ix._view() as view:
        assert [h.code for h in ix.search("cocoa zanzibar").hits] == ["1"]  # indexed whole
        counted = story_words(view, 0)["body"]
    assert "cocoa" in counted
    assert "zanzibar" not in counted  # but counted for feedback up to FEEDBACK_CHARS only
