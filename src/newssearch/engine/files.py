"""Segment files read in place from their memory maps.

Whoosh opens a segment's compound file with a memory map and then, for each file inside
it, wraps the file's bytes in a `BytesIO`: every searcher copies every segment's postings
and terms into memory (at 250,000 stories, over 300 MB and a third of a second before the
first search). `NewsSegment` (the segment `codec.NewsCodec` makes) opens its compound file
as a `MappedCompoundStorage`, whose files are `MappedFile`s over the map: reads by position
slice the map as Whoosh's do, and the few by seek and read go through `_ViewFile`, with no
copy.

Only segments written by `NewsCodec` read this way; Whoosh itself is left as it is, for
any other index in the same process.
"""

from __future__ import annotations

import io
from typing import Any

from whoosh.codec import whoosh3
from whoosh.filedb import compound, structfile


class _ViewFile:
    """What Whoosh reads of a file by seek and read, over a buffer, without copying it."""

    def __init__(self, buf: Any) -> None:
        self._buf = buf
        self._pos = 0

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._buf)}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        end = len(self._buf) if size is None or size < 0 else self._pos + size
        data = bytes(self._buf[self._pos : end])
        self._pos += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        rest = self.read(size)
        line = rest[: rest.find(b"\n") + 1 or len(rest)]
        self._pos -= len(rest) - len(line)
        return line

    def close(self) -> None:
        self._buf = b""


class MappedFile(structfile.BufferFile):  # type: ignore[misc]
    """Whoosh's file inside a segment's compound file, over its memory map, minus the
    copy: Whoosh's wraps the whole file in a `BytesIO` when it is opened, copying every
    segment's postings and terms into memory for every searcher (at 250,000 stories,
    over 300 MB and a third of a second before the first search). Reads by position
    slice the map as before; the few by seek and read go through `_ViewFile`."""

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = _ViewFile(buf)


class MappedCompoundStorage(compound.CompoundStorage):  # type: ignore[misc]
    """Whoosh's `CompoundStorage`, handing out `MappedFile`s when it has a memory map."""

    def open_file(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self._source is None:
            return super().open_file(name, *args, **kwargs)
        if self.is_closed:
            raise compound.StorageError("Storage was closed")
        offset, length = self.range(name)
        return MappedFile(memoryview(self._source)[offset : offset + length], name=name)


class NewsSegment(whoosh3.W3Segment):  # type: ignore[misc]
    """W3's segment, reading its compound file through `MappedCompoundStorage`."""

    def open_compound_file(self, storage: Any) -> Any:
        dbfile = storage.open_file(self.make_filename(self.COMPOUND_EXT))
        return MappedCompoundStorage(dbfile, use_mmap=storage.supports_mmap)
