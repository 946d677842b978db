"""WARC and ARC archives (plain or gzipped) → Pages, streamed record by record.

warcio reads one record at a time from the (possibly gzipped) stream, so an
archive of any size is read in memory bounded by the largest page
(``ReadConfig.max_bytes``). Only HTML responses are pages;
everything else a crawler stores is accounted for:

* ``warcinfo``, ``request`` and ``metadata`` records are not pages and are
  passed over (a WET file's ``conversion`` records are rejected: text
  without its page);
* ``revisit`` records say "same payload as an earlier capture": nothing new to
  read, passed over;
* a response that is not HTML (images, scripts, PDFs) or not a success (404,
  a redirect) is no page and is Skipped, with the reason: counted, not an error
  (a crawl holds many beside its pages); a page too large is Rejected.
* a damaged archive keeps what was read before the damage: a record cut
  short (in its header, its HTTP headers or its body, whatever its type) is a
  ``truncated record``, bytes that are not a record where one should start a
  ``corrupt archive``.

>>> import io
>>> from warcio.warcwriter import WARCWriter
>>> from warcio.statusandheaders import StatusAndHeaders
>>> buf = io.BytesIO()
>>> w = WARCWriter(buf, gzip=True)
>>> http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
>>> w.write_record(w.create_warc_record("https://example.com/a", "response", payload=io.BytesIO(b"<html>hi</html>"), http_headers=http))
>>> _ = buf.seek(0)
>>> [(p.url, p.html) for p in read_warc(buf, "crawl.warc.gz")]
[('https://example.com/a', b'<html>hi</html>')]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any, BinaryIO

from ..config import DEFAULT_MAX_BYTES, DEFAULT_PAGE_SECONDS
from ..model import Rejected, Skipped
from .gzipped import gzip_problem
from .html import Page
from .warcio_guard import DAMAGE, MAGIC, CutRecord, WholeGzip, archive_head, archive_iterator

_HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml+xhtml")


def _looks_like_html(head: bytes) -> bool:
    start = head[:1024].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<meta", b"<!--")) or b"<html" in start


class _WholeFileGzip(Exception):
    """The archive is one gzip stream, not one gzip member per record (non-standard)."""


def read_warc(
    stream: BinaryIO, name: str, tz: str = "UTC", *, max_bytes: int = DEFAULT_MAX_BYTES, seconds: float = DEFAULT_PAGE_SECONDS,
) -> Iterator[Page | Rejected | Skipped]:
    """Pages (and Rejected and Skipped records) of one WARC/ARC stream, in archive order.

    ``source`` of each is ``name@offset``: the byte offset of the record in the
    (compressed) file, which ``warcio extract`` and other tools accept. A stream
    gzipped as a whole (not per record) is read through :mod:`gzip`; offsets
    then count uncompressed bytes. A page over ``max_bytes`` is rejected
    unread; ``seconds`` is each page's extraction time limit.
    """
    proto = Page(source=name, html=b"", tz=tz, max_bytes=max_bytes, seconds=seconds)
    head = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
    done = [0]  # records yielded so far
    try:
        yield from _records(stream, name, proto, done)
    except _WholeFileGzip:
        if head != b"\x1f\x8b" or not hasattr(stream, "seek"):
            yield Rejected(name, "corrupt archive", "gzipped as a whole, not per record, and not seekable: gunzip it first")
            return
        # Start again on the decompressed stream and skip what was already yielded.
        stream.seek(0)
        plain = WholeGzip(stream)
        last: Page | Rejected | Skipped | None = None
        for i, item in enumerate(_records(plain, name, proto, [0])):
            last = item
            if i >= done[0]:
                yield item
        damage_told = isinstance(last, Rejected) and last.reason in ("truncated record", "corrupt archive")
        if plain.error is not None and not damage_told:
            yield Rejected(name, "corrupt gzip", gzip_problem(plain.error, started=True))


def _records(stream: BinaryIO | WholeGzip, name: str, proto: Page, done: list[int]) -> Iterator[Page | Rejected | Skipped]:
    from warcio.exceptions import ArchiveLoadFailed

    head = archive_head(stream)
    # (A file cut within its first bytes starts with a part of one of these.)
    if not any(head.startswith(magic) or magic.startswith(head) for magic in MAGIC):
        yield Rejected(name, "corrupt archive", f"not a WARC or ARC archive: starts with {head[:20]!r}")
        return
    records = archive_iterator(stream, head)
    try:
        for item in _items(records, name, proto):
            done[0] += 1
            yield item
    except CutRecord as exc:
        yield Rejected(f"{name}@{records.offset}", "truncated record", str(exc))
    except ArchiveLoadFailed as exc:
        if "beyond single record" in str(exc):
            raise _WholeFileGzip from exc
        yield Rejected(f"{name}@{records.offset}", "corrupt archive", f"{type(exc).__name__}: {exc}".strip()[:300])
    except DAMAGE as exc:
        # A truncated or corrupt archive: what was read so far stands; the rest
        # of this file cannot be resynchronised.
        yield Rejected(name, "corrupt archive", f"{type(exc).__name__}: {exc}"[:300])


def _items(records: Any, name: str, proto: Page) -> Iterator[Page | Rejected | Skipped]:
    errors = 0
    for record in records:
        item = _item(record, records, name, proto)
        if item is not None:
            yield item
        if records.err_count > errors:  # seen while reading to the end of this record
            errors = records.err_count
            yield Rejected(
                f"{name}@{records.get_record_offset()}", "corrupt archive",
                "what follows this record is not a record (a wrong Content-Length, or junk): skipped to the next line",
            )


def _cut(record: Any, url: str) -> str | None:
    """How the record was cut short, if it was; asked once it was read to its end."""
    if record.length is None:  # it runs to the end of the file
        return "the record header has no Content-Length: cut short, or no WARC header"
    if getattr(record.raw_stream, "limit", 0) > 0:  # its block ended before its declared length
        return f"{url or f'a {record.rec_type} record'}: the archive ends inside this record"
    return None


def _item(record: Any, records: Any, name: str, proto: Page) -> Page | Rejected | Skipped | None:
    """The page or reject one record makes; None for records that are no pages."""
    kind = record.rec_type
    if kind in ("response", "resource"):
        return _one(record, records, name, proto)
    # Asking for the offset reads the record to its end.
    source = f"{name}@{records.get_record_offset()}"
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    if (cut := _cut(record, url)) is not None:
        return Rejected(source, "truncated record", cut)
    if kind == "conversion":  # a WET file's extracted text: no HTML to read
        return Rejected(source, "not an HTML page", f"conversion record (WET text) of {url}")
    return None  # warcinfo, request, metadata, revisit ("same as an earlier capture"), continuation: not pages


def _one(record: Any, records: Any, name: str, proto: Page) -> Page | Rejected | Skipped:
    url = (record.rec_headers.get_header("WARC-Target-URI") or "").strip()
    # Read one byte past the limit to know that it was passed; the rest of an
    # oversized record is skipped by the iterator, never held.
    body = record.content_stream().read(proto.max_bytes + 1)
    # Only after the content: asking for the offset reads the record to its end.
    source = f"{name}@{records.get_record_offset()}"
    # First: a record cut in its HTTP headers has no status or type to judge by.
    if (cut := _cut(record, url)) is not None:
        return Rejected(source, "truncated record", cut)
    if record.rec_type == "response" and record.http_headers is not None:
        status = record.http_headers.get_statuscode() or ""
        ctype = record.http_headers.get_header("Content-Type") or ""
        if not status.startswith("2"):
            where = record.http_headers.get_header("Location")
            return Skipped(source, "HTTP status not OK", f"{status} for {url}" + (f" → {where}" if where else ""))
    else:
        ctype = record.rec_headers.get_header("Content-Type") or ""
    ctype = ctype.split(";")[0].strip().lower()
    if ctype and ctype not in _HTML_TYPES and not (ctype in ("text/plain", "application/octet-stream") and _looks_like_html(body)):
        return Skipped(source, "not an HTML page", f"{ctype} at {url}")
    if not ctype and not _looks_like_html(body):
        return Skipped(source, "not an HTML page", f"no content type, not HTML at {url}")
    if len(body) > proto.max_bytes:
        return Rejected(source, "page too large", f"over {proto.max_bytes:,} bytes at {url} (--max-bytes)")
    return replace(proto, source=source, html=body, url=url)
