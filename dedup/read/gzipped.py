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
from collections.abc import Iterable, Iterator
from typing import AnyStr, Generic

from ..model import Rejected

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


class GuardedLines(Generic[AnyStr]):
    """The lines of a (decompressing) stream, counted, ending quietly at a decompression error.

    After iteration, :meth:`rejected` is the ``corrupt gzip`` record for the
    error, if any: at ``name:line`` of the first line not read, or ``name``
    itself when not one line came out.
    """

    def __init__(self, stream: Iterable[AnyStr]) -> None:
        self._stream = stream
        self.count = 0
        self.error: BaseException | None = None

    def __iter__(self) -> Iterator[AnyStr]:
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
