"""The story parser, on every layout and encoding variation the format allows."""

from __future__ import annotations

import codecs
import hashlib
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newssearch.stories.dates import parse_date_line
from newssearch.stories.files import FoundFile, Unusable, walk
from newssearch.stories.parse import MAX_FILE_BYTES, StoryRejected, path_key, read_story

from .conftest import ROOT, story_text


def parse_bytes(tmp_path: Path, data: bytes, name: str = "s.txt"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(data)
    return read_story(str(path), name)


def test_seed_story() -> None:
    seed = next((ROOT / "data").glob("000_*.txt"))
    parsed = read_story(str(seed), seed.name)
    story = parsed.story
    assert story.code == "1129250"
    assert story.date == datetime(2024, 4, 17, 9, 29)
    assert story.headline == "Iran Asks Japan, G7 to Push for Gaza Truce"
    assert story.body.startswith("In a telephone conversation on Tuesday")
    assert story.body.endswith("calm, peace, and stability in the region.")
    assert "\n\n" not in story.body
    assert parsed.warnings == ()


@pytest.mark.parametrize(
    "text",
    [
        story_text(newline="\r\n"),
        story_text() + "\n",
        story_text().replace("\n", "   \n"),
        story_text().replace("\n", "\n\n\n"),
        "\n\n" + story_text(),
        story_text().replace("Story Code : 1", "Story Code:1"),
        story_text().replace("Story Code : 1", "STORY CODE  :  0001"),
    ],
    ids=[
        "crlf",
        "final-newline",
        "trailing-spaces",
        "extra-blank-lines",
        "leading-blank",
        "code-no-spaces",
        "code-case-and-zeros",
    ],
)
def test_layout_variations_parse_the_same(tmp_path: Path, text: str) -> None:
    parsed = parse_bytes(tmp_path, text.encode("utf-8"))
    assert parsed.story.code == "1"
    assert parsed.story.headline == "Cocoa prices rise in Bahia"
    assert parsed.story.body == "Showers continued throughout the week in the Bahia cocoa zone."
    assert parsed.story.date == datetime(1987, 2, 26, 15, 1)
    assert parsed.warnings == ()


def test_utf8_bom(tmp_path: Path) -> None:
    parsed = parse_bytes(tmp_path, codecs.BOM_UTF8 + story_text(headline="Café talks").encode())
    assert parsed.story.headline == "Café talks"
    assert parsed.story.date == datetime(1987, 2, 26, 15, 1)


def test_utf16_with_bom(tmp_path: Path) -> None:
    parsed = parse_bytes(tmp_path, story_text(headline="Café talks").encode("utf-16"))
    assert parsed.story.headline == "Café talks"
    assert parsed.story.code == "1"


def test_cp1252_falls_back_with_a_warning(tmp_path: Path) -> None:
    text = story_text(body="Prices \u201cfirm\u201d at 5\u20ac a tonne")
    parsed = parse_bytes(tmp_path, text.encode("cp1252"))
    assert parsed.story.body == "Prices \u201cfirm\u201d at 5\u20ac a tonne"
    assert parsed.warnings == ("not UTF-8; read as cp1252",)


def test_bytes_cp1252_cannot_decode_fall_back_to_latin1(tmp_path: Path) -> None:
    parsed = parse_bytes(tmp_path, story_text(body="odd \xe9\x81 byte").encode("latin-1"))
    # 0x81 has no cp1252 letter; as Latin-1 it is a C1 control, which no text holds
    assert parsed.story.body == "odd \xe9 byte"
    assert parsed.warnings == ("not UTF-8; read as Latin-1",)


def test_no_date_line_is_a_warning(tmp_path: Path) -> None:
    parsed = parse_bytes(tmp_path, story_text(date_line=None).encode())
    assert parsed.story.date is None
    assert parsed.story.headline == "Cocoa prices rise in Bahia"
    assert parsed.warnings == ("no date line; indexed without a date",)


@pytest.mark.parametrize(
    ("line", "expected", "warned"),
    [
        ("Wednesday 17 April 2024 - 09:29", datetime(2024, 4, 17, 9, 29), False),
        ("Thursday 26 February 1987 - 15:01", datetime(1987, 2, 26, 15, 1), False),
        ("Sunday 01 January 2006 - 02:25", datetime(2006, 1, 1, 2, 25), False),
        ("17 April 2024", datetime(2024, 4, 17), False),
        ("Wed, 17 Apr 2024 - 9:29", datetime(2024, 4, 17, 9, 29), False),
        ("Monday 17 April 2024 - 09:29", datetime(2024, 4, 17, 9, 29), True),
        ("Friday 31 February 2024 - 10:00", None, True),
        ("Wednesday 17 April 2024 - 25:99", None, True),
        ("Iran Asks Japan, G7 to Push for Gaza Truce", None, False),
    ],
)
def test_date_lines(line: str, expected: datetime | None, warned: bool) -> None:
    date, warning = parse_date_line(line)
    assert date == expected
    assert (warning is not None) == warned


def test_impossible_date_is_indexed_without_date(tmp_path: Path) -> None:
    text = story_text(date_line="Friday 31 February 2024 - 25:99")
    parsed = parse_bytes(tmp_path, text.encode())
    assert parsed.story.date is None
    assert parsed.story.headline == "Cocoa prices rise in Bahia"
    assert "impossible date" in parsed.warnings[0]


def test_missing_code_gets_a_stable_path_key(tmp_path: Path) -> None:
    parsed = parse_bytes(tmp_path, story_text(code=None).encode(), name="a.txt")
    digest = hashlib.sha1(b"a.txt").hexdigest()[:12]  # the documented key, computed apart
    assert parsed.story.code == path_key("a.txt") == f"path-{digest}"
    assert len(parsed.story.code) == len("path-") + 12
    assert parsed.story.headline == "Cocoa prices rise in Bahia"
    assert parsed.warnings[0].startswith("no story code")


def test_non_numeric_code_gets_a_path_key(tmp_path: Path) -> None:
    parsed = parse_bytes(tmp_path, story_text(code="abc").encode(), name="b.txt")
    assert parsed.story.code == path_key("b.txt")
    assert "is not a number" in parsed.warnings[0]


def test_code_line_before_the_headline(tmp_path: Path) -> None:
    data = b"Thursday 26 February 1987 - 15:01\n\nStory Code : 5\nHeadline\nBody."
    story = parse_bytes(tmp_path, data).story
    assert (story.code, story.headline, story.body) == ("5", "Headline", "Body.")


def test_body_that_does_not_repeat_the_headline_is_kept_whole(tmp_path: Path) -> None:
    parsed = parse_bytes(
        tmp_path, story_text(repeat_headline=False, body="First.\nSecond.").encode()
    )
    assert parsed.story.body == "First.\nSecond."


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\r\n\t \n", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 20, "binary file, not text"),
        (b"Thursday 26 February 1987 - 15:01\n\nStory Code : 5\n", "no headline"),
        (b"Thursday 26 February 1987 - 15:01\n", "no headline"),
    ],
    ids=["empty", "whitespace", "binary", "date-and-code-only", "date-only"],
)
def test_rejected_files(tmp_path: Path, data: bytes, reason: str) -> None:
    with pytest.raises(StoryRejected, match=reason):
        parse_bytes(tmp_path, data)


def test_a_few_nul_bytes_are_removed(tmp_path: Path) -> None:
    data = story_text(body="Cocoa \x00prices rose " + "word " * 50).encode()
    parsed = parse_bytes(tmp_path, data)
    assert "\x00" not in parsed.story.body
    assert parsed.warnings == ("removed 1 NUL byte(s)",)


def test_too_large_file_is_rejected_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    with path.open("wb") as f:
        f.write(story_text().encode())
        f.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(StoryRejected, match="file too large"):
        read_story(str(path), "big.txt")


def test_walk_does_not_follow_directory_links_or_escape_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.txt").write_text(story_text())
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "dir.txt").mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text(story_text())
    (root / "out.txt").symlink_to(outside)
    (root / "in.txt").symlink_to(root / "sub" / "a.txt")
    (root / "notes.md").write_text("not a story")
    items = list(walk(str(root), "*.txt"))
    found = sorted(Path(i.path).name for i in items if isinstance(i, FoundFile))
    unusable = {Path(i.path).name: i.reason for i in items if isinstance(i, Unusable)}
    assert found == ["a.txt", "in.txt"]
    assert unusable == {
        "out.txt": "symbolic link to a file outside the indexed root (see --follow-links)"
    }


headline_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\ufeff\x85"
    ),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip() and not s.strip().lower().startswith("story"))
paragraph = headline_text.map(str.strip)


@given(
    headline=headline_text.map(str.strip),
    paragraphs=st.lists(paragraph, min_size=1, max_size=5),
    code=st.integers(min_value=1, max_value=10**12),
    when=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda d: d.replace(second=0, microsecond=0)
    ),
)
def test_round_trip(headline: str, paragraphs: list[str], code: int, when: datetime) -> None:
    from newssearch.stories.parse import parse_story

    text = story_text(
        headline,
        "\n".join(paragraphs),
        date_line=f"{when:%A} {when.day} {when:%B %Y - %H:%M}",
        code=str(code),
    )
    story = parse_story(text, "p", "p").story
    assert story.date == when
    assert story.code == str(code)
    assert story.headline == headline
    assert story.body == "\n".join(paragraphs)
