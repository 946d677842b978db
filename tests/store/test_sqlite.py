from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from dedup.config import Config, ShingleConfig, SignConfig
from dedup.errors import StoreError
from dedup.index import LSHParams, band_keys, ensure_params
from dedup.pipeline import index_corpus
from dedup.store import NewArticle, SQLiteStore, Store, open_store
from dedup.store.segments import MAX_CLIQUE_BUCKET
from dedup.store.sqlite import DB_NAME, SCHEMA_VERSION

LSH = LSHParams(bands=16, rows=8)
NOW = "2026-11-25T00:00:00.000000+00:00"


def _new(ident: str, seed: int, **kw: object) -> NewArticle:
    sig = np.random.default_rng(seed).integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)
    base = dict(
        id=ident, url=f"https://www.example.com/{ident}", outlet="example.com", title=f"Title {ident}",
        text=f"Body of {ident}", published_at="2026-11-24T02:15:00+00:00", time_precision="exact",
        published_raw="2026-11-24T09:15:00+07:00", record_hash=f"h-{ident}", n_shingles=300 + seed,
        stripped=("Share this article",), signature=sig, band_keys=band_keys(sig[None, :], LSH)[0],
    )
    base.update(kw)
    return NewArticle(**base)  # type: ignore[arg-type]


def _count(store: Store, what: str) -> int:
    return store.counts()[what]


def test_open_creates_directory_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "store"
    s = open_store(path)
    try:
        assert (path / DB_NAME).exists()
        assert s.get_meta("schema_version") == SCHEMA_VERSION
        assert s.counts() == {"articles": 0, "outlets": 0, "stories": 0, "stories_with_copies": 0, "pending": 0, "buckets": 0}
    finally:
        s.close()


def test_open_missing_store_without_create(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store at"):
        open_store(tmp_path / "nope", create=False)
    assert not (tmp_path / "nope").exists()


def test_store_path_that_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        open_store(f)


def test_corrupt_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "store"
    path.mkdir()
    (path / DB_NAME).write_bytes(b"this is not a database, just some text" * 100)
    with pytest.raises(StoreError, match="not a usable dedup store"):
        open_store(path)


def test_schema_version_mismatch(tmp_path: Path) -> None:
    s = open_store(tmp_path / "store")
    s.set_meta("schema_version", "999")
    s.close()
    with pytest.raises(StoreError, match="schema 999"):
        open_store(tmp_path / "store")


def test_write_and_read_back(store: Store) -> None:
    a, b = _new("a1", 1), _new("b2", 2, published_at=None, time_precision="unknown", published_raw=None)
    docs = store.write_articles([a, b], {}, NOW)
    assert len(docs) == 2
    assert store.known(["a1", "b2", "zz"]) == {"a1": (docs[0], "h-a1"), "b2": (docs[1], "h-b2")}
    assert store.pending() == docs
    sigs, sizes = store.signatures([docs[1], docs[0]])
    assert np.array_equal(sigs[0], b.signature) and np.array_equal(sigs[1], a.signature)
    assert sizes.tolist() == [b.n_shingles, a.n_shingles]
    got = store.article_by(id="a1")
    assert got is not None
    assert (got.doc, got.url, got.title, got.text, got.published_at, got.time_precision, got.published_raw) == (
        docs[0], a.url, a.title, a.text, a.published_at, "exact", a.published_raw
    )
    assert got.stripped == ("Share this article",)
    assert got.indexed_at == NOW and got.story_id is None
    assert store.article_by(url=b.url).id == "b2"  # type: ignore[union-attr]
    assert store.article_by(id="nope") is None
    assert store.dated([docs[1], docs[0], 999]) == {docs[0]: (a.outlet, a.published_at, "exact"), docs[1]: (b.outlet, None, "unknown")}
    c = store.counts()
    assert c["articles"] == 2 and c["outlets"] == 1 and c["pending"] == 2 and c["buckets"] == 2 * LSH.bands


def test_candidates_share_a_bucket(store: Store) -> None:
    a = _new("a", 1)
    sig = a.signature.copy()
    sig[:8] = a.signature[:8]  # first band identical
    sig[8:] = np.random.default_rng(99).integers(0, 2**32, 120, dtype=np.uint64).astype(np.uint32)
    b = _new("b", 2, signature=sig, band_keys=band_keys(sig[None, :], LSH)[0])
    c = _new("c", 3)
    da, db, dc = store.write_articles([a, b, c], {}, NOW)
    pairs = store.candidates([da])
    assert pairs.tolist() == [[da, db]]
    assert store.candidates([dc]).shape == (0, 2)
    assert sorted(store.candidates_for_keys(a.band_keys)) == [da, db]


def test_candidates_span_segments_and_tail(store: Store) -> None:
    base = _new("a", 1)
    near = base.signature.copy()
    near[8:] = np.random.default_rng(9).integers(0, 2**32, 120, dtype=np.uint64).astype(np.uint32)  # band 0 shared
    (da,) = store.write_articles([base], {}, NOW)
    store.seal_index()
    (db,) = store.write_articles([_new("b", 2, signature=near, band_keys=band_keys(near[None, :], LSH)[0])], {}, NOW)
    (dc,) = store.write_articles([_new("c", 3)], {}, NOW)
    assert store.candidates([db]).tolist() == [[da, db]]
    assert store.candidates([dc]).shape == (0, 2)
    store.seal_index()
    assert store.candidates([db]).tolist() == [[da, db]]


def test_a_huge_bucket_is_linked_as_a_star(store: Store) -> None:
    sig = np.random.default_rng(1).integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)
    docs = store.write_articles([_new(f"c{i}", i, signature=sig, band_keys=band_keys(sig[None, :], LSH)[0]) for i in range(MAX_CLIQUE_BUCKET + 6)], {}, NOW)
    pairs = store.candidates(docs)
    assert sorted(pairs.tolist()) == [[docs[0], d] for d in docs[1:]]


@pytest.mark.parametrize(("rows", "star"), [(3, False), (2, True)])
def test_a_chance_sized_bucket_of_two_row_bands_is_linked_as_a_star(store: Store, rows: int, star: bool) -> None:
    # 20 members: a clique in a store of 3-row bands; in one of 2-row bands (where common
    # shingles fill buckets by chance) a star, so chance buckets cost few pairs.
    store.set_meta("params", json.dumps({"bands": LSH.bands, "rows": rows}))
    sig = np.random.default_rng(1).integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)
    docs = store.write_articles([_new(f"c{i}", i, signature=sig, band_keys=band_keys(sig[None, :], LSH)[0]) for i in range(20)], {}, NOW)
    for scanned in (True, False):  # the bulk scan of a covered run, and the search
        pairs = sorted(store.candidates(docs if scanned else docs[5:]).tolist())
        if star:
            assert pairs == [[docs[0], d] for d in docs[1:]] if scanned else [[docs[0], d] for d in docs[5:]]
        else:
            assert len(pairs) == (190 if scanned else 190 - 10)
        store.seal_index()


def test_assign_and_story_queries(store: Store) -> None:
    d1, d2, d3 = store.write_articles([_new("a", 1), _new("b", 2), _new("c", 3)], {}, NOW)
    store.assign({d1: "s1", d2: "s1", d3: "s3"}, {"s1": NOW, "s3": NOW}, [], [], NOW)
    assert store.pending() == []
    assert store.stories_of([d1, d3]) == {d1: "s1", d3: "s3"}
    assert store.story_members(["s1", "s3"]) == {"s1": [d1, d2], "s3": [d3]}
    assert store.story_created(["s1", "nope"]) == {"s1": NOW}
    # only stories with 2+ members are reported
    assert [s for s, _, _ in store.stories_changed_since(None)] == ["s1"]
    assert store.stories_changed_since(NOW) == []
    c = store.counts()
    assert c["stories"] == 2 and c["stories_with_copies"] == 0  # s1 is one outlet's two texts: no copy
    assert store.multi_outlet_stories(["s1", "s3"]) == set()
    (d4,) = store.write_articles([_new("d", 4, outlet="other.com")], {}, NOW)
    store.assign({d4: "s1"}, {}, ["s1"], [], NOW)
    assert store.multi_outlet_stories(["s1", "s3", "nope"]) == {"s1"}
    assert store.counts()["stories_with_copies"] == 1


def test_replace_reopens_the_story_of_the_replaced_doc(store: Store) -> None:
    d1, d2, d3 = store.write_articles([_new("a", 1), _new("b", 2), _new("c", 3)], {}, NOW)
    store.assign({d1: "s1", d2: "s1", d3: "s3"}, {"s1": NOW, "s3": NOW}, [], [], NOW)
    store.seal_index()
    newer = _new("b", 7, text="Corrected body", record_hash="h-b-2")
    (d4,) = store.write_articles([newer], {"b": d2}, NOW)
    assert d4 > d3  # a new doc number: the old one is gone
    assert store.pending() == [d1, d4]  # the whole old story is re-clustered
    assert store.stories_of([d1, d2, d3, d4]) == {d1: "s1", d3: "s3", d4: "s1"}  # previous story remembered
    got = store.article_by(id="b")
    assert got is not None and got.doc == d4 and got.text == "Corrected body" and got.story_id is None
    assert _count(store, "articles") == 3
    assert d4 in store.candidates_for_keys(newer.band_keys)  # new buckets in…
    assert store.candidates_for_keys(_new("b", 2).band_keys) == []  # …old ones out


class _FailingBandsConn:
    """Delegates to a real connection; the n-th bulk insert into a table other
    than ``articles`` (the LSH buckets) raises."""

    def __init__(self, conn: sqlite3.Connection, fail_on: int) -> None:
        self._conn = conn
        self._fail_on = fail_on
        self._seen = 0
        self.rows_in_transaction = 0

    def executemany(self, sql: str, params):  # type: ignore[no-untyped-def]
        table = re.search(r"INTO\s+(\w+)", sql)
        if table and table.group(1) != "articles":
            self._seen += 1
            if self._seen == self._fail_on:
                # uncommitted article rows, visible to this connection only
                self.rows_in_transaction = self._conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
                raise sqlite3.OperationalError("disk I/O error (simulated)")
        return self._conn.executemany(sql, params)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._conn, name)


def test_write_articles_is_atomic_when_band_insert_fails(sqlite_store: Store) -> None:
    store = sqlite_store
    real = store._conn
    failing = _FailingBandsConn(real, fail_on=1)
    store._conn = failing  # type: ignore[assignment]
    with pytest.raises(StoreError, match=r"dedup.sqlite: database error \(disk I/O error \(simulated"):
        store.write_articles([_new("a", 1), _new("b", 2), _new("c", 3), _new("d", 4)], {}, NOW)
    store._conn = real
    assert failing.rows_in_transaction >= 1  # it failed mid-batch, after article rows were written
    assert _count(store, "articles") == 0
    assert _count(store, "buckets") == 0
    assert store.pending() == []
    # the store is still usable
    assert len(store.write_articles([_new("a", 1)], {}, NOW)) == 1
    assert store.counts()["articles"] == 1


def test_write_articles_is_atomic_on_a_bad_row(store: Store) -> None:
    d1, = store.write_articles([_new("keep", 0)], {}, NOW)
    store.assign({d1: "s-keep"}, {"s-keep": NOW}, [], [], NOW)
    too_big = 2**70  # too large for SQLite INTEGER (and PostgreSQL's integer)
    with pytest.raises((OverflowError, StoreError)):
        store.write_articles([_new("a", 1), _new("b", 2, n_shingles=too_big)], {}, NOW)
    assert store.known(["a", "b", "keep"]) == {"keep": (d1, "h-keep")}
    assert _count(store, "buckets") == LSH.bands
    # A failed replacement leaves the replaced article and its story as they were.
    with pytest.raises((OverflowError, StoreError)):
        store.write_articles([_new("keep", 5, record_hash="new", n_shingles=too_big)], {"keep": d1}, NOW)
    got = store.article_by(id="keep")
    assert got is not None and got.doc == d1 and got.record_hash == "h-keep" and got.story_id == "s-keep"
    assert store.pending() == []
    assert _count(store, "buckets") == LSH.bands


def test_assign_is_atomic(store: Store) -> None:
    d1, d2 = store.write_articles([_new("a", 1), _new("b", 2)], {}, NOW)

    class Boom:
        def __iter__(self):  # type: ignore[no-untyped-def]
            yield "s1"
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.assign({d1: "s1", d2: "s1"}, {"s1": NOW}, Boom(), [], NOW)  # type: ignore[arg-type]
    assert store.pending() == [d1, d2]
    assert store.counts()["stories"] == 0


def test_meta_roundtrip_and_persistence(location: Path | str) -> None:
    s = open_store(location)
    s.set_meta("last_report_at", "2026-11-24T00:00:00+00:00")
    s.set_meta("last_report_at", "2026-11-25T00:00:00+00:00")
    s.write_articles([_new("a", 1)], {}, NOW)
    s.close()
    s = open_store(location, create=False)
    try:
        assert s.get_meta("last_report_at") == "2026-11-25T00:00:00+00:00"
        assert s.get_meta("nope") is None
        assert s.counts()["articles"] == 1
        assert s.size_bytes() > 0
    finally:
        s.close()


# -- signature parameters, through the pipeline ------------------------------------


def test_params_recorded(tmp_path: Path, jsonl, row) -> None:  # type: ignore[no-untyped-def]
    cfg = Config(store=tmp_path / "store", progress=False, workers=1)
    path = jsonl("a.jsonl", [row("a1", "Harga beras medium di Cipinang naik Rp 600 per kilogram dalam sepekan.")])
    index_corpus([str(path)], cfg)
    s = open_store(cfg.store, create=False)
    try:
        params = json.loads(s.get_meta("params") or "")
    finally:
        s.close()
    assert params["shingle"] == {"kind": "char", "size": 7}
    assert params["sign"] == {"num_perm": 128, "seed": 1, "scheme": "affine32"}
    assert params["threshold"] == 0.11 and params["prefilter"] == 0.2
    assert (params["bands"], params["rows"]) == (96, 2)  # datasketch's choice for 256 permutations, each used twice
    assert params["bands"] >= 1 and params["rows"] >= 1


def test_incompatible_settings_are_refused_naming_both(tmp_path: Path, jsonl, row) -> None:  # type: ignore[no-untyped-def]
    cfg = Config(store=tmp_path / "store", progress=False, workers=1)
    path = jsonl("a.jsonl", [row("a1", "Harga beras medium di Cipinang naik Rp 600 per kilogram dalam sepekan.")])
    index_corpus([str(path)], cfg)
    other = replace(cfg, shingle=ShingleConfig(kind="char", size=4))
    with pytest.raises(StoreError) as err:
        index_corpus([str(path)], other)
    msg = str(err.value)
    assert "char 7-grams" in msg and "char 4-grams" in msg
    assert "Config(chosen=frozenset())" in msg and "new store" in msg
    with pytest.raises(StoreError, match="num_perm=128.*num_perm=64"):
        index_corpus([str(path)], replace(cfg, sign=SignConfig(num_perm=64)))
    # nothing was written by the refused runs
    s = open_store(cfg.store, create=False)
    try:
        assert s.counts()["articles"] == 1
        assert ensure_params(s, cfg)[1].bands >= 1  # the original settings are still accepted
    finally:
        s.close()


def test_replace_moves_the_article_to_its_new_buckets_only(store: Store) -> None:
    (doc,) = store.write_articles([_new("a", seed=1)], {}, "2026-11-24T00:00:00+00:00")
    store.seal_index()
    replacement = _new("a", seed=2)
    (new_doc,) = store.write_articles([replacement], {"a": doc}, "2026-11-25T00:00:00+00:00")
    for sealed in (False, True):
        if sealed:
            store.seal_index()  # merges the two segments, dropping the replaced doc's entries
            assert _count(store, "buckets") == LSH.bands
        assert store.candidates_for_keys(replacement.band_keys) == [new_doc]
        assert store.candidates_for_keys(_new("a", seed=1).band_keys) == []


def test_one_index_run_at_a_time(tmp_path: Path) -> None:
    first = open_store(tmp_path / "store")
    first.lock_writer()
    second = open_store(tmp_path / "store")
    try:
        with pytest.raises(StoreError, match=r"is being indexed by 'dedup index' \(pid \d+"):
            second.lock_writer()
        first.close()  # the lock goes with it
        second.lock_writer()
    finally:
        second.close()


def test_discard_if_empty_removes_only_an_empty_stores_own_files(tmp_path: Path) -> None:
    from dedup.store import discard_if_empty

    empty = tmp_path / "empty"
    open_store(empty).close()
    assert discard_if_empty(empty) and not empty.exists()

    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "notes.txt").write_text("the user's own file")
    open_store(shared).close()
    assert not discard_if_empty(shared)
    assert sorted(p.name for p in shared.iterdir()) == ["notes.txt"]

    used = tmp_path / "used"
    s = open_store(used)
    s.set_meta("params", "{}")
    s.close()
    assert not discard_if_empty(used) and (used / DB_NAME).exists()

    busy = tmp_path / "busy"
    holder = open_store(busy)
    holder.lock_writer()
    try:
        assert not discard_if_empty(busy) and (busy / DB_NAME).exists()
    finally:
        holder.close()


def test_a_forked_child_does_not_keep_the_writer_lock(tmp_path: Path) -> None:
    """The background reader is forked while the index run holds the lock: if the
    run is killed, the child must not go on holding it."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("needs the fork start method")
    first = open_store(tmp_path / "store")
    first.lock_writer()
    ctx = mp.get_context("fork")
    release = ctx.Event()
    child = ctx.Process(target=release.wait, args=(30,))
    child.start()
    try:
        first.close()  # as if the run died: only the child's copy could hold the lock now
        second = open_store(tmp_path / "store")
        second.lock_writer()
        second.close()
    finally:
        release.set()
        child.join()


# -- the nightly report's clock and counts written with their articles (issue 11) ---------------


def test_change_sequence_numbers_committed_story_changes(location: Path | str) -> None:
    store = open_store(location)
    reader = open_store(location, create=False)
    try:
        d1, d2, d3 = store.write_articles([_new("a", 1), _new("b", 2), _new("c", 3)], {}, NOW)
        assert store.change_seq() == 0
        store.assign({d1: "s1", d2: "s1"}, {"s1": NOW}, [], [], NOW)
        assert store.change_seq() == 1
        assert store.stories_changed_after(0) == [("s1", True)] and store.stories_changed_after(1) == []
        with pytest.raises(RuntimeError):  # a failed assignment numbers nothing
            store.assign({d3: "s1"}, {}, (_raise() for _ in "x"), [], NOW)
        assert store.change_seq() == 1
        # A reader's view holds while a writer commits: the number and the stories it numbers agree.
        with reader.reading():
            seq = reader.change_seq()
            store.assign({d3: "s1"}, {}, ["s1"], [], "2026-11-26T00:00:00.000000+00:00")
            assert reader.change_seq() == seq == 1 and reader.stories_changed_after(seq) == []
            assert reader.story_members(["s1"]) == {"s1": [d1, d2]}
        assert reader.change_seq() == 2 and reader.stories_changed_after(1) == [("s1", False)]
        # the time look-back is kept
        assert [s for s, _, _ in reader.stories_changed_since(NOW)] == ["s1"]
    finally:
        reader.close()
        store.close()


def _raise() -> str:
    raise RuntimeError("boom")


def test_the_nightly_mark_never_moves_back(store: Store) -> None:
    store.mark_reported(5, "2026-11-25T00:00:00.000000+00:00")
    store.mark_reported(3, "2026-11-24T00:00:00.000000+00:00")  # an older report delivered late
    assert (store.get_meta("last_report_seq"), store.get_meta("last_report_at")) == ("5", "2026-11-25T00:00:00.000000+00:00")
    store.mark_reported(6, "2026-11-26T00:00:00.000000+00:00")
    assert store.get_meta("last_report_seq") == "6"


def test_boilerplate_counts_are_written_with_their_articles_or_not_at_all(sqlite_store: Store) -> None:
    store = sqlite_store
    from dedup.store import LineCounts

    counts = LineCounts("t1", {"example.com": 2}, (("example.com", 7, "Share this", 2), ("example.com", 8, "Once", 1)))
    real = store._conn
    store._conn = _FailingBandsConn(real, fail_on=3)  # type: ignore[assignment]  # memberships, outlet_articles, outlet_lines
    with pytest.raises(StoreError, match="simulated"):
        store.write_articles([_new("a", 1), _new("b", 2)], {}, NOW, counts)
    store._conn = real
    assert _count(store, "articles") == 0 and store.outlet_articles(["example.com"]) == {}
    store.write_articles([_new("a", 1), _new("b", 2)], {}, NOW, counts)
    assert store.outlet_articles(["example.com"]) == {"example.com": 2}
    assert store.outlet_lines(["example.com"], 2, 0.5) == {"example.com": (2, [("Share this", 2, "t1")])}


def test_pending_counts_are_judged_with_the_stored_ones(store: Store) -> None:
    from dedup.store import LineCounts

    stored = LineCounts("t1", {"x.com": 3}, (("x.com", 1, "Footer", 3), ("x.com", 2, "Rare", 1), ("x.com", 3, "Twice", 2)))
    store.write_articles([], {}, NOW, stored)
    batch = LineCounts("t2", {"x.com": 2}, (("x.com", 2, "Rare", 2), ("x.com", 4, "New", 2), ("x.com", 3, "Twice", 1)))
    merged = store.outlet_lines(["x.com"], 3, 0.5, batch)
    # 5 articles, floor 3: Footer 3+0, Rare 1+2 (its text comes from the batch), Twice 2+1; New 0+2 is short.
    assert merged == {"x.com": (5, [("Footer", 3, "t1"), ("Rare", 3, "t1"), ("Twice", 3, "t1")])}
    assert store.outlet_lines(["x.com"], 3, 0.5) == {"x.com": (3, [("Footer", 3, "t1")])}  # nothing was stored
    alone = LineCounts("t2", {"y.com": 4}, (("y.com", 9, "Only here", 4),))
    assert store.outlet_lines(["y.com"], 4, 0.2, alone) == {"y.com": (4, [("Only here", 4, "t2")])}


def _as_schema_5(path: Path) -> None:
    """Make a store as schema 5 had it: no URL or page keys on the articles."""
    con = sqlite3.connect(path / DB_NAME)
    for col in ("url_key", "page_key"):
        con.execute(f"DROP INDEX articles_{col}")
        con.execute(f"ALTER TABLE articles DROP COLUMN {col}")
    con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    con.commit()
    con.close()


def _as_schema_4(path: Path) -> None:
    """Make a store as schema 4 had it: no change sequence on stories or in meta."""
    _as_schema_5(path)
    con = sqlite3.connect(path / DB_NAME)
    con.execute("ALTER TABLE stories DROP COLUMN created_seq")
    con.execute("ALTER TABLE stories DROP COLUMN changed_seq")
    con.execute("DELETE FROM meta WHERE key IN ('change_seq', 'last_report_seq')")
    con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    con.commit()
    con.close()


@pytest.mark.parametrize("reported", [True, False])
def test_a_schema_4_store_is_migrated_and_its_next_report_neither_loses_nor_repeats(tmp_path: Path, reported: bool) -> None:
    from datetime import datetime

    from dedup.pipeline import build_report

    sample = Path(__file__).parents[2] / "examples" / "sample"
    cfg = Config(store=tmp_path / "store", progress=False, workers=1)
    index_corpus([str(sample / "night1.jsonl")], cfg)
    if reported:
        build_report(cfg, since="last")  # marks
    index_corpus([str(sample / "night2.jsonl")], cfg)
    store = open_store(cfg.store)
    last = store.get_meta("last_report_at")
    store.close()
    _as_schema_4(cfg.store)
    # What schema 4's next nightly report held: stories changed after the last report's time.
    since = datetime.fromisoformat(last) if last else "all"
    expected = {s.story_id: s.is_new for s in build_report(cfg, since=since, mark=False).stories}  # type: ignore[arg-type]
    store = open_store(cfg.store)
    try:
        assert store.get_meta("schema_version") == SCHEMA_VERSION
    finally:
        store.close()
    first = build_report(cfg, since="last")
    assert {s.story_id: s.is_new for s in first.stories} == expected and len(expected) == (13 if reported else 17)
    assert build_report(cfg, since="last").stories == ()  # nothing repeated
    index_corpus([str(sample / "night1.jsonl")], cfg)  # nothing new: still nothing to report
    assert build_report(cfg, since="last").stories == ()


def test_an_article_is_found_by_any_form_of_its_url(store: Store) -> None:
    store.write_articles([_new("a", 1), _new("b", 2, url="")], {}, NOW)
    for form in ("https://www.example.com/a", "example.com/a/", "http://EXAMPLE.com/a?utm_source=x&fbclid=y#top"):
        found = store.article_by(url=form)
        assert found is not None and found.id == "a", form
    assert store.article_by(url="https://www.example.com/b") is None
    assert store.article_by(url="") is None  # an empty address is no key for the article without one


def test_a_schema_5_store_gets_url_keys_for_its_articles(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    store.write_articles([_new("a", 1), _new("b", 2)], {}, NOW)
    store.close()
    _as_schema_5(tmp_path / "store")
    store = open_store(tmp_path / "store")
    try:
        assert store.get_meta("schema_version") == SCHEMA_VERSION
        found = store.article_by(url="example.com/b/?utm_campaign=z")
        assert found is not None and found.id == "b"
        assert store.stored_pages()("any page") is None  # stored before page keys: found again when read
    finally:
        store.close()


def test_stored_pages_sees_the_pages_stored_before_the_run_only(store: Store) -> None:
    store.write_articles([_new("a", 1, page_key="k-a")], {}, NOW)
    pages = store.stored_pages()
    store.write_articles([_new("b", 2, page_key="k-b")], {}, NOW)  # written by the run itself
    try:
        assert (pages("k-a"), pages("k-b"), pages("k-c")) == ("a", None, None)
    finally:
        pages.close()


# -- dedup check: the database's own invariants ------------------------------------------


def _clustered(store: Store) -> list[int]:
    docs = store.write_articles([_new("a", 1), _new("b", 2), _new("c", 3), _new("d", 4)], {}, NOW)
    store.assign({docs[0]: "s1", docs[1]: "s1", docs[2]: "s3", docs[3]: "s4"}, {"s1": NOW, "s3": NOW, "s4": NOW}, [], [], NOW)
    store.seal_index()
    return docs


def test_check_finds_nothing_in_a_sound_store(store: Store) -> None:
    _clustered(store)
    assert store.check() == []
    assert store.check(repair=True) == []


def test_check_reports_broken_invariants_one_line_each(sqlite_store: Store) -> None:
    store = sqlite_store
    d1, d2, d3, d4 = _clustered(store)
    c = store._conn
    c.execute("DELETE FROM memberships WHERE doc=?", (d1,))  # an article without its row
    c.execute("DELETE FROM stories WHERE story_id='s3'")  # d3's story gone
    c.execute("INSERT INTO stories(story_id, created_at, updated_at) VALUES ('orphan', ?, ?)", (NOW, NOW))  # a story nobody is in
    c.execute("UPDATE memberships SET story_id=NULL WHERE doc=?", (d4,))  # waiting: a note, not damage
    db = str(store.path / DB_NAME)
    found = store.check(repair=True)  # the database is reported, never "repaired"
    assert {(f.where, f.problem, f.damage, f.repaired) for f in found} == {
        (db, "articles without a membership row: 1", True, False),
        (db, "articles in a story missing from the stories table: 1", True, False),
        (db, "stories without a member: 2", True, False),  # the orphan, and s4 whose only member waits (no prev_story)
        (db, "articles waiting to be clustered: 1 (an index run was interrupted; 'dedup index' completes it)", False, False),
    }


def test_check_reports_a_corrupt_database_instead_of_raising(tmp_path: Path) -> None:
    s = open_store(tmp_path / "store")
    s.write_articles([_new(f"a{i}", i, text="x" * 3000) for i in range(200)], {}, NOW)
    s.seal_index()
    s.close()
    db = tmp_path / "store" / DB_NAME
    data = bytearray(db.read_bytes())
    page = 16384
    at = len(data) // page // 2 * page  # one page of articles in the middle overwritten
    data[at : at + page] = np.random.default_rng(1).integers(0, 256, page, dtype=np.uint8).tobytes()
    db.write_bytes(bytes(data))
    s = open_store(tmp_path / "store", create=False)
    try:
        found = s.check()
    finally:
        s.close()
    assert found and all(f.where == str(db) and f.damage and not f.derived for f in found)
    assert all("\n" not in f.problem for f in found)


def test_a_schema_6_store_gets_an_empty_alias_table_and_aliases_are_kept(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    store.close()
    con = sqlite3.connect(tmp_path / "store" / DB_NAME)
    con.execute("DROP TABLE outlet_aliases")
    con.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    store = open_store(tmp_path / "store")
    try:
        assert store.get_meta("schema_version") == SCHEMA_VERSION == "7"
        assert store.outlet_aliases() == {}
        assert store.set_outlet_aliases([("News.Detik.com", "detik.com"), ("detikcom", "detik.com")]) == []
        assert store.set_outlet_aliases([("news.detik.com", "Detik.com")], remove=["DETIKCOM", "absent"]) == ["absent"]
        assert store.outlet_aliases() == {"news.detik.com": "Detik.com"}
    finally:
        store.close()
