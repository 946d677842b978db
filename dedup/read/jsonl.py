"""JSON Lines, read line by line so that one bad line is one rejected record.

A line is read only up to ``ReadConfig.max_bytes``: a longer one (a 1.5 MB
gzip can expand to one 1.5 GB line) is skipped to its end without being held,
and rejected as one record. A record nested deeper than :data:`MAX_DEPTH` is
rejected too: parsing it would overflow the parser's stack.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import orjson

from ..config import ReadConfig
from ..model import Rejected
from .html import Page
from .records import Item, to_article

# A UTF-8 byte-order mark, as Windows tools write at the start of a file. It
# marks the file, not a line: one anywhere else is a broken line, rejected.
_BOM = b"\xef\xbb\xbf"
# Levels of arrays and objects in one record. A news record has a few; orjson
# stops at 1024, the json module near Python's recursion limit (~1000).
MAX_DEPTH = 64
# How much of an oversized line is read at a time while skipping it.
_SKIP_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Oversized:
    """A line longer than the limit, skipped: its size in bytes (its newline included)."""

    size: int


def bounded_lines(stream: BinaryIO, limit: int) -> Iterator[bytes | Oversized]:
    """The lines of a binary stream; a line of more than ``limit`` bytes (its
    newline aside) is an :class:`Oversized`, read through in chunks, never held."""
    while line := stream.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        size = len(line)
        while not line.endswith(b"\n") and (line := stream.readline(_SKIP_CHUNK)):
            size += len(line)
        yield Oversized(size)


def _too_deep(row: dict[str, object]) -> bool:
    """Whether ``row`` nests arrays and objects deeper than MAX_DEPTH (without recursion)."""
    stack: list[tuple[object, int]] = [(v, 2) for v in row.values() if type(v) in (dict, list)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        children = value.values() if type(value) is dict else value  # type: ignore[attr-defined]
        stack.extend((c, depth + 1) for c in children if type(c) in (dict, list))
    return False


def _fast(raw: bytes) -> dict[str, object] | None:
    """The record parsed by orjson (3x faster here), or None where the standard
    parser must decide: anything orjson refuses (bad UTF-8, lone surrogates,
    NaN: the standard parser accepts some and words the errors for people), and
    any float, since orjson reads integers beyond 64 bits as floats."""
    try:
        row = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if type(row) is not dict or any(type(v) is float for v in row.values()):
        return None
    return row


def _json_problem(exc: json.JSONDecodeError) -> str:
    """The json module's message with the column: some of its messages end in " at"
    ("Invalid control character at"), meant to be followed by a character offset.

    >>> try: json.loads('"tab\\there"')
    ... except json.JSONDecodeError as exc: print(_json_problem(exc))
    Invalid control character at column 5
    """
    return f"{exc.msg.removesuffix(' at')} at column {exc.colno}"


def read_jsonl(stream: Iterable[bytes | Oversized], name: str, cfg: ReadConfig) -> Iterator[Item | Page]:
    """The records of a stream of JSON lines: a binary file (read through
    :func:`bounded_lines`), or any iterable of lines."""
    lines = bounded_lines(stream, cfg.max_bytes) if hasattr(stream, "readline") else stream  # type: ignore[arg-type]
    for lineno, raw in enumerate(lines, start=1):
        source = f"{name}:{lineno}"
        if isinstance(raw, Oversized) or len(raw) > cfg.max_bytes + 2:  # + a newline, \r\n at most
            size = raw.size if isinstance(raw, Oversized) else len(raw)
            yield Rejected(source, "record too large", f"a line of {size:,} bytes (limit {cfg.max_bytes:,}, --max-bytes): skipped unread")
            continue
        if lineno == 1:
            raw = raw.removeprefix(_BOM)
        if not raw.strip():
            continue
        yield from _record(raw, source, cfg)


def _record(raw: bytes, source: str, cfg: ReadConfig) -> Iterator[Item | Page]:
    fast = _fast(raw)
    if fast is None:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Rejected(source, "undecodable bytes", f"not UTF-8 at byte {exc.start}")
            return
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejected(source, "malformed JSON", _json_problem(exc))
            return
        except ValueError as exc:  # an integer of over 4,300 digits (Python's guard against slow conversion)
            yield Rejected(source, "malformed JSON", str(exc).split(";")[0])
            return
        except RecursionError:
            row = None  # nested past the parser's stack: too deep, as below
        else:
            if not isinstance(row, dict):
                yield Rejected(source, "malformed JSON", f"expected an object, got {type(row).__name__}")
                return
    else:
        row = fast
    # Each level opens a bracket: most lines cannot be too deep, which counting tells faster than walking.
    if row is None or (raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _too_deep(row)):
        yield Rejected(source, "too deeply nested", f"arrays and objects nested more than {MAX_DEPTH} levels deep")
        return
    yield from to_article(row, source, cfg)
