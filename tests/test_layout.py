"""The layout holds: layering enforced, Whoosh's internals behind engine/, units small,
nothing changed in Whoosh for the rest of the process."""

from __future__ import annotations

import ast
import importlib
import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newssearch.engine import WHOOSH_PRIVATE

from .conftest import ROOT

SRC = ROOT / "src" / "newssearch"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
WHOOSH_INTERNALS = (
    "whoosh.codec",
    "whoosh.filedb",
    "whoosh.reading",
    "whoosh.writing",
    "whoosh.multiproc",
    "whoosh.columns",
    "whoosh.matching",
    "whoosh.util",
)


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise ImportError(dotted)


@pytest.mark.parametrize(("owner", "name"), WHOOSH_PRIVATE)
def test_every_private_whoosh_name_the_engine_uses_exists(owner: str, name: str) -> None:
    """A class attribute, or an attribute its (or a base class's) code sets on self."""
    cls = _resolve(owner)
    if hasattr(cls, name):
        return
    assert isinstance(cls, type), owner
    sources = [inspect.getsource(c) for c in cls.__mro__ if c.__module__.startswith("whoosh")]
    assert any(f"self.{name} =" in s or f"self.{name}," in s for s in sources), (owner, name)


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_whoosh_internals_stay_in_the_engine() -> None:
    """Outside engine/: no import of Whoosh's internal modules, and no private attribute
    of anything but our own objects (`self`, `cls`)."""
    found = []
    for path in _modules():
        rel = path.relative_to(SRC)
        if rel.parts[0] == "engine":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                WHOOSH_INTERNALS
            ):
                found.append(f"{rel}:{node.lineno} imports {node.module}")
            if not isinstance(node, ast.Attribute):
                continue
            private = node.attr.startswith("_") and not node.attr.startswith("__")
            ours = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            # os._exit is the standard library's documented way to end a process at once
            documented = isinstance(node.value, ast.Name) and (node.value.id, node.attr) == (
                "os",
                "_exit",
            )
            if private and not ours and not documented:
                found.append(f"{rel}:{node.lineno} reads .{node.attr}")
    assert found == []


def test_no_module_over_400_lines_no_function_over_60() -> None:
    """Typer commands are exempt: their signatures are declarations, one option a few
    lines."""
    long_modules, long_functions = [], []
    for path in _modules():
        text = path.read_text()
        if text.count("\n") > 400:
            long_modules.append(path.name)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                command = any(
                    isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "command"
                    for d in node.decorator_list
                )
                assert node.end_lineno is not None
                if node.end_lineno - node.lineno + 1 > 60 and not command:
                    long_functions.append(f"{path.name}:{node.name}")
    assert (long_modules, long_functions) == ([], [])


def test_importing_newssearch_leaves_whoosh_alone() -> None:
    script = (
        "import whoosh.filedb.compound as c\n"
        "B = c.BufferFile\n"
        "import newssearch, newssearch.cli\n"
        "from newssearch import NewsIndex\n"
        "import newssearch.engine.reader, newssearch.engine.writers, newssearch.api\n"
        "assert c.BufferFile is B\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_planted_layering_violation_fails(tmp_path: Path) -> None:
    """lint-imports (in `make lint`) passes on the code and fails once searching/
    imports typer, or the engine imports the facade."""
    copy = tmp_path / "src"
    shutil.copytree(SRC.parent, copy)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")

    def lint() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(LINT_IMPORTS), "--no-cache"],
            cwd=tmp_path,
            env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
        )

    assert lint().returncode == 0
    ranking = copy / "newssearch" / "searching" / "ranking.py"
    original = ranking.read_text()
    ranking.write_text(original + "\nimport typer  # noqa\n")
    planted = lint()
    assert planted.returncode != 0 and "newssearch.searching.ranking -> typer" in planted.stdout
    ranking.write_text(original)
    reader = copy / "newssearch" / "engine" / "reader.py"
    reader.write_text(reader.read_text() + "\nfrom newssearch.api import NewsIndex  # noqa\n")
    assert lint().returncode != 0
