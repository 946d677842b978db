"""CSV and Parquet through polars, in slices so memory stays bounded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from ..config import ReadConfig
from ..errors import InputError
from ..model import Rejected
from .html import Page
from .records import Item, to_article

_SLICE = 5000


def _frames(path: Path, kind: str) -> Iterator[pl.DataFrame]:
    try:
        if kind == "parquet":
            lf = pl.scan_parquet(path)
        else:
            # Everything as text: ids like "007" and odd time formats must survive.
            lf = pl.scan_csv(path, infer_schema=False, encoding="utf8-lossy")
        schema = lf.collect_schema()
    except Exception as exc:  # polars raises many types for unreadable files
        raise InputError(f"{path}: cannot read as {kind}: {exc}") from exc
    yield from lf.collect().iter_slices(_SLICE) if schema else iter(())


def read_table(path: Path, kind: str, cfg: ReadConfig) -> Iterator[Item | Page]:
    """Rows of a CSV or Parquet file; the row number in messages counts the header as line 1 for CSV."""
    first_line = 2 if kind == "csv" else 1
    offset = 0
    for frame in _frames(path, kind):
        if offset == 0 and cfg.column("text") not in frame.columns and cfg.column("html") not in frame.columns:
            yield Rejected(
                str(path),
                "missing field",
                f"no column {cfg.column('text')!r} (columns: {', '.join(frame.columns)}); map another with --map text=COLUMN",
            )
            return
        for i, row in enumerate(frame.iter_rows(named=True)):
            text = row.get(cfg.column("text"))
            source = f"{path}:{offset + i + first_line}"
            if isinstance(text, str) and "\ufffd" in text and kind == "csv":
                yield Rejected(source, "undecodable bytes", "text is not valid UTF-8")
                continue
            yield from to_article(row, source, cfg)
        offset += frame.height
