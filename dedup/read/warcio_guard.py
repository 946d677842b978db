"""warcio, made to tell where an archive is damaged.

warcio reads well-formed archives; on a damaged one it often says nothing. It
takes an EOFError (a record cut in its HTTP headers, a whole-file gzip stream
cut short) for the end of the archive, reads a header cut short as a whole one,
fails with an AttributeError on a header cut before its WARC-Target-URI, takes
junk lines for ARC records, and writes its own warnings to stderr. The
adaptations here turn each of those into something :mod:`dedup.read.warc`
reports as a record: :class:`CutRecord`, ``err_count``, :attr:`WholeGzip.error`.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable
from typing import Any, BinaryIO

from .gzipped import GZIP_ERRORS

# How an archive starts: a WARC record, or an ARC file's version block.
MAGIC = (b"WARC/", b"filedesc://")
# What warcio raises on a damaged archive.
DAMAGE = (OSError, EOFError, ValueError, zlib.error)


class CutRecord(Exception):
    """A record header or its HTTP headers end early: the archive was cut there."""


def archive_head(stream: BinaryIO | WholeGzip) -> bytes:
    """The first bytes of the archive, decompressed when gzipped, without consuming them
    (b"" when the stream cannot be peeked at)."""
    head = stream.peek(4096) if hasattr(stream, "peek") else b""
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, 64)
        except zlib.error:
            return b""
    return head[:64].lstrip()


class _LastLine:
    """A stream that remembers the last line read from it."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.last: bytes | None = None

    def readline(self, *args: Any) -> bytes:
        self.last = self._stream.readline(*args)
        return self.last


def _guard_headers(loader: Any) -> None:
    """warcio reads a record header cut short as a whole one (a Content-Length cut
    to "2" of "2315" declares 2 bytes), takes an EOFError while parsing a
    record's HTTP headers for the end of the archive (so a record cut there
    vanished without a word), and fails with an AttributeError on a record
    header cut before its WARC-Target-URI. All three become :class:`CutRecord`."""
    parse_header, load = loader.warc_parser.parse, loader.load_http_headers

    def header(stream: Any, statusline: Any = None) -> Any:
        lines = _LastLine(stream)
        headers = parse_header(lines, statusline)
        if lines.last == b"":  # it ended at the end of the file, not at a blank line
            raise CutRecord("the archive ends inside this record's header")
        return headers

    def http_headers(rec_type: str | None, uri: str | None, stream: Any, length: int | None) -> Any:
        if uri is None and length != 0 and rec_type in loader.HTTP_RECORDS:
            raise CutRecord(f"the {rec_type} record header has no WARC-Target-URI: cut short, or no WARC header")
        try:
            return load(rec_type, uri, stream, length)
        except EOFError as exc:
            raise CutRecord(f"{uri}: the archive ends inside this record's HTTP headers") from exc

    loader.warc_parser.parse, loader.load_http_headers = header, http_headers


def archive_iterator(stream: BinaryIO | WholeGzip, head: bytes) -> Any:
    """warcio's iterator, held to the format the archive starts in: otherwise
    any junk line with five words in it passes for an ARC record."""
    from warcio.archiveiterator import ArchiveIterator

    records = ArchiveIterator(stream, arc2warc=True)
    if head.startswith(b"WARC/"):
        records.known_format = "warc"
    elif head.startswith(b"filedesc://"):
        records.known_format = "arc"
    # warcio writes its own multi-line warning to stderr when a record is not
    # followed by a record boundary; it also counts it in err_count, which the
    # reader reports as a record.
    records.INC_RECORD = ""
    _guard_headers(records.loader)
    return records


class WholeGzip:
    """An archive gzipped as a whole, decompressed for warcio. Where the gzip
    stream is cut or corrupt it ends, and ``error`` says why: warcio takes an
    EOFError for the end of the archive, and a buffered read would drop the
    data decompressed before it."""

    def __init__(self, raw: BinaryIO) -> None:
        self._gz = gzip.GzipFile(fileobj=raw)
        self.error: BaseException | None = None

    def _guarded(self, read: Callable[[int], bytes], size: int) -> bytes:
        if self.error is not None:
            return b""
        try:
            return read(size)
        except GZIP_ERRORS as exc:
            self.error = exc
            return b""

    def read(self, size: int = -1) -> bytes:
        # read1: what one read of the file gives, so that nothing is lost at a cut
        return self._guarded(self._gz.read1, size if size > 0 else io.DEFAULT_BUFFER_SIZE)

    def peek(self, size: int) -> bytes:
        return self._guarded(self._gz.peek, size)

    def tell(self) -> int:
        return self._gz.tell()
