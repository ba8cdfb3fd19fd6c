"""Walk the roots: list the story files under a directory, without reading them.

`walk` yields a `FoundFile` (path, path relative to the root, modification time and
`sig`) for each file whose name matches the glob, and an `Unusable` for what cannot be
indexed (a link out of the root, a broken link, something that is not a regular file,
a directory that cannot be listed). Nothing is read or parsed here: an indexing run
compares each `sig` with what the index holds, and reads only what changed
(`parse.read_story`).
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple


class FoundFile(NamedTuple):
    """A file under an indexed root that matches the glob."""

    path: str
    rel: str
    mtime_ns: int
    sig: str
    """What the index remembers to tell a changed file from an unchanged one without
    reading it (`sig_of`)."""
    links: int = 0
    """How the walk reached it: `PLAIN` (no link: reading refuses one found in its
    place), `LINK_INSIDE` (a link whose target must stay inside the root) or
    `LINK_ANYWHERE` (`--follow-links`)."""


PLAIN, LINK_INSIDE, LINK_ANYWHERE = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Unusable:
    """Something under a root that cannot be indexed: a matched file, or (is_file=False) a
    directory that could not be read."""

    path: str
    reason: str
    is_file: bool = True


def sig_of(st: os.stat_result) -> str:
    """`mtime_ns:size:ctime_ns:inode`: a file with the same sig is taken as unchanged.
    The change time and inode catch an edit that keeps the size and sets the
    modification time back, and a file replaced by another."""
    return f"{st.st_mtime_ns}:{st.st_size}:{st.st_ctime_ns}:{st.st_ino}"


def matcher(glob: str) -> Callable[[str, str], bool]:
    """A test of whether a file matches `--glob`, given its name and its root-relative
    path: the pattern is matched against the name, or against the whole relative path
    when it holds a `/`."""
    if re.fullmatch(r"\*[^*?\[\]/]*", glob):  # `*.txt`: a test of the name's ending
        ending = glob[1:]
        return lambda name, rel: name.endswith(ending)
    match = re.compile(fnmatch.translate(glob)).match
    if "/" in glob:
        return lambda name, rel: match(rel.replace(os.sep, "/")) is not None
    return lambda name, rel: match(name) is not None


def walk(root: str, glob: str, *, follow_links: bool = False) -> Iterator[FoundFile | Unusable]:
    """List the files under `root` (a directory or a single file) that match `glob`, in
    the order the file system lists them (sorting a directory of 19,000 files costs a
    tenth of re-indexing it unchanged; callers sort what they show).

    By default directory links are not followed, and a file link only when its target
    lies inside `root`. With `follow_links` both are followed wherever they lead; a
    directory reached twice (a link loop) is walked once.
    """
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        yield _found(root, os.path.basename(root), root, follow_links)
        return
    real_root = os.path.realpath(root)
    wanted = matcher(glob)
    seen: set[tuple[int, int]] = set()
    todo = [(root, "")]  # directories still to list, and their paths relative to root
    while todo:
        path, rel_dir = todo.pop()
        if follow_links:
            try:
                st = os.stat(path)
            except OSError as e:
                yield Unusable(path, f"cannot read directory: {e.strerror}", False)
                continue
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
        try:
            with os.scandir(path) as listing:
                entries = list(listing)
        except OSError as e:
            yield Unusable(path, f"cannot read directory: {e.strerror}", False)
            continue
        yield from _files(entries, rel_dir, wanted, real_root, follow_links, todo)


_new_found = partial(tuple.__new__, FoundFile)  # FoundFile(...) at half the cost


def _files(
    entries: list[os.DirEntry[str]],
    rel_dir: str,
    wanted: Callable[[str, str], bool],
    real_root: str,
    follow_links: bool,
    todo: list[tuple[str, str]],
) -> Iterator[FoundFile | Unusable]:
    """The matching files of one directory's entries; its subdirectories go on `todo`."""
    lstat, is_regular = os.lstat, stat.S_ISREG
    subdirs = []
    for entry in entries:
        name = entry.name
        rel = rel_dir + name
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if follow_links or not entry.is_symlink():
                subdirs.append((entry.path, rel + os.sep))
            continue
        if not wanted(name, rel):
            continue
        try:  # the usual case in one system call: a plain file, no link
            # (`lstat` of the path costs less than `entry.stat`)
            plain = lstat(entry.path)
        except OSError:
            plain = None
        if plain is not None and is_regular(plain.st_mode):
            yield _new_found((entry.path, rel, plain.st_mtime_ns, sig_of(plain), PLAIN))
        else:
            yield _found(entry.path, rel, real_root, follow_links)
    todo.extend(subdirs)


def _found(path: str, rel: str, real_root: str, follow_links: bool) -> FoundFile | Unusable:
    try:
        st = os.lstat(path)
        is_link = stat.S_ISLNK(st.st_mode)
        if is_link:
            st = os.stat(path)
    except OSError as e:
        if os.path.islink(path):
            return Unusable(path, "broken symbolic link")
        return Unusable(path, f"cannot read: {e.strerror}")
    if is_link and not follow_links:
        target = os.path.realpath(path)
        if os.path.commonpath([target, real_root]) != real_root:
            return Unusable(
                path, "symbolic link to a file outside the indexed root (see --follow-links)"
            )
    if not stat.S_ISREG(st.st_mode):
        return Unusable(path, "not a regular file")
    links = PLAIN if not is_link else LINK_ANYWHERE if follow_links else LINK_INSIDE
    return FoundFile(path, rel, st.st_mtime_ns, sig_of(st), links)


def inode_of(sig: str) -> int:
    """The inode a `sig_of` signature names."""
    return int(sig.rpartition(":")[2])
