"""Plan an indexing run: what is new, changed, gone, duplicated -- without writing.

A `Planner` compares the files the walk found with what the index holds (each path's
`sig`, and on demand the story codes) and with the side file's memory of skipped
files, and yields what to write, in order:

* `Write(story, sig)` for a new or changed file that claims its story code;
* `Delete(code)` for a story whose file is gone, became unreadable, or lost its code to
  another file.

Unchanged files are never read. Files are visited newest first (ties by path): the
first live file to claim a story code keeps it, later ones are reported as duplicates
-- so a story saved again under another name replaces the older copy, and the choice
depends only on the files on disk. A file that no walk of this run found but that still
exists (under a root not walked this time) keeps its rank by its modification time; one
that no longer exists (under a missing root) yields to any live file. A file leaves the
index only when every root holding it was walked and none found it.

Reading happens as the plan is consumed, so memory holds one story at a time. The
report's lists and counts are kept in `Tally`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from newssearch.models import DuplicateFile, FileWarning, RejectedFile, Story
from newssearch.stories import parse
from newssearch.stories.files import PLAIN, FoundFile, inode_of
from newssearch.stories.parse import StoryRejected

Skipped = dict[str, dict[str, str]]
"""The side file's memory of skipped files: path -> {"sig", and "reason" or "code"}."""


class FoundFiles:
    """The files the walks found, by path, kept small: a run over a million files holds
    them all. A file reached without a link (the usual case) is kept as its path and
    `sig` under the root whose walk found it, from which its `FoundFile` is made again
    when asked for; a `FoundFile` is kept whole only for a file reached through a link.
    (A `FoundFile` and its strings take about 450 bytes; a path and its `sig`, 250.)"""

    def __init__(self) -> None:
        self._roots: list[tuple[str, bool, dict[str, str]]] = []
        """Each walked root: its path, whether it is a directory, and its plain files."""
        self._linked: dict[str, FoundFile] = {}
        self._count = 0

    def walking(self, root: str, is_dir: bool) -> None:
        """The files added next were found by the walk of `root`."""
        self._roots.append((root, is_dir, {}))

    def add(self, f: FoundFile) -> None:
        """Add a file found by the current walk (once: the first walk to find it keeps it)."""
        root, is_dir, plain = self._roots[-1]
        if (
            f.links == PLAIN
            and f.mtime_ns == mtime_of(f.sig)
            and f.rel == _rel(root, is_dir, f.path)
        ):
            plain[f.path] = f.sig
        else:
            self._linked[f.path] = f
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __contains__(self, path: object) -> bool:
        return path in self._linked or any(path in plain for _, _, plain in self._roots)

    def absent(self, paths: AbstractSet[str]) -> set[str]:
        """Those of `paths` that no walk found."""
        held = [plain.keys() for _, _, plain in self._roots] + [self._linked.keys()]
        missing = set(paths - held[0])  # (no copy of `paths` first: most are found)
        for keys in held[1:]:
            missing -= keys
        return missing

    def sig(self, path: str) -> str | None:
        """The file's `sig` (None: not found)."""
        for _, _, plain in self._roots:
            found = plain.get(path)
            if found is not None:
                return found
        f = self._linked.get(path)
        return None if f is None else f.sig

    def mtime(self, path: str) -> int | None:
        """The file's modification time (None: not found)."""
        sig = self.sig(path)
        return None if sig is None else mtime_of(sig)

    def get(self, path: str) -> FoundFile | None:
        """The file's `FoundFile` (None: not found)."""
        for root, is_dir, plain in self._roots:
            sig = plain.get(path)
            if sig is not None:
                return FoundFile(path, _rel(root, is_dir, path), mtime_of(sig), sig, PLAIN)
        return self._linked.get(path)

    def sigs(self) -> Iterator[tuple[str, str]]:
        """Every file's path and `sig`."""
        for _, _, plain in self._roots:
            yield from plain.items()
        for path, f in self._linked.items():
            yield path, f.sig


def mtime_of(sig: str) -> int:
    """The modification time a `sig` (`stories.files.sig_of`) starts with."""
    return int(sig.partition(":")[0])


def _rel(root: str, is_dir: bool, path: str) -> str:
    """A file's path relative to the root a walk found it under, as the walk makes it."""
    return path[len(root.rstrip(os.sep)) + 1 :] if is_dir else os.path.basename(path)


@dataclass(frozen=True, slots=True)
class Write:
    """Index this story (replacing the document that holds its code, if any)."""

    story: Story
    sig: str


@dataclass(frozen=True, slots=True)
class Delete:
    """Remove the story with this code from the index."""

    code: str


Action = Write | Delete


@dataclass
class Tally:
    """What the run did, for its report."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    read: int = 0
    """Files visited so far (read, or recognised from the side file)."""
    rejected: list[RejectedFile] = field(default_factory=list)
    duplicates: list[DuplicateFile] = field(default_factory=list)
    warnings: list[FileWarning] = field(default_factory=list)


class Planner:
    """One run's plan (see the module docstring).

    found: the files the walks found.
    sigs: each indexed path's `sig` (empty for a full rebuild); read while the planner
        is made, not kept (for a million stories it is 160 MB the caller may free).
    codes: the story codes of some indexed paths, asked for once, when first needed.
    holding: the indexed paths that hold a story code.
    skipped: the side file's skipped files; the plan's own is `new_skipped`.
    walked: whether a path lies under a root this run walked.
    holders: for a path, the recorded roots that hold it, and whether each was walked.
    unusable: paths the walk could not use (already in `tally.rejected`).
    """

    def __init__(
        self,
        found: FoundFiles,
        *,
        sigs: dict[str, str],
        codes: Callable[[AbstractSet[str]], dict[str, str]],
        holding: Callable[[str], list[str]],
        skipped: Skipped,
        gone_from_walks: Callable[[str], bool],
        walked: Callable[[str], bool],
        tally: Tally,
        unusable: set[str],
    ) -> None:
        self._found = found
        self._codes = codes
        self._holding = holding
        self._old_codes: dict[str, str] = {}
        self._skipped = skipped
        self._tally = tally
        self._unusable = unusable
        self.new_skipped: Skipped = {p: v for p, v in skipped.items() if not walked(p)}
        self.changed = [p for p, sig in found.sigs() if sigs.get(p) != sig]
        """The paths of the files found new or changed."""
        self._unchanged_count = len(found) - len(self.changed)
        self.gone = sorted(p for p in found.absent(sigs.keys()) if gone_from_walks(p))
        self._moving = {*self.changed, *self.gone}
        """The files this run reads again or removes (and new files)."""
        self._was_indexed = {p for p in self.changed if p in sigs}
        self._claims: dict[str, str] = {}
        self._mtimes: dict[str, int | None] = {}

    @property
    def changes(self) -> bool:
        """Whether the run will write anything (else it reads no story codes)."""
        return bool(self.changed or self.gone)

    @property
    def to_read(self) -> int:
        """How many files the run will read (not known from the side file)."""
        skipped, found = self._skipped, self._found
        return sum(1 for p in self.changed if skipped.get(p, {}).get("sig") != found.sig(p))

    def actions(self) -> Iterator[Action]:
        """The writes and deletions, in the order to apply them."""
        tally = self._tally
        tally.unchanged = self._unchanged_count
        if not self.changes:
            return
        self._old_codes = self._codes(self._was_indexed | set(self.gone))
        for path in self.gone:
            yield from self._drop(path)
            tally.removed += 1 if path not in self._unusable else 0
        # newest first, ties by path (`_rank`), in two stable sorts: one key of a million
        # (mtime, path) keys takes 100 MB
        order = sorted(self.changed)
        mtime = self._found.mtime
        order.sort(key=lambda path: -mtime(path))  # type: ignore[operator]
        for path in order:
            tally.read += 1
            f = self._found.get(path)
            assert f is not None
            yield from self._visit(f)
        for code, path in self._claims.items():
            earlier = self._owner(code)
            earlier_sig = self._found.sig(earlier) if earlier is not None else None
            if earlier is not None and earlier != path and earlier_sig is not None:
                # a newer file took over the code of an unchanged one
                tally.duplicates.append(DuplicateFile(earlier, code, path))
                self.new_skipped[earlier] = {"sig": earlier_sig, "code": code}
                tally.unchanged -= 1

    def _owner(self, code: str) -> str | None:
        """The file that held `code` before the run and still holds it: an unchanged one,
        or an indexed file no walk of this run looked for. (Such files are not visited; a
        file that is read asks `_holder` whether one of them is ahead of it.)"""
        return next((p for p in self._holding(code) if p not in self._moving), None)

    def _visit(self, f: FoundFile) -> Iterator[Action]:
        tally, path, sig = self._tally, f.path, f.sig
        was_indexed = path in self._was_indexed
        cached = self._skipped.get(path)
        if cached is not None and cached.get("sig") == sig:
            if "reason" in cached:
                tally.rejected.append(RejectedFile(path, cached["reason"]))
                self.new_skipped[path] = cached
                return
            kept = self._holder(cached["code"], path)
            if kept is not None:
                tally.duplicates.append(DuplicateFile(path, cached["code"], kept))
                self.new_skipped[path] = cached
                return
        try:
            parsed = parse.read_story(path, f.rel, links=f.links, inode=inode_of(sig))
        except StoryRejected as e:
            tally.rejected.append(RejectedFile(path, str(e)))
            self.new_skipped[path] = {"sig": sig, "reason": str(e)}
            if was_indexed:
                yield from self._drop(path)
            return
        tally.warnings.extend(FileWarning(path, w) for w in parsed.warnings)
        code = parsed.story.code
        kept = self._holder(code, path)
        if kept is not None:
            tally.duplicates.append(DuplicateFile(path, code, kept))
            self.new_skipped[path] = {"sig": sig, "code": code}
            if was_indexed:
                yield from self._drop(path)
            return
        self._claims[code] = path
        if was_indexed:
            yield from self._drop(path)
            tally.updated += 1
        else:
            tally.added += 1
        yield Write(parsed.story, sig)

    def _drop(self, path: str) -> Iterator[Action]:
        # By code: unless another file took the code over in this run, replacing the old
        # document already, the code is this file's.
        code = self._old_codes[path]
        if self._claims.get(code, path) == path:
            yield Delete(code)

    def _rank(self, path: str) -> tuple[int, int, str]:
        """Newest first, ties by path; a file that no longer exists after every other."""
        mtime = self._found.mtime(path)
        if mtime is None:
            mtime = self._mtime_now(path)
        return (0, -mtime, path) if mtime is not None else (1, 0, path)

    def _mtime_now(self, path: str) -> int | None:
        """The modification time of an indexed file no walk looked for (None: gone)."""
        if path not in self._mtimes:
            try:
                self._mtimes[path] = os.stat(path).st_mtime_ns
            except OSError:
                self._mtimes[path] = None
        return self._mtimes[path]

    def _holder(self, code: str, path: str) -> str | None:
        kept = self._claims.get(code)
        if kept is None:
            earlier = self._owner(code)
            if earlier is not None and self._rank(earlier) < self._rank(path):
                kept = earlier
        return kept
