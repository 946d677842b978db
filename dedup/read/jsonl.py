"""JSON Lines, read line by line so that one bad line is one rejected record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO

from ..config import ReadConfig
from ..model import Rejected
from .html import Page
from .records import Item, to_article


def read_jsonl(stream: BinaryIO, name: str, cfg: ReadConfig) -> Iterator[Item | Page]:
    for lineno, raw in enumerate(stream, start=1):
        source = f"{name}:{lineno}"
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Rejected(source, "undecodable bytes", f"not UTF-8 at byte {exc.start}")
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejected(source, "malformed JSON", f"{exc.msg} at column {exc.colno}")
            continue
        if not isinstance(row, dict):
            yield Rejected(source, "malformed JSON", f"expected an object, got {type(row).__name__}")
            continue
        yield from to_article(row, source, cfg)
