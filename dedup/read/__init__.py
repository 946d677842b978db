"""Read stage: paths → Articles (and Rejected / Notice records, never silently dropped).

Inputs: JSON Lines, CSV and Parquet rows (of text, or of raw ``html``), raw
HTML files (``.html``, ``.htm``, optionally gzipped) and WARC/ARC archives
(``.warc``, ``.arc``, plain or gzipped). The kind comes from the file name,
else from the first bytes (HTML, WARC), or is forced with ``ReadConfig.fmt``.
Standard input (``-``) is JSON Lines, or WARC/ARC with ``fmt="warc"``, plain or gzipped.
:class:`Records` are JSON Lines given in memory rather than by path (``dedup serve``'s request bodies).
Pages are extracted on a process pool (see :mod:`dedup.read.html`).

>>> from dedup.config import ReadConfig
>>> items = list(read_paths(["examples/sample/night1.jsonl"], ReadConfig()))  # doctest: +SKIP
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, replace
import sys
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from ..config import ReadConfig
from ..errors import ConfigError, InputError
from ..model import Article, Notice, Rejected, Unchanged
from ..outlets import unknown_outlet
from .gzipped import GZIP_ERRORS, GuardedLines, Rewindable, gzip_problem, starts_gzipped
from .html import Page, StoredPages, extract_in_order, extract_page
from .jsonl import bounded_lines, read_jsonl
from .records import Item, check_article

__all__ = ["read_paths", "detect_format", "check_inputs", "check_stdin_format", "Item", "Records"]


@dataclass(frozen=True, slots=True)
class Records:
    """JSON Lines given in memory, read as a file of that name would be: a record's
    source is ``name:N`` (its line), and it is validated and rejected alike."""

    name: str
    lines: Iterable[bytes]  # each a JSON record, or a binary stream (read with the --max-bytes bound)

# What standard input can hold: a stream read once, front to back. A table
# (polars) or a page needs the whole input as a file.
_STDIN_FORMATS = ("auto", "jsonl", "warc")
# How much of a gzipped archive on standard input is kept to start again
# through gzip when it turns out to be gzipped as a whole (warcio tells after
# its first record, typically a small warcinfo record): two of the largest pages.
def _stdin_rewind_bytes(cfg: ReadConfig) -> int:
    return 2 * cfg.max_bytes

_SUFFIXES = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet",
    ".html": "html", ".htm": "html", ".xhtml": "html", ".warc": "warc", ".arc": "warc",
}


def detect_format(path: Path, forced: str = "auto") -> str | None:
    """The kind of input ``path`` holds: by name, else by its first bytes (HTML, WARC).

    >>> detect_format(Path("crawl-0001.warc.gz")), detect_format(Path("page.htm")), detect_format(Path("a.csv"))
    ('warc', 'html', 'csv')
    """
    if forced != "auto":
        return forced
    name = path.name.lower()
    for suffix in (".gz",):
        name = name.removesuffix(suffix)
    kind = _SUFFIXES.get(Path(name).suffix)
    if kind is None and path.is_file():
        kind = _sniff(path)
    return kind


def _sniff(path: Path) -> str | None:
    """HTML or WARC by content, for crawler output saved without a telling name."""
    try:
        with path.open("rb") as fh:
            head = fh.read(2048)
        if head[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as fh:
                head = fh.read(2048)
    except (OSError, EOFError, zlib.error):  # a corrupt file is rejected when read, not here
        return None
    if head.startswith((b"WARC/", b"filedesc://")):
        return "warc"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return "html"
    return None


def _expand(paths: Iterable[str | Records], forced: str) -> Iterator[str | Path | Records]:
    """Every file to read, each once: a file named twice (or also inside a named
    directory) would otherwise have each of its records rejected as a duplicate
    of itself. The first occurrence keeps its place."""
    seen: set[Path] = set()
    for p in _expand_all(paths, forced):
        if isinstance(p, Path):
            key = p.resolve()
            if key in seen:
                continue
            seen.add(key)
        yield p


def _expand_all(paths: Iterable[str | Records], forced: str) -> Iterator[str | Path | Records]:
    for p in paths:
        if isinstance(p, Records) or p == "-":
            yield p
            continue
        path = Path(p)
        if path.is_dir():
            files = sorted(f for f in path.rglob("*") if f.is_file() and not f.name.startswith("."))
            # A forced page kind takes every file (crawlers name pages as they like);
            # otherwise only files whose kind is known or recognisable.
            take_all = forced in ("html", "warc")
            yield from (f for f in files if take_all or detect_format(f) is not None)
        elif path.exists():
            yield path
        else:
            raise _no_such_path(p)


def _html_file(path: Path, cfg: ReadConfig) -> Iterator[Page | Rejected]:
    gz = path.name.endswith(".gz")
    try:
        if path.stat().st_size > cfg.max_bytes and not gz:
            yield Rejected(str(path), "page too large", f"{path.stat().st_size:,} bytes (limit {cfg.max_bytes:,}, --max-bytes)")
            return
        if gz:
            with gzip.open(path, "rb") as fh:
                raw = fh.read(cfg.max_bytes + 1)
        else:
            raw = path.read_bytes()
    except GZIP_ERRORS as exc:
        # A page is one record: cut anywhere, what is left is not the page.
        if gz:
            yield Rejected(str(path), "corrupt gzip", gzip_problem(exc))
        else:
            yield Rejected(str(path), "unreadable file", str(exc))
        return
    yield Page(
        source=str(path), html=raw, tz=cfg.tz, fallback_id=path.resolve().as_uri(), max_bytes=cfg.max_bytes, seconds=cfg.page_seconds,
    )


def _jsonl_file(path: Path, cfg: ReadConfig) -> Iterator[Item | Page]:
    with path.open("rb") as fh:
        if path.name.endswith(".gz"):
            yield from _jsonl_gzipped(fh, str(path), cfg)
        else:
            yield from read_jsonl(fh, str(path), cfg)


def _jsonl_gzipped(raw: BinaryIO, name: str, cfg: ReadConfig) -> Iterator[Item | Page]:
    """The records before any damage, then one ``corrupt gzip`` record for it."""
    with gzip.GzipFile(fileobj=raw, mode="rb") as fh:
        # Bounded before decompressing a line whole: a small gzip can hold one huge line.
        lines = GuardedLines(bounded_lines(fh, cfg.max_bytes))
        yield from read_jsonl(lines, name, cfg)
    rejected = lines.rejected(name)
    if rejected is not None:
        yield rejected
    elif lines.count == 0:  # a gzip of nothing: empty, as a 0-byte plain file is
        yield Notice(name, "empty file")


def check_inputs(paths: Sequence[str | Records], cfg: ReadConfig) -> None:
    """Raise for mistakes in the command itself, before anything is read or opened:
    a path that does not exist (InputError), a format standard input cannot hold
    (ConfigError). Bad data inside the inputs is rejected record by record instead."""
    check_stdin_format(paths, cfg.fmt)
    for p in paths:
        if isinstance(p, str) and p != "-" and not Path(p).exists():
            raise _no_such_path(p)


def _no_such_path(p: str) -> InputError:
    return InputError(f"{p}: no such file or directory")


def check_stdin_format(paths: Sequence[str | Records], fmt: str) -> None:
    """Raise ConfigError when standard input is among ``paths`` but ``fmt`` is a
    kind it cannot hold: otherwise every line would be rejected as bad JSON."""
    if "-" in paths and fmt not in _STDIN_FORMATS:
        raise ConfigError(
            f"--format {fmt}: standard input (-) takes JSON Lines, or WARC with --format warc;"
            f" give the {fmt} file's path instead"
        )


def _stdin_bytes() -> BinaryIO:
    """Standard input as a peekable binary stream (a BufferedReader, as it is
    when run; a test's stand-in may be a bare BytesIO)."""
    raw = sys.stdin.buffer
    return raw if hasattr(raw, "peek") else io.BufferedReader(raw)  # type: ignore[arg-type]


def _read_stdin(cfg: ReadConfig) -> Iterator[Item | Page]:
    # The format was checked by read_paths, the only way here.
    stream = _stdin_bytes()
    if cfg.fmt == "warc":
        from .warc import read_warc

        # warcio reads gzip members itself; an archive gzipped as a whole is
        # read again from its start through gzip, which a pipe cannot do alone.
        if starts_gzipped(stream) and not stream.seekable():
            stream = Rewindable(stream, _stdin_rewind_bytes(cfg))  # type: ignore[assignment]
        yield from read_warc(stream, "<stdin>", cfg.tz, max_bytes=cfg.max_bytes, seconds=cfg.page_seconds)
    elif starts_gzipped(stream):  # `cat night.jsonl.gz | dedup index -`
        yield from _jsonl_gzipped(stream, "<stdin>", cfg)
    else:
        yield from read_jsonl(stream, "<stdin>", cfg)


def _is_blank(path: Path) -> bool:
    """No bytes, or only whitespace. Reads only until the first other byte, so
    a real file costs one small read; a pipe (``<(zcat …)``) is not read here,
    as what is read from it would be gone."""
    if not path.is_file():
        return False
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 16):
            if chunk.strip():
                return False
    return True


def _read_one(path: str | Path | Records, cfg: ReadConfig) -> Iterator[Item | Page]:
    if isinstance(path, Records):
        yield from read_jsonl(path.lines, path.name, cfg)
        return
    if not isinstance(path, Path):  # "-": standard input
        yield from _read_stdin(cfg)
        return
    try:
        blank = _is_blank(path)
    except OSError as exc:  # permissions, a vanished file: this file only, the run goes on
        yield Rejected(str(path), "unreadable file", exc.strerror or str(exc))
        return
    if blank:
        # The same for every format: polars refuses an empty CSV, a JSONL reader sees no lines.
        yield Notice(str(path), "empty file")
        return
    kind = detect_format(path, cfg.fmt)
    if kind is None:
        yield Rejected(str(path), "unknown format", "expected .jsonl, .csv, .parquet, .html, .warc or .arc (or --format)")
        return
    if kind == "jsonl":
        yield from _jsonl_file(path, cfg)
    elif kind == "html":
        yield from _html_file(path, cfg)
    elif kind == "warc":
        from .warc import read_warc

        # warcio detects gzip members itself and reads the file as a stream.
        with path.open("rb") as fh:
            yield from read_warc(fh, str(path), cfg.tz, max_bytes=cfg.max_bytes, seconds=cfg.page_seconds)
    else:
        from .tabular import read_table  # polars: imported only when a table is read

        yield from read_table(path, kind, cfg)


def read_paths(
    paths: Iterable[str | Records], cfg: ReadConfig, *, workers: int = 1, progress: Callable[[int], None] | None = None,
    stored: StoredPages | None = None,
) -> Generator[Item, None, None]:
    """Every record of every path, in input order; a repeated id within one run is rejected.
    Close it to stop early: its page workers are stopped with it.

    Raises ConfigError at the call, before anything is read, when standard input
    (``-``) is given with a format it cannot hold (``csv``, ``parquet``, ``html``).

    Pages (HTML files, WARC records, rows with ``html``) are extracted on
    ``workers`` processes; ``progress(n)`` is called as pages are done. A page
    is identified by its URL, so a re-crawl replaces (or, unchanged, skips) it;
    a second, different capture of a URL read in the same run is kept as
    ``<url>#<digest>`` (two captures are a near-duplicate pair in their own
    right), and a byte-identical one is rejected as a duplicate page. A page
    ``stored`` holds from the same bytes is not extracted again: it comes as
    :class:`~dedup.model.Unchanged`.
    """
    # Checked here, not when the first item is asked for: the caller learns of
    # the mistake before it starts writing (not a generator for that reason).
    paths = list(paths)
    check_stdin_format(paths, cfg.fmt)
    return _read_all(paths, cfg, workers, progress, stored)


def _read_all(
    paths: list[str | Records], cfg: ReadConfig, workers: int, progress: Callable[[int], None] | None, stored: StoredPages | None,
) -> Generator[Item, None, None]:
    seen: dict[str, tuple[str, str]] = {}
    # A record's notices (an unparseable time) come just before it: held until it
    # is known to be kept, so that a rejected duplicate is not also a warning.
    held: list[Notice] = []
    raw = (item for path in _expand(paths, cfg.fmt) for item in _read_one(path, cfg))
    for item in _unless_seen(extract_in_order(raw, workers=workers, progress=progress, stored=stored), seen):
        if isinstance(item, Unchanged):
            seen[item.id] = (item.source, item.digest)
            item = replace(item, page=None)
        elif isinstance(item, Notice):
            held.append(item)
            continue
        if isinstance(item, Article) and not item.outlet:
            item = replace(item, outlet=cfg.outlet.strip() or unknown_outlet(item.source))
        if isinstance(item, Article) and (unfit := check_article(item, cfg)) is not None:
            yield from _release(held, dropping=item.source)
            yield unfit
            continue
        if isinstance(item, Article):
            first = seen.get(item.id)
            if first is not None and item.digest and item.id == item.url:
                if first[1] == item.digest:
                    yield from _release(held, dropping=item.source)
                    yield Rejected(item.source, "duplicate page", f"{item.url!r}: same bytes as at {first[0]}")
                    continue
                item = _as_capture(item)
                first = seen.get(item.id)
            if first is not None:
                yield from _release(held, dropping=item.source)
                yield Rejected(item.source, "duplicate id", f"{item.id!r} already read at {first[0]}")
                continue
            seen[item.id] = (item.source, item.digest)
        if held:
            yield from _release(held)
        yield item
    if held:
        yield from _release(held)


def _unless_seen(items: Iterable[Item], seen: dict[str, tuple[str, str]]) -> Iterator[Item]:
    """``items``, but an unchanged page whose id this run has read already is extracted
    after all (rare: two captures of one URL): it is then a capture, or a duplicate,
    exactly as if it had been extracted. ``seen`` is read as each item is asked for."""
    for item in items:
        if isinstance(item, Unchanged) and item.id in seen and isinstance(item.page, Page):
            yield from extract_page(item.page)
        else:
            yield item


def _release(held: list[Notice], dropping: str | None = None) -> Iterator[Notice]:
    """The held notices, but those of the record ``dropping`` (rejected after all); empties ``held``."""
    kept = [n for n in held if n.source != dropping]
    held.clear()
    yield from kept


def _as_capture(a: Article) -> Article:
    return replace(a, id=f"{a.url}#{a.digest[:12]}")
