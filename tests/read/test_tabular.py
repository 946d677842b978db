from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from dedup.config import ReadConfig
from dedup.model import Article, Rejected, TimePrecision
from dedup.read import read_paths

FIXTURE_CSV = Path(__file__).parent.parent / "fixtures" / "read" / "articles.csv"
BODY = (("text", "body"),)


def _split(items):  # type: ignore[no-untyped-def]
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Rejected)]


def test_csv_with_text_mapped_from_body() -> None:
    arts, rej = _split(list(read_paths([str(FIXTURE_CSV)], ReadConfig(field_map=BODY, tz="Asia/Jakarta"))))
    assert rej == []
    assert [a.id for a in arts] == ["detik-0101", "detik-0102", "007"]  # "007" stays text
    a, b, c = arts
    assert a.outlet == "detik.com"
    assert a.text.startswith("Jadwal KRL Commuter Line berubah")
    assert a.published_at == datetime(2026, 11, 24, 23, 0, tzinfo=timezone.utc)
    assert a.time_precision is TimePrecision.EXACT
    assert b.time_precision is TimePrecision.NAIVE
    assert b.published_at == datetime(2026, 11, 25, 0, 30, tzinfo=timezone.utc)
    assert c.outlet == "tempo.co"
    assert c.time_precision is TimePrecision.UNKNOWN
    # CSV line numbers count the header as line 1
    assert [x.source for x in arts] == [f"{FIXTURE_CSV}:{n}" for n in (2, 3, 4)]


def test_csv_wrong_text_column_is_one_rejected_naming_the_columns() -> None:
    items = list(read_paths([str(FIXTURE_CSV)], ReadConfig()))  # no --map: there is no "text" column
    assert len(items) == 1
    (rej,) = items
    assert isinstance(rej, Rejected)
    assert rej.source == str(FIXTURE_CSV)
    assert rej.reason == "missing field"
    assert "'text'" in rej.detail
    for col in ("id", "url", "published_at", "title", "body"):
        assert col in rej.detail
    assert rej.detail.endswith("; 3 rows skipped; map another with --map text=COLUMN")


def test_csv_map_to_a_column_that_does_not_exist() -> None:
    (rej,) = list(read_paths([str(FIXTURE_CSV)], ReadConfig(field_map=(("text", "isi"),))))
    assert isinstance(rej, Rejected) and "'isi'" in rej.detail and "body" in rej.detail


def test_csv_empty_text_and_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(
        b"id,text\n"
        b"r1,Warga mengungsi ke balai desa.\n"
        b"r2,\n"
        b"r3,Harga \xff\xfe naik\n"
        b"r4,Pasokan beras berkurang.\n"
    )
    arts, rej = _split(list(read_paths([str(path)], ReadConfig())))
    assert [a.id for a in arts] == ["r1", "r4"]
    assert [(r.source, r.reason) for r in rej] == [(f"{path}:3", "empty text"), (f"{path}:4", "undecodable bytes")]


def test_parquet_with_mapping_and_typed_times(tmp_path: Path) -> None:
    path = tmp_path / "crawl.parquet"
    pl.DataFrame(
        {
            "doc_id": ["p1", "p2", "p3"],
            "link": ["https://www.kompas.com/a", "https://news.bbc.co.uk/b", "https://www.tempo.co/c"],
            "body": ["Harga beras naik.", "Rice prices rise in Jakarta.", ""],
            "published_at": [datetime(2026, 11, 24, 9, 15, tzinfo=timezone.utc), None, datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)],
        }
    ).write_parquet(path)
    cfg = ReadConfig(field_map=(("text", "body"), ("id", "doc_id"), ("url", "link")))
    arts, rej = _split(list(read_paths([str(path)], cfg)))
    assert [a.id for a in arts] == ["p1", "p2"]
    assert arts[0].outlet == "kompas.com" and arts[1].outlet == "bbc.co.uk"
    assert arts[0].published_at == datetime(2026, 11, 24, 9, 15, tzinfo=timezone.utc)
    assert arts[0].time_precision is TimePrecision.EXACT
    assert arts[1].time_precision is TimePrecision.UNKNOWN
    assert [(r.source, r.reason) for r in rej] == [(f"{path}:3", "empty text")]


def test_parquet_date_column_is_date_precision(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pl.DataFrame({"id": ["d1"], "text": ["Isi."], "published_at": [date(2026, 11, 24)]}).write_parquet(path)
    (art,) = list(read_paths([str(path)], ReadConfig(tz="Asia/Jakarta")))
    assert isinstance(art, Article)
    assert art.time_precision is TimePrecision.DATE
    assert art.published_at == datetime(2026, 11, 23, 17, 0, tzinfo=timezone.utc)


def test_parquet_wrong_column(tmp_path: Path) -> None:
    path = tmp_path / "w.parquet"
    pl.DataFrame({"id": ["x"], "content": ["Isi."]}).write_parquet(path)
    (rej,) = list(read_paths([str(path)], ReadConfig()))
    assert isinstance(rej, Rejected)
    assert rej.source == str(path) and rej.reason == "missing field"
    assert "content" in rej.detail and "id" in rej.detail
    assert "; 1 row skipped;" in rej.detail  # from the Parquet metadata


def test_unreadable_parquet_is_one_rejected_and_the_run_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"this is not parquet at all")
    (tmp_path / "good.jsonl").write_text('{"id": "j1", "text": "Isi."}\n', encoding="utf-8")
    arts, rej = _split(list(read_paths([str(tmp_path)], ReadConfig())))
    assert [a.id for a in arts] == ["j1"]
    (r,) = rej
    assert (r.source, r.reason) == (str(path), "unreadable file")
    assert "parquet" in r.detail.lower() and "\n" not in r.detail and len(r.detail) <= 200


def test_directory_mixes_formats(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,text\nc1,Isi satu.\n", encoding="utf-8")
    pl.DataFrame({"id": ["q1"], "text": ["Isi dua."]}).write_parquet(tmp_path / "b.parquet")
    (tmp_path / "c.jsonl").write_text('{"id": "j1", "text": "Isi tiga."}\n', encoding="utf-8")
    arts, rej = _split(list(read_paths([str(tmp_path)], ReadConfig())))
    assert rej == []
    assert [a.id for a in arts] == ["c1", "q1", "j1"]


# -- a CSV file that polars refuses: read row by row, a bad row rejected alone ----------


def _tabulate(items):  # type: ignore[no-untyped-def]
    return [
        (type(i).__name__, i.source, getattr(i, "id", None) or i.reason, getattr(i, "text", None) or getattr(i, "detail", ""))
        for i in items
    ]


def test_malformed_csv_rows_are_rejected_alone(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(
        b"id,text,title\n"
        b"007,Harga beras naik di pasar induk.,Beras\n"  # 2
        b'r2,"Banjir merendam rumah.\nWarga mengungsi.",Banjir\n'  # 3-4: one row
        b"r3,Jalan tol,ditutup,sementara,malam ini\n"  # 5: five fields
        b'r4,"Kutipan tanpa penutup,Judul\n'  # 6: a quote not closed (until the one on line 9)
        b"r5,Harga \xff cabai,Cabai\n"  # 7: not UTF-8
        b"r6,Pasokan beras berkurang.,Pasokan\n"  # 8
        b'r7,"Pemerintah menambah, stok.",Stok\n'  # 9
    )
    arts, rej = _split(list(read_paths([str(path)], ReadConfig())))
    assert [(a.id, a.source) for a in arts] == [("007", f"{path}:2"), ("r2", f"{path}:3"), ("r6", f"{path}:8"), ("r7", f"{path}:9")]
    assert arts[1].text == "Banjir merendam rumah.\nWarga mengungsi." and arts[3].title == "Stok"
    assert [(r.source, r.reason) for r in rej] == [
        (f"{path}:5", "malformed CSV row"),
        (f"{path}:6", "malformed CSV row"),
        (f"{path}:7", "undecodable bytes"),
    ]
    assert rej[0].detail == "5 fields, the header has 3"
    assert rej[1].detail.startswith("bad quoting: ")


def test_a_quote_never_closed_loses_only_its_row(tmp_path: Path) -> None:
    path = tmp_path / "open.csv"
    path.write_text('id,text\nr1,Satu.\nr2,"Dua tanpa penutup\nr3,Tiga.\nr4,Empat.\n', encoding="utf-8")
    arts, rej = _split(list(read_paths([str(path)], ReadConfig())))
    assert [(a.id, a.source) for a in arts] == [("r1", f"{path}:2"), ("r3", f"{path}:4"), ("r4", f"{path}:5")]
    assert [r.message() for r in rej] == [f"{path}:3: malformed CSV row: the quote opened on line 3 is never closed"]


def test_jsonl_read_as_csv_is_one_clear_reject(tmp_path: Path) -> None:
    spaced = tmp_path / "spaced.jsonl"  # json.dumps' separators: the first line passes for a header
    spaced.write_text('{"id": "a", "text": "Isi, satu."}\n{"id": "b", "text": "Isi dua."}\n', encoding="utf-8")
    compact = tmp_path / "compact.jsonl"
    compact.write_text('{"id":"a","text":"Isi, satu."}\n{"id":"b","text":"Isi dua."}\n', encoding="utf-8")
    items = list(read_paths([str(spaced), str(compact)], ReadConfig(fmt="csv")))
    assert all(isinstance(i, Rejected) for i in items)
    assert [(r.source, r.reason) for r in items] == [(str(spaced), "missing field"), (str(compact), "unreadable file")]
    assert "; 1 row skipped;" in items[0].detail
    assert items[1].detail.startswith("malformed CSV header: ")


def test_csv_fallback_reads_a_good_file_as_polars_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dedup.read.tabular as tabular

    path = tmp_path / "tricky.csv"
    path.write_bytes(
        b"\xef\xbb\xbfid,text,published_at,title\r\n"  # a byte-order mark, CRLF
        b"007,Harga beras naik.,2026-11-24 09:15,Beras\r\n"
        b'r2,"Banjir merendam rumah.\r\nWarga mengungsi.",,"Banjir, lagi"\r\n'
        b"r3,Pendek\r\n"  # a short row: the rest is null
        b"\r\n"  # a blank line: a row of nulls
        b"r5,Harga \xff cabai naik.,,\r\n"
        b"r6,,2026-11-24,\r\n"
        b'r7,"Kata ""kutip"" di sini.",kemarin,\r\n'
        b"r8,Tanpa baris baru di akhir.,,"
    )
    fast = list(read_paths([str(path)], ReadConfig()))

    def refuse(path: Path, kind: str) -> pl.LazyFrame:
        raise pl.exceptions.ComputeError("refused")

    monkeypatch.setattr(tabular, "_scan", refuse)
    slow = list(read_paths([str(path)], ReadConfig()))
    assert _tabulate(slow) == _tabulate(fast)
    assert [a.source.rsplit(":", 1)[1] for a in fast if isinstance(a, Article)] == ["2", "3", "5", "9", "10"]


def test_csv_line_numbers_are_physical_lines(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text('id,text\nr1,"Baris satu.\n\nBaris tiga."\nr2,\nr3,Isi.\n', encoding="utf-8")
    arts, rej = _split(list(read_paths([str(path)], ReadConfig())))
    assert [a.source for a in arts] == [f"{path}:2", f"{path}:6"]
    assert [(r.source, r.reason) for r in rej] == [(f"{path}:5", "empty text")]


def test_missing_column_in_a_malformed_csv_counts_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "nocol.csv"
    path.write_text('id,body\nr1,Satu.\nr2,Dua,extra\nr3,"Tiga\n', encoding="utf-8")
    (rej,) = list(read_paths([str(path)], ReadConfig()))
    assert isinstance(rej, Rejected) and rej.reason == "missing field"
    assert "(columns: id, body); 3 rows skipped; map another" in rej.detail


@pytest.mark.parametrize("slow", [False, True], ids=["polars", "csv-module"])
def test_blank_lines_at_the_end_of_a_csv_are_no_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow: bool) -> None:
    import dedup.read.tabular as tabular

    def refuse(path: Path, kind: str) -> pl.LazyFrame:
        raise pl.exceptions.ComputeError("refused")

    if slow:
        monkeypatch.setattr(tabular, "_scan", refuse)
    path = tmp_path / "blank.csv"
    path.write_text("id,text\nr1,Isi berita.\nr2,\n,\n\n\n", encoding="utf-8")
    arts, rej = _split(list(read_paths([str(path)], ReadConfig())))
    assert [a.id for a in arts] == ["r1"]
    # r2 has an id and no text: still rejected; the row of empty fields and the blank lines are nothing
    assert [(r.source, r.reason) for r in rej] == [(f"{path}:3", "empty text")]
