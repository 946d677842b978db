"""CSV and Parquet through polars; a CSV file that polars refuses is read row by row
instead (:mod:`dedup.read.csvrows`), so that one bad row costs only that row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from ..config import ReadConfig
from ..model import Rejected
from .csvrows import csv_record, read_csv_rows
from .html import Page
from .records import Item, missing_column, to_article

# What polars raises for a file it cannot read: its own errors, I/O errors, and
# for some malformed files a Rust panic (a BaseException: caught by name only).
_REFUSED = (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError)
_REASON_CHARS = 200


def _scan(path: Path, kind: str) -> pl.LazyFrame:
    if kind == "parquet":
        return pl.scan_parquet(path)
    # Everything as text: ids like "007" and odd time formats must survive.
    return pl.scan_csv(path, infer_schema=False, encoding="utf8-lossy")


def _load(path: Path, kind: str, cfg: ReadConfig) -> pl.DataFrame | Rejected:
    """The whole table, or the record rejecting it for want of a text column."""
    lf = _scan(path, kind)
    # Parquet keeps its row count in the metadata; a CSV file must be parsed to count.
    count = (lambda: lf.select(pl.len()).collect().item()) if kind == "parquet" else (lambda: lf.collect().height)
    rejected = missing_column(str(path), lf.collect_schema().names(), count, cfg)
    return rejected if rejected is not None else lf.collect()


def _reason(exc: BaseException) -> str:
    """polars' message, first line only (the rest are hints about its options)."""
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
    return first if len(first) <= _REASON_CHARS else first[: _REASON_CHARS - 1] + "…"


def _csv_lines(frame: pl.DataFrame) -> pl.Series:
    """The physical line of each row, the header being line 1: a quoted field
    may span lines, and messages must point where an editor shows the row."""
    first = 2 + sum(name.count("\n") for name in frame.columns)
    breaks = pl.sum_horizontal(pl.col(c).str.count_matches("\n", literal=True).fill_null(0).cast(pl.Int64) for c in frame.columns)
    return frame.select(breaks.cum_sum() - breaks + pl.int_range(pl.len(), dtype=pl.Int64) + first).to_series()


def read_table(path: Path, kind: str, cfg: ReadConfig) -> Iterator[Item | Page]:
    """Rows of a CSV or Parquet file; the row number in messages counts the header as line 1 for CSV."""
    try:
        table = _load(path, kind, cfg)
    except _REFUSED as exc:
        if kind == "csv":
            yield from read_csv_rows(path, cfg)
        else:
            yield Rejected(str(path), "unreadable file", _reason(exc))
        return
    if isinstance(table, Rejected):
        yield table
    elif kind == "csv":
        for line, row in zip(_csv_lines(table), table.iter_rows(named=True), strict=True):
            yield from csv_record(row, f"{path}:{line}", cfg)
    else:
        for number, row in enumerate(table.iter_rows(named=True), start=1):
            yield from to_article(row, f"{path}:{number}", cfg)
