"""Fixtures: story files written from text into tmp_path, indexes built from them, and
(when ../shared is beside the checkout) the extracted Reuters corpus and its index."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from newssearch import NewsIndex

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared"
REUTERS_TAR = SHARED / "corpora" / "reuters21578-stories.tar.gz"
SEED_CODE = "1129250"

WriteStory = Callable[..., Path]


def story_text(
    headline: str = "Cocoa prices rise in Bahia",
    body: str = "Showers continued throughout the week in the Bahia cocoa zone.",
    *,
    date_line: str | None = "Thursday 26 February 1987 - 15:01",
    code: str | None = "1",
    repeat_headline: bool = True,
    newline: str = "\n",
) -> str:
    """A story file's text in the reference layout."""
    lines: list[str] = []
    if date_line is not None:
        lines += [date_line, ""]
    lines += [headline, ""]
    if code is not None:
        lines.append(f"Story Code : {code}")
    if repeat_headline:
        lines.append(headline)
    lines += body.split("\n")
    return newline.join(lines)


@pytest.fixture
def write_story(tmp_path: Path) -> WriteStory:
    """Write a story file under tmp_path/stories and return its path."""

    def write(name: str = "story.txt", text: str | None = None, **kwargs: object) -> Path:
        path = tmp_path / "stories" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text if text is not None else story_text(**kwargs), encoding="utf-8")  # type: ignore[arg-type]
        return path

    return write


@pytest.fixture(scope="session")
def data_index(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An index of data/, built once."""
    path = str(tmp_path_factory.mktemp("data-index") / "index")
    with NewsIndex.create(path) as ix:
        report = ix.index([str(DATA)])
    assert not report.rejected
    return path


@pytest.fixture
def data_ix(data_index: str) -> Iterator[NewsIndex]:
    with NewsIndex.open(data_index) as ix:
        yield ix


@pytest.fixture(scope="session")
def reuters_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Reuters corpus, extracted once (skips without ../shared)."""
    if not REUTERS_TAR.exists():
        pytest.skip(f"the Reuters corpus is not here ({REUTERS_TAR} is missing)")
    target = tmp_path_factory.mktemp("corpora")
    with tarfile.open(REUTERS_TAR) as tar:
        tar.extractall(target, filter="data")
    return target / "reuters-stories"


def file_count(path: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(path))
