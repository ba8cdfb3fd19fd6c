"""Bad files, crashes, concurrency, hostile queries, damaged indexes and full disks.

The kill loop and the concurrency test run real `newssearch` processes. With
NEWSSEARCH_LONG_TESTS=1 (`make test-long`) the kill loop runs over the whole Reuters
corpus instead of data/.
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from newssearch import (
    IndexOptions,
    IndexWriteError,
    NewsIndex,
    QueryError,
    SearchResult,
    index_stories,
)
from newssearch.cli import app
from newssearch.stories import parse as stories
from newssearch.stories.parse import read_story

from .conftest import DATA, REUTERS_TAR, ROOT, story_text

runner = CliRunner()
LONG = os.environ.get("NEWSSEARCH_LONG_TESTS") == "1"


def newssearch(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    """Start the real command in its own process."""
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "newssearch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


# 1. Hostile files -------------------------------------------------------------------


def build_hostile_tree(root: Path) -> dict[str, str]:
    """Good stories mixed with bad files; return {good file name: code}."""
    root.mkdir(parents=True)
    good: dict[str, str] = {}

    def put(name: str, data: bytes, code: str | None = None) -> Path:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if code is not None:
            good[name] = code
        return path

    for n in range(101, 106):
        put(
            f"good{n}.txt",
            story_text(f"Plain story {n}", f"Body word{n}.", code=str(n)).encode(),
            str(n),
        )
    put("empty.txt", b"")
    put("blank.txt", b"   \n\t\r\n  \n")
    put("image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    put("nul.txt", story_text("Nul story", "Body with a \x00 byte", code="106").encode(), "106")
    put(
        "cp1252.txt",
        story_text("Caf\u00e9 story", "Price \u20ac5", code="107").encode("cp1252"),
        "107",
    )
    put("utf16.txt", story_text("Wide story", "Sixteen bits", code="108").encode("utf-16"), "108")
    put(
        "crlf.txt",
        story_text("Crlf story", "Windows lines", code="109", newline="\r\n").encode(),
        "109",
    )
    put(
        "baddate.txt",
        story_text(
            "Odd date", "x", date_line="Friday 31 February 2024 - 25:99", code="110"
        ).encode(),
        "110",
    )
    put(
        "weekday.txt",
        story_text(
            "Wrong weekday", "x", date_line="Monday 17 April 2024 - 09:29", code="111"
        ).encode(),
        "111",
    )
    put("nancode.txt", story_text("Letters code", "x", code="abc").encode(), "path-" + "nancode")
    put("nocode.txt", story_text("No code", "x", code=None).encode(), "path-" + "nocode")
    put("dup1.txt", story_text("Copy one", "x", code="112").encode())
    dup2 = put("dup2.txt", story_text("Copy two", "x", code="112").encode(), "112")
    st = dup2.stat()
    os.utime(dup2, ns=(st.st_atime_ns, st.st_mtime_ns + 10**10))
    put("vanish.txt", story_text("Gone soon", "x", code="113").encode())
    put(
        "folder.txt/inner.txt",
        story_text("Inside a folder named like a story", "x", code="114").encode(),
        "114",
    )
    put("with space.txt", story_text("Spaced name", "x", code="115").encode(), "115")
    put("new\nline.txt", story_text("Newline name", "x", code="116").encode(), "116")
    put(
        "\u00fcn\u00efc\u00f6d\u00e9.txt",
        story_text("Unicode name", "x", code="117").encode(),
        "117",
    )
    with (root / "huge.txt").open("wb") as f:  # 50 MB of real text
        f.write(story_text("Huge story", "start", code="118").encode() + b"\n")
        line = b"All work and no play makes a very long story indeed. " * 20 + b"\n"
        for _ in range(50 * 2**20 // len(line)):
            f.write(line)
    (root / "loop.txt").symlink_to("loop.txt")  # cannot be opened: a link to itself
    (root / "sub").mkdir()
    (root / "sub" / "back").symlink_to("..", target_is_directory=True)
    return good


def test_hostile_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "tree"
    good = build_hostile_tree(root)
    real_read = stories.read_story

    def vanishing_read(path: str, rel: str, **options: Any) -> stories.ParsedStory:
        if path.endswith("vanish.txt"):
            os.unlink(path)  # gone between listing and reading
        return real_read(path, rel, **options)

    monkeypatch.setattr(stories, "read_story", vanishing_read)
    tracemalloc.start()
    result = runner.invoke(app, ["index", str(root), "--index", str(tmp_path / "ix"), "-f", "json"])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    reasons = {Path(r["path"]).name: r["reason"] for r in report["rejected"]}
    assert reasons == {
        "empty.txt": "empty file",
        "blank.txt": "empty file",
        "image.txt": "binary file, not text",
        "huge.txt": reasons["huge.txt"],
        "loop.txt": "broken symbolic link",
        "vanish.txt": "cannot read: No such file or directory",
    }
    assert reasons["huge.txt"].startswith("file too large")
    assert [(Path(d["path"]).name, d["code"]) for d in report["duplicates"]] == [
        ("dup1.txt", "112")
    ]
    indexed = report["added"] + report["updated"] + report["unchanged"]
    assert indexed + len(report["rejected"]) + len(report["duplicates"]) == report["matched"]
    assert indexed == len(good)
    assert peak < 40 * 2**20  # the 50 MB story is never read whole
    warned = {Path(w["path"]).name for w in report["warnings"]}
    assert {"nul.txt", "cp1252.txt", "baddate.txt", "weekday.txt", "nancode.txt"} <= warned
    with NewsIndex.open(str(tmp_path / "ix")) as ix:
        assert ix.stats().stories == len(good)
        for name, code in good.items():
            if code.startswith("path-"):
                code = stories.path_key(name)
            story = ix.get(code)
            assert story is not None, name
            assert Path(story.path).name == Path(name).name
            assert ix.search(f'"{story.headline}"').total >= 1, name


def test_follow_links(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.txt").write_text(story_text("Outside story", code="9"))
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.txt").write_text(story_text("Inside story", code="1"))
    (root / "out").symlink_to(outside, target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    plain = index_stories(str(tmp_path / "ix1"), [str(root)])
    assert (plain.matched, plain.added) == (1, 1)
    followed = index_stories(str(tmp_path / "ix2"), [str(root)], IndexOptions(follow_links=True))
    assert (followed.matched, followed.added) == (2, 2)


# 2. Crashes ---------------------------------------------------------------------------


def corpus_for_kills(tmp_path: Path) -> Path:
    if not LONG:
        return DATA
    if not REUTERS_TAR.exists():
        pytest.skip(f"the Reuters corpus is not here ({REUTERS_TAR} is missing)")
    with tarfile.open(REUTERS_TAR) as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path / "reuters-stories"


def check_whole(index: str, corpus: Path, limit: int) -> int:
    """The index opens, answers, and every story in it is whole; return the count."""
    with NewsIndex.open(index) as ix:
        count = ix.stats().stories
        assert count <= limit
        ix.search("cocoa prices")
        for hit in ix.search("said", limit=50).hits:
            story = ix.get(hit.code)
            assert story is not None
            expected = read_story(story.path, os.path.relpath(story.path, corpus)).story
            assert story == expected
    return count


@pytest.mark.long
def test_kill_nine_never_breaks_the_index(tmp_path: Path, data_index: str) -> None:
    corpus = corpus_for_kills(tmp_path)
    total = sum(1 for _ in corpus.rglob("*.txt"))
    index = str(tmp_path / "ix")
    rng = random.Random(20261128)
    # how long a full run takes here, so that kills land anywhere in one
    started = time.perf_counter()
    # about 40 commits in a run, so that kills land before, between and during them
    batch = max(25, total // 40)
    args = ["index", str(corpus), "--index", index, "--quiet", "--batch-size", str(batch)]
    assert newssearch(*args, "--full").wait() == 0
    longest = time.perf_counter() - started
    kills = 0
    for attempt in range(200):  # a run that finishes before its kill is not counted
        if kills == 20:
            break
        # every other run rebuilds; the others update after a rebuild was killed
        proc = newssearch(*args, *(["--full"] if attempt % 2 == 0 else []))
        try:
            proc.wait(timeout=rng.uniform(0.05, longest))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        with NewsIndex.open(index) as ix:
            assert ix.stats().stories > 0  # the old stories or the new, never none
        check_whole(index, corpus, total)
    assert kills == 20
    final = newssearch("index", str(corpus), "--index", index, "--quiet")
    assert final.wait() == 0, final.stderr.read() if final.stderr else ""
    assert check_whole(index, corpus, total) == total
    if not LONG:
        with NewsIndex.open(index) as ix, NewsIndex.open(data_index) as reference:
            for query in ("cocoa", "oil prices", "gaza truce", "trade deficit japan"):
                # The same stories, the top ten in the same order. Scores may differ in
                # the third digit: Whoosh sums field lengths exactly when it writes a
                # segment but from their one-byte approximations when it merges two.
                got = ix.search(query, limit=1000)
                want = reference.search(query, limit=1000)
                assert got.total == want.total, query
                assert {h.code for h in got.hits} == {h.code for h in want.hits}, query
                assert [h.code for h in got.hits[:10]] == [h.code for h in want.hits[:10]]


# 3. Concurrency -----------------------------------------------------------------------

SEARCHER = """
import sys, time
from newssearch import NewsIndex
deadline = time.time() + float(sys.argv[2])
answered = 0
while time.time() < deadline:
    with NewsIndex.open(sys.argv[1]) as ix:
        result = ix.search("cocoa")
        assert 0 < result.total <= 25, result.total  # the old stories or the new, never none
        for hit in result.hits:
            assert "cocoa" in (hit.headline + " " + hit.snippet).lower(), hit
        answered += 1
print(answered)
"""


def test_searches_go_on_while_an_indexer_commits(tmp_path: Path) -> None:
    index = str(tmp_path / "ix")
    index_stories(index, [str(DATA / "reuters")])
    before = set(os.listdir(index))
    writer = newssearch(
        "index", str(DATA), "--index", index, "--full", "--quiet", "--batch-size", "1"
    )
    searchers = [
        subprocess.Popen(
            [sys.executable, "-c", SEARCHER, index, "4"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    while set(os.listdir(index)) <= before and writer.poll() is None:
        time.sleep(0.02)  # until the rebuild writes its first segment
    second = newssearch("index", str(DATA), "--index", index)
    out, err = second.communicate()
    assert writer.poll() is None, "the first indexer finished before the second started"
    assert second.returncode == 2
    assert err == f"Error: the index at {index} is locked by another writer\n"
    for proc in searchers:
        out, err = proc.communicate()
        assert proc.returncode == 0, err
        assert int(out) > 0
    assert writer.wait() == 0
    with NewsIndex.open(index) as ix:
        assert ix.stats().stories == 326


def test_threads_may_share_one_index(data_ix: NewsIndex) -> None:
    queries = ["cocoa", "oil prices", "gaza truce", "trade", "bank of japan", "coffee quotas"]
    expected = {q: data_ix.search(q, limit=20) for q in queries}
    failures: list[str] = []

    def work() -> None:
        for q in queries * 5:
            if data_ix.search(q, limit=20) != expected[q]:
                failures.append(q)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


# 4. Hostile queries -------------------------------------------------------------------

TOKENS = [
    "cocoa",
    "oil",
    "gaza",
    "truce",
    "the",
    "AND",
    "OR",
    "NOT",
    "ANDNOT",
    "ANDMAYBE",
    '"',
    "'",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "*",
    "?",
    "~",
    "~2",
    "^",
    "^3",
    "-",
    "+",
    ":",
    "headline:",
    "body:",
    "code:",
    "date:",
    "path:",
    "foo:",
    "sig:",
    "TO",
    "to",
    "date:[",
    "2024",
    "2024-13",
    "1987-03-01",
    "yesterday",
    "-30d",
    "\\",
    "/",
    "<",
    ">",
    "a*",
    "*a",
    "co?oa",
    "petrolium~",
    "1129250",
    "\x00",
    "\u202e",
    "\ud7ff",
    "\U0001f600",
]
hostile_query = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map(" ".join),
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map("".join),
    st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)), max_size=20).map(" ".join),
    st.integers(min_value=1900, max_value=3000).map(lambda n: f"x date:[{n} to {n - 5}]"),
    st.text(min_size=1, max_size=40).map(lambda s: f"date:[{s}]"),
    st.integers(min_value=1, max_value=400).map(lambda n: "cocoa " * n),
    st.text(min_size=2001, max_size=2100),
)


@settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.long
@given(query=hostile_query)
def test_hostile_queries_answer_or_refuse(data_ix: NewsIndex, query: str) -> None:
    try:
        result = data_ix.search(query)
    except QueryError as e:
        assert str(e) and "\n" not in str(e)
    else:
        assert isinstance(result, SearchResult)
        listed = result.total + result.partial_total
        assert len(result.hits) <= 10 and listed >= len(result.hits)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=hostile_query.filter(lambda q: "\x00" not in q))
def test_hostile_queries_on_the_command_line(data_index: str, query: str) -> None:
    result = runner.invoke(app, ["search", query, "--index", data_index, "--format", "json"])
    assert result.exit_code in (0, 1, 2)
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert lines[-1].startswith("Error: ")
        assert "Traceback" not in result.stderr
    else:
        json.loads(result.stdout)


# 5. Damaged indexes -------------------------------------------------------------------


def damage(kind: str, tmp_path: Path) -> Path:
    index = tmp_path / "ix"
    if kind == "missing":
        return index
    if kind == "empty":
        index.mkdir()
        return index
    if kind == "unrelated":
        shutil.copytree(DATA / "reuters", index)
        return index
    index_stories(str(index), [str(DATA)], IndexOptions(batch_size=100))
    segment = sorted(index.glob("*.seg"))[0]
    if kind == "truncated-segment":
        with segment.open("r+b") as f:
            f.truncate(segment.stat().st_size // 2)
    elif kind == "deleted-segment":
        segment.unlink()
    elif kind == "deleted-toc":
        for toc in index.glob("_MAIN_*.toc"):
            toc.unlink()
    elif kind == "old-schema":
        meta = json.loads((index / "newssearch.json").read_text())
        meta["schema_version"] = 1
        (index / "newssearch.json").write_text(json.dumps(meta))
    elif kind == "garbled-meta":
        (index / "newssearch.json").write_text("{not json")
    elif kind == "unknown-code":  # the table of contents names a module this release lacks
        for toc in index.glob("_MAIN_*.toc"):
            pickled = toc.read_bytes()
            assert b"newssearch.engine.codec" in pickled
            toc.write_bytes(pickled.replace(b"newssearch.engine.codec", b"newssearch.engine.codex"))
    return index


@pytest.mark.parametrize(
    ("kind", "message", "repairable"),
    [
        ("missing", "no index at", False),
        ("empty", "no index at", False),
        ("unrelated", "is not a newssearch index", False),
        ("truncated-segment", "is damaged", True),
        ("deleted-segment", "is damaged", True),
        ("deleted-toc", "is damaged", True),
        ("old-schema", "incompatible version", True),
        ("garbled-meta", "incompatible version", True),
        ("unknown-code", "names code this version of newssearch does not have", True),
    ],
)
def test_damaged_indexes(kind: str, message: str, repairable: bool, tmp_path: Path) -> None:
    index = str(damage(kind, tmp_path))
    for command in (["search", "cocoa"], ["stats"], ["show", "1"], ["timeline", "cocoa"]):
        result = runner.invoke(app, [*command, "--index", index])
        assert result.exit_code == 2, (command, result.output)
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and message in result.stderr
        if repairable:
            assert f"newssearch index --full --index {index}" in result.stderr
    if repairable:
        result = runner.invoke(app, ["index", str(DATA), "--full", "--index", index, "--quiet"])
        assert result.exit_code == 0, result.output
        result = runner.invoke(app, ["search", "cocoa", "--index", index])
        assert result.exit_code == 0
    elif kind == "unrelated":
        result = runner.invoke(app, ["index", str(DATA), "--full", "--index", index])
        assert result.exit_code == 2 and "holds no newssearch index" in result.stderr
        assert sorted(p.name for p in Path(index).iterdir()) == sorted(
            p.name for p in (DATA / "reuters").iterdir()
        )


# 6. Disk full -------------------------------------------------------------------------


def test_a_failed_write_keeps_the_last_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whoosh.filedb.structfile import StructFile

    root = tmp_path / "stories"
    shutil.copytree(DATA / "reuters", root)
    index = str(tmp_path / "ix")
    first = index_stories(index, [str(root)])
    for n in range(5):
        (root / f"new{n}.txt").write_text(story_text(f"Fresh story {n}", code=f"{900000 + n}"))
    written = 0
    real_write = StructFile.write

    def filling_write(self: StructFile, data: bytes) -> None:
        nonlocal written
        written += len(data)
        if written > 2_000:  # part way through the new segment
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(self, data)

    monkeypatch.setattr(StructFile, "write", filling_write)
    result = runner.invoke(app, ["index", str(root), "--index", index])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: cannot write to the index at {index}: No space left")
    assert result.stderr.count("\n") == 1
    with pytest.raises(IndexWriteError):
        index_stories(index, [str(root)])
    monkeypatch.setattr(StructFile, "write", real_write)
    with NewsIndex.open(index) as ix:
        assert ix.stats().stories == first.added
        assert ix.search("cocoa").total > 0
    again = index_stories(index, [str(root)])
    assert (again.added, again.unchanged) == (5, first.added)


def test_a_writer_that_cannot_start_frees_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoosh's writer takes the lock before it creates its files; when that fails, the
    lock must not wait for the half-made writer to be garbage-collected."""
    import gc

    from whoosh.filedb.structfile import StructFile

    root = tmp_path / "stories"
    shutil.copytree(DATA / "reuters", root)
    index = str(tmp_path / "ix")
    first = index_stories(index, [str(root)])
    (root / "new.txt").write_text(story_text("Fresh story", code="900000"))

    def full_disk(self: StructFile, data: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    real_write = StructFile.write
    monkeypatch.setattr(StructFile, "write", full_disk)
    gc.disable()
    try:
        with pytest.raises(IndexWriteError):
            index_stories(index, [str(root)])
        monkeypatch.setattr(StructFile, "write", real_write)
        again = index_stories(index, [str(root)])
    finally:
        gc.enable()
    assert (again.added, again.unchanged) == (1, first.added)


# 7. Security --------------------------------------------------------------------------


def test_readme_warns_about_pickled_indexes() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "pickle" in readme and "--follow-links" in readme
