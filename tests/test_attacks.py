"""The attacks of issue 14 on the indexer and on queries, one test (or a few) per case.

Each test does what the attack did, on real files: a 250 KB story, two indexers racing to
create one index, a root renamed under the index, a full disk (a small tmpfs), a rebuild
searched and killed, file names that are not UTF-8, links and FIFOs swapped in after the
walk, escape sequences in names and stories, long query words, an edit that keeps size
and modification time, an index that cannot be created, signals, ties between builds,
absurd boosts, a forgotten `--glob`, and `create` on an existing index. Each then checks
what the README promises. The slow ones (kill loops, the long-word fuzz on the Reuters
corpus) are marked `long`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from newssearch import (
    IndexOptions,
    IndexReport,
    InputError,
    NewsIndex,
    QueryError,
    index_stories,
)
from newssearch.cli import app

from .conftest import DATA, REUTERS_TAR, story_text

runner = CliRunner()

# ------------------------------------------------------------------------------------
# Helpers


def cli(*args: str | Path) -> Result:
    """The command in this process (typer's runner): exit code, stdout, stderr apart."""
    return runner.invoke(app, [str(a) for a in args])


def command(*args: str | Path) -> list[str]:
    """The argument list that runs the real command as its own process."""
    return [sys.executable, "-m", "newssearch", *(str(a) for a in args)]


def run(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real command as its own process, to its end."""
    return subprocess.run(command(*args), capture_output=True, text=True, timeout=timeout)


def build(
    index: Path | str,
    paths: list[Path],
    progress: Callable[..., None] | None = None,
    **options: Any,
) -> IndexReport:
    """`index_stories` with `IndexOptions(**options)`."""
    return index_stories(
        str(index), [str(p) for p in paths], IndexOptions(**options), progress=progress
    )


def one_error_line(stderr: str) -> str:
    """The one `Error: ...` line a user-caused error prints (exit 2), and nothing else;
    not the line of an internal error, which is a bug."""
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("Error: "), stderr
    return stderr


def stories_in(index: Path | str) -> int:
    with NewsIndex.open(str(index)) as ix:
        return ix.stats().stories


def write_stories(root: Path, count: int, *, first_code: int = 1, **fields: str) -> list[Path]:
    """`count` stories in `root`, one per file, with codes from `first_code` on."""
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        code = first_code + n
        path = root / f"story{code:05d}.txt"
        text = story_text(
            fields.get("headline", f"Story number {code} on cocoa"),
            fields.get("body", f"Traders said cocoa stocks moved, report {code} said."),
            code=str(code),
        )
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def english(size: int) -> str:
    """About `size` characters of plain English prose: the paragraphs of data/'s stories,
    over and over, one per line."""
    paragraphs = [
        line
        for path in sorted((DATA / "reuters").glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if len(line) > 60
    ]
    out: list[str] = []
    length = 0
    while length < size:
        for line in paragraphs:
            out.append(line)
            length += len(line) + 1
            if length >= size:
                break
    return "\n".join(out)


@contextmanager
def killed_at_exit(proc: subprocess.Popen[Any]) -> Iterator[subprocess.Popen[Any]]:
    """Make sure a process started in its own session is gone, with its children, when
    the test ends (a test that fails must not leave an indexer behind)."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# ------------------------------------------------------------------------------------
# Whole-index failures and data loss


def test_01_a_story_of_250_kb_breaks_no_search(tmp_path: Path) -> None:
    """A stored value of 64 KiB or more once made every search of the index fail."""
    long_root = tmp_path / "long"
    long_root.mkdir()
    body = english(250_000)
    text = story_text("Cocoa growers publish their whole ledger", body, code="990001")
    (long_root / "ledger.txt").write_text(text, encoding="utf-8")
    index = tmp_path / "ix"
    queries = ["cocoa", "oil prices", "gaza truce", "coffee", "bank of japan", "trade deficit"]
    queries += ["sugar", "wheat exports", "dollar", "ledger"]

    def everything_answers() -> None:
        for query in queries:
            result = cli("search", query, "--index", index, "--format", "json")
            assert result.exit_code == 0, (query, result.stderr)
            assert json.loads(result.stdout)["total"] > 0
        shown = cli("show", "990001", "--index", index, "--format", "json")
        assert shown.exit_code == 0, shown.stderr
        assert json.loads(shown.stdout)["body"] == body
        assert cli("similar", "1", "--index", index).exit_code == 0
        assert cli("similar", "990001", "--index", index).exit_code == 0
        assert cli("timeline", "cocoa", "--index", index).exit_code == 0

    result = cli("index", DATA, long_root, "--index", index)
    assert result.exit_code == 0, result.output
    everything_answers()
    result = cli("index", "--full", "--index", index)
    assert result.exit_code == 0, result.output
    everything_answers()
    assert stories_in(index) == 327


def test_02_two_indexers_creating_one_index_keep_both_roots(tmp_path: Path) -> None:
    """Two runs start on a directory that holds no index yet, each with its own root.
    The test holds the writers' lock while both start, so that both find the directory
    empty, then lets them go: the index must end with both roots and all their stories,
    whoever went first."""
    first = tmp_path / "first"
    second = tmp_path / "second"
    write_stories(first, 3, first_code=1)
    write_stories(second, 3, first_code=101)
    for trial in range(3):
        index = tmp_path / f"ix{trial}"
        index.mkdir()
        reports: dict[Path, IndexReport | BaseException] = {}

        def indexer(root: Path, index: Path = index, reports: dict[Path, Any] = reports) -> None:
            try:
                reports[root] = build(index, [root])
            except BaseException as e:  # reported below, in the test's thread
                reports[root] = e

        with (index / "newssearch-run").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            threads = [threading.Thread(target=indexer, args=(root,)) for root in (first, second)]
            for thread in threads:
                thread.start()
            time.sleep(0.3)  # both are waiting for the lock now
            fcntl.flock(lock, fcntl.LOCK_UN)
        for thread in threads:
            thread.join(timeout=60)
        for root in (first, second):
            report = reports[root]
            assert isinstance(report, IndexReport), report
            assert report.added == 3
        with NewsIndex.open(str(index)) as ix:
            assert ix.stats().stories == 6, trial
            assert sorted(ix.roots()) == [str(first), str(second)]


def test_03_a_renamed_or_missing_root_keeps_its_stories(tmp_path: Path) -> None:
    cocoa, coffee = tmp_path / "cocoa", tmp_path / "coffee"
    write_stories(cocoa, 3, first_code=1)
    write_stories(coffee, 3, first_code=11, headline="Coffee story", body="Coffee body.")
    index = tmp_path / "ix"
    assert cli("index", cocoa, coffee, "--index", index).exit_code == 0
    renamed = tmp_path / "cocoa-2024"
    cocoa.rename(renamed)

    # A rebuild refuses to start while a recorded root is missing; nothing is lost.
    result = cli("index", "--full", "--index", index)
    assert result.exit_code == 2
    assert str(cocoa) in one_error_line(result.stderr)
    assert stories_in(index) == 6
    # A bare re-run reports the missing root and keeps its stories, again and again.
    for _ in range(2):
        result = cli("index", "--index", index)
        assert result.exit_code == 1, result.output
        assert f"missing   {cocoa}" in result.stdout
        assert stories_in(index) == 6
    # The renamed root takes its stories over: none is a duplicate of the stale entries.
    result = cli("index", renamed, "--index", index, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["added"], report["duplicates"]) == (3, [])
    # A root given through a link is the root it leads to, not a second one.
    link = tmp_path / "link"
    link.symlink_to(renamed, target_is_directory=True)
    result = cli("index", link, "--index", index, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["added"], report["unchanged"], report["duplicates"]) == (0, 3, [])
    with NewsIndex.open(str(index)) as ix:
        assert sorted(ix.roots()) == sorted([str(cocoa), str(renamed), str(coffee)])
    # `forget` removes the missing root on purpose; then a rebuild runs and loses nothing.
    result = cli("forget", cocoa, "--index", index)
    assert result.exit_code == 0, result.output
    result = cli("index", "--full", "--index", index)
    assert result.exit_code == 0, result.output
    with NewsIndex.open(str(index)) as ix:
        assert sorted(ix.roots()) == sorted([str(renamed), str(coffee)])
        assert ix.stats().stories == 6
    result = cli("forget", link, "--index", index)
    assert result.exit_code == 0 and "3 stories removed" in result.stdout
    assert stories_in(index) == 3


# A full disk: a small tmpfs in a private mount namespace (unshare), which only the
# processes started through `on_disk` see.


@contextmanager
def small_disk(
    mountpoint: Path, size: str
) -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    """Mount a tmpfs of `size` at `mountpoint` in a new user and mount namespace; yield
    `on_disk(*argv)`, which runs a command in that namespace. Skips where user namespaces
    or tmpfs mounts are not allowed."""
    if shutil.which("unshare") is None or shutil.which("nsenter") is None:
        pytest.skip("a full disk is made with unshare and nsenter (util-linux), missing here")
    mountpoint.mkdir()
    holder = subprocess.Popen(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
         'mount -t tmpfs -o size="$1" tmpfs "$2" && echo ready && exec sleep 3600',
         "sh", size, str(mountpoint)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        if holder.stdout.readline() != "ready\n":
            holder.wait()
            reason = holder.stderr.read().strip() if holder.stderr else ""
            pytest.skip(f"cannot mount a small tmpfs in a user namespace here ({reason})")

        def on_disk(*argv: str | Path) -> subprocess.CompletedProcess[str]:
            enter = [
                "nsenter",
                "-t",
                str(holder.pid),
                "--user",
                "--mount",
                "--preserve-credentials",
            ]
            return subprocess.run(
                [*enter, *(str(a) for a in argv)], capture_output=True, text=True, timeout=120
            )

        yield on_disk
    finally:
        holder.kill()
        holder.wait()


LISTING = "import json, os, sys; d = sys.argv[1]; print(json.dumps({n: [os.stat(os.path.join(d, n)).st_size, os.stat(os.path.join(d, n)).st_mtime_ns] for n in sorted(os.listdir(d))}))"  # noqa: E501


def test_04_a_full_disk_leaves_no_files_behind_and_unchanged_runs_work(tmp_path: Path) -> None:
    stories = tmp_path / "stories"
    shutil.copytree(DATA, stories)
    disk = tmp_path / "disk"
    index = disk / "ix"
    with small_disk(disk, "8m") as on_disk:

        def newssearch(*args: str | Path) -> subprocess.CompletedProcess[str]:
            return on_disk(*command(*args, "--index", index))

        def files() -> dict[str, list[int]]:
            listed = on_disk(sys.executable, "-c", LISTING, index)
            assert listed.returncode == 0, listed.stderr
            return json.loads(listed.stdout)  # type: ignore[no-any-return]

        def stories_on_disk() -> int:
            stats = newssearch("stats", "--format", "json")
            assert stats.returncode == 0, stats.stderr
            return json.loads(stats.stdout)["stories"]  # type: ignore[no-any-return]

        assert newssearch("index", stories).returncode == 0
        on_disk("sh", "-c", f"cat /dev/zero > '{disk}/filler'")  # fails when the disk is full
        assert on_disk("df", "--output=avail", disk).stdout.split()[-1] == "0"
        before = files()
        new = write_stories(stories / "new", 5, first_code=900001)
        # The run that meets the full disk fails in one line and leaves no file behind.
        failed = newssearch("index")
        assert failed.returncode == 2
        assert "No space left on device" in one_error_line(failed.stderr)
        assert files() == before
        # While the disk is still full, a run with nothing to do succeeds and writes nothing.
        for path in new:
            path.unlink()
        unchanged = newssearch("index", "--format", "json")
        assert unchanged.returncode == 0, unchanged.stderr
        assert json.loads(unchanged.stdout)["unchanged"] == 326
        assert files() == before
        # A rebuild on the full disk fails, and the index keeps every story.
        rebuilt = newssearch("index", "--full")
        assert rebuilt.returncode == 2
        one_error_line(rebuilt.stderr)
        assert files() == before
        assert stories_on_disk() == 326
        # Once space is freed, the next run works.
        on_disk("rm", f"{disk}/filler")
        write_stories(stories / "new", 5, first_code=900001)
        after = newssearch("index", "--format", "json")
        assert after.returncode == 0, after.stderr
        assert json.loads(after.stdout)["added"] == 5
        assert stories_on_disk() == 331


def test_05_a_rebuild_searched_and_killed_keeps_the_old_stories(tmp_path: Path) -> None:
    """Searches during `--full` see the old index until the new one is whole, and a
    rebuild killed half-way leaves the old stories."""
    index = tmp_path / "ix"
    build(index, [DATA])

    def cocoa_stories(ix: NewsIndex) -> tuple[int, set[str]]:
        # (the scores of a rebuild in batches may differ in their last digits)
        result = ix.search("cocoa", limit=100)
        return result.total, {hit.code for hit in result.hits}

    with NewsIndex.open(str(index)) as ix:
        cocoa = cocoa_stories(ix)
        for kill in (False, True):
            before = set(os.listdir(index))
            args = ("index", "--full", "--index", index, "--quiet", "--batch-size", "10")
            proc = subprocess.Popen(command(*args), start_new_session=True)
            with killed_at_exit(proc):
                searches = 0
                while proc.poll() is None:
                    assert cocoa_stories(ix) == cocoa  # the old stories or the new, never none
                    assert ix.stats().stories == 326
                    searches += 1
                    if kill and len(set(os.listdir(index)) - before) > 2:
                        proc.send_signal(signal.SIGKILL)  # batches of the rebuild written
                        proc.wait()
                assert searches > 0
                assert proc.returncode == (-signal.SIGKILL if kill else 0)
            assert cocoa_stories(ix) == cocoa
            assert ix.stats().stories == 326


def test_06_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    """Names with bytes that are not UTF-8 -- of stories, of a rejected file, of a root
    itself -- are indexed, reported and shown (as `\\xNN`), in text and in valid JSON."""
    root = os.fsencode(tmp_path) + b"/r\xe9sum\xe9s"
    os.mkdir(root)
    names = [b"caf\xe9.txt", b"\xff\xfe.txt", b"report-\x80\x81.txt"]
    for n, name in enumerate(names):
        with open(root + b"/" + name, "wb") as f:
            f.write(story_text(f"Latin story {n}", "A latin body.", code=str(800 + n)).encode())
    with open(root + b"/empty-\xe9.txt", "wb"):
        pass  # rejected, and remembered as rejected by name
    index = tmp_path / "ix"

    def newssearch(*args: str | bytes) -> subprocess.CompletedProcess[bytes]:
        argv = [sys.executable, "-m", "newssearch", *args, "--index", str(index)]
        done = subprocess.run(argv, capture_output=True, timeout=120)
        assert b"Traceback" not in done.stderr and b"internal error" not in done.stderr
        done.stdout.decode("utf-8"), done.stderr.decode("utf-8")  # what a terminal gets
        return done

    first = newssearch("index", root)
    assert first.returncode == 1, first.stderr  # the empty file
    assert first.stdout.startswith(b"rejected  ") and b"empty-\\xe9.txt: empty file" in first.stdout
    assert b"3 added" in first.stdout
    shown = newssearch("show", "800", "-f", "json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["path"].endswith("/r\\xe9sum\\xe9s/caf\\xe9.txt")
    again = newssearch("index", "--format", "json")
    assert again.returncode == 1, again.stderr
    assert json.loads(again.stdout)["unchanged"] == 3
    stats = newssearch("stats", "--format", "json")
    assert json.loads(stats.stdout)["roots"] == [str(tmp_path) + "/r\\xe9sum\\xe9s"]
    for fmt in ("table", "json", "jsonl", "csv"):
        found = newssearch("search", "latin", "--format", fmt)
        assert found.returncode == 0, (fmt, found.stderr)
    # With 1,000 files and more the run writes in worker processes: the same.
    many = os.fsencode(tmp_path) + b"/many"
    os.mkdir(many)
    for n in range(1000):
        with open(many + f"/n{n}-".encode() + b"\xe9.txt", "wb") as f:
            f.write(story_text(f"Many story {n}", "Body.", code=str(10_000 + n)).encode())
    result = newssearch("index", many, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["added"] == 1000
    with NewsIndex.open(str(index)) as ix:
        assert ix.stats().stories == 1003
        assert ix.search("latin").total == 3


# ------------------------------------------------------------------------------------
# Reading what it must not, and hanging


def test_07_links_swapped_in_after_the_walk_are_not_followed(tmp_path: Path) -> None:
    """Once the walk has listed the files and reading has begun, every file is replaced
    by a link to a story outside the root: none of it may be read."""
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text(story_text("Secret plans", "The zanzibarite formula.", code="424242"))
    root = tmp_path / "root"
    paths = write_stories(root, 300)
    swapped: list[int] = []

    def swap(*progress: Any) -> None:
        if swapped or progress[0] == "scanning":
            return  # the walk is still going
        for path in paths:
            link = path.with_suffix(".link")
            link.symlink_to(secret)
            link.replace(path)
        swapped.append(1)

    report = build(tmp_path / "ix", [root], progress=swap)
    assert swapped, "the run reported no progress while reading"
    assert report.added < 300
    assert report.added + len(report.rejected) == 300
    assert all("link" in r.reason for r in report.rejected), report.rejected
    with NewsIndex.open(str(tmp_path / "ix")) as ix:
        assert ix.get("424242") is None
        assert ix.search("zanzibarite").total == 0
        assert ix.search('"secret plans"').total == 0


FIFO_SWAP = """
import os, sys
from newssearch import index_stories
index, root = sys.argv[1], sys.argv[2]
paths = sorted(os.path.join(root, name) for name in os.listdir(root))
swapped = []

def swap(*progress):
    if swapped or progress[0] == "scanning":
        return
    for path in paths:
        os.unlink(path)
        os.mkfifo(path)
    swapped.append(1)

report = index_stories(index, [root], progress=swap)
print(len(swapped), report.added, len(report.rejected), {r.reason for r in report.rejected})
"""


def test_08_a_fifo_swapped_in_after_the_walk_does_not_hang_the_run(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write_stories(root, 300)
    index = tmp_path / "ix"
    proc = subprocess.Popen(
        [sys.executable, "-c", FIFO_SWAP, str(index), str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    with killed_at_exit(proc):
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("the indexer hangs on a FIFO")
    assert proc.returncode == 0, err
    swapped, added, rejected, reasons = out.split(" ", 3)
    assert swapped == "1" and int(added) + int(rejected) == 300 and int(rejected) > 0
    assert reasons.strip() == "{'not a regular file'}"
    # the lock is free, and the FIFOs are refused again without blocking
    again = run("index", "--index", index, "--format", "json", timeout=60)
    assert again.returncode == 1
    assert len(json.loads(again.stdout)["rejected"]) == 300


CONTROLS = ("\x1b", "\x07", "\x9b", "\x9d")


def test_09_control_characters_never_reach_a_terminal_or_csv(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    name = "\x1b]0;pwned\x07\x1b[2J.txt"
    headline = "Cocoa \x9b31m alert \x9d0;title\x07"
    body = "Cocoa prices \x1b[31mred\x1b[0m and \x9b2J cleared."
    (root / name).write_text(story_text(headline, body, code="901"), encoding="utf-8")
    (root / "empty\x1b[2J.txt").write_text("")  # rejected: its name is printed too
    index = tmp_path / "ix"
    outputs = {
        "index report": cli("index", root, "--index", index),
        "table": cli("search", "cocoa", "--index", index),
        "csv": cli("search", "cocoa", "--index", index, "--format", "csv"),
        "show": cli("show", "901", "--index", index),
        "stats": cli("stats", "--index", index),
    }
    for kind, result in outputs.items():
        assert result.exit_code in (0, 1), (kind, result.output)
        assert "901" in result.output or kind in ("index report", "stats"), kind
        for control in CONTROLS:
            assert control not in result.stdout + result.stderr, (kind, control)
    for fmt in ("json", "jsonl"):
        result = cli("search", "cocoa", "--index", index, "--format", fmt)
        for control in CONTROLS:
            assert control not in result.stdout, (fmt, control)
        hit = json.loads(result.stdout.splitlines()[0] if fmt == "jsonl" else result.stdout)
        assert (hit if fmt == "jsonl" else hit["hits"][0])["path"].endswith(name)
    # what the user types is echoed in errors and reports: escaped there too
    typed = {
        "missing root": cli("index", root / "gone\x1b]0;T\x07", "--index", index),
        "forget": cli("forget", "nowhere\x9b2J", "--index", index),
        "show": cli("show", "12\x9b2J", "--index", index),
        "similar": cli("similar", "12\x9b2J", "--index", index),
    }
    for kind, result in typed.items():
        assert result.exit_code in (1, 2) and result.stderr.count("\n") == 1, (kind, result)
        for control in CONTROLS:
            assert control not in result.stdout + result.stderr, (kind, control)


@pytest.fixture(scope="module")
def reuters_index(
    reuters_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NewsIndex]:
    path = tmp_path_factory.mktemp("reuters") / "index"
    build(path, [reuters_dir])
    with NewsIndex.open(str(path)) as ix:
        yield ix


BUDGET = 2.0
"""Seconds a one-line query may take on the Reuters index (the README's promise)."""

letters = st.characters(categories=("L", "M", "N"))
long_word = st.one_of(
    st.text(letters, min_size=1, max_size=2000),
    st.builds(lambda c, n: c * n, letters, st.integers(1, 2000)),  # 500 times ü
    st.builds(lambda c, n: c * n, st.sampled_from("!?.,;:-_'~*"), st.integers(1, 300)),
)
short_word = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=3, max_size=9)
persian_word = st.text(st.sampled_from("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"), min_size=2, max_size=6)
many_words = st.one_of(  # the cost of each word, times many words
    st.lists(
        st.builds(lambda w, s: w + s, short_word, st.sampled_from(["~", "~2", "*"])), max_size=60
    ).map(" ".join),
    st.lists(short_word, min_size=1, max_size=1000).map(lambda ws: " ".join(ws) + " OR oil"),
    st.lists(persian_word, min_size=1, max_size=400).map(lambda ws: "\u200c".join(ws)),
    st.lists(persian_word, min_size=1, max_size=400).map(lambda ws: "\u200c".join(ws) + " OR oil"),
    st.lists(persian_word, min_size=1, max_size=400).map(
        lambda ws: "headline:" + "\u200c".join(ws)
    ),
)
long_query = st.one_of(
    long_word,
    many_words,
    st.builds(lambda w, s: w + s, long_word, st.sampled_from(["~", "~2", "*", "?"])),
    st.builds(lambda w, v: f"cocoa {w} {v}", long_word, long_word),
)


@pytest.mark.long
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=long_query)
@example(query="ü" * 500)
@example(query="a" * 300)
@example(query="!!!!!!!!~2")
@example(query=".,;:.,;:~2 ??~")
@example(query="qfdujwk~2 zmxkqpr~2 bbtrwqa~2 lkjhgfd~2 poiuytr~2")
def test_10_a_long_word_costs_a_bounded_time(reuters_index: NewsIndex, query: str) -> None:
    def timed() -> float:
        started = time.perf_counter()
        try:
            reuters_index.search(query)
        except QueryError as e:
            assert "\n" not in str(e)
        return time.perf_counter() - started

    # a shared machine's noise can stretch one call: a second try must be in budget
    assert timed() <= BUDGET or timed() <= BUDGET, query[:80]


# ------------------------------------------------------------------------------------
# Smaller, but wrong


def test_11_an_edit_that_keeps_size_and_mtime_is_seen(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    story = root / "story.txt"
    story.write_text(story_text("Cocoa prices rise", code="1"))
    index = tmp_path / "ix"
    build(index, [root])
    before = story.stat()

    def same_size_and_mtime(text: str) -> None:
        assert len(text.encode()) == before.st_size
        os.utime(story, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert (story.stat().st_size, story.stat().st_mtime_ns) == (
            before.st_size,
            before.st_mtime_ns,
        )

    edited = story_text("Cocoa prices fall", code="1")
    story.write_text(edited)  # the same file, edited in place
    same_size_and_mtime(edited)
    assert build(index, [root]).updated == 1
    with NewsIndex.open(str(index)) as ix:
        assert ix.get("1").headline == "Cocoa prices fall"  # type: ignore[union-attr]
    other = story_text("Cocoa prices hold", code="2")
    replacement = root / "replacement.tmp"
    replacement.write_text(other)  # another file takes its place
    replacement.replace(story)
    same_size_and_mtime(other)
    build(index, [root])
    with NewsIndex.open(str(index)) as ix:
        assert ix.get("1") is None
        assert ix.get("2").headline == "Cocoa prices hold"  # type: ignore[union-attr]


def unprivileged() -> list[str]:
    """A command prefix that drops root's power to write anywhere: as root, a new user
    namespace with nobody's id (files stay owned by root there, and read-only to us)."""
    if os.geteuid() != 0:
        return []
    probe = subprocess.run(["unshare", "--user", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("as root, a read-only directory needs `unshare --user`, not allowed here")
    return ["unshare", "--user"]


EVERY_COMMAND = """
import json, sys
from typer.testing import CliRunner
from newssearch.cli import app
index, commands = sys.argv[1], json.loads(sys.argv[2])
results = [CliRunner().invoke(app, [*args, "--index", index]) for args in commands]
print(json.dumps([[r.exit_code, r.stderr] for r in results]))
"""
WRITERS = [["index", str(DATA)], ["index"], ["forget", str(DATA)]]
READERS = [["search", "cocoa"], ["show", "1"], ["stats"], ["similar", "1"], ["timeline", "cocoa"]]


PLACES = ["/proc/x", "under a file", "in a read-only dir", "a read-only dir", "read-only index"]


@pytest.mark.parametrize("place", PLACES)
def test_12_an_index_that_cannot_be_made_or_written_is_one_error_line(
    place: str, tmp_path: Path, data_index: str
) -> None:
    """Every command, with `--index` where no index can be made (or written): one line
    `Error: ...` and status 2; an index that can only be read answers the readers."""
    prefix: list[str] = []
    index = place
    if place == "under a file":
        (tmp_path / "file").write_text("")
        index = str(tmp_path / "file" / "ix")
    elif place in ("in a read-only dir", "a read-only dir"):
        prefix = unprivileged()
        (tmp_path / "ro").mkdir()
        (tmp_path / "ro").chmod(0o555)
        index = str(tmp_path / "ro" / "ix" if place == "in a read-only dir" else tmp_path / "ro")
    elif place == "read-only index":
        prefix = unprivileged()
        index = str(tmp_path / "ix")
        shutil.copytree(data_index, index)
        for path in (tmp_path / "ix", *(tmp_path / "ix").iterdir()):
            path.chmod(0o555 if path.is_dir() else 0o444)
    failing = WRITERS if place == "read-only index" else [*WRITERS, *READERS, ["serve"]]
    working = READERS if place == "read-only index" else []
    done = subprocess.run(
        [*prefix, sys.executable, "-c", EVERY_COMMAND, index, json.dumps(failing + working)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    for args, (status, stderr) in zip(failing + working, results, strict=True):
        if args in working:
            assert (status, stderr) == (0, ""), args
        else:
            assert status == 2, (args, stderr)
            one_error_line(stderr)


def the_command() -> list[str]:
    """The installed `newssearch` command (`python -m newssearch` without one)."""
    script = Path(sys.executable).with_name("newssearch")
    return [str(script)] if script.exists() else [sys.executable, "-m", "newssearch"]


def test_12_ctrl_c_in_the_first_second_prints_no_traceback(tmp_path: Path) -> None:
    """Ctrl-C from a terminal (SIGINT to the whole process group) at moments spread over
    the first 0.6 s of a run: start-up (imports), walk, reading, commit."""
    index = tmp_path / "ix"
    for n in range(12):
        delay = 0.05 + 0.05 * n
        proc = subprocess.Popen(
            [*the_command(), "index", str(DATA), "--index", str(index), "--quiet"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        with killed_at_exit(proc):
            time.sleep(delay)
            os.killpg(proc.pid, signal.SIGINT)
            _, err = proc.communicate(timeout=60)
        assert "Traceback" not in err, (delay, err)
        if proc.returncode == 130:
            assert err == "Error: interrupted\n", (delay, err)
        else:  # done before the signal (and stopped during the interpreter's exit)
            assert (proc.returncode, err) in ((0, ""), (-signal.SIGINT, "")), (delay, err)
    assert cli("index", DATA, "--index", index).exit_code == 0
    assert stories_in(index) == 326


def wait_for_workers(pid: int) -> None:
    """Wait until the indexing process `pid` starts the server that starts its workers."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            for child in (task / "children").read_text().split():
                with contextlib.suppress(OSError):
                    if b"forkserver" in Path(f"/proc/{child}/cmdline").read_bytes():
                        return
        time.sleep(0.002)
    pytest.fail("the indexer started no worker")


@pytest.mark.parametrize("stop", ["SIGTERM", "Ctrl-C"])
def test_12_a_signal_stops_a_parallel_run_cleanly(stop: str, tmp_path: Path) -> None:
    """SIGTERM (to the indexer) or Ctrl-C (to all its processes) while the workers
    start, and later: one line, no traceback from a worker, no leaked semaphores, and no
    process left behind."""
    if not Path("/proc/self/task").exists():
        pytest.skip("finding the worker processes needs /proc")
    root = tmp_path / "root"
    write_stories(root, 1500)
    index = tmp_path / "ix"
    signum, code, message = {
        "SIGTERM": (signal.SIGTERM, 143, "Error: terminated\n"),
        "Ctrl-C": (signal.SIGINT, 130, "Error: interrupted\n"),
    }[stop]
    for delay in (0.0, 0.01, 0.02, 0.05, 0.1, 0.4):  # after the workers begin to start
        proc = subprocess.Popen(
            command("index", root, "--index", index, "--quiet", "--full", "--jobs", "2"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        with killed_at_exit(proc):
            wait_for_workers(proc.pid)
            time.sleep(delay)
            if stop == "SIGTERM":
                proc.send_signal(signum)
            else:
                os.killpg(proc.pid, signum)
            try:  # every worker gone: nothing holds the pipes open
                _, err = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                pytest.fail(f"the indexer or its workers do not stop ({delay} s)")
        assert "Traceback" not in err and "leaked" not in err, (delay, err)
        # (done before the signal, it may be stopped during the interpreter's exit)
        assert (proc.returncode, err) in ((code, message), (0, ""), (-signum, "")), (delay, err)
    rerun = cli("index", root, "--index", index)
    assert rerun.exit_code == 0, rerun.output
    assert stories_in(index) == 1500


def test_13_ties_are_in_the_same_order_whatever_the_build(tmp_path: Path) -> None:
    """1,200 stories of identical text (and date) but their codes: every score ties.
    Built with 2 and with 4 worker processes, the index gives the very same lists."""
    root = tmp_path / "root"
    root.mkdir()
    rng = random.Random(13)
    codes = rng.sample(range(100_000, 999_999), 1200)
    for n, code in enumerate(codes):
        text = story_text(
            "Cocoa prices steady", "Traders said cocoa prices held in Bahia.", code=str(code)
        )
        (root / f"s{n:04d}.txt").write_text(text)
    lists = []
    for jobs in (2, 4):
        index = tmp_path / f"ix{jobs}"
        assert build(index, [root], jobs=jobs).added == 1200
        with NewsIndex.open(str(index)) as ix:
            lists.append(
                [
                    [(h.code, round(h.score, 6)) for h in ix.search(q, limit=2000, sort=s).hits]
                    for q in ("cocoa", "cocoa prices", "bahia OR steady")
                    for s in ("relevance", "newest", "oldest")
                ]
            )
    assert lists[0] == lists[1]
    assert all(len(hits) == 1200 for hits in lists[0])


@pytest.mark.parametrize("boost", ["1e38", "inf", "nan", "-1", "1001"])
def test_14_absurd_boosts_are_refused(data_index: str, boost: str) -> None:
    result = cli("search", f"cocoa^{boost}", "--index", data_index)
    assert result.exit_code == 2, result.output
    assert "boost" in one_error_line(result.stderr)
    assert cli("search", "cocoa^3", "--index", data_index).exit_code == 0


def test_14_the_year_9999_is_a_date(data_index: str) -> None:
    since = cli("search", "cocoa", "--since", "9999", "--index", data_index)
    assert (since.exit_code, since.stderr) == (1, "")
    until = cli("search", "cocoa", "--until", "9999", "--index", data_index, "-f", "json")
    everything = cli("search", "cocoa", "--index", data_index, "-f", "json")
    assert until.exit_code == 0
    assert json.loads(until.stdout)["total"] == json.loads(everything.stdout)["total"]


def test_15_a_bare_rerun_indexes_each_root_its_own_way(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for n in range(5):
        (tree / f"s{n}.story").write_text(story_text(f"Glob story {n}", code=str(300 + n)))
    single = tmp_path / "tree" / "sub" / "single.txt"
    single.parent.mkdir()
    single.write_text(story_text("A story indexed on its own", code="400"))
    index = tmp_path / "ix"
    assert build(index, [tree], glob="*.story").added == 5
    assert build(index, [single]).added == 1
    again = build(index, [])  # each root with its own glob
    assert (again.unchanged, again.removed) == (6, 0)
    narrower = build(index, [tree], glob="s1.story")  # the parent, with a narrower glob
    assert narrower.removed == 4
    with NewsIndex.open(str(index)) as ix:
        assert ix.get("400") is not None  # its own root was not walked
        assert ix.stats().stories == 2


def test_16_create_refuses_an_existing_index(tmp_path: Path) -> None:
    index = str(tmp_path / "ix")
    build(index, [DATA])
    with NewsIndex.open(index) as handle:
        with pytest.raises(InputError, match="already exists"):
            NewsIndex.create(index)
        assert handle.stats().stories == 326
    assert stories_in(index) == 326
    with NewsIndex.create(index, overwrite=True) as ix:
        assert ix.stats().stories == 0


# ------------------------------------------------------------------------------------
# The kill loop over rebuilds


@pytest.mark.long
def test_05_kill_nine_during_rebuilds_leaves_the_old_stories_or_the_new(tmp_path: Path) -> None:
    """Rebuilds of the Reuters corpus (data/ without ../shared), each after one story
    changed, killed at random moments: after each kill the index holds every story, of
    the last complete build or of the killed one, never a mix and never fewer."""
    corpus = tmp_path / "corpus"
    if REUTERS_TAR.exists():
        shutil.unpack_archive(REUTERS_TAR, tmp_path)
        (tmp_path / "reuters-stories").rename(corpus)
    else:
        shutil.copytree(DATA, corpus)
    marker = corpus / "marker.txt"

    def mark(generation: int) -> None:
        text = story_text(f"Marker generation {generation}", "Zyzzyva.", code="999999")
        marker.write_text(text)

    def generation(ix: NewsIndex) -> int:
        story = ix.get("999999")
        assert story is not None
        return int(story.headline.rsplit(" ", 1)[1])

    mark(0)
    total = sum(1 for _ in corpus.rglob("*.txt"))
    index = tmp_path / "ix"
    args = ("index", corpus, "--index", index, "--quiet", "--full", "--batch-size", "500")
    started = time.perf_counter()
    assert run(*args, timeout=600).returncode == 0
    longest = time.perf_counter() - started
    with NewsIndex.open(str(index)) as ix:
        expected = {q: ix.search(q, limit=50) for q in ("cocoa", "oil prices", "yen dollar")}
    rng = random.Random(5)
    kills = built = 0
    for attempt in range(1, 41):
        if kills == 10:
            break
        mark(attempt)
        # (the resource tracker of an indexer killed with -9 warns of the semaphores the
        # indexer could not free: its stderr goes nowhere)
        proc = subprocess.Popen(command(*args), start_new_session=True, stderr=subprocess.DEVNULL)
        with killed_at_exit(proc):
            try:  # (a run that ends first is not waited out)
                proc.wait(timeout=rng.uniform(0.05, longest))
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
        with NewsIndex.open(str(index)) as ix:
            assert ix.stats().stories == total
            assert generation(ix) in (built, attempt)  # the old build or the new, whole
            built = generation(ix)
            for query, result in expected.items():
                got = ix.search(query, limit=50)
                assert [h.code for h in got.hits] == [h.code for h in result.hits], query
    assert kills == 10


def test_13_scores_are_the_same_floats_in_every_process(data_index: str) -> None:
    """A score is summed in a fixed order, never in the order of a set of words, which
    changes with each process's string hashing: the same searches give the very same
    floats (and so the same order of near ties) whatever `PYTHONHASHSEED` is."""
    script = (
        "import sys\n"
        "from newssearch import NewsIndex\n"
        "with NewsIndex.open(sys.argv[1]) as ix:\n"
        "    for q in sys.argv[2:]:\n"
        "        print([(h.code, repr(h.score)) for h in ix.search(q, limit=40).hits])\n"
    )
    queries = [
        "oil prices",
        "bank of japan intervention",
        "coffee export quotas",
        "trade deficit",
        "interest rates",
        "grain wheat exports",
        "gold mine",
    ]
    outputs = []
    for seed in ("1", "2", "3", "4", "5", "6"):
        done = subprocess.run(
            [sys.executable, "-c", script, data_index, *queries],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0].count("\n") == len(queries)
    assert all(found == outputs[0] for found in outputs)


# ------------------------------------------------------------------------------------
# Worker processes that die, and a disk that fills while a segment is closed


def children(pid: int) -> list[int]:
    """The pids of the processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                # (the command name, in parentheses, may hold spaces: split after it)
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry.name))
    return found


def test_17_an_indexer_whose_workers_all_die_fails_and_frees_the_index(tmp_path: Path) -> None:
    """Both worker processes of a large run are killed: the run ends in one line (not in
    a wait for ever on a queue no one reads), frees the lock and leaves no file behind,
    and the next run works."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("the worker processes are found through /proc, missing here")
    stories = tmp_path / "stories"
    write_stories(stories, 6000, first_code=500001)  # (far more jobs than the job queue holds)
    index = tmp_path / "ix"
    build(index, [DATA])
    before = sorted(os.listdir(index))
    indexer = subprocess.Popen(
        command("index", stories, "--index", index, "--jobs", "2"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    with killed_at_exit(indexer):
        workers: list[int] = []
        deadline = time.monotonic() + 60
        while len(workers) < 2 and indexer.poll() is None and time.monotonic() < deadline:
            # the workers are children of the indexer's fork server
            workers = [w for server in children(indexer.pid) for w in children(server)]
            time.sleep(0.05)
        assert len(workers) == 2, "the run did not start two workers"
        for worker in workers:
            os.kill(worker, signal.SIGKILL)
        try:
            _, stderr = indexer.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("the indexer waits for ever for workers that are dead")
    assert indexer.returncode == 2
    assert "an indexing process failed" in one_error_line(stderr)
    assert sorted(os.listdir(index)) == before
    assert stories_in(index) == 326
    again = run("index", stories, "--index", index, "--jobs", "2")
    assert again.returncode == 0, again.stderr
    assert stories_in(index) == 6326


def test_18_a_disk_that_fills_as_a_segment_is_closed_leaves_no_files_behind(
    tmp_path: Path,
) -> None:
    """The disk fills up while the new segment's files are being closed (the last bytes
    of the term index, written as it closes): the run fails in one line and leaves the
    index as it was, with no file behind (cancelling it went on to write to the file
    that failed to close, and failed with an internal error). The disk is filled to
    levels a page apart around the one where that happened: a little more free space
    than the new segment takes (measured first)."""
    if not REUTERS_TAR.exists():
        pytest.skip(f"the Reuters corpus is not here ({REUTERS_TAR} is missing)")
    shutil.unpack_archive(REUTERS_TAR, tmp_path)
    reuters = tmp_path / "reuters-stories"
    more = tmp_path / "more"
    more.mkdir()
    for name in sorted(os.listdir(reuters))[:601]:
        shutil.copy(reuters / name, more / name)
    disk = tmp_path / "disk"
    with small_disk(disk, "8m") as on_disk:

        def newssearch(index: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
            return on_disk(*command(*args, "--index", disk / index))

        def files(index: str) -> dict[str, list[int]]:
            listed = on_disk(sys.executable, "-c", LISTING, disk / index)
            assert listed.returncode == 0, listed.stderr
            return json.loads(listed.stdout)  # type: ignore[no-any-return]

        def free_kib() -> int:
            return int(on_disk("df", "-k", "--output=avail", disk).stdout.split()[-1])

        # How much the new segment takes, on an index of its own.
        assert newssearch("sizing", "index", DATA).returncode == 0
        old = files("sizing")
        assert newssearch("sizing", "index", more).returncode == 0
        segment = max(size for name, (size, _) in files("sizing").items() if name not in old)
        on_disk("rm", "-r", disk / "sizing")

        assert newssearch("ix", "index", DATA).returncode == 0
        before = files("ix")
        before.pop("newssearch.json")  # (written before a commit, with the new root)
        filler = free_kib() - -(-segment // 1024)
        for spare in range(8, 44, 4):  # (KiB more than the segment: 22 failed as it closed)
            on_disk("sh", "-c", f"head -c {filler - spare}k /dev/zero > '{disk}/filler'")
            failed = newssearch("ix", "index", more)
            assert failed.returncode == 2, (spare, failed.stderr)
            assert "No space left on device" in one_error_line(failed.stderr), spare
            after = files("ix")
            after.pop("newssearch.json")
            assert after == before, spare
        on_disk("rm", f"{disk}/filler")
        done = newssearch("ix", "index", more, "--format", "json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["added"] == 601
