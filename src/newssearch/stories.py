"""Read story files and walk directories of them.

This module knows nothing of Whoosh: it turns bytes into `Story` objects (or a reason why
not) and lists the files under an indexed root. `indexer` drives it.

The story format (see the README) is a date line, the headline, a `Story Code : N` line,
the headline again and the body, one paragraph per line. Parsing is lenient about layout
and encodings and precise about what it keeps:

* encodings: a UTF-16 or UTF-8 byte-order mark is honoured; otherwise UTF-8, then cp1252,
  then Latin-1 (which cannot fail) -- anything but UTF-8 is reported as a warning;
* a file over `MAX_FILE_BYTES`, an empty or whitespace-only file, a binary file, or a file
  with no headline is rejected with a reason;
* a missing or impossible date is a warning and the story is indexed without a date;
* a missing or non-numeric story code is replaced by `path_key(...)`.
"""

from __future__ import annotations

import codecs
import fnmatch
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import NamedTuple

from newssearch import calendars
from newssearch.dates import MONTHS
from newssearch.models import Story

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Larger files are rejected unread: no news story is that long, and it bounds memory."""

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_DATE_LINE = re.compile(
    r"""^(?:(?P<weekday>[A-Za-z]+)\.?,?\s+)?
        (?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+)\.?,?\s+(?P<year>\d{4})
        (?:\s*[-\u2013,]?\s*(?P<hour>\d{1,2}):(?P<minute>\d{2}))?\s*$""",
    re.VERBOSE,
)
_CODE_LINE = re.compile(
    r"^(?:story\s*code|[کك]د[\s\u200c]*خبر|رمز\s*الخبر)\s*:\s*(?P<code>.*?)\s*$", re.IGNORECASE
)
"""`Story Code :`, Persian `کد خبر :` (either kaf) or Arabic `رمز الخبر :`."""
_NUMERIC_CODE = re.compile(r"^\d{1,19}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class StoryRejected(ValueError):
    """A file that cannot be indexed; the message is the reason."""


@dataclass(frozen=True, slots=True)
class ParsedStory:
    """A parsed story and the warnings its file raised."""

    story: Story
    warnings: tuple[str, ...]


class FoundFile(NamedTuple):
    """A file under an indexed root that matches the glob."""

    path: str
    rel: str
    mtime_ns: int
    sig: str
    """`mtime_ns:size`: what the index remembers to tell a changed file from an
    unchanged one without reading it."""


@dataclass(frozen=True, slots=True)
class Unusable:
    """Something under a root that cannot be indexed: a matched file, or (is_file=False) a
    directory that could not be read."""

    path: str
    reason: str
    is_file: bool = True


def path_key(rel: str) -> str:
    """The story code given to a file without one: `path-` and 12 hex digits of the SHA-1
    of its path relative to the indexed root (with `/` separators), so it is stable
    across runs and machines."""
    digest = hashlib.sha1(rel.replace(os.sep, "/").encode("utf-8", "surrogateescape"))
    return "path-" + digest.hexdigest()[:12]


def decode(data: bytes) -> tuple[str, list[str]]:
    """Decode a story file's bytes; return the text and any warnings."""
    warnings: list[str] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), warnings
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    nuls = data.count(0)
    if nuls > max(1, len(data) // 100) or _looks_binary(data):
        raise StoryRejected("binary file, not text")
    if nuls:
        data = data.replace(b"\x00", b"")
        warnings.append(f"removed {nuls} NUL byte(s)")
    try:
        return data.decode("utf-8"), warnings
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
        warnings.append("not UTF-8; read as cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        warnings.append("not UTF-8; read as Latin-1")
    return text, warnings


_CONTROLS = bytes(b for b in range(32) if b < 9 or (b > 13 and b != 27))
"""Control bytes that text does not hold (tab, line ends, form feed and escape it may)."""


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    controls = len(sample) - len(sample.translate(None, _CONTROLS))
    return controls * 20 > len(sample)


def parse_date_line(line: str) -> tuple[datetime | None, str | None]:
    """Parse a story's date line.

    Returns `(date, None)` for a good date, `(None, warning)` for a line that looks like a
    date but is not a real one, and `(None, None)` for a line that is not a date line at
    all. A weekday that does not match the date is ignored with a warning. Persian and
    Arabic date lines (Solar Hijri or Gregorian, any digits) are read by `calendars`.
    """
    m = _DATE_LINE.match(line.strip())
    if not m:
        return calendars.parse_date_line(line)
    if m["month"].lower() not in MONTHS:
        return None, None
    hour, minute = int(m["hour"] or 0), int(m["minute"] or 0)
    try:
        date = datetime(int(m["year"]), MONTHS[m["month"].lower()], int(m["day"]), hour, minute)
    except ValueError:
        return None, f"impossible date {line.strip()!r}; indexed without a date"
    weekday = (m["weekday"] or "").lower()
    if weekday and not any(w.startswith(weekday[:3]) for w in _WEEKDAYS):
        return None, None
    if weekday and not _WEEKDAYS[date.weekday()].startswith(weekday[:3]):
        return date, f"{m['weekday']} does not match {date:%A %d %B %Y}; kept the date"
    return date, None


def parse_story(text: str, path: str, rel: str) -> ParsedStory:
    """Parse a decoded story file. `path` is stored with the story; `rel` (the path
    relative to the indexed root) keys a story that has no code."""
    text = _CONTROL.sub("", text.lstrip("\ufeff"))
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise StoryRejected("empty file")
    warnings: list[str] = []

    date, problem = parse_date_line(lines[0])
    if date is not None or problem is not None:
        lines = lines[1:]
    else:
        warnings.append("no date line; indexed without a date")
    if problem:
        warnings.append(problem)

    code: str | None = None
    headline = ""
    # The header is the headline and the code line, in either order.
    for _ in range(2):
        if not lines:
            break
        m = _CODE_LINE.match(lines[0])
        if m and code is None:
            code = calendars.ascii_digits(m["code"])
            lines = lines[1:]
        elif not headline and not m:
            headline = lines[0]
            lines = lines[1:]
    if not headline:
        raise StoryRejected("no headline")
    if code is None:
        warnings.append(f"no story code; keyed as {path_key(rel)}")
        code = path_key(rel)
    elif not _NUMERIC_CODE.match(code):
        warnings.append(f"story code {code!r} is not a number; keyed as {path_key(rel)}")
        code = path_key(rel)
    else:
        code = code.lstrip("0") or "0"
    if lines and _same_text(lines[0], headline):
        lines = lines[1:]
    body = "\n".join(lines)
    return ParsedStory(Story(code, headline, body, date, path), tuple(warnings))


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def read_story(path: str, rel: str) -> ParsedStory:
    """Read, decode and parse one story file; raise `StoryRejected` with the reason."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise StoryRejected(
                    f"file too large ({size:,} bytes; the limit is {MAX_FILE_BYTES:,})"
                )
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise StoryRejected(f"cannot read: {e.strerror or e}") from e
    if not data.strip():
        raise StoryRejected("empty file")
    text, warnings = decode(data)
    parsed = parse_story(text, path, rel)
    return ParsedStory(parsed.story, (*warnings, *parsed.warnings))


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
    lstat, is_regular = os.lstat, stat.S_ISREG
    found = partial(tuple.__new__, FoundFile)  # FoundFile(...) at half the cost
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
                mtime = plain.st_mtime_ns
                yield found((entry.path, rel, mtime, f"{mtime}:{plain.st_size}"))
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
    return _file(path, rel, st)


def _file(path: str, rel: str, st: os.stat_result) -> FoundFile:
    return FoundFile(path, rel, st.st_mtime_ns, f"{st.st_mtime_ns}:{st.st_size}")
