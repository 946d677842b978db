"""Damaged and empty input files, whatever their format: the damage is one record
(or a notice), what came before it is kept, and the run goes on with the next file."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import cli
from dedup.config import ReadConfig
from dedup.model import Article, Notice, Rejected
from dedup.read import read_paths

GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"


def _jsonl(n: int) -> bytes:
    """n records of varied words: compressed, about 170 bytes each."""
    rnd = random.Random(7)
    words = "harga beras naik warga banjir kota jalan pasar pemerintah hujan sungai tanggul".split()
    rows = ({"id": f"r{i}", "text": " ".join(rnd.choice(words) for _ in range(40))} for i in range(n))
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


def _good(tmp_path: Path) -> Path:
    path = tmp_path / "zz-good.jsonl"
    path.write_bytes(b'{"id": "good", "text": "Isi berita."}\n')
    return path


def _kinds(items: list[object]) -> list[tuple[str, str, str]]:
    return [(type(i).__name__, i.source, getattr(i, "reason", "")) for i in items]  # type: ignore[attr-defined]


def test_truncated_jsonl_gz_keeps_the_records_before_the_cut(tmp_path: Path) -> None:
    path = tmp_path / "night.jsonl.gz"
    path.write_bytes(gzip.compress(_jsonl(200))[:3000])
    items = list(read_paths([str(path), str(_good(tmp_path))], ReadConfig()))
    arts = [i for i in items if isinstance(i, Article)]
    *before, good = arts
    assert 5 < len(before) < 200 and good.id == "good"
    assert [a.id for a in before] == [f"r{i}" for i in range(len(before))]
    rej = [i for i in items if isinstance(i, Rejected)]
    assert [r.message() for r in rej] == [f"{path}:{len(before) + 1}: corrupt gzip: truncated stream"]
    assert items.index(rej[0]) == len(before)  # after the records before the cut, before the next file


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (GZIP_HEADER + b"\xff" * 100, "corrupt compressed data (Error -3 while decompressing data: invalid block type)"),
        (GZIP_HEADER + b"junk" * 100, "truncated stream"),
        (_jsonl(3), "not a gzip file"),
    ],
    ids=["header-then-bad-data", "header-then-junk", "not-gzip"],
)
def test_corrupt_gzip_is_one_rejected_and_the_run_goes_on(tmp_path: Path, content: bytes, detail: str) -> None:
    bad_jsonl, bad_html = tmp_path / "a.jsonl.gz", tmp_path / "b.html.gz"
    bad_jsonl.write_bytes(content)
    bad_html.write_bytes(content)
    items = list(read_paths([str(bad_jsonl), str(bad_html), str(_good(tmp_path))], ReadConfig()))
    assert [(i.source, i.reason, i.detail) for i in items if isinstance(i, Rejected)] == [
        (str(bad_jsonl), "corrupt gzip", detail),
        (str(bad_html), "corrupt gzip", detail),
    ]
    assert [a.id for a in items if isinstance(a, Article)] == ["good"]


def test_data_after_the_gzip_stream(tmp_path: Path) -> None:
    path = tmp_path / "tail.jsonl.gz"
    path.write_bytes(gzip.compress(_jsonl(3)) + b"this is not gzip\n")
    items = list(read_paths([str(path)], ReadConfig()))
    assert [type(i).__name__ for i in items] == ["Article"] * 3 + ["Rejected"]
    assert items[-1].message() == f"{path}:4: corrupt gzip: data after the end of the gzip stream is not gzip"  # type: ignore[union-attr]


def test_truncated_csv_gz_is_read_up_to_the_cut(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv.gz"
    rows = b"".join(b"r%d,%s\n" % (i, json.loads(line)["text"].encode()) for i, line in enumerate(_jsonl(200).splitlines()))
    path.write_bytes(gzip.compress(b"id,text\n" + rows)[:3000])
    items = list(read_paths([str(path)], ReadConfig()))
    arts = [i for i in items if isinstance(i, Article)]
    assert 5 < len(arts) < 200 and [a.id for a in arts] == [f"r{i}" for i in range(len(arts))]
    assert _kinds(items[len(arts):]) == [("Rejected", f"{path}:{len(arts) + 2}", "corrupt gzip")]


def test_a_corrupt_gzip_without_a_telling_name_is_passed_over(tmp_path: Path) -> None:
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    (crawl / "page-0001").write_bytes(GZIP_HEADER + b"\xff" * 100)  # sniffed by content: not readable
    _good(crawl)
    assert [a.id for a in read_paths([str(crawl)], ReadConfig()) if isinstance(a, Article)] == ["good"]
    (rej,) = list(read_paths([str(crawl / "page-0001")], ReadConfig()))
    assert isinstance(rej, Rejected) and rej.reason == "unknown format"


def test_corrupt_gzip_in_the_cli_is_reported_not_aborted(tmp_path: Path) -> None:
    cut = tmp_path / "night.jsonl.gz"
    cut.write_bytes(gzip.compress(_jsonl(200))[:3000])
    res = CliRunner().invoke(cli, ["index", "--quiet", "--store", str(tmp_path / "store"), str(cut), str(_good(tmp_path))])
    assert res.exit_code == 0, res.output
    assert "Aborted" not in res.output
    assert "1 × corrupt gzip" in res.output


@pytest.mark.parametrize("name", ["a.jsonl.gz", "b.csv.gz"])
def test_a_gzip_of_nothing_is_an_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress(b""))
    items = list(read_paths([str(path)], ReadConfig()))
    assert _kinds(items) == [("Notice", str(path), "empty file")]


@pytest.mark.parametrize("name", ["a.jsonl", "b.csv", "c.parquet", "d.html", "e.warc", "f.jsonl.gz"])
@pytest.mark.parametrize("content", [b"", b" \n\t\r\n"], ids=["0-bytes", "whitespace"])
def test_an_empty_file_is_a_notice_whatever_its_format(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    items = list(read_paths([str(path), str(_good(tmp_path))], ReadConfig()))
    assert _kinds(items) == [("Notice", str(path), "empty file"), ("Article", f"{_good(tmp_path)}:1", "")]
    assert isinstance(items[0], Notice)
