"""Persian and Arabic stories, indexed from the real samples: any legitimate spelling of a
word finds the others, languages are told apart and filtered, highlights keep the text.

The samples are research-only and live in ../shared; without it these tests skip.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from newssearch import IndexReport, NewsIndex, index_stories

from .conftest import SHARED

PERSIAN = SHARED / "corpora" / "persian-fars-stories.tar.gz"
ARABIC = SHARED / "corpora" / "arabic-saudinewsnet-stories.tar.gz"
ARABIC_STORIES = 600
"""The Arabic stories the everyday tests index (the whole sample in make test-long)."""
DIACRITICS = re.compile("[\u064b-\u0652]")


def extracted(tar: Path, target: Path) -> Path:
    if not tar.exists():
        pytest.skip(f"the sample is not here ({tar} is missing)")
    with tarfile.open(tar) as archive:
        archive.extractall(target, filter="data")
    (folder,) = [p for p in target.iterdir() if p.is_dir()]
    return folder


@pytest.fixture(scope="module")
def persian(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[NewsIndex, Path, IndexReport]]:
    stories = extracted(PERSIAN, tmp_path_factory.mktemp("fa"))
    index = str(stories.parent / "ix")
    report = index_stories(index, [str(stories)])
    with NewsIndex.open(index) as ix:
        yield ix, stories, report


@pytest.fixture(scope="module")
def arabic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NewsIndex, Path]]:
    stories = extracted(ARABIC, tmp_path_factory.mktemp("ar"))
    for surplus in sorted(stories.glob("*.txt"))[ARABIC_STORIES:]:
        surplus.unlink()
    index = str(stories.parent / "ix")
    index_stories(index, [str(stories)])
    with NewsIndex.open(index) as ix:
        yield ix, stories


def codes(ix: NewsIndex, query: str) -> set[str]:
    result = ix.search(query, limit=1000)
    return {h.code for h in result.hits[: result.total]}


def test_the_persian_sample_indexes_whole(persian: tuple[NewsIndex, Path, IndexReport]) -> None:
    ix, _, report = persian
    assert (report.rejected, report.warnings) == ((), ())
    assert report.added + len(report.duplicates) == report.matched == 402
    stats = ix.stats()
    assert stats.per_language == {"fa": stats.stories}


def test_persian_letters_find_arabic_letters(
    persian: tuple[NewsIndex, Path, IndexReport],
) -> None:
    ix, _, _ = persian
    # 8405270088 writes its headline with Arabic kaf and yeh: "بانك ملي"
    assert "8405270088" in codes(ix, "بانک ملی")  # typed with Persian letters
    assert codes(ix, "بانک ملی") == codes(ix, "بانك ملي")
    assert codes(ix, "بانک ملی") == codes(ix, "بانك ملي")


def test_arabic_letters_find_persian_letters(tmp_path: Path) -> None:
    """The sample writes its text with Arabic yeh and kaf (its Persian letters are in
    date and code lines only), so a real story is written again with Persian letters."""
    stories = extracted(PERSIAN, tmp_path)
    original = sorted(stories.glob("*.txt"))[0]
    respelled = original.read_text().replace("ي", "ی").replace("ك", "ک")
    assert respelled != original.read_text()
    persian_only = tmp_path / "respelled"
    persian_only.mkdir()
    (persian_only / "story.txt").write_text(respelled, encoding="utf-8")
    index = str(tmp_path / "ix")
    index_stories(index, [str(persian_only)])
    with NewsIndex.open(index) as ix:
        story = ix.get(original.name.split("_")[0])
        assert story is not None and "ي" not in story.body and "ک" in story.body
        words = [w for w in re.findall(r"\w{5,}", story.body) if "ی" in w or "ک" in w]
        for word in words[:5]:
            typed = word.replace("ی", "ي").replace("ک", "ك")  # as an Arabic keyboard types
            assert story.code in codes(ix, typed), word


def test_a_space_finds_a_zero_width_non_joiner_and_the_reverse(
    persian: tuple[NewsIndex, Path, IndexReport],
) -> None:
    ix, stories, _ = persian
    joined = {p.name.split("_")[0] for p in stories.glob("*.txt") if "مي\u200cشود" in p.read_text()}
    spaced = {p.name.split("_")[0] for p in stories.glob("*.txt") if "مي شود" in p.read_text()}
    assert joined and spaced
    found = codes(ix, "می شود")
    assert joined | spaced <= found
    assert codes(ix, "می\u200cشود") == found


def test_highlights_cover_whole_words_and_keep_the_joiners(
    persian: tuple[NewsIndex, Path, IndexReport],
) -> None:
    ix, _, _ = persian
    hit = ix.search("صورت‌های مالی", limit=1).hits[0]
    assert "\u200c" in hit.snippet  # the text as the story writes it
    for start, end in hit.highlights:
        word = hit.snippet[start:end]
        assert word in ("صورت", "مالي", "مالی")
        assert start == 0 or not hit.snippet[start - 1].isalpha()


def test_diacritics_are_found_bare_and_bare_words_with_diacritics(
    arabic: tuple[NewsIndex, Path],
) -> None:
    ix, stories = arabic
    marked = None
    for path in sorted(stories.glob("*.txt")):
        words = [w for w in path.read_text().split() if DIACRITICS.search(w) and len(w) > 6]
        if words:
            marked = (path.name.split("_")[0], words[0])
            break
    assert marked is not None
    code, word = marked
    bare = DIACRITICS.sub("", word)
    assert code in codes(ix, bare)
    # and the reverse: a word written bare in a story, asked for with a fatha on it
    story = ix.get(code)
    assert story is not None
    plain = next(w for w in story.headline.split() if len(w) > 4 and not DIACRITICS.search(w))
    assert code in codes(ix, plain[:2] + "\u064e" + plain[2:])
    hits = ix.search(bare, limit=5).hits
    spans = [h.snippet[a:b] for h in hits for a, b in h.highlights]
    assert any(DIACRITICS.search(s) for s in spans)  # shown as written, marks and all


def test_languages_are_told_apart_and_filtered(
    persian: tuple[NewsIndex, Path, IndexReport], arabic: tuple[NewsIndex, Path]
) -> None:
    ix, _ = arabic
    assert ix.stats().per_language.get("ar", 0) >= ARABIC_STORIES * 0.95
    hits = ix.search("السعودية", limit=20).hits
    assert hits and all(h.language == "ar" for h in hits if h.language != "en")
    assert ix.search("السعودية", lang="fa").total == 0
    fa, _, _ = persian
    assert fa.search("ایران", lang="fa").total == fa.search("ایران").total > 0


@pytest.mark.long
def test_the_arabic_sample_indexes_whole(tmp_path: Path) -> None:
    stories = extracted(ARABIC, tmp_path)
    report = index_stories(str(tmp_path / "ix"), [str(stories)])
    assert (report.rejected, report.warnings) == ((), ())
    assert report.added + len(report.duplicates) == report.matched == 6222
