"""Reading on its own process, so that it overlaps the rest of an index run.

Parsing records (JSON, times, URLs, ids) is pure Python and holds one core;
the stages after it (cleaning, signing, storing, clustering) hold the other.
:func:`read_in_background` runs :func:`~dedup.read.read_paths` unchanged on a
forked process and hands its items back in order, in batches, through a
bounded queue (memory stays bounded however large the input).

>>> from dedup.config import ReadConfig
>>> items = list(read_in_background(["examples/sample/night1.jsonl"], ReadConfig(), workers=2))  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import operator
import queue
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..config import ReadConfig
from ..errors import InputError
from ..model import Article
from . import Item, read_paths
from .html import StoredPages
from .watchdog import exit_with_parent

# Items per message: large enough that queue overhead is negligible (~1 µs per
# item), small enough that the first batch reaches the indexer at once.
_BATCH = 256
# Messages in flight: bounds memory to a few thousand articles.
_QUEUE_SIZE = 16
# Articles travel as plain tuples: pickling a frozen slotted dataclass costs
# ~40 µs per article both ways, a tuple of its fields ~12 µs (measured).
_FIELDS = operator.attrgetter(*(f.name for f in dataclasses.fields(Article)))


def can_read_in_background(paths: Sequence[object]) -> bool:
    """Forking is available, and every path is a file's (a forked child's stdin is
    /dev/null, and records in memory are not worth a process)."""
    return "fork" in mp.get_all_start_methods() and all(isinstance(p, str) and p != "-" for p in paths)


def _produce(paths: list[str], cfg: ReadConfig, workers: int, out: Any, parent: int, stored: StoredPages | None) -> None:
    exit_with_parent(parent)
    pages = 0

    def count_page(n: int) -> None:
        nonlocal pages
        pages += n

    batch: list[object] = []
    try:
        for item in read_paths(paths, cfg, workers=workers, progress=count_page, stored=stored):
            batch.append(_FIELDS(item) if isinstance(item, Article) else item)
            if len(batch) >= _BATCH:
                out.put(("items", batch, pages))
                batch, pages = [], 0
        out.put(("items", batch, pages))
        out.put(("done", None, 0))
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the parent reports it
        pass
    except Exception as exc:  # noqa: BLE001 -- any failure must reach the parent, not die here
        try:
            out.put(("error", exc, 0))
        except Exception:  # noqa: BLE001 -- the exception itself may not pickle
            out.put(("error", InputError(f"{type(exc).__name__}: {exc}"), 0))


class BackgroundReader:
    """The items of a reader process, in order; :meth:`close` ends it at once.

    Close it when the run stops early (an error in a later stage): the reader
    would otherwise wait for ever on a full queue, and the run for it at exit.
    """

    def __init__(self, proc: Any, channel: Any, progress: Callable[[int], None] | None) -> None:
        self._proc = proc
        self._channel = channel
        self._items = _receive(proc, channel, progress)

    def __iter__(self) -> Iterator[Item]:
        return self._items

    def __next__(self) -> Item:
        return next(self._items)

    def close(self) -> None:
        self._items.close()  # not started yet, it runs no finally: stop the process here too
        _stop(self._proc, self._channel)


def read_in_background(
    paths: Sequence[str], cfg: ReadConfig, *, workers: int = 1, progress: Callable[[int], None] | None = None,
    stored: StoredPages | None = None,
) -> BackgroundReader:
    """:func:`~dedup.read.read_paths` on a forked process: the same items, in the same order.

    The process starts now (fork it before starting threads), not at the first item."""
    ctx = mp.get_context("fork")
    channel: Any = ctx.Queue(maxsize=_QUEUE_SIZE)
    # Not a daemon: the reader starts its own pool for HTML pages.
    proc = ctx.Process(target=_produce, args=(list(paths), cfg, workers, channel, os.getpid(), stored), name="dedup-reader")
    proc.start()
    return BackgroundReader(proc, channel, progress)


def _stop(proc: Any, channel: Any) -> None:
    """End the reader (at once, if it is still running) and release the queue; safe to repeat.
    Its page workers, if any, notice that it is gone within a second (watchdog.py)."""
    if proc.is_alive():
        proc.terminate()
    proc.join()
    channel.close()
    # The queue's feeder thread would flush to a reader that is gone: not waited for at exit.
    channel.cancel_join_thread()


def _receive(proc: Any, channel: Any, progress: Callable[[int], None] | None) -> Iterator[Item]:
    try:
        while True:
            try:
                kind, payload, pages = channel.get(timeout=1.0)
            except queue.Empty:
                if not proc.is_alive():
                    raise InputError(f"the reader process stopped unexpectedly (exit code {proc.exitcode})") from None
                continue
            if pages and progress is not None:
                progress(pages)
            if kind == "items":
                for item in payload:
                    yield Article(*item) if isinstance(item, tuple) else item
            elif kind == "error":
                raise payload
            else:
                return
    finally:
        _stop(proc, channel)
