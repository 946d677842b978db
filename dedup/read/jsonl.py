"""JSON Lines, read line by line so that one bad line is one rejected record."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

import orjson

from ..config import ReadConfig
from ..model import Rejected
from .html import Page
from .records import Item, to_article

# A UTF-8 byte-order mark, as Windows tools write at the start of a file. It
# marks the file, not a line: one anywhere else is a broken line, rejected.
_BOM = b"\xef\xbb\xbf"


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


def read_jsonl(stream: Iterable[bytes], name: str, cfg: ReadConfig) -> Iterator[Item | Page]:
    """The records of a stream of JSON lines (a binary file, or any iterable of lines)."""
    for lineno, raw in enumerate(stream, start=1):
        if lineno == 1:
            raw = raw.removeprefix(_BOM)
        if not raw.strip():
            continue
        source = f"{name}:{lineno}"
        fast = _fast(raw)
        if fast is not None:
            yield from to_article(fast, source, cfg)
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Rejected(source, "undecodable bytes", f"not UTF-8 at byte {exc.start}")
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejected(source, "malformed JSON", _json_problem(exc))
            continue
        if not isinstance(row, dict):
            yield Rejected(source, "malformed JSON", f"expected an object, got {type(row).__name__}")
            continue
        yield from to_article(row, source, cfg)
