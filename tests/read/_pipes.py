"""Standard input as a test sees it: bytes from a pipe (read once, no seek, no tell)."""

from __future__ import annotations

import io


class Pipe(io.RawIOBase):
    """Bytes as a pipe gives them: readable once, not seekable, no tell."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:  # type: ignore[no-untyped-def, override]
        return self._data.readinto(buf)


class Stdin:
    """A stand-in for sys.stdin with a file piped in: only ``.buffer`` is read, a
    BufferedReader that cannot seek (what Python gives)."""

    def __init__(self, data: bytes) -> None:
        self.buffer = io.BufferedReader(Pipe(data))
