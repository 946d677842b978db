"""WARC and ARC archives, built in the tests with warcio from the fixture pages
(and, when ../shared/data is present, from real newshtml pages)."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dedup.cli import cli
from dedup.config import Config, ReadConfig
from dedup.model import Article, Rejected, Skipped
from dedup.pipeline import index_corpus
from dedup.read import detect_format, read_paths
from dedup.read.html import Page
from dedup.read.warc import read_warc
from _pipes import Pipe, Stdin

HTML = Path(__file__).parent.parent / "fixtures" / "html"
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "newshtml"


def _split(items):  # type: ignore[no-untyped-def]
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Rejected)]


def write_warc(path: Path, pages: list[tuple[str, bytes]], *, gz: bool = True, extras: bool = True) -> Path:
    """A crawl as a crawler writes it: warcinfo, then request + response per page;
    with ``extras`` also an image, a 404, a redirect and a revisit record."""
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=gz)
        w.write_record(w.create_warcinfo_record(path.name, {"software": "dedup tests"}))
        for uri, html in pages:
            req = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example")], is_http_request=True)
            w.write_record(w.create_warc_record(uri, "request", http_headers=req))
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(uri, "response", payload=io.BytesIO(html), http_headers=http))
        if extras:
            img = StatusAndHeaders("200 OK", [("Content-Type", "image/jpeg")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record("https://www.riverpost.com/img/tram.jpg", "response", payload=io.BytesIO(b"\xff\xd8\xff" + b"\0" * 500), http_headers=img))
            gone = StatusAndHeaders("404 Not Found", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record("https://www.riverpost.com/gone", "response", payload=io.BytesIO(b"<html>Not found</html>"), http_headers=gone))
            moved = StatusAndHeaders("301 Moved Permanently", [("Location", "https://www.riverpost.com/")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record("http://riverpost.com/", "response", payload=io.BytesIO(b""), http_headers=moved))
            revisit = w.create_revisit_record(pages[0][0], digest="sha1:AAAA", refers_to_uri=pages[0][0], refers_to_date="2026-11-24T00:00:00Z")
            w.write_record(revisit)
    return path


def _fixture_pages() -> list[tuple[str, bytes]]:
    """(uri, html) of every fixture page; the uri is the page's canonical link where it has one."""
    out = []
    for f in sorted(HTML.glob("*.html")):
        raw = f.read_bytes()
        arts, _ = _split(list(read_paths([str(f)], ReadConfig())))
        out.append((arts[0].url if arts and arts[0].url else f"https://pages.example.org/{f.stem}", raw))
    return out


def _comparable(a: Article) -> tuple[object, ...]:
    return (a.title, a.text, a.published_at, a.time_precision, a.published_raw, a.language, a.digest)


def test_warc_reads_like_the_directory_of_pages(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "crawl.warc.gz", _fixture_pages())
    assert detect_format(warc) == "warc"
    arts, rej = _split(list(read_paths([str(warc)], ReadConfig(), workers=2)))
    dir_arts, dir_rej = _split(list(read_paths([str(HTML)], ReadConfig())))
    assert sorted(map(_comparable, arts)) == sorted(map(_comparable, dir_arts))  # type: ignore[type-var]
    by_url = {a.url: a for a in arts}
    assert by_url["https://pages.example.org/kabarkota-banjir"].outlet == "example.org"  # the record's URI
    assert all(r.source.startswith(f"{warc}@") for r in rej)
    assert sorted(r.reason for r in rej) == sorted(r.reason for r in dir_rej)
    # the crawl's image and redirects are no pages: skipped, counted, not rejected
    skipped = [i for i in read_paths([str(warc)], ReadConfig()) if isinstance(i, Skipped)]
    assert sorted(i.reason for i in skipped) == ["HTTP status not OK", "HTTP status not OK", "not an HTML page"]
    # the revisit record ("same as an earlier capture") and the requests are not even that
    assert len(arts) + len(rej) + len(skipped) == 7 + 3


def test_plain_warc_and_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warc = write_warc(tmp_path / "crawl.warc", _fixture_pages()[:3], gz=False, extras=False)
    arts, rej = _split(list(read_paths([str(warc)], ReadConfig())))
    assert len(arts) + len(rej) == 3
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(warc.read_bytes())))
    arts2, _ = _split(list(read_paths(["-"], ReadConfig(fmt="warc"))))
    assert [a.id for a in arts2] == [a.id for a in arts]
    assert arts2[0].source.startswith("<stdin>@")


def test_arc_file(tmp_path: Path) -> None:
    html = (HTML / "riverpost-tram.html").read_bytes()
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + html
    filedesc_body = b"1 0 Dedup tests\nURL IP-address Archive-date Content-type Archive-length\n"
    header = f"filedesc://test.arc 0.0.0.0 20261124000000 text/plain {len(filedesc_body)}\n".encode()
    record = f"https://www.riverpost.com/arc/1 10.0.0.1 20261124080000 text/html {len(http)}\n".encode()
    path = tmp_path / "old-crawl.arc.gz"
    # one gzip member per record, as ARC and WARC files are written
    path.write_bytes(gzip.compress(header + filedesc_body + b"\n") + gzip.compress(record + http + b"\n"))
    assert detect_format(path) == "warc"
    (art,) = list(read_paths([str(path)], ReadConfig()))
    assert isinstance(art, Article) and art.url == "https://www.riverpost.com/arc/1"
    assert art.title == "Tram fares to rise by ten percent in January"


def test_truncated_archive_keeps_what_was_read(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "crawl.warc.gz", _fixture_pages(), extras=False)
    data = warc.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: int(len(data) * 0.8)])
    items = list(read_paths([str(cut)], ReadConfig()))
    arts, rej = _split(items)
    assert rej[-1].reason in ("truncated record", "corrupt archive")
    assert 2 <= len(arts) < 4  # the records before the cut, each complete


def test_archive_gzipped_as_a_whole_is_still_read(tmp_path: Path) -> None:
    plain = write_warc(tmp_path / "crawl.warc", _fixture_pages(), gz=False)
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(plain.read_bytes()))
    got = [(type(i).__name__, getattr(i, "id", getattr(i, "reason", ""))) for i in read_paths([str(whole)], ReadConfig())]
    want = [(type(i).__name__, getattr(i, "id", getattr(i, "reason", ""))) for i in read_paths([str(plain)], ReadConfig())]
    assert got == want


def test_oversized_record_is_skipped_not_held(tmp_path: Path) -> None:
    pages = _fixture_pages()
    warc = write_warc(tmp_path / "crawl.warc.gz", pages, extras=False)
    with warc.open("rb") as fh:
        out = list(read_warc(fh, "crawl", max_bytes=2000))
    assert len(out) == len(pages)
    for (_, html), o in zip(pages, out, strict=True):
        assert isinstance(o, Rejected if len(html) > 2000 else Page)
        assert not isinstance(o, Rejected) or o.reason == "page too large"


def test_index_a_warc_and_the_cli(tmp_path: Path, cfg: Config) -> None:
    warc = write_warc(tmp_path / "crawl.warc.gz", _fixture_pages())
    summary = index_corpus([str(warc)], cfg)
    assert (summary.read, summary.added, summary.stories_new) == (4, 4, 1)
    again = index_corpus([str(warc)], cfg)
    assert (again.added, again.unchanged) == (0, 4)
    assert dict(summary.skipped) == {"HTTP status not OK": 2, "not an HTML page": 1}
    assert not {r.reason for r in summary.rejected} & {"HTTP status not OK", "not an HTML page"}
    # --strict: a crawl's images and redirects are not errors (its pages that are no articles are)
    articles = [(u, h) for u, h in _fixture_pages() if u.startswith("https://www.")][:2]
    clean = write_warc(tmp_path / "clean.warc.gz", articles)
    res = CliRunner().invoke(cli, ["index", "--strict", "--store", str(tmp_path / "s2"), "--format", "warc", str(clean)])
    assert res.exit_code == 0, res.output
    assert "read 2 articles: 2 added" in res.output and "0 rejected" in res.output
    assert "skipped:  2 × HTTP status not OK" in res.output and "skipped:  1 × not an HTML page" in res.output
    assert "image/jpeg" not in res.output  # counted, not listed one by one


# -- real pages (evaluation data in ../shared/data, absent in some checkouts) ----------

needs_newshtml = pytest.mark.skipif(not (DATA / "truth.jsonl").exists(), reason=f"newshtml evaluation data not found at {DATA}")

# Pages with a canonical link, so that a WARC record can carry the same URL;
# they include both near-duplicate pairs and two same-event groups.
WARC_SUBSET = (
    "bbaw-074-reuters.com", "bbaw-075-reuters.com", "bbaw-001-24horas.cl", "bbaw-031-cooperativa.cl",
    "aeb-045-express.co.uk", "aeb-084-nypost.com", "aeb-125-thesun.co.uk",
    "aeb-017-businessinsider.com", "aeb-115-techcrunch.com", "aeb-132-venturebeat.com",
    "bbaw-016-bbc.com", "mc-059-tass.ru",
)


def _stories(store: Path) -> set[frozenset[str]]:
    con = sqlite3.connect(store / "dedup.sqlite")
    groups: dict[str, set[str]] = {}
    for ident, story in con.execute("SELECT a.id, m.story_id FROM articles a JOIN memberships m ON m.doc = a.doc WHERE m.story_id IS NOT NULL"):
        groups.setdefault(story, set()).add(ident)
    con.close()
    return {frozenset(g) for g in groups.values() if len(g) > 1}


def _articles(store: Path) -> set[tuple[object, ...]]:
    con = sqlite3.connect(store / "dedup.sqlite")
    rows = set(con.execute("SELECT id, url, outlet, title, text, published_at, time_precision, published_raw, record_hash FROM articles"))
    con.close()
    return rows


@needs_newshtml
def test_newshtml_warc_indexes_to_the_same_result_as_the_directory(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for name in WARC_SUBSET:
        shutil.copy(DATA / "pages" / f"{name}.html", pages / f"{name}.html")
    dir_store, warc_store = tmp_path / "dir-store", tmp_path / "warc-store"
    first = index_corpus([str(pages)], Config(store=dir_store, progress=False, workers=2))
    assert first.rejected == () and first.read == len(WARC_SUBSET)
    urls = [a.url for a in read_paths([str(pages)], ReadConfig()) if isinstance(a, Article)]
    assert all(urls) and len(urls) == len(WARC_SUBSET)
    warc = write_warc(tmp_path / "newshtml.warc.gz", [(u, (pages / f"{n}.html").read_bytes()) for u, n in zip(urls, sorted(WARC_SUBSET), strict=True)])
    second = index_corpus([str(warc)], Config(store=warc_store, progress=False, workers=2))
    assert second.read == first.read and second.stories_new == first.stories_new
    assert _articles(warc_store) == _articles(dir_store)
    stories = _stories(warc_store)
    assert stories == _stories(dir_store)
    # and what they found is right: the two pairs, nothing else
    reuters = {u for u in _ids(warc_store) if "reuters.com" in u}
    chile = {u for u in _ids(warc_store) if "24horas.cl" in u or "cooperativa.cl" in u}
    assert stories == {frozenset(reuters), frozenset(chile)}


def _ids(store: Path) -> list[str]:
    con = sqlite3.connect(store / "dedup.sqlite")
    ids = [r[0] for r in con.execute("SELECT id FROM articles")]
    con.close()
    return ids


def test_newshtml_truth_file_shape() -> None:
    # Guards the skip above: when the data is there, it is what the tests expect.
    if not (DATA / "truth.jsonl").exists():
        pytest.skip(f"newshtml evaluation data not found at {DATA}")
    rows = [json.loads(line) for line in (DATA / "truth.jsonl").open(encoding="utf-8")]
    ids = {r["id"] for r in rows}
    assert set(WARC_SUBSET) <= ids


# -- damaged archives: what was read before the damage stands, the damage is one record ----


def _boundaries(data: bytes) -> list[tuple[int, int, str]]:
    """(start, end, type) of each record of a plain archive, the blank lines after it excluded."""
    from warcio.archiveiterator import ArchiveIterator

    records = ArchiveIterator(io.BytesIO(data))
    out = []
    for record in records:
        kind = record.rec_type
        start, length = records.get_record_offset(), records.get_record_length()
        out.append((start, start + length, kind))
    return out


def test_a_plain_warc_cut_anywhere_is_reported(tmp_path: Path) -> None:
    data = write_warc(tmp_path / "crawl.warc", _fixture_pages()[:3], gz=False, extras=False).read_bytes()
    records = _boundaries(data)
    for cut in range(len(b"WARC/"), len(data), 5):  # (a file of four bytes or fewer is no WARC file at all)
        out = list(read_warc(io.BufferedReader(io.BytesIO(data[:cut])), "x"))
        damage = [o for o in out if isinstance(o, Rejected) and o.reason in ("truncated record", "corrupt archive")]
        whole = [r for r in records if r[1] <= cut]
        cut_inside = len(whole) < len(records) and cut > records[len(whole)][0]
        assert len(out) - len(damage) == sum(kind == "response" for *_, kind in whole), cut
        assert len(damage) == (1 if cut_inside else 0), (cut, out)
        assert not damage or out[-1] is damage[0]


def test_a_truncated_warc_gz_keeps_the_records_before_the_cut(tmp_path: Path) -> None:
    data = write_warc(tmp_path / "crawl.warc.gz", _fixture_pages(), extras=False).read_bytes()
    for size in (3000, 200, len(data) // 2):
        cut = tmp_path / f"cut-{size}.warc.gz"
        cut.write_bytes(data[:size])
        out = list(read_warc(io.BufferedReader(io.BytesIO(cut.read_bytes())), "x"))
        assert out and isinstance(out[-1], Rejected) and out[-1].reason == "truncated record", size
        assert all(isinstance(o, Page) for o in out[:-1])


def _warcinfo(tmp_path: Path) -> bytes:
    return write_warc(tmp_path / "info.warc", [], gz=False, extras=False).read_bytes()


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        (b"junk junk junk junk\n" * 20, "corrupt archive"),  # was read as twenty ARC records
        (b"junk junk junk junk", "corrupt archive"),  # was passed over without a word
    ],
    ids=["junk-lines", "one-junk-line"],
)
def test_junk_after_a_record_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str], tail: bytes, reason: str) -> None:
    path = tmp_path / "junk.warc"
    path.write_bytes(_warcinfo(tmp_path) + tail)
    items = list(read_paths([str(path)], ReadConfig()))
    assert [(type(i).__name__, getattr(i, "reason", "")) for i in items] == [("Rejected", reason)]
    assert items[0].source.startswith(f"{path}@")
    assert capsys.readouterr().err == ""  # no warning of warcio's own


def test_a_wrong_content_length_is_reported_and_reading_goes_on(tmp_path: Path) -> None:
    info = _warcinfo(tmp_path)
    plain = write_warc(tmp_path / "crawl.warc", _fixture_pages()[:2], gz=False, extras=False).read_bytes()
    path = tmp_path / "off.warc"
    path.write_bytes(info.replace(b"Content-Length: 23", b"Content-Length: 19") + plain)
    out = list(read_warc(io.BufferedReader(io.BytesIO(path.read_bytes())), "x"))
    assert [(type(o).__name__, getattr(o, "reason", "")) for o in out] == [("Rejected", "corrupt archive"), ("Page", ""), ("Page", "")]
    assert out[0].source == "x@0"


@pytest.mark.parametrize(
    "data",
    [b"WARC/1.0\r\nWARC-Type: response\r\n\r\n" + b"junk junk\n" * 20, b"WARC/1.0\r\n" + b"junk junk\n" * 20],
    ids=["no-target-uri", "no-header-fields"],
)
def test_a_warc_header_then_junk_is_reported(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bad.warc"
    path.write_bytes(data)
    (rej,) = list(read_paths([str(path)], ReadConfig()))
    assert isinstance(rej, Rejected) and rej.reason == "truncated record" and rej.source == f"{path}@0"
    assert "record header" in rej.detail or "record's header" in rej.detail


@pytest.mark.parametrize(
    ("marker", "into"),
    [
        (b"WARC-Target-URI: https", len(b"WARC-Target-URI: ht")),  # was "not an HTML page: no content type"
        (b"Content-Length:", 0),  # was passed over without a word
        (b"Content-Length:", len(b"Content-Length: 1")),  # a length cut short: was passed over
        (b"HTTP/1.1 200", len(b"HTTP/1")),  # was "HTTP status not OK"
        (b"Content-Type: text/html", 0),
    ],
    ids=["target-uri", "before-length", "in-length", "http-status", "http-headers"],
)
def test_a_plain_warc_cut_in_a_header_is_a_truncated_record(tmp_path: Path, marker: bytes, into: int) -> None:
    data = write_warc(tmp_path / "crawl.warc", _fixture_pages()[:1], gz=False, extras=False).read_bytes()
    at = data.index(marker, data.index(b"WARC-Type: response")) + into
    out = list(read_warc(io.BufferedReader(io.BytesIO(data[:at])), "x"))
    assert [(type(o).__name__, getattr(o, "reason", "")) for o in out] == [("Rejected", "truncated record")]


def test_a_file_that_is_no_archive_is_one_rejected(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(b"this is not gzip, nor a WARC file\n" * 10)
    items = list(read_paths([str(path)], ReadConfig()))
    assert [(i.source, getattr(i, "reason", "")) for i in items] == [(str(path), "corrupt archive")]
    assert "not a WARC or ARC archive" in items[0].detail  # type: ignore[union-attr]


def test_an_archive_gzipped_as_a_whole_and_cut_keeps_what_was_read(tmp_path: Path) -> None:
    whole = gzip.compress(write_warc(tmp_path / "crawl.warc", _fixture_pages(), gz=False).read_bytes())
    full = list(read_warc(io.BufferedReader(io.BytesIO(whole)), "x"))
    *kept, last = read_warc(io.BufferedReader(io.BytesIO(whole[: len(whole) // 2])), "x")
    assert len(kept) >= 2 and kept == full[: len(kept)]  # was nothing at all
    assert isinstance(last, Rejected) and last.reason == "truncated record"
    *_, tail = read_warc(io.BufferedReader(io.BytesIO(whole + b"junk")), "x")
    assert tail == Rejected("x", "corrupt gzip", "data after the end of the gzip stream is not gzip")


# -- gzipped archives on standard input (a pipe: no seek, no tell) -----------------



def _kinds(items) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(type(i).__name__, getattr(i, "id", getattr(i, "reason", ""))) for i in items]


def test_archive_gzipped_per_record_on_a_pipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warc = write_warc(tmp_path / "crawl.warc.gz", _fixture_pages())
    from_file = list(read_paths([str(warc)], ReadConfig()))
    monkeypatch.setattr(sys, "stdin", Stdin(warc.read_bytes()))
    from_pipe = list(read_paths(["-"], ReadConfig(fmt="warc")))
    assert _kinds(from_pipe) == _kinds(from_file)
    # offsets in the compressed stream, as for the file
    assert [i.source.replace("<stdin>", str(warc)) for i in from_pipe] == [i.source for i in from_file]


def test_archive_gzipped_as_a_whole_on_a_pipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = write_warc(tmp_path / "crawl.warc", _fixture_pages(), gz=False)
    monkeypatch.setattr(sys, "stdin", Stdin(gzip.compress(plain.read_bytes())))
    got = list(read_paths(["-"], ReadConfig(fmt="warc")))
    assert _kinds(got) == _kinds(read_paths([str(plain)], ReadConfig()))


def test_archive_gzipped_as_a_whole_cut_on_a_pipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = write_warc(tmp_path / "crawl.warc", _fixture_pages(), gz=False, extras=False)
    whole = gzip.compress(plain.read_bytes())
    monkeypatch.setattr(sys, "stdin", Stdin(whole[: int(len(whole) * 0.8)]))
    items = list(read_paths(["-"], ReadConfig(fmt="warc")))
    arts, rej = _split(items)
    assert arts and rej[-1].reason in ("truncated record", "corrupt archive", "corrupt gzip")


def test_archive_gzipped_as_a_whole_too_far_in_to_start_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past what is kept of the pipe, one clear reject, not a crash ("not seekable")."""
    plain = write_warc(tmp_path / "crawl.warc", _fixture_pages(), gz=False)
    monkeypatch.setattr("dedup.read._stdin_rewind_bytes", lambda cfg: 100)
    monkeypatch.setattr(sys, "stdin", Stdin(gzip.compress(plain.read_bytes())))
    (rej,) = [i for i in read_paths(["-"], ReadConfig(fmt="warc")) if isinstance(i, Rejected)][-1:]
    assert (rej.source, rej.reason) == ("<stdin>", "corrupt archive") and "gunzip it first" in rej.detail


def test_archive_gzipped_as_a_whole_piped_to_a_process(tmp_path: Path) -> None:
    import subprocess

    plain = write_warc(tmp_path / "crawl.warc", _fixture_pages(), gz=False)
    want = [a.id for a in read_paths([str(plain)], ReadConfig()) if isinstance(a, Article)]
    script = (
        "from dedup.config import ReadConfig\n"
        "from dedup.model import Article\n"
        "from dedup.read import read_paths\n"
        "print([a.id for a in read_paths(['-'], ReadConfig(fmt='warc')) if isinstance(a, Article)])\n"
    )
    res = subprocess.run([sys.executable, "-c", script], input=gzip.compress(plain.read_bytes()), capture_output=True)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    assert res.stdout.decode().strip() == repr(want)
