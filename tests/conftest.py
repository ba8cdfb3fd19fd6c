"""Fixtures: story files written from text into tmp_path, indexes built from them, and
(when ../shared is beside the checkout) the extracted Reuters corpus and its index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


HOSTILE_HEADLINE = "<script>alert(1)</script>"
HOSTILE_CODE = "990001"
PERSIAN_HEADLINE = "گفت‌وگوی تازه برای آتش‌بس در غزه"
PERSIAN_CODE = "990002"
WEB_STORIES = {
    "hostile.txt": story_text(
        HOSTILE_HEADLINE,
        'Zanzibar clove growers met on Tuesday. <img src=x onerror=alert(2)> & "quotes"',
        date_line="Thursday 18 April 2024 - 10:00",
        code=HOSTILE_CODE,
    ),
    "persian.txt": story_text(
        PERSIAN_HEADLINE,
        "نمایندگان دو طرف روز سه‌شنبه در قاهره دیدار کردند.\n"
        "گفت‌وگوها درباره آتش‌بس در غزه ادامه دارد.",
        date_line="Friday 19 April 2024 - 08:15",
        code=PERSIAN_CODE,
    ),
}


@pytest.fixture(scope="session")
def web_index(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An index of data/ and of two stories a page must show with care: one whose
    headline is a script tag, one in Persian (right to left)."""
    root = tmp_path_factory.mktemp("web")
    extra = root / "stories"
    extra.mkdir()
    for name, text in WEB_STORIES.items():
        (extra / name).write_text(text, encoding="utf-8")
    path = str(root / "index")
    with NewsIndex.create(path) as ix:
        report = ix.index([str(DATA), str(extra)])
    assert not report.rejected and report.added == 328
    return path


@contextmanager
def running_server(index: str) -> Iterator[str]:
    """`newssearch serve --index INDEX --port 0` as its own process; yields its address
    and stops it with Ctrl-C (SIGINT), checking that it stops cleanly."""
    server = subprocess.Popen(
        [sys.executable, "-m", "newssearch", "serve", "--index", index, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("Serving "), line + server.stderr.read()  # type: ignore[union-attr]
        yield line.split(" at ")[1].split()[0]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        finally:
            server.kill()
            server.communicate()
    assert server.returncode == 0, server.returncode
