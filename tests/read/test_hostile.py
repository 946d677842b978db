"""Hostile records: each is one reject with the reason, never the end of the read.

A lone surrogate in any field, control characters in names, JSON nested past
the parser's stack, a line or a gzip member expanding past ``--max-bytes``,
fields that are no text, times out of range, a page whose extraction never
ends: the records around it are read all the same.
"""

from __future__ import annotations

import gzip
import io
import json
import signal
import sys
import time
from pathlib import Path

import polars as pl
import pytest

import dedup.read.html as html
from dedup.config import ReadConfig
from dedup.model import Article, Rejected
from dedup.read import read_paths
from dedup.read.html import Page, extract_in_order
from dedup.read.jsonl import Oversized, bounded_lines
from dedup.read.records import MAX_FIELD_CHARS
from _pipes import Stdin

ARTICLE = (Path(__file__).parent.parent / "fixtures" / "html" / "riverpost-tram.html").read_bytes()
GOOD = [{"id": f"g{i}", "url": f"https://www.example.com/{i}", "text": f"Good article number {i}."} for i in range(3)]


def _file(tmp_path: Path, hostile: bytes, name: str = "in.jsonl") -> Path:
    """GOOD[0], the hostile line (line 2), then the other good records."""
    lines = [json.dumps(GOOD[0]).encode(), hostile, *(json.dumps(r).encode() for r in GOOD[1:])]
    path = tmp_path / name
    data = b"\n".join(lines) + b"\n"
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


def _read(paths: list[Path], cfg: ReadConfig | None = None) -> tuple[list[str], list[Rejected]]:
    items = list(read_paths([str(p) for p in paths], cfg or ReadConfig()))
    return [i.id for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Rejected)]


# Each line, as it stands in the file (JSON escapes as written), and the reject it must make.
HOSTILE = {
    "lone surrogate in text": (rb'{"id": "h", "text": "a \ud800 b"}', "invalid Unicode", "text holds a lone surrogate '\\ud800' at character 3"),
    "lone surrogate in id": (rb'{"id": "h\udfff", "text": "body"}', "invalid Unicode", "id holds a lone surrogate"),
    "lone surrogate in url": (rb'{"url": "https://x.com/\ud800", "text": "body"}', "invalid Unicode", "url holds"),
    "lone surrogate in outlet": (rb'{"id": "h", "outlet": "\ud800", "text": "body"}', "invalid Unicode", "outlet holds"),
    "lone surrogate in title": (rb'{"id": "h", "title": "\ud800", "text": "body"}', "invalid Unicode", "title holds"),
    "lone surrogate in time": (rb'{"id": "h", "published_at": "\ud800", "text": "body"}', "invalid Unicode", "published_at holds"),
    "escape sequence in id": (rb'{"id": "h\u001b[2J", "text": "body"}', "control character in id", "'h\\x1b[2J' (character 2)"),
    "NUL in id": (rb'{"id": "a\u0000b", "text": "body"}', "control character in id", "'a\\x00b'"),
    "newline in url": (rb'{"url": "https://x.com/a\nb", "text": "body"}', "control character in url", "'https://x.com/a\\nb' (character 16)"),
    "C1 control in outlet": (rb'{"id": "h", "outlet": "x\u009b.com", "text": "body"}', "control character in outlet", "'x\\x9b.com'"),
    "id is a list": (rb'{"id": ["a", "b"], "text": "body"}', "id is not a string", "got list in 'id'"),
    "title is an object": (rb'{"id": "h", "title": {"t": 1}, "text": "body"}', "title is not a string", "got dict"),
    "url is true": (rb'{"url": true, "text": "body"}', "url is not a string", "got bool"),
    "huge title": (b'{"id": "h", "title": "' + b"t" * (MAX_FIELD_CHARS + 1) + b'", "text": "body"}', "field too long", "title: 10,001 characters"),
    "nested 1,100 deep": (b'{"id": "h", "text": "body", "x": ' + b"[" * 1100 + b"]" * 1100 + b"}", "too deeply nested", "64 levels"),
    "nested 70 deep": (b'{"id": "h", "text": "body", "x": ' + b'{"a":' * 70 + b"1" + b"}" * 70 + b"}", "too deeply nested", "64 levels"),
    "an integer of 5,000 digits": (b'{"id": "h", "text": "body", "n": ' + b"9" * 5000 + b"}", "malformed JSON", "Exceeds the limit (4300 digits)"),
    "nested 70 deep, with a float": (b'{"id": "h", "text": "body", "n": 1.5, "x": ' + b"[" * 70 + b"]" * 70 + b"}", "too deeply nested", ""),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_record_is_one_reject_and_the_rest_is_read(tmp_path: Path, case: str) -> None:
    line, reason, detail = HOSTILE[case]
    ids, rejected = _read([_file(tmp_path, line)])
    assert ids == ["g0", "g1", "g2"]
    (r,) = rejected
    assert (r.source, r.reason) == (f"{tmp_path / 'in.jsonl'}:2", reason)
    assert detail in r.detail
    assert len(r.message()) < 400 and "\n" not in r.message()


def test_odd_but_usable_records_are_kept(tmp_path: Path) -> None:
    """Numbers as ids, control characters in a text or a title (NUL too), a
    nesting of a few levels, whitespace around names: kept as they are; a time
    beyond year 9999 in UTC is unknown (it was an OverflowError)."""
    lines = [
        b'{"id": 1234, "text": "tab\\there, NUL\\u0000 there"}',
        b'{"id": " spaced\\r\\n", "title": "two\\nlines", "text": "body", "meta": {"a": [{"b": [1, 2]}]}}',
        b'{"id": "late", "text": "body", "published_at": "9999-12-31T23:59:59-23:59"}',
    ]
    path = tmp_path / "ok.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    items = [i for i in read_paths([str(path)], ReadConfig()) if isinstance(i, Article)]
    assert [(a.id, a.title, a.text) for a in items] == [
        ("1234", "", "tab\there, NUL\x00 there"), ("spaced", "two\nlines", "body"), ("late", "", "body"),
    ]
    assert items[2].published_at is None and items[2].published_raw == "9999-12-31T23:59:59-23:59"


def test_every_reader_checks_its_articles(tmp_path: Path) -> None:
    """CSV rows, Parquet rows and pages (a row's html) go through the same checks as JSON lines."""
    csv = tmp_path / "in.csv"
    csv.write_text('id,text\ng0,body\n"a\x1bb",body\ng1,body\n', encoding="utf-8")
    parquet = tmp_path / "in.parquet"
    pl.DataFrame({"id": ["g2", "x\x07y"], "text": ["body", "body"]}).write_parquet(parquet)
    page = "<html><body><article><p>" + "Words of a real article here. " * 20 + "</p></article></body></html>"
    rows = tmp_path / "pages.jsonl"
    rows.write_text(json.dumps({"id": "p\ud800", "html": page}) + "\n", encoding="utf-8")
    ids, rejected = _read([csv, parquet, rows])
    assert ids == ["g0", "g1", "g2"]
    assert [(r.source, r.reason) for r in rejected] == [
        (f"{csv}:3", "control character in id"), (f"{parquet}:2", "control character in id"), (f"{rows}:1", "invalid Unicode"),
    ]


def test_a_text_over_max_bytes_is_rejected_from_a_table(tmp_path: Path) -> None:
    parquet = tmp_path / "in.parquet"
    pl.DataFrame({"id": ["a", "b", "c"], "text": ["short", "é" * 1500, "short"]}).write_parquet(parquet)
    ids, rejected = _read([parquet], ReadConfig(max_bytes=2048))
    assert ids == ["a", "c"]
    assert [(r.source, r.reason) for r in rejected] == [(f"{parquet}:2", "record too large")]
    assert "3,000 bytes (limit 2,048" in rejected[0].detail  # UTF-8 bytes, not characters


def test_a_page_with_a_url_that_does_not_parse_is_still_extracted(tmp_path: Path) -> None:
    """'http://[::1' as the row's url or the page's canonical link: urlsplit raises ValueError."""
    bad_link = ARTICLE.replace(b'<link rel="canonical" href="https://www.riverpost.com/', b'<link rel="canonical" href="http://[oops/', 1)
    assert bad_link != ARTICLE
    rows = tmp_path / "pages.jsonl"
    rows.write_text(
        json.dumps({"url": "http://[::1", "html": ARTICLE.decode()}) + "\n" + json.dumps({"html": bad_link.decode()}) + "\n",
        encoding="utf-8",
    )
    items = list(read_paths([str(rows)], ReadConfig()))
    assert [(type(i).__name__, getattr(i, "url", None)) for i in items] == [("Article", "http://[::1"), ("Article", "")]


def test_a_canonical_link_broken_over_lines_is_read_as_a_browser_reads_it() -> None:
    """Tabs and newlines inside a link in the markup are dropped (WHATWG URL), not a
    control character that would reject the page."""
    page = ARTICLE.replace(b'href="https://www.riverpost.com/local/', b'href="https://www.riverpost.com/\n\tlocal/', 1)
    (a,) = extract_in_order([Page("p.html", page)])
    assert a.url == "https://www.riverpost.com/local/2026/11/24/tram-fares-rise"  # type: ignore[union-attr]


# -- lines over --max-bytes ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["in.jsonl", "in.jsonl.gz"])
def test_a_line_over_max_bytes_is_one_reject_and_the_rest_is_read(tmp_path: Path, name: str) -> None:
    # A small gzip that expands to a line 100 times the limit (the real case: 1.5 MB → 1.5 GB).
    huge = b'{"id": "h", "text": "' + b"a" * 300_000 + b'"}'
    path = _file(tmp_path, huge, name)
    ids, rejected = _read([path], ReadConfig(max_bytes=3000))
    assert ids == ["g0", "g1", "g2"]
    (r,) = rejected
    assert (r.source, r.reason) == (f"{path}:2", "record too large")
    assert f"a line of {len(huge) + 1:,} bytes (limit 3,000, --max-bytes)" in r.detail


def test_a_line_over_max_bytes_on_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"\n".join([json.dumps(GOOD[0]).encode(), b'{"text": "' + b"a" * 10_000 + b'"}', json.dumps(GOOD[1]).encode()])
    monkeypatch.setattr(sys, "stdin", Stdin(gzip.compress(data)))
    items = list(read_paths(["-"], ReadConfig(max_bytes=2000)))
    assert [(type(i).__name__, getattr(i, "id", None) or i.source) for i in items] == [  # type: ignore[union-attr]
        ("Article", "g0"), ("Rejected", "<stdin>:2"), ("Article", "g1"),
    ]


def test_a_line_up_to_the_limit_is_read() -> None:
    line = b'{"text": "' + b"a" * 80 + b'"}'  # 92 bytes
    assert list(bounded_lines(io.BytesIO(line + b"\n" + line), 92)) == [line + b"\n", line]
    assert list(bounded_lines(io.BytesIO(line + b"\n" + line), 91)) == [Oversized(93), Oversized(92)]


class _Watched(io.BytesIO):
    """A stream that remembers the most it handed out in one read."""

    largest = 0

    def readline(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        line = super().readline(size)
        self.largest = max(self.largest, len(line))
        return line


def test_an_oversized_line_is_never_held_whole() -> None:
    stream = _Watched(b"a" * 5_000_000 + b"\nnext\n")
    assert list(bounded_lines(stream, 1000)) == [Oversized(5_000_001), b"next\n"]
    assert stream.largest <= 1 << 20  # read through in 1 MB chunks, never the 5 MB line


# -- page extraction time ------------------------------------------------------------------

def _spin(page: Page) -> list[object]:
    """A pathological page: extraction that runs on in Python (for at most a minute)."""
    end = time.monotonic() + 60
    while time.monotonic() < end:
        pass
    raise AssertionError("the time limit never stopped the extraction")


def _stuck_in_c(page: Page) -> list[object]:
    """An extraction the timer cannot reach, as if stuck inside a C library."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(60)
    raise AssertionError("the stuck worker was never killed")


def _slow_on(marker: bytes, slow):  # type: ignore[no-untyped-def]
    real = html._extract
    return lambda page: slow(page) if marker in page.html else real(page)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_page_that_takes_too_long_is_rejected(monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    monkeypatch.setattr(html, "_extract", _slow_on(b"<!-- slow -->", _spin))
    pages = [Page("a.html", ARTICLE, url="https://a.com/1"), Page("slow.html", b"<!-- slow -->" + ARTICLE, seconds=0.5),
             Page("b.html", ARTICLE, url="https://b.com/1")]
    out = list(extract_in_order(pages, workers=workers))
    assert [(type(i).__name__, i.source) for i in out] == [("Article", "a.html"), ("Rejected", "slow.html"), ("Article", "b.html")]
    assert (out[1].reason, out[1].detail) == ("extraction timed out", "extraction took longer than 0.5 s")  # type: ignore[union-attr]


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="needs pthread_sigmask")
def test_a_worker_stuck_past_its_timer_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html, "_extract", _slow_on(b"<!-- stuck -->", _stuck_in_c))
    monkeypatch.setattr(html, "_GRACE_SECONDS", 0.5)
    pages = [Page("stuck.html", b"<!-- stuck -->" + ARTICLE, seconds=0.2), *(Page(f"{i}.html", ARTICLE, url=f"https://a.com/{i}") for i in range(4))]
    out = list(extract_in_order(pages, workers=2))
    assert [(type(i).__name__, i.source) for i in out] == [("Rejected", "stuck.html")] + [("Article", f"{i}.html") for i in range(4)]
    assert out[0].reason == "extraction timed out"  # type: ignore[union-attr]
