"""A full disk, an I/O error or a damaged database: one StoreError naming the file, the
fault and the fix, and nothing half-written left behind."""

from __future__ import annotations

import errno
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
import numpy as np
import pytest

import dedup.store.segments as segments
from dedup.errors import StoreError
from dedup.index import LSHParams, band_keys
from dedup.store import NewArticle, SQLiteStore, open_store
from dedup.store.faults import translated
from dedup.store.sqlite import DB_NAME, LSH_DIR

from _store_helpers import FullDisk

LSH = LSHParams(bands=16, rows=8)
NOW = "2026-11-25T00:00:00.000000+00:00"
AGAIN = "run the same command again: the store is consistent, the next run completes it"


@pytest.fixture
def store(sqlite_store: SQLiteStore) -> SQLiteStore:
    """The embedded store: these tests are about its segment files and SQLite itself."""
    return sqlite_store


def _new(ident: str, seed: int, text: str = "") -> NewArticle:
    sig = np.random.default_rng(seed).integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)
    return NewArticle(
        id=ident, url=f"https://example.com/{ident}", outlet="example.com", title=ident, text=text or f"Body {ident}",
        published_at=None, time_precision="unknown", published_raw=None, record_hash=f"h-{ident}",
        n_shingles=100, stripped=(), signature=sig, band_keys=band_keys(sig[None, :], LSH)[0],
    )


def _files(store: SQLiteStore) -> set[str]:
    d = store.path / LSH_DIR
    return {p.name for p in d.iterdir()} if d.exists() else set()


def _listed(store: SQLiteStore) -> set[str]:
    """The files of the segments the store lists."""
    infos = json.loads(store.get_meta("lsh_segments") or "[]")
    return {f"{i['name']}.{kind}.npy" for i in infos for kind in ("keys", "docs")}


def test_a_segment_write_on_a_full_disk_is_one_clear_error_and_leaves_no_file(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    arts = [_new(f"a{i}", i) for i in range(50)]
    docs = store.write_articles(arts, {}, NOW)
    monkeypatch.setattr(segments, "open", FullDisk(room=5000).open, raising=False)
    with pytest.raises(StoreError) as err:
        store.seal_index()
    msg = str(err.value)
    assert msg.startswith(str(store.path / LSH_DIR / "seg-")), msg  # the file, in the store
    assert "disk full (No space left on device): free space on /" in msg and msg.endswith(AGAIN)
    assert "\n" not in msg
    assert _files(store) == set()  # neither the half-written file nor its temporary
    assert store.get_meta("lsh_segments") is None
    monkeypatch.undo()  # space freed: the next run completes it
    store.seal_index()
    assert _files(store) == _listed(store) and len(_files(store)) == 2
    assert store.candidates_for_keys(arts[7].band_keys) == [docs[7]]


def test_a_merge_on_a_full_disk_keeps_the_listed_segments(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.write_articles([_new(f"a{i}", i) for i in range(40)], {}, NOW)
    store.seal_index()
    before = _files(store)
    arts = [_new(f"b{i}", 100 + i) for i in range(40)]
    store.write_articles(arts, {}, NOW)
    # room for the new tail segment (2 files of 40 × 16 keys) but not for the merge after it
    monkeypatch.setattr(segments, "open", FullDisk(room=2 * (40 * 16 * 8 + 128) + 1000).open, raising=False)
    with pytest.raises(StoreError, match=r"seg-\S+\.npy: disk full"):
        store.seal_index()
    assert _files(store) == before == _listed(store)  # the new tail segment went too: never listed
    monkeypatch.undo()
    store.seal_index()
    assert _files(store) == _listed(store) and len(_files(store)) == 2  # merged into one
    assert store.candidates_for_keys(arts[3].band_keys) == [store.known(["b3"])["b3"][0]]


def test_sqlite_full_is_one_clear_error_and_the_batch_is_not_written(store: SQLiteStore) -> None:
    store.write_articles([_new("first", 0)], {}, NOW)
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count={pages}")  # SQLite's own "database or disk is full"
    big = [_new(f"a{i}", i, text="word " * 4000) for i in range(20)]
    with pytest.raises(StoreError) as err:
        store.write_articles(big, {}, NOW)
    msg = str(err.value)
    assert msg.startswith(f"{store.path / DB_NAME}: disk full (database or disk is full): free space on /"), msg
    assert msg.endswith(AGAIN)
    assert store.known([a.id for a in big]) == {}  # none of the batch
    store._conn.execute("PRAGMA max_page_count=1073741823")
    assert len(store.write_articles(big, {}, NOW)) == 20


@pytest.mark.parametrize(
    ("exc", "want"),
    [
        (OSError(errno.EIO, "Input/output error"), "I/O error (Input/output error): check the disk"),
        (OSError("37000 requested and 14832 written"), "disk full (37000 requested and 14832 written): free space on /"),
        (OSError(errno.EROFS, "Read-only file system"), "cannot write (Read-only file system): make"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "database error (attempt to write a readonly database)"),
    ],
)
def test_other_faults_are_one_line_naming_the_file(tmp_path: Path, exc: Exception, want: str) -> None:
    with pytest.raises(StoreError) as err, translated(tmp_path / DB_NAME):
        raise exc
    assert str(err.value).startswith(f"{tmp_path / DB_NAME}: {want}")


def test_a_read_only_store_is_one_clear_error(tmp_path: Path) -> None:
    s = open_store(tmp_path / "store")
    s.write_articles([_new("a", 1)], {}, NOW)
    s.close()
    ro = sqlite3.connect(f"file:{tmp_path / 'store' / DB_NAME}?mode=ro", uri=True, isolation_level=None)
    s = SQLiteStore(ro, tmp_path / "store")  # what a read-only file system gives SQLite
    try:
        with pytest.raises(StoreError, match=r"dedup.sqlite: cannot open or write \(attempt to write a readonly database\): make \S+ and its files readable and writable"):
            s.write_articles([_new("b", 2)], {}, NOW)
    finally:
        ro.close()


def test_a_damaged_value_is_reported_as_damage_and_a_bug_stays_a_bug(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"the database is damaged \(KeyError: 's1'; integrity_check: row 3 missing from index"), translated(
        tmp_path / DB_NAME, lambda: "row 3 missing from index x"
    ):
        raise KeyError("s1")
    with pytest.raises(KeyError), translated(tmp_path / DB_NAME, lambda: None):
        raise KeyError("s1")
