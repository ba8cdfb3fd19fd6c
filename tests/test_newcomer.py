"""A newcomer's first hour (issue 15), one test per surprise: the progress display on a
real terminal, `show` into a pipe, timeline defaults, usage errors, the library's inputs,
`--quiet`, packaging for embedding, `--help`, and the everyday test run.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import tomllib
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from newssearch import IndexOptions, InputError, NewsIndex, NewsSearchError, index_stories
from newssearch.cli import app

from .conftest import DATA, ROOT, SEED_CODE, story_text

runner = CliRunner()


def cli(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "newssearch", *(str(a) for a in args)]


# 1. Progress -------------------------------------------------------------------------


def on_a_terminal(argv: list[str], columns: int = 100) -> tuple[int, str, str]:
    """Run `argv` with stderr on a pseudo-terminal; return its exit status, stdout and
    what the terminal showed, escape sequences removed, one line per redrawn line."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")}
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**env, "TERM": "xterm-256color"},
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is closed once the command has exited
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    proc.wait()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.decode("utf-8", "replace"))
    return proc.returncode, out, "\n".join(re.split(r"[\r\n]+", text))


PHASE_LINE = re.compile(r"^(scanning|reading|committing|merging)\s.*?\s(\d+)/(\d+|\?)\s", re.M)
PHASES = ["scanning", "reading", "committing", "merging"]


def phase_lines(shown: str) -> list[tuple[str, int, int | None]]:
    """Each phase line the terminal showed: (phase, done, total), None for `?`."""
    return [
        (m[1], int(m[2]), None if m[3] == "?" else int(m[3])) for m in PHASE_LINE.finditer(shown)
    ]


def assert_sane(reports: list[tuple[str, int, int | None]]) -> None:
    """Progress reports (or the lines showing them) that a person can trust: the phases
    in order; a total as soon as it is known (only scanning starts without one), never
    below a count already shown; counts that never go back; each phase ending whole."""
    assert list(dict.fromkeys(phase for phase, _, _ in reports)) == PHASES, reports
    for phase in PHASES:
        mine = [(done, total) for p, done, total in reports if p == phase]
        dones = [done for done, _ in mine]
        assert dones == sorted(dones), (phase, mine)
        totals = [total for _, total in mine]
        assert phase == "scanning" or None not in totals, (phase, mine)
        for i, total in enumerate(totals):
            assert total is None or total >= max(dones[: i + 1]), (phase, mine)
        assert mine[-1][0] == mine[-1][1], (phase, mine)


def test_01_progress_names_each_phase_and_ends_reading_whole(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    status, out, shown = on_a_terminal(command("index", DATA, "--index", ix, "--batch-size", "100"))
    assert status == 0 and "326 added" in out
    lines = phase_lines(shown)
    assert_sane(lines)
    scanned = [(done, total) for phase, done, total in lines if phase == "scanning"]
    assert scanned[-1] == (326, 326)  # every file found, not the last hundred
    # the whole from the start, through every commit: never 100/100, then 200/326
    assert {total for phase, _, total in lines if phase == "reading"} == {326}
    # a commit per batch of 100, the line counting the stories committed of the 326
    committing = [(done, total) for phase, done, total in lines if phase == "committing"]
    assert {100, 200, 300, 326} <= {done for done, _ in committing}
    assert {total for _, total in committing} == {326}
    # once reading is whole it stays whole, while the last commit runs as 300/326 (its
    # clock running, not stopped by a count past its total) and ends 326/326
    whole = lines.index(("reading", 326, 326))
    after = [line for line in lines[whole:] if line[0] in ("reading", "committing")]
    assert set(after) == {("reading", 326, 326), ("committing", 300, 326), ("committing", 326, 326)}

    status, out, shown = on_a_terminal(command("index", DATA, "--index", ix))
    assert status == 0 and "326 unchanged" in out
    lines = phase_lines(shown)
    assert_sane(lines)
    # nothing to read or commit: those lines are complete from the start, never 0/?
    assert {(p, done, total) for p, done, total in lines if p in PHASES[1:3]} == {
        ("reading", 0, 0),
        ("committing", 0, 0),
    }


def test_01_library_progress_counts_each_phase_to_its_total(tmp_path: Path) -> None:
    def run() -> list[tuple[str, int, int | None]]:
        calls: list[tuple[str, int, int | None]] = []
        index_stories(
            str(tmp_path / "ix"),
            [str(DATA)],
            IndexOptions(batch_size=100),
            progress=lambda phase, done, total: calls.append((phase.value, done, total)),
        )
        return calls

    first = run()
    assert_sane(first)
    assert [(d, t) for p, d, t in first if p == "scanning"][-1] == (326, 326)
    reading = [(done, total) for phase, done, total in first if phase == "reading"]
    assert reading[0] == (0, 326) and reading[-1] == (326, 326)
    committing = [(done, total) for phase, done, total in first if phase == "committing"]
    # each of the four commits reported as it starts and once it is over
    assert committing == [(n, 326) for n in (0, 100, 100, 200, 200, 300, 300, 326)]
    # phases alternate: reading goes on after each batch's commit
    assert first.index(("reading", 100, 326)) > first.index(("committing", 100, 326))
    assert [(d, t) for p, d, t in first if p == "merging"] == [(0, 1), (1, 1)]

    again = run()  # nothing to do: each phase whole at once, merging checked
    assert_sane(again)
    assert [c for c in again if c[0] != "scanning"] == [
        ("reading", 0, 0),
        ("committing", 0, 0),
        ("merging", 0, 1),
        ("merging", 1, 1),
    ]


# 2. show into a pipe ------------------------------------------------------------------


@pytest.mark.parametrize(
    "args", [["timeline", "cocoa"], ["stats"], ["search", "cocoa"], ["similar", "1"]]
)
def test_02_tables_into_a_pipe_end_their_lines_without_spaces(
    args: list[str], data_index: str
) -> None:
    done = subprocess.run(command(*args, "--index", data_index), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) > 2 and not [line for line in lines if line.endswith(" ")]


def test_02_show_into_a_pipe_gives_each_paragraph_one_line(data_index: str) -> None:
    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run(
        command("show", SEED_CODE, "--index", data_index), capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    with NewsIndex.open(data_index) as ix:
        story = ix.get(SEED_CODE)
    assert story is not None
    lines = done.stdout.splitlines()
    assert lines[0] == story.headline
    assert lines[2] == f"Wednesday 17 April 2024 - 09:29 · story {SEED_CODE} · en · {story.path}"
    paragraphs = story.body.split("\n")
    assert [line for line in lines[3:] if line] == paragraphs
    assert max(len(p) for p in paragraphs) > 80  # long enough to have been wrapped
    assert not [line for line in lines if line != line.rstrip()]


# 3. Timeline defaults -----------------------------------------------------------------


@pytest.fixture
def decades(tmp_path: Path) -> str:
    """Stories about Iran from 1987 to 2024, and others before and after them."""
    root = tmp_path / "stories"
    root.mkdir()
    dated = {
        "1": "Thursday 26 February 1987 - 15:01",
        "2": "Friday 27 February 1987 - 09:00",
        "3": "Friday 26 February 1988 - 10:00",
        "4": "Wednesday 26 February 2003 - 10:00",
        "5": "Monday 26 February 2024 - 10:00",
    }
    for code, line in dated.items():
        text = story_text(f"Iran story {code}", "Talks with Iran.", date_line=line, code=code)
        (root / f"{code}.txt").write_text(text)
    for code, line in {"8": "Thursday 1 January 1970", "9": "Tuesday 1 January 2030"}.items():
        (root / f"{code}.txt").write_text(story_text("Cocoa", "Cocoa.", date_line=line, code=code))
    index = str(tmp_path / "ix")
    index_stories(index, [str(root)])
    return index


def test_03_timeline_spans_the_matches_and_chooses_its_period(decades: str) -> None:
    result = cli("timeline", "iran", "--index", decades, "--format", "json")
    assert result.exit_code == 0, result.stderr
    timeline = json.loads(result.stdout)
    buckets = timeline["buckets"]
    assert timeline["by"] == "year"  # 38 years: by year, not 13,000 days
    assert (buckets[0]["start"], buckets[-1]["start"]) == ("1987-01-01", "2024-01-01")
    assert len(buckets) == 38  # JSON keeps every year, empty ones too
    assert sum(b["count"] for b in buckets) == timeline["total"] == 5
    table = cli("timeline", "iran", "--index", decades)
    lines = table.stdout.splitlines()
    assert len(lines) < 10  # long runs of empty years are folded
    assert any("14 empty years" in line for line in lines)
    assert any("20 empty years" in line for line in lines)
    march = cli("timeline", "iran", "--index", decades, "--since", "1987-02", "--until", "1987-03")
    month = json.loads(
        cli(
            "timeline", "iran", "--index", decades, "--since", "1987-02", "--until", "1987-03",
            "--format", "json",
        ).stdout
    )  # fmt: skip
    assert march.exit_code == 0
    assert month["by"] == "day"  # two months: by day, from --since to --until
    assert (month["buckets"][0]["start"], month["buckets"][-1]["start"]) == (
        "1987-02-01",
        "1987-03-31",
    )


# 4. Errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["search", "cocoa", "--bogus"], ["index", "--bogus"], ["bogus"], ["search"], ["show"]],
)
def test_04_a_usage_error_is_one_line(args: list[str]) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: "), result.stderr


def test_04_no_command_shows_the_help_alone() -> None:
    """`newssearch` alone prints its help as a usage error (status 2), not as an
    `Error:` line that holds the whole help."""
    done = subprocess.run(command(), capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("Usage: newssearch ") and "Error" not in done.stderr
    assert all(f"  {name} " in done.stderr for name in ("index", "search", "serve", "shard"))


def test_04_no_index_here_reads_as_a_place(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NEWSSEARCH_INDEX"}
    done = subprocess.run(
        command("search", "cocoa"), capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert done.returncode == 2
    assert done.stderr == "Error: no index at ./index; build one with 'newssearch index DIR'\n"


def test_04_library_errors_do_not_speak_of_options(tmp_path: Path) -> None:
    messages = []
    with pytest.raises(NewsSearchError) as missing:
        NewsIndex.open(str(tmp_path / "nowhere"))
    messages.append(str(missing.value))
    damaged = tmp_path / "damaged"
    index_stories(str(damaged), [str(DATA / "reuters")])
    for toc in damaged.glob("_MAIN_*.toc"):
        toc.unlink()
    with pytest.raises(NewsSearchError) as broken:
        NewsIndex.open(str(damaged))
    messages.append(str(broken.value))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("notes")
    with pytest.raises(NewsSearchError) as other:
        index_stories(str(tmp_path / "other"), [str(DATA)])
    messages.append(str(other.value))
    for message in messages:
        assert "--" not in message and "'newssearch " not in message, message


# 5. The library's inputs ---------------------------------------------------------------


def test_05_the_library_takes_the_natural_forms(data_ix: NewsIndex, tmp_path: Path) -> None:
    story = data_ix.get(int(SEED_CODE))
    assert story is not None and story.code == SEED_CODE
    assert data_ix.get("0" + SEED_CODE) == story
    as_text = data_ix.search("cocoa", since="1987-03", until="1987-03", limit=50)
    as_dates = data_ix.search(
        "cocoa", since=datetime(1987, 3, 1), until=datetime(1987, 3, 31, 23, 59, 59), limit=50
    )
    assert as_text.total == as_dates.total > 0
    assert as_text.hits == as_dates.hits
    assert data_ix.similar(1) == data_ix.similar("1")
    assert data_ix.timeline("cocoa", since="1987").total > 0
    with NewsIndex.create(tmp_path / "ix") as ix:  # a Path
        report = ix.index(str(DATA))  # one path as text: not "d", "a", "t", "a"
    assert report.added == 326


@pytest.mark.parametrize(
    "call",
    [
        lambda ix: ix.get(1.5),
        lambda ix: ix.get(None),
        lambda ix: ix.get(b"1"),
        lambda ix: ix.similar([1]),
        lambda ix: ix.search(5),
        lambda ix: ix.search("cocoa", since=1987),
        lambda ix: ix.search("cocoa", until=[1987]),
        lambda ix: ix.search("cocoa", limit="5"),
        lambda ix: ix.search("cocoa", page=1.0),
        lambda ix: ix.search("cocoa", sort=3),
        lambda ix: ix.timeline("cocoa", by=5),
        lambda ix: ix.index(5),
        lambda ix: ix.index([5]),
        lambda ix: ix.index(b"data"),
    ],
)
def test_05_anything_else_is_an_input_error(data_ix: NewsIndex, call: object) -> None:
    with pytest.raises(InputError):
        call(data_ix)  # type: ignore[operator]


def test_05_show_takes_a_code_with_leading_zeros(data_index: str) -> None:
    result = cli("show", "0" + SEED_CODE, "--index", data_index)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Iran Asks Japan")


# 7. --quiet ---------------------------------------------------------------------------


def test_07_quiet_prints_only_rejected_files(tmp_path: Path) -> None:
    root = tmp_path / "stories"
    root.mkdir()
    (root / "empty.txt").write_text("")
    (root / "dated.txt").write_text(story_text("Cocoa", "Cocoa.", code="5"))
    (root / "copy.txt").write_text(story_text("Cocoa", "Cocoa.", code="5"))  # a duplicate
    (root / "undated.txt").write_text(story_text("Sugar", "Sugar.", date_line=None, code="6"))
    result = cli("index", root, "--index", tmp_path / "ix", "--quiet")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"rejected  {root / 'empty.txt'}: empty file\n"


# 8. Packaging for embedding -------------------------------------------------------------


def test_08_dependencies_are_ranges_with_exact_versions_kept_apart() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    constraints = (ROOT / "constraints.txt").read_text()
    lowest = (ROOT / "constraints-lowest.txt").read_text()
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!~ \[]", requirement)[0]
        assert "==" not in requirement and ">=" in requirement, requirement
        floor = re.search(r">=\s*([\w.]+)", requirement)
        assert floor is not None
        assert re.search(rf"^{name}==", constraints, re.M | re.I), name
        assert re.search(rf"^{name}=={re.escape(floor[1])}", lowest, re.M | re.I), name
    assert "MIT" in (ROOT / "LICENSE").read_text()
    kept = (ROOT / "index" / ".gitignore").read_text().splitlines()
    assert [line for line in kept if not line.startswith("#")] == ["*", "!.gitignore"]
    makefile = (ROOT / "Makefile").read_text()
    assert "rich==14.3.*" in makefile and "typer==0.27.*" in makefile


# 10. --help -----------------------------------------------------------------------------

COMMANDS = ["index", "forget", "search", "show", "similar", "timeline", "stats", "serve"]


@pytest.mark.parametrize("name", COMMANDS)
def test_10_help_shows_plain_names_and_whole_examples(name: str) -> None:
    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run(command(name, "--help"), capture_output=True, text=True, env=env)
    assert done.returncode == 0
    text = done.stdout
    for noise in ("{", "}", "<str>", "<int", "<integer", "TEXT", "INTEGER"):
        assert noise not in text, (name, noise)
    examples = [
        line.strip() for line in text.splitlines() if line.strip().startswith("newssearch ")
    ]
    callback = next(
        c.callback
        for c in app.registered_commands
        if c.callback is not None and c.callback.__name__ == name
    )
    documented = [
        line.strip()
        for line in (callback.__doc__ or "").splitlines()
        if line.strip().startswith("newssearch ")
    ]
    assert documented, name
    assert examples == documented  # each example whole, on its own line


# 11. The everyday test run ----------------------------------------------------------------


def test_11_make_test_runs_the_fast_tests_and_names_the_slowest() -> None:
    makefile = (ROOT / "Makefile").read_text()
    unit = re.search(r"^unit:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert unit is not None
    assert '-m "not long"' in unit[1] and "--durations" in unit[1]
    long = re.search(r"^test-long:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert long is not None and "-m long" in long[1]
