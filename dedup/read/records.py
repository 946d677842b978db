"""One input record (a mapping) → Article, or Rejected with the reason.

A record without text but with an ``html`` field (a crawler's raw page)
becomes a :class:`~dedup.read.html.Page`, extracted later on the page pool;
its other fields (``id``, ``url``, ``title``, ``published_at``, ``outlet``)
win over what extraction finds.

Every Article, from whichever reader, passes :func:`check_article` before it
is kept: what the store cannot hold, or should not, is rejected here, one
record at a time, rather than failing the run when it is written.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache

from ..config import ReadConfig
from ..model import Article, Notice, Rejected, Skipped, TimePrecision, Unchanged
from ..outlets import CONTROL
from .html import Page
from .outlet import outlet_from_url
from .timeparse import parse_time

Item = Article | Rejected | Notice | Skipped | Unchanged

# An id, url, outlet, title or time longer than this is a column mixed up (the
# text mapped to the title), not a name.
MAX_FIELD_CHARS = 10_000
# The fields checked, by the name the user gives them (published_raw is what
# was read as published_at).
_FIELDS = (("url", "url"), ("id", "id"), ("outlet", "outlet"), ("title", "title"), ("published_raw", "published_at"))
# Control characters (outlets.CONTROL: C0, C1, DEL). In an id, url or outlet they are never
# meant (an id is matched exactly, a URL cannot hold them) and, printed, they
# move the cursor or hide text: such a record is rejected, not silently
# changed (stripped, two ids could become one). Leading and trailing ones (a
# CSV line's \r) are whitespace, stripped before. These are the names checked for them.
_NAMES = frozenset({"id", "url", "outlet"})


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


@lru_cache(maxsize=16)
def _columns(cfg: ReadConfig) -> Callable[[str], str]:
    mapping = {name: cfg.column(name) for name in ReadConfig.FIELDS}
    return mapping.__getitem__


def _page(row: Mapping[str, object], source: str, cfg: ReadConfig, col: Callable[[str], str]) -> Page | Rejected:
    html = row[col("html")]
    raw = html if isinstance(html, bytes) else _text(html).encode("utf-8", "surrogatepass")
    if len(raw) > cfg.max_bytes:
        return Rejected(source, "page too large", f"{len(raw):,} bytes (limit {cfg.max_bytes:,}, --max-bytes)")
    given = tuple(
        (name, value)
        for name in ("id", "title", "published_at", "outlet")
        if (value := _text(row.get(col(name))).strip())
    )
    return Page(
        source=source, html=raw, url=_text(row.get(col("url"))).strip(), given=given, tz=cfg.tz,
        max_bytes=cfg.max_bytes, seconds=cfg.page_seconds,
    )


def _cut(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _shown(value: str) -> str:
    """``value`` cut short, its control characters written as escapes: fit for one message line."""
    return "'" + CONTROL.sub(lambda m: ascii(m.group())[1:-1], _cut(value)) + "'"


def check_article(a: Article, cfg: ReadConfig) -> Rejected | None:
    """Why ``a`` cannot be stored as it is, or None.

    Every field must be valid Unicode: a JSON escape ``"\\ud800"`` (half of a
    surrogate pair) decodes to a string that is no UTF-8, which SQLite refuses.
    An id, url or outlet holds no control character; no name is longer than
    :data:`MAX_FIELD_CHARS`; the text is at most ``cfg.max_bytes`` in UTF-8.

    >>> cfg = ReadConfig()
    >>> check_article(Article(id="a\\x1b[2J", url="", outlet="x", title="", text="t", source="f:3"), cfg).message()
    "f:3: control character in id: 'a\\\\x1b[2J' (character 2)"
    >>> check_article(Article(id="a", url="", outlet="x", title="", text="a \\ud800 b", source="f:4"), cfg).message()
    "f:4: invalid Unicode: text holds a lone surrogate '\\\\ud800' at character 3 (half of a UTF-16 pair, no character)"
    """
    for attr, name in _FIELDS:
        value = getattr(a, attr) or ""
        if len(value) > MAX_FIELD_CHARS:
            return Rejected(a.source, "field too long", f"{cfg.column(name)}: {len(value):,} characters (limit {MAX_FIELD_CHARS:,})")
        if (bad := _not_unicode(value)) is not None:
            return Rejected(a.source, "invalid Unicode", f"{cfg.column(name)} holds {bad}")
        if attr in _NAMES and (m := CONTROL.search(value)) is not None:
            return Rejected(a.source, "control character in " + cfg.column(name), f"{_shown(value)} (character {m.start() + 1})")
    if (bad := _not_unicode(a.text)) is not None:
        return Rejected(a.source, "invalid Unicode", f"{cfg.column('text')} holds {bad}")
    # ASCII (the common case) is one byte a character, known without encoding.
    size = len(a.text) if a.text.isascii() else len(a.text.encode("utf-8"))
    if size > cfg.max_bytes:
        return Rejected(a.source, "record too large", f"{cfg.column('text')}: {size:,} bytes (limit {cfg.max_bytes:,}, --max-bytes)")
    return None


def _not_unicode(value: str) -> str | None:
    """What makes ``value`` no valid Unicode (a lone surrogate), or None."""
    if value.isascii():
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"a lone surrogate {ascii(value[exc.start])} at character {exc.start + 1} (half of a UTF-16 pair, no character)"
    return None


def _not_a_name(value: object) -> str | None:
    """The type of an id, url, outlet or title value that is neither text nor a
    number (None when it is, or is absent): a list or a mapping made into a
    string is no name."""
    if value is None or isinstance(value, str) or (isinstance(value, numbers.Number) and not isinstance(value, bool)):
        return None
    return type(value).__name__


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
    or a Page when the record carries raw HTML and no text.

    Whatever goes wrong with one record is a Rejected for it, never an
    exception that would stop the run."""
    try:
        items = list(_to_article(row, source, cfg))
    except Exception as exc:  # noqa: BLE001 -- one record never stops the run
        items = [Rejected(source, "unreadable record", " ".join(f"{type(exc).__name__}: {exc}".split())[:300])]
    yield from items


def _to_article(row: Mapping[str, object], source: str, cfg: ReadConfig) -> Iterator[Item | Page]:
    col = _columns(cfg)
    for name in ("id", "url", "outlet", "title"):
        if (kind := _not_a_name(row.get(col(name)))) is not None:
            yield Rejected(source, f"{name} is not a string", f"got {kind} in {col(name)!r}")
            return
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
    # A given name keeps its case ("APP"); outlets are compared case-insensitively (dedup.outlets).
    outlet = _text(row.get(col("outlet"))).strip() or outlet_from_url(url)
    raw_time = row.get(col("published_at"))
    published, precision = parse_time(raw_time, cfg.tz)
    if precision is TimePrecision.UNKNOWN and raw_time not in (None, ""):
        yield Notice(source, "unparseable time", f"{_cut(repr(raw_time))} stored as unknown")
    yield Article(
        id=ident,
        url=url,
        outlet=outlet,  # "" when unknown: read_paths gives it --outlet or one of its own
        title=_text(row.get(col("title"))).strip(),
        text=text,
        published_at=published,
        time_precision=precision,
        published_raw=None if raw_time is None else str(raw_time),
        source=source,
    )
