"""Small read-only views of a store, shared by the cluster and pipeline tests, and a full disk."""

from __future__ import annotations

import errno
import io
from typing import Any

from dedup.config import Config
from dedup.store import open_store


def story_ids(cfg: Config) -> dict[str, str | None]:
    """article id → story id."""
    store = open_store(cfg.store, create=False)
    try:
        return {a.id: a.story_id for a in store.articles()}
    finally:
        store.close()


def store_counts(cfg: Config) -> dict[str, int]:
    store = open_store(cfg.store, create=False)
    try:
        return store.counts()
    finally:
        store.close()


class FullDisk:
    """Files opened through :meth:`open` share ``room`` bytes; a write beyond it writes
    what fits and fails with ENOSPC, as a full disk does. In place of a module's ``open``:
    ``monkeypatch.setattr(segments, "open", FullDisk(5000).open, raising=False)``."""

    def __init__(self, room: int) -> None:
        self.room = room

    def open(self, path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = io.open(path, mode, *args, **kwargs)
        disk = self

        class Filling:
            def write(self, data: Any) -> int:
                b = memoryview(data).cast("B")
                n = min(len(b), disk.room)
                fh.write(b[:n])
                disk.room -= n
                if n < len(b):
                    fh.flush()
                    raise OSError(errno.ENOSPC, "No space left on device")
                return n

            def __getattr__(self, name: str) -> Any:
                return getattr(fh, name)

            def __enter__(self) -> Any:
                return self

            def __exit__(self, *exc: object) -> None:
                fh.close()

        return Filling()
