"""Snippets show the passages with the query's words and say where the words are."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from newssearch.analysis import term_of as stem_of
from newssearch.analysis.english import WORD
from newssearch.searching.snippets import (
    CHANGED_LETTERS,
    PASSAGES,
    SCAN_CHARS,
    SNIPPET_CHARS,
    lead,
    snippet,
    word_matches,
)
from newssearch.stories.parse import read_story

from .conftest import DATA

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


def every_word_matched(text: str, words: frozenset[str] | set[str]) -> list[tuple[int, int, str]]:
    """What `word_matches` must find, the slow way: every word of `text` stemmed."""
    return [
        (m.start(), m.end(), stem)
        for m in WORD.finditer(text)
        if (stem := stem_of(m.group())) in words
    ]


def test_word_matches_finds_every_word_with_a_wanted_stem_in_the_sample() -> None:
    for path in sorted(DATA.rglob("*.txt")):
        body = read_story(str(path), path.name).story.body
        stems = sorted({stem_of(w) for w in WORD.findall(body)} - {""})
        for wanted in (set(stems), set(stems[::7]), {"oil", "price", "gaza"}):
            assert word_matches(body, wanted) == every_word_matched(body, wanted)


# Endings that Snowball's English stemmer rewrites, chained as in "generalizations".
ENDINGS = re.findall(
    r"\w+",
    "ational tional enci anci izer bli abli alli entli eli ousli fulli lessli ization ation "
    "ator alism iveness fulness ousness aliti iviti biliti logi ogi icate ative alize iciti "
    "ical ful ness sses ied ies ss s us eed eedly ed edly ing ingly at bl iz y e ll al ance "
    "ence er ic able ible ant ement ment ent ion ou ism ate iti ous ive ize ly li ",
)
STEMMED_WORDS = st.builds(
    lambda start, endings: start + "".join(endings),
    st.text("bcdfghlmnprstvyaeiouBLY", min_size=1, max_size=6),
    st.lists(st.sampled_from(ENDINGS), max_size=3),
)


@given(
    parts=st.lists(
        st.one_of(
            STEMMED_WORDS,
            st.sampled_from([" ", "\n", ".", "..", "*", "-", "u.s", "1.5", "Öl", "İstanbul"]),
        ),
        max_size=60,
    ),
    picks=st.lists(st.integers(0, 59), max_size=6),
)
def test_word_matches_agrees_with_stemming_every_word(parts: list[str], picks: list[int]) -> None:
    text = " ".join(parts) if len(parts) % 2 else "".join(parts)
    words = WORD.findall(text)
    wanted = {stem_of(words[i]) for i in picks if i < len(words)} - {""}
    assert word_matches(text, wanted) == every_word_matched(text, wanted)


@settings(max_examples=1000)
@given(word=STEMMED_WORDS)
@example(word="canoyatbiliti")  # "biliti" becomes "ble": the last two letters change
@example(word="Happy")
@example(word="skies")  # Snowball's exceptions: "sky", "die", "idl", "news"
@example(word="dying")
@example(word="idly")
@example(word="news")
def test_stemming_keeps_all_but_the_last_letters_of_a_word(word: str) -> None:
    stem = stem_of(word)
    assert word.lower().startswith(stem[: max(1, len(stem) - CHANGED_LETTERS)])
