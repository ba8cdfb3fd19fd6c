"""Snippets show the passages with the query's words and say where the words are."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from newssearch.postings import stem_of
from newssearch.snippets import PASSAGES, SCAN_CHARS, SNIPPET_CHARS, lead, snippet

BODY = (
    "The ministry said on Monday that exports would be reviewed.\n"
    "Oil prices rose sharply after the announcement, traders said, and analysts expect "
    "further gains in the coming weeks as supplies tighten across the region.\n"
    "Separately, the central bank left interest rates unchanged, citing steady growth, "
    "while the price of oil futures in London climbed for a third day."
)


def marked(text: str, spans: tuple[tuple[int, int], ...]) -> list[str]:
    return [text[a:b] for a, b in spans]


def test_passages_hold_the_matched_words_and_their_spans() -> None:
    text, spans = snippet(BODY, {"oil", "price"})
    assert [w.lower() for w in marked(text, spans)] == ["oil", "prices", "price", "oil"]
    assert text.count(" … ") == PASSAGES - 1
    assert "\n" not in text
    assert text.startswith("Oil prices rose")


def test_the_passage_with_more_different_words_wins() -> None:
    text, spans = snippet(BODY, {"export", "bank"})
    assert {w.lower() for w in marked(text, spans)} == {"exports", "bank"}
    text, spans = snippet(BODY, {"bank", "interest", "rate"})
    assert marked(text, spans) == ["bank", "interest", "rates"]
    assert " … " not in text


def test_no_match_gives_the_opening() -> None:
    assert snippet(BODY, {"cocoa"}) == (lead(BODY), ())
    assert lead("short body") == "short body"
    long = "word " * 100
    assert lead(long).endswith(" …") and len(lead(long)) <= SNIPPET_CHARS + 2


def test_only_the_first_part_of_a_huge_body_is_searched() -> None:
    body = "filler " * (SCAN_CHARS // 7 + 10) + "needle"
    assert snippet(body, {"needle"}) == (lead(body), ())


@given(
    words=st.lists(
        st.sampled_from(["oil", "prices", "the", "rose", "bank", "x", "\n", "Öl", "1.5"]),
        max_size=80,
    ),
    wanted=st.sets(st.sampled_from(["oil", "price", "rose", "bank", "öl"])),
)
def test_every_span_is_a_query_word(words: list[str], wanted: set[str]) -> None:
    body = " ".join(words)
    text, spans = snippet(body, wanted)
    for a, b in spans:
        assert stem_of(text[a:b]) in wanted
    assert all(a < b for a, b in spans)
    assert list(spans) == sorted(spans)
