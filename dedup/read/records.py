"""One input record (a mapping) → Article, or Rejected with the reason.

A record without text but with an ``html`` field (a crawler's raw page)
becomes a :class:`~dedup.read.html.Page`, extracted later on the page pool;
its other fields (``id``, ``url``, ``title``, ``published_at``, ``outlet``)
win over what extraction finds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache

from ..config import ReadConfig
from ..model import Article, Notice, Rejected, Skipped, TimePrecision
from .html import Page
from .outlet import outlet_from_url
from .timeparse import parse_time

Item = Article | Rejected | Notice | Skipped


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


def _not_a_string(value: object, *, binary_ok: bool = False) -> str | None:
    """The type of a body value that is not text (None when it is text, or absent).
    Made into a string, a number or a list would be indexed as if it were an article."""
    if value is None or isinstance(value, str) or (binary_ok and isinstance(value, bytes)):
        return None
    return type(value).__name__


def missing_column(name: str, columns: Sequence[str], count_rows: Callable[[], int], cfg: ReadConfig) -> Rejected | None:
    """The one record rejecting a whole table that has neither a text nor an html
    column, naming its columns and how many rows that skips (counted only then)."""
    if cfg.column("text") in columns or cfg.column("html") in columns:
        return None
    rows = count_rows()
    skipped = f"{rows} row{'' if rows == 1 else 's'} skipped"
    # A file read as the wrong format has a line of data for a header: one line, kept short.
    listed = ", ".join(c if len(c) <= 40 else c[:39] + "…" for c in columns)
    return Rejected(name, "missing field", f"no column {cfg.column('text')!r} (columns: {listed}); {skipped}; map another with --map text=COLUMN")


def to_article(row: Mapping[str, object], source: str, cfg: ReadConfig) -> Iterator[Item | Page]:
    """Validate one record; yields a Notice before the Article when a field was unusable,
    or a Page when the record carries raw HTML and no text."""
    col = _columns(cfg)
    raw_text = row.get(col("text"))
    if (kind := _not_a_string(raw_text)) is not None:
        yield Rejected(source, "text is not a string", f"got {kind}")
        return
    text = _text(raw_text)
    html = row.get(col("html"))
    if not text.strip() and html:
        # bytes are fine: a Parquet binary column holds a page as it was fetched.
        if (kind := _not_a_string(html, binary_ok=True)) is not None:
            yield Rejected(source, "text is not a string", f"got {kind} in {col('html')!r}")
            return
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
