"""The analysis chain: English as Whoosh's own analyzer makes it with Snowball's
stemmer and stop words, Persian and Arabic spelled any legitimate way to the same terms,
offsets into the original text, language detection."""

from __future__ import annotations

import pickle
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newssearch import analysis
from newssearch.analysis import Chain, detect_language, normalize, stemming, terms, tokenize
from newssearch.analysis.english import MIN_WORD, STOP_WORDS, WORD, stem
from newssearch.stories.parse import read_story

from .conftest import DATA, REUTERS_TAR, SHARED

# Any text without Arabic script: words, stop words, short words, numbers with dots,
# other scripts, combining marks, zero-width characters and punctuation.
NOT_ARABIC = st.characters(exclude_categories=["Cs"]).filter(
    lambda c: not analysis.is_arabic_script(c)
)
latin_text = st.lists(
    st.one_of(
        st.sampled_from(
            ["the", "a", "Oil", "prices", "U.S.", "1.5", "x", "İstanbul", "*", "\u200c"]
        ),
        st.text(NOT_ARABIC, min_size=1, max_size=12),
    ),
    max_size=60,
).map(" ".join)


def whoosh_positions(value: str) -> dict[str, list[int]]:
    """What Whoosh's StemmingAnalyzer, set up with the same pattern, stop words and
    stemmer, makes of English text: the reference the English chain is held to."""
    from whoosh import analysis as whoosh_analysis

    reference = whoosh_analysis.StemmingAnalyzer(
        expression=WORD, stoplist=STOP_WORDS, minsize=MIN_WORD, stemfn=stem
    )
    found: dict[str, list[int]] = {}
    for token in reference(value, positions=True):
        found.setdefault(token.text, []).append(token.pos)
    return found


@settings(max_examples=1000, deadline=None)
@given(value=latin_text)
def test_text_without_arabic_script_gets_whooshs_terms(value: str) -> None:
    assert analysis.term_positions(value) == whoosh_positions(value)
    found: dict[str, list[int]] = {}
    for term in terms(value):
        found.setdefault(term.text, []).append(term.pos)
    assert found == whoosh_positions(value)


def test_every_sample_story_gets_whooshs_terms() -> None:
    for path in sorted(DATA.rglob("*.txt")):
        story = read_story(str(path), path.name).story
        for value in (story.headline, story.body):
            assert analysis.term_positions(value) == whoosh_positions(value), path


@settings(max_examples=300, deadline=None)
@given(
    value=st.lists(
        st.one_of(
            st.sampled_from(["می‌شود", "الْمُفَاوَضَات", "Oil", "the", "۱٫۵", "و", "\u200c"]),
            st.text(min_size=1, max_size=10),
        ),
        max_size=40,
    ).map(" ".join)
)
def test_terms_and_the_fast_path_agree_on_any_text(value: str) -> None:
    found: dict[str, list[int]] = {}
    for term in terms(value):
        found.setdefault(term.text, []).append(term.pos)
        assert term.text == analysis.term_of(value[term.start : term.end])
    assert found == analysis.term_positions(value)


def test_english_words_keep_their_terms_beside_arabic_script() -> None:
    assert [t.text for t in terms("Oil prices در بازارها rose")] == [
        "oil",
        "price",
        "بازار",
        "rose",
    ]


def test_a_chain_pickles_by_its_settings() -> None:
    chain = Chain("snowball-arabic", teh_marbuta=False)
    chain.term_of("المدرسة")
    copy = pickle.loads(pickle.dumps(chain))
    assert (copy.stemmer, copy.teh_marbuta) == ("snowball-arabic", False)
    assert copy.term_of("المدرسة") == chain.term_of("المدرسة")


@pytest.mark.parametrize(
    "spellings",
    [
        ("بانک ملی", "بانك ملي", "بانـــک ملی"),  # Arabic kaf and yeh, tatweel
        ("الْمُفَاوَضَات", "المفاوضات", "المفاوضـات"),  # diacritics, tatweel
        ("أحمد", "إحمد", "احمد"),  # hamza on alef
        ("آمریکا", "امریکا"),
        ("مسائل", "مسایل"),
        ("مؤسسه", "موسسه"),
        ("المدرسة", "المدرسه"),  # teh marbuta
        ("سال ۱۳۸۷", "سال 1387", "سال ١٣٨٧"),  # digits
        ("ﺑﺎﻧﮏ", "بانک"),  # presentation forms
    ],
)
def test_legitimate_spellings_give_the_same_terms(spellings: tuple[str, ...]) -> None:
    first = [t.text for t in terms(spellings[0])]
    assert first
    for other in spellings[1:]:
        assert [t.text for t in terms(other)] == first, other


def test_a_zero_width_non_joiner_separates_words_as_a_space_does() -> None:
    joined = terms("نیروهای مسلح می‌خواهند کتاب‌های جدید")
    spaced = terms("نیروهای مسلح می خواهند کتاب های جدید")
    assert [(t.pos, t.text) for t in joined] == [(t.pos, t.text) for t in spaced]
    assert "خواهند" not in [t.text for t in joined]  # a stop word either way


def test_diacritics_stay_inside_words_and_offsets_point_into_the_original() -> None:
    text = "قالت إنّ الْمُفَاوَضَاتِ ستُستأنف"
    words = list(tokenize(text))
    assert [w for w, _, _ in words] == ["قالت", "إنّ", "الْمُفَاوَضَاتِ", "ستُستأنف"]
    for word, start, end in words:
        assert text[start:end] == word
    assert [text[t.start : t.end] for t in terms(text)] == ["قالت", "الْمُفَاوَضَاتِ", "ستُستأنف"]


def test_normalize() -> None:
    assert normalize("الْمُفَاوَضَات") == "المفاوضات"
    assert normalize("كيف") == "کیف"
    assert normalize("على") == normalize("علي") == "علی"
    assert normalize("٣٫١٤") == "3.14"
    assert normalize("ﻻ") == "لا"


@pytest.mark.parametrize("name", stemming.STEMMERS)
def test_every_stemmer_keeps_the_normalized_form(name: str) -> None:
    chain = Chain(name)
    for word in ("المفاوضات", "کتابهای", "السعودية", "بزرگترین", "يكتبون"):
        term = chain.term_of(word)
        assert term and normalize(term) == term, (name, word)


def test_an_unknown_stemmer_is_refused() -> None:
    with pytest.raises(ValueError, match="no stemmer"):
        Chain("porter")


def _sample(tar: Path, tmp_path: Path, count: int) -> list[str]:
    if not tar.exists():
        pytest.skip(f"{tar} is not there (the corpora live in ../shared)")
    texts = []
    with tarfile.open(tar) as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".txt"):
                data = archive.extractfile(member)
                assert data is not None
                texts.append(data.read().decode("utf-8"))
                if len(texts) == count:
                    break
    return texts


@pytest.mark.parametrize(
    ("tar", "language"),
    [
        (SHARED / "corpora" / "persian-fars-stories.tar.gz", "fa"),
        (SHARED / "corpora" / "arabic-saudinewsnet-stories.tar.gz", "ar"),
        (REUTERS_TAR, "en"),
    ],
)
def test_detect_language_on_the_samples(tar: Path, language: str, tmp_path: Path) -> None:
    texts = _sample(tar, tmp_path, 400)
    detected = [detect_language(text) for text in texts]
    # A few Arabic stories are lists of English film titles under an Arabic headline.
    assert detected.count(language) >= 0.99 * len(texts)
    headlines = [next(line for line in text.splitlines()[1:] if line) for text in texts]
    right = sum(detect_language(h) == language for h in headlines)
    assert right >= 0.97 * len(headlines), right


def test_detect_language_on_short_and_odd_text() -> None:
    assert detect_language("") == "other"
    assert detect_language("١٢٣ 456") == "other"
    assert detect_language("گزارش") == "fa"
    assert detect_language("المملكة") == "ar"
