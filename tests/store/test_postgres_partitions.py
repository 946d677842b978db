"""The PostgreSQL store's band table, partitioned by month: each article's rows in the
month it starts to go in a prune (store.interface.expiry), a prune dropping the months
before its cutoff whole, and a store of schema 1 (unpartitioned) migrated when opened."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
from click.testing import CliRunner

from dedup.cli import cli
from dedup.store import open_store
from dedup.store.postgres import SCHEMA_VERSION

SAMPLE = Path(__file__).parents[2] / "examples" / "sample"
# (published_at, the band partition its rows belong in): UTC months; a bare date goes at its
# day's end (31 October in Jakarta ends at 17:00 UTC); an undated article when it is indexed.
DATES = [
    ("2026-08-15T10:00:00+07:00", "bands_2026_08"),
    ("2026-09-10T23:30:00-05:00", "bands_2026_09"),  # 11 September, UTC
    ("2026-10-05T08:00:00+07:00", "bands_2026_10"),
    ("2026-10-20T08:00:00+07:00", "bands_2026_10"),
    ("2026-10-31", "bands_2026_10"),
    ("2026-11-20T09:00:00+07:00", "bands_2026_11"),
    (None, None),
]


def _dedup(*args: str) -> str:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.stdout


def _corpus(tmp_path: Path) -> Path:
    """Night 1 of the sample corpus with its articles' dates spread over four months (and some undated)."""
    out = []
    for i, line in enumerate(ln for ln in (SAMPLE / "night1.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()):
        rec = json.loads(line)
        rec["published_at"] = DATES[i % len(DATES)][0]
        out.append(json.dumps(rec, ensure_ascii=False))
    path = tmp_path / "months.jsonl"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def _partition_of_each_article(url: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for ident, part in _rows(url, "SELECT a.id, b.tableoid::regclass::text FROM bands b JOIN articles a USING (doc)"):
        out.setdefault(ident, set()).add(part)
    return out


def _report(store: Path | str) -> list[Any]:
    return json.loads(_dedup("report", "--store", str(store), "--since", "all", "--no-mark", "--format", "json", "--limit", "0"))["stories"]


def test_each_articles_band_rows_are_in_the_partition_of_its_month(tmp_path: Path, pg_url: str) -> None:
    corpus = _corpus(tmp_path)
    started = datetime.now(timezone.utc)
    _dedup("index", "--store", pg_url, "--tz", "Asia/Jakarta", "--quiet", "--workers", "1", str(corpus))
    undated = {f"bands_{t.year:04d}_{t.month:02d}" for t in (started, datetime.now(timezone.utc))}
    parts = _partition_of_each_article(pg_url)
    for i, line in enumerate(corpus.read_text(encoding="utf-8").splitlines()):
        rec, want = json.loads(line), DATES[i % len(DATES)][1]
        got = parts[rec["id"]]
        assert got == {want} if want else len(got) == 1 and got <= undated, (rec, got)
    assert _rows(pg_url, "SELECT relkind FROM pg_class WHERE relname = 'bands'") == [("p",)]  # partitioned


def test_prune_drops_the_months_before_the_cutoff_and_deletes_rows_in_its_own_only(tmp_path: Path, pg_url: str) -> None:
    corpus, embedded = _corpus(tmp_path), tmp_path / "store"
    for store in (str(embedded), pg_url):
        _dedup("index", "--store", store, "--tz", "Asia/Jakarta", "--quiet", "--workers", "1", str(corpus))
    before = _partition_of_each_article(pg_url)
    out = [_dedup("prune", "--store", s, "--before", "2026-10-10", "--tz", "Asia/Jakarta") for s in (str(embedded), pg_url)]
    assert out[0] == out[1] and out[0].startswith("removed "), out
    parts = {name for (name,) in _rows(pg_url, "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid")}
    assert "bands_2026_08" not in parts and "bands_2026_09" not in parts  # dropped whole
    assert {"bands_2026_10", "bands_2026_11"} <= parts
    # Gone: August, September, 5 October. Kept: 20 October, the bare 31 October, 20 November, the undated.
    ids = [json.loads(line)["id"] for line in corpus.read_text(encoding="utf-8").splitlines()]
    kept = {ident for i, ident in enumerate(ids) if i % len(DATES) >= 3}
    after = _partition_of_each_article(pg_url)
    assert after == {ident: before[ident] for ident in kept}
    # October's rows of the 5th went, its others stayed; no row of a removed article is left behind.
    assert _rows(pg_url, "SELECT COUNT(*) FROM bands b WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.doc = b.doc)") == [(0,)]
    assert _report(pg_url) == _report(embedded)
    assert "no damage" in _dedup("check", "--store", pg_url)


def test_a_store_of_schema_1_is_partitioned_when_opened_and_keeps_working(tmp_path: Path, pg_url: str) -> None:
    corpus = _corpus(tmp_path)
    _dedup("index", "--store", pg_url, "--tz", "Asia/Jakarta", "--quiet", "--workers", "1", str(corpus))
    stories, rows = _report(pg_url), _rows(pg_url, "SELECT band_key, doc FROM bands ORDER BY 1, 2")
    with psycopg.connect(pg_url) as conn:  # back to schema 1, as a store written before partitions is
        conn.execute("CREATE TABLE flat AS SELECT band_key, doc FROM bands")
        conn.execute("DROP TABLE bands")
        conn.execute("ALTER TABLE flat RENAME TO bands")
        conn.execute("CREATE INDEX bands_key ON bands(band_key, doc)")
        conn.execute("CREATE INDEX bands_doc ON bands(doc)")
        conn.execute("ALTER TABLE articles DROP COLUMN month")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    store = open_store(pg_url, create=False)
    try:
        assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
    finally:
        store.close()
    assert _rows(pg_url, "SELECT relkind FROM pg_class WHERE relname = 'bands'") == [("p",)]
    assert _rows(pg_url, "SELECT band_key, doc FROM bands ORDER BY 1, 2") == rows
    assert set(_partition_of_each_article(pg_url)) and _report(pg_url) == stories
    assert "no damage" in _dedup("check", "--store", pg_url)
    _dedup("index", "--store", pg_url, "--tz", "Asia/Jakarta", "--quiet", str(SAMPLE / "night2.jsonl"))  # and takes more
    assert "no damage" in _dedup("check", "--store", pg_url)
