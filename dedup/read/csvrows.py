"""CSV row by row with the standard library: the fallback for a file polars refuses.

polars reads a CSV file whole or not at all: one row with a stray quote, or with
more fields than the header, and it refuses the file. Read here instead, each
such row is one ``malformed CSV row`` record at its physical line (the header
is line 1), and the rows around it go through the same checks as on the fast
path (:func:`csv_record`), read the same way: everything as text, a missing or
empty field as null, bytes that are not UTF-8 as U+FFFD.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from ..config import ReadConfig
from ..model import Notice, Rejected
from .gzipped import GuardedLines
from .html import Page
from .records import Item, missing_column, to_article

# csv's default limit (128 KiB a field) would reject a long article; a field
# cannot be larger than the file, which the fast path holds whole anyway.
# The limit is process-wide: it is only ever raised.
_FIELD_LIMIT = 2**31 - 1


def csv_record(row: dict[str, str | None], source: str, cfg: ReadConfig) -> Iterator[Item | Page]:
    """One CSV row, from either reader. Both decode lossily, so a U+FFFD in the
    text is a byte that was not UTF-8. A row with no value at all (a blank line
    at the end, which editors leave) is no record: nothing to reject."""
    if not any(row.values()):
        return
    text = row.get(cfg.column("text"))
    if isinstance(text, str) and "\ufffd" in text:
        yield Rejected(source, "undecodable bytes", "text is not valid UTF-8")
        return
    yield from to_article(row, source, cfg)


class _Lines:
    """Physical lines for :func:`csv.reader`, numbered (the header is line 1).

    The lines of the record being parsed are kept: when it turns out malformed,
    the lines after its first are read again, as a quote that is never closed
    swallows the rows after it.
    """

    def __init__(self, stream: Iterable[str]) -> None:
        self._stream = iter(stream)
        self._again: list[str] = []  # lines to read again, last first
        self._record: list[str] = []
        self.number = 0  # lines handed out

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self._again.pop() if self._again else next(self._stream)
        self.number += 1
        self._record.append(line)
        return line

    def start_record(self) -> int:
        """The line number of the record about to be parsed."""
        self._record.clear()
        return self.number + 1

    def read_again_after_first(self) -> int:
        """Put back the lines of the current record after its first; how many there were."""
        rest = self._record[1:]
        self._again.extend(reversed(rest))
        self.number -= len(rest)
        self._record.clear()
        return len(rest)


def _problem(exc: csv.Error, line: int, spanned: int) -> str:
    if str(exc) == "unexpected end of data":  # strict mode, inside quotes at the end
        return f"the quote opened on line {line} is never closed"
    where = f" (the quote runs on to line {line + spanned})" if spanned else ""
    return f"bad quoting: {exc}{where}"


def _records(lines: _Lines, name: str) -> Iterator[tuple[int, list[str]] | Rejected]:
    """(line, fields) per record, or a Rejected for a record the csv module cannot parse."""
    # strict: a quote out of place is an error here, not text glued to the next rows.
    reader = csv.reader(lines, strict=True)
    while True:
        line = lines.start_record()
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            spanned = lines.read_again_after_first()
            yield Rejected(f"{name}:{line}", "malformed CSV row", _problem(exc, line, spanned))
            continue
        yield line, fields


def _row(columns: list[str], fields: list[str]) -> dict[str, str | None]:
    # As polars reads a row: a short row is padded with nulls, an empty field is null.
    values: list[str | None] = [f or None for f in fields]
    return dict(zip(columns, values + [None] * (len(columns) - len(values)), strict=True))


def _open(path: Path) -> TextIO:
    # utf-8-sig and "replace": what polars' utf8-lossy reads (a BOM is no part of the header).
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", errors="replace", newline="")
    return path.open(encoding="utf-8-sig", errors="replace", newline="")


def read_csv_rows(path: Path, cfg: ReadConfig) -> Iterator[Item | Page]:
    """Rows of a CSV file, a malformed one rejected alone."""
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    gz = path.name.endswith(".gz")
    with _open(path) as fh:
        stream = GuardedLines(fh) if gz else None
        yield from _read(_Lines(stream if stream is not None else fh), path, cfg)
    rejected = stream.rejected(str(path)) if stream is not None else None
    if rejected is not None:
        yield rejected


def _read(lines: _Lines, path: Path, cfg: ReadConfig) -> Iterator[Item | Page]:
    records = _records(lines, str(path))
    header = next(records, None)
    if header is None:  # a gzip of nothing (a plain empty file never gets here)
        yield Notice(str(path), "empty file")
        return
    if isinstance(header, Rejected):
        yield Rejected(str(path), "unreadable file", f"malformed CSV header: {header.detail}")
        return
    _, columns = header
    rejected = missing_column(str(path), columns, lambda: sum(1 for _ in records), cfg)
    if rejected is not None:
        yield rejected
        return
    for record in records:
        if isinstance(record, Rejected):
            yield record
            continue
        line, fields = record
        if len(fields) > len(columns):
            yield Rejected(f"{path}:{line}", "malformed CSV row", f"{len(fields)} fields, the header has {len(columns)}")
            continue
        yield from csv_record(_row(columns, fields), f"{path}:{line}", cfg)
