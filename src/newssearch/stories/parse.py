"""Read one story file: bytes to text to a `Story`, or the reason it cannot be indexed.

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
import errno
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from typing import BinaryIO

from newssearch.analysis import detect_language
from newssearch.models import Story
from newssearch.stories import calendars
from newssearch.stories.dates import parse_date_line
from newssearch.stories.files import LINK_ANYWHERE, LINK_INSIDE, PLAIN

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Larger files are rejected unread: no news story is that long, and it bounds memory."""

_CODE_LINE = re.compile(
    r"^(?:story\s*code|[کك]د[\s\u200c]*خبر|رمز\s*الخبر)\s*:\s*(?P<code>.*?)\s*$", re.IGNORECASE
)
"""`Story Code :`, Persian `کد خبر :` (either kaf) or Arabic `رمز الخبر :`."""
_NUMERIC_CODE = re.compile(r"^\d{1,19}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
"""Control characters (C0 but for line ends and tabs, DEL, C1), which no story text holds:
dropped, so that none reaches a terminal."""


class StoryRejected(ValueError):
    """A file that cannot be indexed; the message is the reason."""


@dataclass(frozen=True, slots=True)
class ParsedStory:
    """A parsed story and the warnings its file raised."""

    story: Story
    warnings: tuple[str, ...]


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
    language = detect_language(f"{headline}\n{body}")
    return ParsedStory(Story(code, headline, body, date, path, language), tuple(warnings))


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def read_story(path: str, rel: str, *, links: int = PLAIN, inode: int | None = None) -> ParsedStory:
    """Read, decode and parse one story file; raise `StoryRejected` with the reason.

    path: the file; rel: its path relative to the indexed root.
    links: how the walk reached the file (`files.PLAIN`, `LINK_INSIDE`, `LINK_ANYWHERE`):
        a file that was plain is never read through a link that took its place since,
        and a link's target must still lie inside the root unless links may lead anywhere.
    inode: the inode the walk saw; a different file in its place is not read.
    Nothing but a regular file is read, and opening never blocks (a FIFO put in a file's
    place is refused, not waited on).
    """
    target = path
    if links == LINK_INSIDE:
        target = os.path.realpath(path)
        root = os.path.realpath(path[: len(path) - len(rel)] or os.sep)
        if os.path.commonpath([target, root]) != root:
            raise StoryRejected("symbolic link to a file outside the indexed root; not read")
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if links != LINK_ANYWHERE:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise StoryRejected("replaced by a symbolic link during the run; not read") from e
        raise StoryRejected(f"cannot read: {e.strerror or e}") from e
    with open(fd, "rb", closefd=True) as f:
        data = _read_regular(f, inode)
    if not data.strip():
        raise StoryRejected("empty file")
    text, warnings = decode(data)
    parsed = parse_story(text, path, rel)
    return ParsedStory(parsed.story, (*warnings, *parsed.warnings))


def _read_regular(f: BinaryIO, inode: int | None) -> bytes:
    """The bytes of an open file, if it is a regular file of at most `MAX_FILE_BYTES`
    (and the expected one)."""
    try:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise StoryRejected("not a regular file")
        if inode is not None and st.st_ino != inode:
            raise StoryRejected("replaced by another file during the run; not read")
        if st.st_size > MAX_FILE_BYTES:
            raise StoryRejected(
                f"file too large ({st.st_size:,} bytes; the limit is {MAX_FILE_BYTES:,})"
            )
        return f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise StoryRejected(f"cannot read: {e.strerror or e}") from e
