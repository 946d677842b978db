"""Gzipped inputs: what decompressed before the damage is kept, the damage is one reject.

A cut or corrupt ``.gz`` file raises mid-stream (``EOFError`` for a truncated
stream, which the CLI framework would take for Ctrl-D; ``gzip.BadGzipFile``,
``zlib.error``), after good records were already read. :class:`GuardedLines`
ends the lines there instead and keeps the error, so that the reader can yield
everything before it and then one ``corrupt gzip`` record.

>>> import gzip, io
>>> cut = gzip.compress(b"a\\nb\\n")[:-8]  # without the trailer: the stream ends early
>>> lines = GuardedLines(gzip.GzipFile(fileobj=io.BytesIO(cut)))
>>> list(lines), lines.rejected("cut.jsonl.gz")
([b'a\\n', b'b\\n'], Rejected(source='cut.jsonl.gz:3', reason='corrupt gzip', detail='truncated stream'))
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO, Generic, TypeVar

from ..model import Rejected

T = TypeVar("T")  # a line: bytes, str, or a marker for a line too long

# What decompressing can raise; gzip.BadGzipFile is an OSError.
GZIP_ERRORS: tuple[type[BaseException], ...] = (EOFError, zlib.error, OSError)


def gzip_problem(exc: BaseException, *, started: bool = False) -> str:
    """What is wrong with the stream, in words (``started``: some data came out before)."""
    if isinstance(exc, EOFError):
        return "truncated stream"
    if isinstance(exc, gzip.BadGzipFile) and str(exc).startswith("Not a gzipped file"):
        # After good members, the magic number is missing from what follows them.
        return "data after the end of the gzip stream is not gzip" if started else "not a gzip file"
    if isinstance(exc, zlib.error):
        return f"corrupt compressed data ({exc})"
    return " ".join(str(exc).split()) or type(exc).__name__


class GuardedLines(Generic[T]):
    """The lines of a (decompressing) stream, counted, ending quietly at a decompression error.

    After iteration, :meth:`rejected` is the ``corrupt gzip`` record for the
    error, if any: at ``name:line`` of the first line not read, or ``name``
    itself when not one line came out.
    """

    def __init__(self, stream: Iterable[T]) -> None:
        self._stream = stream
        self.count = 0
        self.error: BaseException | None = None

    def __iter__(self) -> Iterator[T]:
        try:
            for line in self._stream:
                self.count += 1
                yield line
        except GZIP_ERRORS as exc:
            self.error = exc

    def rejected(self, name: str) -> Rejected | None:
        if self.error is None:
            return None
        source = f"{name}:{self.count + 1}" if self.count else name
        return Rejected(source, "corrupt gzip", gzip_problem(self.error, started=self.count > 0))


GZIP_MAGIC = b"\x1f\x8b"


def starts_gzipped(stream: BinaryIO) -> bool:
    """Whether a peekable stream (a ``BufferedReader``) starts with the gzip magic,
    looked at without consuming it: standard input cannot be read twice.

    One peek does at most one read of a pipe, which could in principle return a
    single byte; writers put a gzip header out in one write, so two bytes come.
    """
    return stream.peek(2)[:2] == GZIP_MAGIC


class Rewindable:
    """A forward-only stream (a pipe) that can go back to its start once, while at
    most ``limit`` bytes of it were read.

    For an archive on standard input gzipped as a whole (not per record):
    warcio finds that out only after the first record, and the WARC reader
    then starts again from byte 0 through :mod:`gzip`. What was read is kept
    for that until ``limit``; past it the stream has no ``seek`` at all, so
    that the reader rejects the archive ("gunzip it first") rather than fail.
    ``tell`` counts the bytes read, as warcio's offsets need.
    """

    def __init__(self, raw: BinaryIO, limit: int) -> None:
        self._raw = raw
        self._limit = limit
        self._kept: bytearray | None = bytearray()  # None: too much read, no way back
        self._replay = memoryview(b"")  # kept bytes still to give again after a rewind
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        again = bytes(self._replay[:size] if size >= 0 else self._replay)
        self._replay = self._replay[len(again):]
        fresh = b"" if 0 <= size == len(again) else self._raw.read(size - len(again) if size >= 0 else -1)
        self._keep(fresh)
        self._pos += len(again) + len(fresh)
        return again + fresh

    def peek(self, size: int = 1) -> bytes:
        if self._replay:
            return bytes(self._replay)
        return self._raw.peek(size)  # type: ignore[attr-defined, no-any-return]

    def tell(self) -> int:
        return self._pos

    @property
    def seek(self) -> Callable[[int], int]:
        # A property so that hasattr(stream, "seek") is False once there is no way back.
        if self._kept is None:
            raise AttributeError(f"seek: no way back to the start (rewound already, or over {self._limit:,} bytes read)")
        return self._rewind

    def _rewind(self, offset: int) -> int:
        if offset != 0 or self._kept is None:
            raise OSError("this stream can only go back to its start, once")
        # Everything read so far is given again; nothing more is kept (one way back only).
        self._replay, self._kept = memoryview(bytes(self._kept)), None
        self._pos = 0
        return 0

    def _keep(self, data: bytes) -> None:
        if self._kept is None or not data:
            return
        if len(self._kept) + len(data) > self._limit:
            self._kept = None  # release the memory: the stream is forward-only from now on
        else:
            self._kept += data
