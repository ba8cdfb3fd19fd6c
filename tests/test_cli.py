"""The command line through typer's CliRunner: exit status, stdout and stderr apart."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newssearch import NewsIndex, __version__
from newssearch.cli import app
from newssearch.engine.store import run_lock

from .conftest import DATA, ROOT, SEED_CODE, WriteStory

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env=env)


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"newssearch {__version__}\n"


def test_index_then_search_then_show(tmp_path: Path) -> None:
    index = str(tmp_path / "ix")
    result = run("index", str(DATA), "--index", index)
    assert result.exit_code == 0, result.stderr
    assert "326 added" in result.stdout and "0 rejected" in result.stdout
    assert result.stderr == ""

    result = run("search", "gaza truce", "--index", index)
    assert result.exit_code == 0
    assert SEED_CODE in result.stdout and "Gaza" in result.stdout
    assert "story matches" in result.stdout or "stories match" in result.stdout

    result = run("search", "gaza truce", "--index", index, "--since", "2024-05-01")
    assert result.exit_code == 1
    assert SEED_CODE not in result.stdout
    assert "0 stories match" in result.stdout

    result = run("show", SEED_CODE, "--index", index, "--format", "json")
    assert result.exit_code == 0
    story = json.loads(result.stdout)
    assert set(story) == {"code", "date", "headline", "body", "path", "language"}
    assert (story["code"], story["date"]) == (SEED_CODE, "2024-04-17T09:29:00")

    result = run("show", SEED_CODE, "--index", index)
    assert result.exit_code == 0 and result.stdout.startswith("Iran Asks Japan")


def test_index_env_var_names_the_index(tmp_path: Path) -> None:
    env = {"NEWSSEARCH_INDEX": str(tmp_path / "env-ix")}
    assert run("index", str(DATA / "reuters"), env=env).exit_code == 0
    result = run("stats", "--format", "json", env=env)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["stories"] == 325


def test_search_json(data_index: str) -> None:
    result = run("search", "gaza truce", "--index", data_index, "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert set(doc) == {"query", "total", "partial_total", "page", "limit", "hits", "suggestion"}
    assert doc["suggestion"] is None
    assert (doc["query"], doc["page"], doc["limit"]) == ("gaza truce", 1, 10)
    hit = doc["hits"][0]
    assert set(hit) == {
        "rank",
        "score",
        "code",
        "date",
        "headline",
        "snippet",
        "path",
        "partial",
        "language",
    }
    assert (hit["rank"], hit["code"], hit["date"]) == (1, SEED_CODE, "2024-04-17T09:29:00")
    assert "\x02" not in hit["snippet"] and "gaza" in hit["snippet"].lower()


def test_search_jsonl_and_csv(data_index: str) -> None:
    result = run("search", "cocoa", "--index", data_index, "--format", "jsonl", "--limit", "3")
    lines = result.stdout.splitlines()
    assert result.exit_code == 0 and len(lines) == 3
    assert [json.loads(line)["rank"] for line in lines] == [1, 2, 3]
    result = run("search", "cocoa", "--index", data_index, "--format", "csv", "--limit", "3")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 3
    assert list(rows[0]) == [
        "rank",
        "score",
        "code",
        "date",
        "headline",
        "snippet",
        "path",
        "partial",
        "language",
    ]


def on_terminal(*args: str, env: dict[str, str] | None = None) -> str:
    """What a command writes to a real pseudo-terminal (80 columns)."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    main, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 80, 0, 0))
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    environ.update({"TERM": "xterm-256color", **(env or {})})
    proc = subprocess.Popen(
        [sys.executable, "-m", "newssearch", *args],
        stdout=secondary,
        stderr=subprocess.DEVNULL,
        env=environ,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait()
    os.close(main)
    return b"".join(chunks).decode()


COLOURS = ("\x1b[3", "\x1b[9", "\x1b[38;")
"""How a foreground colour starts (bold, `\x1b[1m`, is not a colour)."""


def test_colour_on_a_terminal_only_and_never_under_no_color(data_index: str) -> None:
    bars = ["timeline", "cocoa", "--index", data_index]
    coloured = on_terminal(*bars)
    assert "█" in coloured and any(c in coloured for c in COLOURS)
    plain = on_terminal(*bars, env={"NO_COLOR": "1"})
    assert "█" in plain and not any(c in plain for c in COLOURS)
    assert "\x1b[1m" in on_terminal("search", "gaza truce", "--index", data_index)  # bold
    piped = run("search", "gaza truce", "--index", data_index)
    assert "gaza" in piped.stdout.lower() and "\x1b[" not in piped.stdout


def test_show_on_a_terminal_wraps_each_paragraph_between_words(data_index: str) -> None:
    """On an 80-column terminal a paragraph is broken between words, never inside one
    (into a pipe it stays one line: tests/test_newcomer.py)."""
    import re

    shown = re.sub(r"\x1b\[[0-9;]*m", "", on_terminal("show", "1129250", "--index", data_index))
    lines = shown.replace("\r", "").split("\n")
    assert len(lines) > 30 and max(len(line) for line in lines) <= 80
    with NewsIndex.open(data_index) as ix:
        story = ix.get("1129250")
    assert story is not None and set(story.body.split()) <= set(shown.split())


def test_stats_json(data_index: str) -> None:
    result = run("stats", "--index", data_index, "--format", "json")
    doc = json.loads(result.stdout)
    assert set(doc) == {
        "stories",
        "first_date",
        "last_date",
        "per_year",
        "per_language",
        "size_bytes",
        "roots",
    }
    assert doc["stories"] == 326 and doc["per_year"] == {"1987": 325, "2024": 1}
    assert doc["last_date"] == "2024-04-17T09:29:00"


def test_index_json_report_and_rejections(write_story: WriteStory, tmp_path: Path) -> None:
    root = write_story("good.txt").parent
    write_story("empty.txt", text="")
    result = run("index", str(root), "--index", str(tmp_path / "ix"), "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert set(doc) == {
        "matched",
        "added",
        "updated",
        "removed",
        "unchanged",
        "rejected",
        "duplicates",
        "warnings",
        "missing_roots",
        "seconds",
    }
    assert (doc["matched"], doc["added"]) == (2, 1)
    assert doc["rejected"] == [{"path": str(root / "empty.txt"), "reason": "empty file"}]


def test_index_quiet_prints_only_problems(write_story: WriteStory, tmp_path: Path) -> None:
    root = write_story("good.txt").parent
    result = run("index", str(root), "--index", str(tmp_path / "ix"), "--quiet")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    write_story("empty.txt", text="")
    result = run("index", str(root), "--index", str(tmp_path / "ix"), "--quiet")
    assert result.exit_code == 1 and result.stdout == ""
    assert "empty.txt: empty file" in result.stderr


def test_show_unknown_code(data_index: str) -> None:
    result = run("show", "424242424", "--index", data_index)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no story with code 424242424" in result.stderr


@pytest.fixture
def not_an_index(tmp_path: Path) -> str:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "notes.txt").write_text("hello")
    return str(tmp_path / "files")


ERRORS = [
    (["search", "x", "--index", "{missing}"], "no index at"),
    (["search", "x", "--index", "{other}"], "is not a newssearch index"),
    (["stats", "--index", "{missing}"], "no index at"),
    (["show", "1", "--index", "{missing}"], "no index at"),
    (["search", "AND OR", "--index", "{data}"], "nothing to search for"),
    (["search", "", "--index", "{data}"], "the query is empty"),
    (["search", "x", "--index", "{data}", "--since", "2024-13"], "--since: no such date '2024-13'"),
    (["search", "x", "--index", "{data}", "--until", "soon"], "--until: cannot read date 'soon'"),
    (["search", "x", "--index", "{data}", "--since", "2024-05", "--until", "2024-04"], "ends"),
    (["search", "x", "--index", "{data}", "--limit", "0"], "Invalid value for '--limit'"),
    (["search", "x", "--index", "{data}", "--sort", "best"], "Invalid value for '--sort'"),
    (["index", "{missing}/nothere", "--index", "{tmp}/ix"], "no such file or directory"),
    (["index", str(DATA), "--index", "{other}"], "is not empty and holds no newssearch index"),
    (["index", "--index", "{tmp}/fresh"], "nothing to index"),
]


@pytest.mark.parametrize(("args", "message"), ERRORS)
def test_errors_are_one_line_and_exit_2(
    args: list[str], message: str, tmp_path: Path, data_index: str, not_an_index: str
) -> None:
    paths = {
        "missing": str(tmp_path / "missing"),
        "other": not_an_index,
        "data": data_index,
        "tmp": str(tmp_path),
    }
    result = run(*(a.format(**paths) for a in args))
    assert result.exit_code == 2
    assert result.stdout == ""
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and message in last
    assert "Traceback" not in result.stderr


def test_nothing_to_index_makes_no_index(tmp_path: Path) -> None:
    result = run("index", "--index", str(tmp_path / "fresh"))
    assert result.exit_code == 2 and "nothing to index" in result.stderr
    assert not (tmp_path / "fresh").exists()


def test_locked_index_is_an_error(write_story: WriteStory, tmp_path: Path) -> None:
    root = write_story("a.txt").parent
    index = str(tmp_path / "ix")
    assert run("index", str(root), "--index", index).exit_code == 0
    with run_lock(index):
        result = run("index", str(root), "--index", index)
    assert result.exit_code == 2
    assert result.stderr == f"Error: the index at {index} is locked by another writer\n"


def test_damaged_index_says_how_to_rebuild(tmp_path: Path) -> None:
    index = tmp_path / "ix"
    assert run("index", str(DATA / "reuters"), "--index", str(index)).exit_code == 0
    for toc in index.glob("_MAIN_*.toc"):
        toc.unlink()
    result = run("search", "cocoa", "--index", str(index))
    assert result.exit_code == 2
    assert "damaged" in result.stderr and "--full" in result.stderr
    assert run("index", "--full", "--index", str(index)).exit_code == 0
    assert run("search", "cocoa", "--index", str(index)).exit_code == 0


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for command in ("index", "search", "show", "similar", "timeline", "stats", "serve"):
        result = run(command, "--help")
        assert result.exit_code == 0
        assert "Example" in result.stdout
        assert f"newssearch {command}" in readme


def test_help_loads_no_library_module_whoosh_or_rich() -> None:
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from newssearch.cli import app\n"
        "try:\n"
        "    app(['index', '--help'], prog_name='newssearch')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(*sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert "--batch-size" in done.stdout
    loaded = set(done.stderr.split())
    # the command line, its renderers and the vocabularies it offers; nothing else
    light = {"newssearch", "newssearch.output", "newssearch.records", "newssearch.models"}
    library = {
        m for m in loaded if m.split(".")[0] == "newssearch" and m.split(".")[1:2] != ["cli"]
    } - light
    assert "newssearch.cli" in loaded and not library
    assert not loaded & {"whoosh", "rich"}


def test_every_public_name_resolves() -> None:
    import newssearch

    for name in newssearch.__all__:
        assert getattr(newssearch, name) is not None
    assert set(newssearch.__all__) == {*newssearch._HOME, "__version__"}
    assert dir(newssearch) == newssearch.__all__  # not the names it imports for itself
    assert newssearch.NewsIndex.__module__ == "newssearch.api"
    with pytest.raises(AttributeError):
        newssearch.no_such_name  # noqa: B018


def test_a_bug_is_reported_as_a_bug_not_as_damage(
    data_index: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newssearch.searching import snippets

    def broken(body: str, words: object) -> object:
        raise KeyError("planted")

    monkeypatch.setattr(snippets, "snippet", broken)
    result = run("search", "gaza truce", "--index", data_index)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: internal error (KeyError: 'planted')")
    assert "bug" in result.stderr and "damaged" not in result.stderr
    monkeypatch.setenv("NEWSSEARCH_DEBUG", "1")
    debugged = run("search", "gaza truce", "--index", data_index)
    assert isinstance(debugged.exception, KeyError)  # the traceback is the user's to see


@pytest.mark.parametrize("command", ["search", "similar", "timeline", "show"])
def test_help_examples_find_stories_in_data(command: str, data_index: str) -> None:
    """Each example a reading command's --help gives finds something in data/."""
    import shlex

    examples = [
        shlex.split(line.strip())[1:]
        for line in run(command, "--help").stdout.splitlines()
        if line.strip().startswith(f"newssearch {command} ")
    ]
    assert examples
    for example in examples:
        result = run(*example, "--index", data_index)
        assert result.exit_code == 0, (example, result.stderr)
