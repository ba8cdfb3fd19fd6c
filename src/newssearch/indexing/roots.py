"""Roots: the directories (or single files) an index was built from, and how.

Each root is identified by its resolved path (a root given through a link is the same
root as its target) and remembers its own glob and link rule, so a re-run without paths
walks each root the way it was first indexed. The side file stores them
(`Root.record`, `recorded_roots`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from newssearch.errors import InputError
from newssearch.models import IndexOptions


@dataclass(frozen=True, slots=True)
class Root:
    """An indexed directory or file: its resolved path, glob and link rule."""

    path: str
    glob: str = "*.txt"
    follow_links: bool = False

    def record(self) -> dict[str, Any]:
        """The root as the side file stores it (under its path)."""
        return {"glob": self.glob, "follow_links": self.follow_links}

    def holds(self, path: str) -> bool:
        """Whether `path` is this root or lies under it."""
        return path == self.path or path.startswith(self.path.rstrip(os.sep) + os.sep)


def resolve(path: str) -> str:
    """A root's identity: its absolute path with every link resolved."""
    return os.path.realpath(os.path.abspath(path))


def recorded_roots(meta: dict[str, Any]) -> list[Root]:
    """The roots the side file lists (a list of paths, from an older side file, takes
    the default glob and link rule)."""
    found = meta.get("roots") or {}
    if isinstance(found, list):
        return [Root(str(p)) for p in found]
    return [
        Root(str(p), str(v.get("glob", "*.txt")), bool(v.get("follow_links", False)))
        for p, v in found.items()
        if isinstance(v, dict)
    ]


def holders(path: str, roots: Iterable[Root]) -> list[Root]:
    """The roots that hold `path`."""
    return [r for r in roots if r.holds(path)]


def plan_roots(
    paths: Iterable[str], recorded: list[Root], options: IndexOptions
) -> tuple[list[Root], list[Root], list[Root]]:
    """Which roots a run walks, which the side file lists afterwards, and which recorded
    roots are missing from disk (not walked; their stories stay, and are reported).

    Named paths must exist (`InputError` otherwise) and are walked with the run's glob
    and link rule, which they keep. No paths: every recorded root, each its own way. A
    full rebuild walks every recorded root as well as the named ones, and refuses to
    start while one is missing (its stories would be lost).
    """
    named: list[Root] = []
    for path in paths:
        if not os.path.lexists(path):
            raise InputError(f"no such file or directory: {path}")
        if not os.path.exists(path):
            raise InputError(f"{path} is a broken link")
        named.append(Root(resolve(path), options.glob, options.follow_links))
    by_path = {r.path: r for r in recorded}
    by_path.update({r.path: r for r in named})
    everything = list(by_path.values())
    walked = everything if (options.full or not named) else named
    missing = [r for r in walked if not os.path.exists(r.path)]
    if missing and options.full:
        raise InputError(
            f"the indexed root {missing[0].path} is missing; restore it, or remove its "
            "stories from the index first (forget), then rebuild"
        )
    walked = [r for r in walked if r not in missing]
    if not walked and not missing:
        raise InputError("nothing to index: name a directory of story files")
    return walked, everything, missing
