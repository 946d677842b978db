from __future__ import annotations

import gzip
import io
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from dedup.config import ReadConfig
from dedup.errors import ConfigError, InputError
from dedup.model import Article, Notice, Rejected, TimePrecision
from dedup.read import detect_format, read_paths
from dedup.read.jsonl import read_jsonl
from _pipes import Pipe, Stdin

FIXTURE = Path(__file__).parent.parent / "fixtures" / "read" / "articles.jsonl"


def _split(items):  # type: ignore[no-untyped-def]
    arts = [i for i in items if isinstance(i, Article)]
    rej = [i for i in items if isinstance(i, Rejected)]
    notes = [i for i in items if isinstance(i, Notice)]
    return arts, rej, notes


def _line(obj: object) -> bytes:
    return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")


def test_good_rows_from_fixture() -> None:
    arts, rej, notes = _split(list(read_paths([str(FIXTURE)], ReadConfig())))
    assert rej == [] and notes == []
    assert [a.id for a in arts] == ["kompas-0001", "korannews-0007", "bbc-0003"]
    a, b, c = arts
    assert a.outlet == "kompas.com"
    assert a.published_at == datetime(2026, 11, 24, 2, 15, tzinfo=timezone.utc)
    assert a.time_precision is TimePrecision.EXACT
    assert a.published_raw == "2026-11-24T09:15:00+07:00"
    assert a.title == "Harga cabai rawit melonjak"
    assert a.text.startswith("JAKARTA, KOMPAS.com - Harga cabai")
    assert a.source == f"{FIXTURE}:1"
    # outlet derived from the url when absent
    assert b.outlet == "korannews.com"
    assert c.outlet == "bbc.co.uk"
    assert b.time_precision is TimePrecision.NAIVE
    assert c.time_precision is TimePrecision.DATE
    assert c.source == f"{FIXTURE}:3"


def test_bad_lines_are_rejected_with_source_and_reason(tmp_path: Path) -> None:
    good = {"id": "a1", "url": "https://www.korannews.com/a1", "title": "T", "text": "Warga mengungsi ke balai desa."}
    lines = [
        _line(good),                                                  # 1 ok
        b'{"id": "a2", "text": "unterminated\n',                      # 2 malformed JSON
        b'{"id": "a3", "text": "\xff\xfe rusak"}\n',                  # 3 undecodable bytes
        _line({"id": "a4", "url": "https://x.com/a4", "body": "no text field"}),  # 4 missing field
        _line({"id": "a5", "text": "   "}),                          # 5 empty text
        _line(["not", "an", "object"]),                               # 6 non-object JSON
        b"\n",                                                        # 7 blank: skipped silently
        _line({"text": "no id and no url"}),                          # 8 missing id
        _line({**good, "id": "a9"}),                                  # 9 ok
    ]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"".join(lines))
    arts, rej, notes = _split(list(read_paths([str(path)], ReadConfig())))
    assert [a.id for a in arts] == ["a1", "a9"]
    assert notes == []
    got = [(r.source, r.reason) for r in rej]
    assert got == [
        (f"{path}:2", "malformed JSON"),
        (f"{path}:3", "undecodable bytes"),
        (f"{path}:4", "missing field"),
        (f"{path}:5", "empty text"),
        (f"{path}:6", "malformed JSON"),
        (f"{path}:8", "missing id"),
    ]
    by_line = {r.source.rsplit(":", 1)[1]: r for r in rej}
    assert "'text'" in by_line["4"].detail and "body" in by_line["4"].detail
    assert "expected an object" in by_line["6"].detail
    assert by_line["2"].message().startswith(f"{path}:2: malformed JSON: ")


def test_duplicate_id_across_two_files(tmp_path: Path) -> None:
    one = tmp_path / "one.jsonl"
    two = tmp_path / "two.jsonl"
    one.write_bytes(_line({"id": "x1", "text": "Satu."}) + _line({"id": "x2", "text": "Dua."}))
    two.write_bytes(_line({"id": "x3", "text": "Tiga."}) + _line({"id": "x1", "text": "Satu lagi."}))
    arts, rej, _ = _split(list(read_paths([str(one), str(two)], ReadConfig())))
    assert [a.id for a in arts] == ["x1", "x2", "x3"]
    assert len(rej) == 1
    assert rej[0].source == f"{two}:2"
    assert rej[0].reason == "duplicate id"
    assert f"{one}:1" in rej[0].detail


def test_a_rejected_duplicate_brings_no_warning(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(
        _line({"id": "x1", "text": "Satu.", "published_at": "kemarin"})
        + _line({"id": "x1", "text": "Satu lagi.", "published_at": "kemarin sore"})
        + _line({"id": "x2", "text": "Dua.", "published_at": "tadi pagi"})
    )
    items = list(read_paths([str(path)], ReadConfig()))
    # the kept records' notices, each just before its article; none for the duplicate
    assert [(type(i).__name__, i.source) for i in items] == [
        ("Notice", f"{path}:1"), ("Article", f"{path}:1"), ("Rejected", f"{path}:2"),
        ("Notice", f"{path}:3"), ("Article", f"{path}:3"),
    ]


def test_unparseable_time_gives_notice_and_unknown_article(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(_line({"id": "t1", "text": "Isi berita.", "published_at": "kemarin sore"}))
    items = list(read_paths([str(path)], ReadConfig()))
    assert len(items) == 2
    notice, art = items
    assert isinstance(notice, Notice)
    assert notice.source == f"{path}:1"
    assert notice.reason == "unparseable time"
    assert "kemarin sore" in notice.detail
    assert isinstance(art, Article)
    assert art.published_at is None
    assert art.time_precision is TimePrecision.UNKNOWN
    assert art.published_raw == "kemarin sore"


def test_missing_time_is_unknown_without_notice(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(_line({"id": "t1", "text": "Isi."}) + _line({"id": "t2", "text": "Isi.", "published_at": None}))
    arts, rej, notes = _split(list(read_paths([str(path)], ReadConfig())))
    assert notes == [] and rej == []
    assert all(a.time_precision is TimePrecision.UNKNOWN and a.published_at is None for a in arts)


def test_naive_time_uses_tz_and_bare_date_is_date(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(
        _line({"id": "n1", "text": "Isi.", "published_at": "2026-11-24 09:15"})
        + _line({"id": "d1", "text": "Isi.", "published_at": "2026-11-24"})
    )
    arts, _, _ = _split(list(read_paths([str(path)], ReadConfig(tz="Asia/Jakarta"))))
    naive, day = arts
    assert naive.time_precision is TimePrecision.NAIVE
    assert naive.published_at == datetime(2026, 11, 24, 2, 15, tzinfo=timezone.utc)
    assert day.time_precision is TimePrecision.DATE
    assert day.published_at == datetime(2026, 11, 23, 17, 0, tzinfo=timezone.utc)


def test_id_falls_back_to_url_and_field_map(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_bytes(_line({"link": "https://www.tempo.co/read/1", "isi": "Isi berita.", "judul": "Judul"}))
    cfg = ReadConfig(field_map=(("url", "link"), ("text", "isi"), ("title", "judul")))
    (art,) = list(read_paths([str(path)], cfg))
    assert isinstance(art, Article)
    assert art.id == "https://www.tempo.co/read/1"
    assert art.outlet == "tempo.co"
    assert art.title == "Judul"
    assert art.text == "Isi berita."


def test_non_string_values_are_coerced(tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    path.write_bytes(_line({"id": 42, "text": "Isi.", "outlet": "Kompas.com"}))
    (art,) = list(read_paths([str(path)], ReadConfig()))
    assert isinstance(art, Article)
    assert art.id == "42"
    assert art.outlet == "Kompas.com"  # as given (#12 item 4)
    assert art.url == ""


def test_gzipped_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "night.jsonl.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(_line({"id": "g1", "text": "Satu."}) + b"{broken\n" + _line({"id": "g2", "text": "Dua."}))
    assert detect_format(path) == "jsonl"
    arts, rej, _ = _split(list(read_paths([str(path)], ReadConfig())))
    assert [a.id for a in arts] == ["g1", "g2"]
    assert [(r.source, r.reason) for r in rej] == [(f"{path}:2", "malformed JSON")]


def test_directory_walk_is_recursive_sorted_and_skips_other_files(tmp_path: Path) -> None:
    root = tmp_path / "crawl"
    (root / "b" / "deep").mkdir(parents=True)
    (root / "a.jsonl").write_bytes(_line({"id": "a", "text": "A."}))
    (root / "b" / "deep" / "c.ndjson").write_bytes(_line({"id": "c", "text": "C."}))
    (root / "b" / "b.jsonl.gz").write_bytes(gzip.compress(_line({"id": "b", "text": "B."})))
    (root / "README.txt").write_text("not an input")
    (root / "notes.md").write_text("# ignore me")
    arts, rej, _ = _split(list(read_paths([str(root)], ReadConfig())))
    assert rej == []
    assert [a.id for a in arts] == ["a", "b", "c"]


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        list(read_paths([str(tmp_path / "nope.jsonl")], ReadConfig()))


def test_unknown_extension_is_rejected_unless_format_given(tmp_path: Path) -> None:
    path = tmp_path / "dump.txt"
    path.write_bytes(_line({"id": "u1", "text": "Isi."}))
    (rej,) = list(read_paths([str(path)], ReadConfig()))
    assert isinstance(rej, Rejected) and rej.reason == "unknown format" and rej.source == str(path)
    (art,) = list(read_paths([str(path)], ReadConfig(fmt="jsonl")))
    assert isinstance(art, Article) and art.id == "u1"


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BytesIO(_line({"id": "s1", "text": "Dari stdin."}) + b"oops\n"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", fake)
    arts, rej, _ = _split(list(read_paths(["-"], ReadConfig())))
    assert [a.id for a in arts] == ["s1"]
    assert [(r.source, r.reason) for r in rej] == [("<stdin>:2", "malformed JSON")]


def test_read_jsonl_stream_line_numbers_count_blank_lines() -> None:
    stream = io.BytesIO(b"\n\n" + _line({"id": "z", "text": "Isi."}))
    (art,) = list(read_jsonl(stream, "mem", ReadConfig()))
    assert isinstance(art, Article) and art.source == "mem:3"


_HARD_LINES = [
    b'{"id": "a1", "text": "plain", "published_at": "2026-11-24T09:15:00+07:00"}',
    b'{"id": 123456789012345678901234567890, "text": "an id beyond 64 bits"}',
    b'{"id": 7, "text": "numbers", "title": 1.5, "published_at": 20261124}',
    b'{"id": "a2", "text": "lone surrogate \\udc80 kept"}',
    b'{"id": "a3", "text": "not a number", "score": NaN}',
    b'{"id": "a4", "id": "a5", "text": "duplicate keys: the last wins"}',
    b'{"id": "a6", "text": "nested", "outlet": {"name": "x"}}',
    b'\xef\xbb\xbf{"id": "a7", "text": "a byte-order mark"}',
    b'{"id": "a8", "text": "bad utf-8 \xff here"}',
    b'["a list"]',
    b'{"id": "a9", "text": "\\u00e9t\\u00e9 \\ud83d\\ude00"}',
    b'{"id": "a10", "text": "overflow", "x": 1e400}',
]


def test_fast_parser_reads_exactly_what_the_json_module_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dedup.read.jsonl as jsonl

    path = tmp_path / "hard.jsonl"
    path.write_bytes(b"\n".join(_HARD_LINES) + b"\n")
    fast = list(read_paths([str(path)], ReadConfig()))
    assert sum(jsonl._fast(line) is not None for line in _HARD_LINES) >= 4  # the fast path is taken
    monkeypatch.setattr(jsonl, "_fast", lambda raw: None)
    assert fast == list(read_paths([str(path)], ReadConfig()))
    assert any(isinstance(i, Article) and i.id == "123456789012345678901234567890" for i in fast)


def test_json_error_messages_read_well(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        b'{"id": "c1", "text": "a raw\ttab"}\n'  # the json module says "Invalid control character at"
        b'{"id": "c2" "text": "Isi."}\n'
        b'{"id": "c3", "text": }\n'
        b'{"id": "c4", "text": "no end'  # the last line, without a newline: "Unterminated string starting at"
    )
    rej = list(read_paths([str(path)], ReadConfig()))
    assert [r.message() for r in rej] == [  # type: ignore[union-attr]
        f"{path}:1: malformed JSON: Invalid control character at column 28",
        f"{path}:2: malformed JSON: Expecting ',' delimiter at column 13",
        f"{path}:3: malformed JSON: Expecting value at column 22",
        f"{path}:4: malformed JSON: Unterminated string starting at column 22",
    ]


@pytest.mark.parametrize(
    ("value", "kind"), [(12345, "int"), (1.5, "float"), (True, "bool"), (["Isi."], "list"), ({"body": "Isi."}, "dict")]
)
def test_text_that_is_not_a_string_is_rejected(tmp_path: Path, value: object, kind: str) -> None:
    path = tmp_path / "n.jsonl"
    path.write_bytes(_line({"id": "n1", "text": value}) + _line({"id": 2, "text": "Isi."}))
    arts, rej, _ = _split(list(read_paths([str(path)], ReadConfig())))
    assert [a.id for a in arts] == ["2"]  # a numeric id is fine
    assert [(r.source, r.reason, r.detail) for r in rej] == [(f"{path}:1", "text is not a string", f"got {kind}")]


def test_html_that_is_not_a_string_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_bytes(_line({"id": "h1", "url": "https://x.com/h1", "html": 42}))
    (rej,) = list(read_paths([str(path)], ReadConfig()))
    assert isinstance(rej, Rejected)
    assert (rej.reason, rej.detail) == ("text is not a string", "got int in 'html'")


def test_a_file_given_twice_is_read_once(tmp_path: Path) -> None:
    root = tmp_path / "night"
    root.mkdir()
    a, b = root / "a.jsonl", root / "b.jsonl"
    a.write_bytes(_line({"id": "a1", "text": "Satu."}) + _line({"id": "a2", "text": "Dua."}))
    b.write_bytes(_line({"id": "b1", "text": "Tiga."}))
    again = root / ".." / "night" / "a.jsonl"  # the same file, spelt otherwise
    arts, rej, _ = _split(list(read_paths([str(b), str(a), str(a), str(root), str(again)], ReadConfig())))
    assert rej == []
    assert [(x.id, x.source) for x in arts] == [("b1", f"{b}:1"), ("a1", f"{a}:1"), ("a2", f"{a}:2")]


# -- standard input: formats it cannot hold, gzip, a byte-order mark ---------------



class _Untouchable:
    """A stdin that fails the test if anything reads it."""

    @property
    def buffer(self):  # type: ignore[no-untyped-def]
        raise AssertionError("standard input was read")


@pytest.mark.parametrize("fmt", ["csv", "parquet", "html"])
def test_stdin_with_a_format_it_cannot_hold_is_refused_before_reading(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", _Untouchable())
    other = tmp_path / "a.jsonl"
    other.write_bytes(_line({"id": "f1", "text": "Isi."}))
    want = f"--format {fmt}: standard input \\(-\\) takes JSON Lines, or WARC with --format warc; give the {fmt} file's path instead"
    # At the call, not at the first item: nothing is read, not even the file named before "-".
    with pytest.raises(ConfigError, match=f"^{want}$"):
        read_paths([str(other), "-"], ReadConfig(fmt=fmt))  # type: ignore[arg-type]


def test_stdin_format_error_from_the_cli(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dedup.cli import cli

    res = CliRunner().invoke(cli, ["index", "--store", str(tmp_path / "s"), "--format", "csv", "-"], input="id,text\nc1,Isi.\n")
    assert res.exit_code == ConfigError.exit_code, res.output
    (line,) = [ln for ln in res.output.splitlines() if ln.strip()]
    assert "--format csv: standard input (-) takes JSON Lines" in line
    assert "malformed JSON" not in res.output


@pytest.mark.parametrize("fmt", ["auto", "jsonl"])
def test_stdin_jsonl_formats_still_read(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", Stdin(_line({"id": "j1", "text": "Isi."})))
    (art,) = list(read_paths(["-"], ReadConfig(fmt=fmt)))  # type: ignore[arg-type]
    assert isinstance(art, Article) and art.id == "j1"


def _night(n: int) -> bytes:
    return b"".join(_line({"id": f"g{i}", "text": f"Berita nomor {i}."}) for i in range(1, n + 1))


@pytest.mark.parametrize("wrap", [Stdin, lambda data: io.TextIOWrapper(io.BytesIO(data))], ids=["pipe", "bytesio"])
def test_gzipped_jsonl_on_stdin(wrap, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", wrap(gzip.compress(_night(3))))
    arts, rej, _ = _split(list(read_paths(["-"], ReadConfig())))
    assert rej == [] and [(a.id, a.source) for a in arts] == [("g1", "<stdin>:1"), ("g2", "<stdin>:2"), ("g3", "<stdin>:3")]


def test_cut_gzip_on_stdin_keeps_the_records_before_the_damage(monkeypatch: pytest.MonkeyPatch) -> None:
    cut = gzip.compress(_night(3))[:-8]  # without the trailer: the stream ends early
    monkeypatch.setattr(sys, "stdin", Stdin(cut))
    items = list(read_paths(["-"], ReadConfig()))
    assert [i.id for i in items if isinstance(i, Article)] == ["g1", "g2", "g3"]
    assert items[-1] == Rejected("<stdin>:4", "corrupt gzip", "truncated stream")


def test_gzipped_jsonl_piped_to_a_process(tmp_path: Path) -> None:
    """The real thing: `cat night.jsonl.gz | python …`, stdin a pipe."""
    import subprocess

    script = (
        "from dedup.config import ReadConfig\n"
        "from dedup.read import read_paths\n"
        "print([getattr(i, 'id', None) or i.reason for i in read_paths(['-'], ReadConfig())])\n"
    )
    res = subprocess.run([sys.executable, "-c", script], input=gzip.compress(b"\xef\xbb\xbf" + _night(2)), capture_output=True, check=True)
    assert res.stdout.decode().strip() == "['g1', 'g2']"


def test_byte_order_mark_at_the_start_is_not_part_of_the_first_record(tmp_path: Path) -> None:
    path = tmp_path / "excel.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + _night(2) + b"\xef\xbb\xbf" + _line({"id": "g3", "text": "Isi."}))
    arts, rej, _ = _split(list(read_paths([str(path)], ReadConfig())))
    assert [a.id for a in arts] == ["g1", "g2"]
    # Only the file's first bytes are a byte-order mark; one inside is a broken line, as before.
    assert [(r.source, r.reason) for r in rej] == [(f"{path}:3", "malformed JSON")]


def test_byte_order_mark_on_an_empty_first_line_and_in_gzip(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbf\n" + _night(1)))
    (art,) = list(read_paths([str(path)], ReadConfig()))
    assert isinstance(art, Article) and art.source == f"{path}:2"


def test_byte_order_mark_on_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", Stdin(b"\xef\xbb\xbf" + _night(1)))
    (art,) = list(read_paths(["-"], ReadConfig()))
    assert isinstance(art, Article) and art.id == "g1"
