from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from dedup.config import ReadConfig
from dedup.errors import InputError
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
    assert "--map text=" in rej.detail


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


def test_unreadable_parquet_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"this is not parquet at all")
    with pytest.raises(InputError, match="broken.parquet"):
        list(read_paths([str(path)], ReadConfig()))


def test_directory_mixes_formats(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,text\nc1,Isi satu.\n", encoding="utf-8")
    pl.DataFrame({"id": ["q1"], "text": ["Isi dua."]}).write_parquet(tmp_path / "b.parquet")
    (tmp_path / "c.jsonl").write_text('{"id": "j1", "text": "Isi tiga."}\n', encoding="utf-8")
    arts, rej = _split(list(read_paths([str(tmp_path)], ReadConfig())))
    assert rej == []
    assert [a.id for a in arts] == ["c1", "q1", "j1"]
