"""One input record (a mapping) → Article, or Rejected with the reason.

A record without text but with an ``html`` field (a crawler's raw page)
becomes a :class:`~dedup.read.html.Page`, extracted later on the page pool;
its other fields (``id``, ``url``, ``title``, ``published_at``, ``outlet``)
win over what extraction finds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache

from ..config import ReadConfig
from ..model import Article, Notice, Rejected, TimePrecision
from .html import Page
from .outlet import outlet_from_url
from .timeparse import parse_time

Item = Article | Rejected | Notice


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


@lru_cache(maxsize=16)
def _columns(cfg: ReadConfig) -> Callable[[str], str]:
    mapping = {name: cfg.column(name) for name in ReadConfig.FIELDS}
    return mapping.__getitem__


def _page(row: Mapping[str, object], source: str, cfg: ReadConfig, col: Callable[[str], str]) -> Page:
    html = row[col("html")]
    raw = html if isinstance(html, bytes) else _text(html).encode("utf-8", "surrogatepass")
    given = tuple(
        (name, value)
        for name in ("id", "title", "published_at", "outlet")
        if (value := _text(row.get(col(name))).strip())
    )
    return Page(source=source, html=raw, url=_text(row.get(col("url"))).strip(), given=given, tz=cfg.tz)


def to_article(row: Mapping[str, object], source: str, cfg: ReadConfig) -> Iterator[Item | Page]:
    """Validate one record; yields a Notice before the Article when a field was unusable,
    or a Page when the record carries raw HTML and no text."""
    col = _columns(cfg)
    text = _text(row.get(col("text")))
    if not text.strip() and row.get(col("html")):
        yield _page(row, source, cfg, col)
        return
    if col("text") not in row:
        yield Rejected(source, "missing field", f"no {col('text')!r} (fields: {', '.join(sorted(map(str, row))) or 'none'}); map another with --map text=FIELD")
        return
    if not text.strip():
        yield Rejected(source, "empty text")
        return
    url = _text(row.get(col("url"))).strip()
    ident = _text(row.get(col("id"))).strip() or url
    if not ident:
        yield Rejected(source, "missing id", f"neither {col('id')!r} nor {col('url')!r} is set")
        return
    outlet = _text(row.get(col("outlet"))).strip().lower() or outlet_from_url(url)
    raw_time = row.get(col("published_at"))
    published, precision = parse_time(raw_time, cfg.tz)
    if precision is TimePrecision.UNKNOWN and raw_time not in (None, ""):
        yield Notice(source, "unparseable time", f"{raw_time!r} stored as unknown")
    yield Article(
        id=ident,
        url=url,
        outlet=outlet or "unknown",
        title=_text(row.get(col("title"))).strip(),
        text=text,
        published_at=published,
        time_precision=precision,
        published_raw=None if raw_time is None else str(raw_time),
        source=source,
    )
