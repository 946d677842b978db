"""The store's failures as one clear line: what happened to which file, and what to do.

SQLite and the file system report a full disk, an I/O error, a read-only
directory or a damaged database as ``sqlite3.Error`` or ``OSError``; at the
store's boundary (:func:`translated`) each becomes a :class:`StoreError`
naming the file, the fault and the likely fix. Every write is a transaction
(or a file renamed into place), so after a full disk or an I/O error the
store is consistent and the same command, run again, completes it.

>>> import errno
>>> str(store_error(OSError(errno.EROFS, "Read-only file system"), Path("/s/dedup.sqlite")))
'/s/dedup.sqlite: cannot write (Read-only file system): make /s and its files writable (or use another --store), then run the same command again'
"""

from __future__ import annotations

import errno
import functools
import inspect
import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from ..errors import DedupError, StoreError

T = TypeVar("T")

_AGAIN = "run the same command again: the store is consistent, the next run completes it"
# What to do about damage to the database itself, which nothing derives.
DATABASE_ADVICE = "restore the store from a backup, or index the input again into a new store (--store NEW)"
_FULL = {errno.ENOSPC, errno.EDQUOT}
_DENIED = {errno.EROFS, errno.EACCES, errno.EPERM}
# ndarray.tofile's report of a write cut short (a full disk), without errno
_SHORT_WRITE = re.compile(r"\d+ requested and \d+ written")
# SQL the code got wrong: a bug, not a fault of the store
_MISUSE = (sqlite3.InterfaceError, sqlite3.ProgrammingError)


def _mount_point(path: Path) -> Path:
    p = Path(os.path.abspath(path))
    while not os.path.ismount(p) and p != p.parent:
        p = p.parent
    return p


def _free_space(path: Path) -> str:
    """'free space on /mnt (12.0 KiB free now)': where to make room."""
    mount = _mount_point(path)
    try:
        free = float(shutil.disk_usage(mount).free)
    except OSError:
        return f"free space on {mount}"
    units = ("bytes", "KiB", "MiB", "GiB")
    i = 0
    while free >= 1024 and i < len(units) - 1:
        free /= 1024
        i += 1
    return f"free space on {mount} ({free:.0f} bytes free now)" if i == 0 else f"free space on {mount} ({free:.1f} {units[i]} free now)"


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def store_error(exc: sqlite3.Error | OSError, file: Path) -> StoreError:
    """The :class:`StoreError` for ``exc``, raised on ``file`` (the database, or the
    file an OSError names: an LSH segment, the writer lock)."""
    if isinstance(exc, OSError):
        if exc.filename:
            file = Path(os.fsdecode(exc.filename))
        detail = exc.strerror or str(exc)
        code = exc.errno
        if code in _FULL or (code is None and _SHORT_WRITE.fullmatch(detail)):
            return StoreError(f"{file}: disk full ({detail}): {_free_space(file)} and {_AGAIN}")
        if code in _DENIED:
            return StoreError(f"{file}: cannot write ({detail}): make {file.parent} and its files writable (or use another --store), then run the same command again")
        if code == errno.ENOENT:
            return StoreError(f"{file}: missing ({detail}): was the store moved or deleted while in use? Run the same command again")
        return StoreError(f"{file}: I/O error ({detail}): check the disk (the system log says more), then {_AGAIN}")
    detail = _one_line(str(exc).split(" with text '")[0])  # not the whole undecodable value
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF  # the primary result code
    if code == sqlite3.SQLITE_FULL:
        return StoreError(f"{file}: disk full ({detail}): {_free_space(file)} and {_AGAIN}")
    if code == sqlite3.SQLITE_IOERR:
        return StoreError(f"{file}: I/O error ({detail}): check the disk (the system log says more), then {_AGAIN}")
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_AUTH):
        return StoreError(f"{file}: cannot open or write ({detail}): make {file.parent} and its files readable and writable (or use another --store), then run the same command again")
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreError(f"{file}: busy ({detail}): another process held the store for over 30 s; run the same command again when it has finished")
    if code == sqlite3.SQLITE_NOTADB:
        return StoreError(f"{file}: not a usable dedup store ({detail}): {DATABASE_ADVICE}")
    if code == sqlite3.SQLITE_CORRUPT or detail.startswith("Could not decode to UTF-8"):
        return StoreError(f"{file}: the database is damaged ({detail}): {DATABASE_ADVICE}")
    return StoreError(f"{file}: database error ({detail})")


@contextmanager
def translated(file: Path, damage: Callable[[], str | None] | None = None) -> Iterator[None]:
    """Turn a database or file-system error inside into a :class:`StoreError` on ``file``.

    Any other exception (a KeyError, a ValueError) is put down to damage when
    ``damage()`` names some (values a flipped byte changed, which SQLite reads
    without complaint), and is raised as it is otherwise: a bug stays a bug."""
    try:
        yield
    except DedupError:
        raise
    except Exception as exc:
        if isinstance(exc, (sqlite3.Error, OSError)) and not isinstance(exc, _MISUSE):
            raise store_error(exc, file) from exc
        found = damage() if damage is not None else None
        if found is None:
            raise
        raise StoreError(
            f"{file}: the database is damaged ({type(exc).__name__}: {_one_line(str(exc))}; integrity_check: {_one_line(found)}): {DATABASE_ADVICE}"
        ) from exc


def guarded(file_of: Callable[[Any], Path], damage_of: Callable[[Any], str | None]) -> Callable[[type[T]], type[T]]:
    """A class decorator: every public method of the class (generators included) runs
    inside :func:`translated` on ``file_of(self)``, ``damage_of(self)`` telling whether
    the store is damaged: one boundary for the whole store."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
                with translated(file_of(self), lambda: damage_of(self)):
                    yield from fn(self, *args, **kwargs)
            return gen

        @functools.wraps(fn)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            with translated(file_of(self), lambda: damage_of(self)):
                return fn(self, *args, **kwargs)
        return call

    def decorate(cls: type[T]) -> type[T]:
        for name, attr in list(vars(cls).items()):
            if not name.startswith("_") and inspect.isfunction(attr):
                setattr(cls, name, wrap(attr))
        return cls

    return decorate
