"""Read stage: paths → Articles (and Rejected / Notice records, never silently dropped).

>>> from dedup.config import ReadConfig
>>> items = list(read_paths(["examples/sample/night1.jsonl"], ReadConfig()))  # doctest: +SKIP
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..config import ReadConfig
from ..errors import InputError
from ..model import Article, Rejected
from .jsonl import read_jsonl
from .records import Item

__all__ = ["read_paths", "detect_format", "Item"]

_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def detect_format(path: Path, forced: str = "auto") -> str | None:
    if forced != "auto":
        return forced
    name = path.name.lower()
    for suffix in (".gz",):
        name = name.removesuffix(suffix)
    return _SUFFIXES.get(Path(name).suffix)


def _expand(paths: Iterable[str]) -> Iterator[str | Path]:
    for p in paths:
        if p == "-":
            yield p
            continue
        path = Path(p)
        if path.is_dir():
            yield from sorted(f for f in path.rglob("*") if f.is_file() and detect_format(f) is not None)
        elif path.exists():
            yield path
        else:
            raise InputError(f"{p}: no such file or directory")


def _read_one(path: str | Path, cfg: ReadConfig) -> Iterator[Item]:
    if path == "-":
        yield from read_jsonl(sys.stdin.buffer, "<stdin>", cfg)
        return
    assert isinstance(path, Path)
    kind = detect_format(path, cfg.fmt)
    if kind is None:
        yield Rejected(str(path), "unknown format", "expected .jsonl, .csv or .parquet (or --format)")
        return
    if kind == "jsonl":
        import gzip

        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as fh:  # type: ignore[operator]
            yield from read_jsonl(fh, str(path), cfg)
    else:
        from .tabular import read_table  # polars: imported only when a table is read

        yield from read_table(path, kind, cfg)


def read_paths(paths: Iterable[str], cfg: ReadConfig) -> Iterator[Item]:
    """Every record of every path; a repeated id within one run is rejected."""
    seen: dict[str, str] = {}
    for path in _expand(paths):
        for item in _read_one(path, cfg):
            if isinstance(item, Article):
                first = seen.get(item.id)
                if first is not None:
                    yield Rejected(item.source, "duplicate id", f"{item.id!r} already read at {first}")
                    continue
                seen[item.id] = item.source
            yield item
