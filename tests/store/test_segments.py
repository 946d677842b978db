from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from dedup.errors import StoreError
from dedup.index import LSHParams, band_keys
from dedup.store import NewArticle, SQLiteStore, open_store
from dedup.store.segments import MAX_CLIQUE_BUCKET, Segment, bucket_join, plan_merges
from dedup.store.sqlite import DB_NAME, LSH_DIR, SCHEMA_VERSION

LSH = LSHParams(bands=16, rows=8)
NOW = "2026-11-25T00:00:00.000000+00:00"


def _new(ident: str, seed: int, sig: np.ndarray | None = None) -> NewArticle:
    if sig is None:
        sig = np.random.default_rng(seed).integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)
    return NewArticle(
        id=ident, url=f"https://example.com/{ident}", outlet="example.com", title=ident, text=f"Body {ident}",
        published_at=None, time_precision="unknown", published_raw=None, record_hash=f"h-{ident}",
        n_shingles=100, stripped=(), signature=sig, band_keys=band_keys(sig[None, :], LSH)[0],
    )


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = open_store(tmp_path / "store")
    yield s
    s.close()


def _segment_files(store: SQLiteStore) -> set[str]:
    d = store.path / LSH_DIR
    return {p.name for p in d.iterdir()} if d.exists() else set()


# -- the join itself ---------------------------------------------------------------


@pytest.mark.parametrize("cap", [None, 3])
def test_bucket_join_matches_brute_force(cap: int | None) -> None:
    rng = np.random.default_rng(5)
    keys, docs = Segment.sort(rng.integers(0, 40, 500), np.arange(500))
    query = rng.integers(0, 50, 60)
    got = {tuple(p) for p in bucket_join(keys, docs, query, cap).tolist()}
    want = set()
    for qi, k in enumerate(query.tolist()):
        members = docs[keys == k].tolist()
        if cap is not None and len(members) > cap:
            members = members[:1]  # a star: the bucket's first (earliest) doc only
        want |= {(qi, d) for d in members}
    assert got == want


def test_plan_merges_keeps_segments_logarithmic() -> None:
    assert plan_merges([1000]) == 1
    assert plan_merges([1000, 10]) == 1  # small next to big: wait
    assert plan_merges([1000, 300]) == 2
    assert plan_merges([1000, 50, 50, 50]) == 3  # the small ones merge first
    assert plan_merges([1000, 100, 100, 100]) == 4  # …and then they are big enough to join the big one
    sizes: list[int] = []
    for _ in range(200):  # 200 nightly runs of equal size
        sizes.append(10)
        k = plan_merges(sizes)
        if k > 1:
            sizes = sizes[:-k] + [sum(sizes[-k:])]
    assert len(sizes) <= 8


# -- sealing and looking up through the store -------------------------------------------


def test_unsealed_articles_are_found_from_their_rows(store: SQLiteStore) -> None:
    a = _new("a", 1)
    (d,) = store.write_articles([a], {}, NOW)
    assert _segment_files(store) == set()
    assert store.candidates_for_keys(a.band_keys) == [d]
    store.seal_index()
    assert len(_segment_files(store)) == 2  # keys + docs
    assert store.candidates_for_keys(a.band_keys) == [d]
    assert store.counts()["buckets"] == LSH.bands


def test_candidates_span_segments_and_tail(store: SQLiteStore) -> None:
    base = _new("a", 1)
    near = base.signature.copy()
    near[8:] = np.random.default_rng(9).integers(0, 2**32, 120, dtype=np.uint64).astype(np.uint32)  # band 0 shared
    (da,) = store.write_articles([base], {}, NOW)
    store.seal_index()
    (db,) = store.write_articles([_new("b", 2, near)], {}, NOW)
    (dc,) = store.write_articles([_new("c", 3)], {}, NOW)
    assert store.candidates([db]).tolist() == [[da, db]]
    assert store.candidates([dc]).shape == (0, 2)
    store.seal_index()
    assert store.candidates([db]).tolist() == [[da, db]]


def test_a_huge_bucket_is_linked_as_a_star(store: SQLiteStore) -> None:
    sig = np.random.default_rng(1).integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)
    docs = store.write_articles([_new(f"c{i}", i, sig) for i in range(MAX_CLIQUE_BUCKET + 6)], {}, NOW)
    pairs = store.candidates(docs)
    assert sorted(pairs.tolist()) == [[docs[0], d] for d in docs[1:]]


def test_seal_merges_and_stays_small(store: SQLiteStore) -> None:
    for night in range(12):
        store.write_articles([_new(f"n{night}-{i}", 100 * night + i) for i in range(5)], {}, NOW)
        store.seal_index()
    assert store.counts()["buckets"] == 12 * 5 * LSH.bands
    assert len(_segment_files(store)) <= 2 * 5
    probe = _new("n3-2", 302)
    assert len(store.candidates_for_keys(probe.band_keys)) == 1


def test_an_interrupted_seal_leaves_the_store_as_it_was(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    a = _new("a", 1)
    (d,) = store.write_articles([a], {}, NOW)
    real = store.set_meta

    def boom(key: str, value: str) -> None:
        if key == "lsh_segments":
            raise KeyboardInterrupt
        real(key, value)

    monkeypatch.setattr(store, "set_meta", boom)
    with pytest.raises(KeyboardInterrupt):
        store.seal_index()
    monkeypatch.undo()
    assert _segment_files(store)  # the file was written…
    assert store.get_meta("lsh_segments") is None  # …but never listed
    assert store.candidates_for_keys(a.band_keys) == [d]  # still found, from the row
    store.seal_index()  # the next run seals it and clears the leftover
    assert len(_segment_files(store)) == 2
    assert store.candidates_for_keys(a.band_keys) == [d]


def test_a_missing_segment_file_is_a_clear_error(store: SQLiteStore) -> None:
    a = _new("a", 1)
    store.write_articles([a], {}, NOW)
    store.seal_index()
    for p in (store.path / LSH_DIR).iterdir():
        p.unlink()
    with pytest.raises(StoreError, match="missing; run 'dedup index' on this store"):
        store.candidates_for_keys(a.band_keys)
    store.seal_index()  # what the next index run does first: rebuilt from the rows
    assert store.candidates_for_keys(a.band_keys) == [1]
    assert len(_segment_files(store)) == 2


# -- migration -------------------------------------------------------------------------

_V3 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles (
    doc INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, url TEXT NOT NULL, outlet TEXT NOT NULL,
    title TEXT NOT NULL, text TEXT NOT NULL, published_at TEXT, time_precision TEXT NOT NULL,
    published_raw TEXT, record_hash TEXT NOT NULL, n_shingles INTEGER NOT NULL, signature BLOB NOT NULL,
    band_keys BLOB NOT NULL, stripped TEXT NOT NULL, indexed_at TEXT NOT NULL, story_id TEXT, prev_story TEXT
);
CREATE INDEX articles_url ON articles(url);
CREATE INDEX articles_story ON articles(story_id);
CREATE TABLE buckets (key INTEGER NOT NULL, doc INTEGER NOT NULL);
CREATE INDEX buckets_key ON buckets(key);
CREATE TABLE stories (story_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
"""


def _v3(path: Path) -> sqlite3.Connection:
    """A new schema 3 database at ``path``, open."""
    path.mkdir()
    con = sqlite3.connect(path / DB_NAME)
    con.executescript(_V3)
    con.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    return con


def test_a_schema_3_store_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old"
    con = _v3(path)
    arts = [_new("a", 1), _new("b", 2)]
    for doc, (art, story) in enumerate(zip(arts, ["s1", None]), start=1):
        con.execute(
            "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (doc, art.id, art.url, art.outlet, art.title, art.text, None, "unknown", None, art.record_hash, 100,
             art.signature.astype("<u4").tobytes(), art.band_keys.astype("<i8").tobytes(), "[]", NOW, story, None),
        )
        con.executemany("INSERT INTO buckets VALUES (?, ?)", [(k, doc) for k in art.band_keys.tolist()])
    con.execute("INSERT INTO stories VALUES ('s1', ?, ?)", (NOW, NOW))
    con.commit()
    con.close()

    s = open_store(path)
    try:
        assert s.get_meta("schema_version") == SCHEMA_VERSION
        assert s.article_by(id="a").story_id == "s1"  # type: ignore[union-attr]
        assert s.pending() == [2]
        assert s.candidates_for_keys(arts[1].band_keys) == [2]
        assert s.counts()["buckets"] == 2 * LSH.bands
        assert len(_segment_files(s)) == 2
        tables = {r[0] for r in s._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "buckets" not in tables
    finally:
        s.close()


def test_a_migrated_schema_3_store_can_be_indexed(tmp_path: Path) -> None:
    from dedup.config import Config
    from dedup.pipeline import index_corpus

    path = tmp_path / "old"
    con = _v3(path)
    con.commit()
    con.close()
    night = Path(__file__).parents[2] / "examples" / "sample" / "night1.jsonl"
    assert index_corpus([str(night)], Config(store=path, progress=False, workers=1)).added == 81  # it had no outlet_* tables


def test_candidates_in_chunks_equal_candidates_at_once(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import dedup.store.sqlite as sqlite_mod

    rng = np.random.default_rng(3)
    bases = [rng.integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32) for _ in range(6)]
    arts = []
    for i in range(40):  # copies of six bases, each with some bands changed
        sig = bases[i % 6].copy()
        sig[rng.choice(128, 20, replace=False)] = rng.integers(0, 2**32, 20, dtype=np.uint64).astype(np.uint32)
        arts.append(_new(f"d{i}", i, sig))
    docs = store.write_articles(arts[:25], {}, NOW)
    store.seal_index()
    docs += store.write_articles(arts[25:], {}, NOW)  # some sealed, some in the tail
    at_once = store.candidates(docs)
    monkeypatch.setattr(sqlite_mod, "_CANDIDATE_CHUNK", 3)
    assert np.array_equal(store.candidates(docs), at_once)
    assert len(at_once) > 40


@pytest.mark.parametrize("asked", ["all", "newest night", "some"])
def test_scanning_a_covered_run_equals_searching_it(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch, asked: str) -> None:
    rng = np.random.default_rng(11)
    bases = [rng.integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32) for _ in range(5)]
    shared = rng.integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)
    docs: list[int] = []
    for night in range(3):  # two sealed segments and an unsealed tail
        arts = []
        for i in range(30):
            sig = bases[i % 5].copy()
            sig[rng.choice(128, 20, replace=False)] = rng.integers(0, 2**32, 20, dtype=np.uint64).astype(np.uint32)
            if i < 2 * MAX_CLIQUE_BUCKET // 3:
                sig[:8] = shared[:8]  # one bucket larger than MAX_CLIQUE_BUCKET: a star
            arts.append(_new(f"n{night}-{i}", 1000 * night + i, sig))
        docs += store.write_articles(arts, {}, NOW)
        if night < 2:
            store.seal_index()
    query = {"all": docs, "newest night": docs[60:], "some": docs[::3]}[asked]
    scanned = store.candidates(query)
    monkeypatch.setattr(SQLiteStore, "_covered", lambda self, run, asked: False)
    searched = store.candidates(query)
    assert np.array_equal(scanned, searched)
    assert len(scanned) > 60


def test_a_segment_merged_away_meanwhile_is_read_again(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    a = _new("a", 1)
    (d,) = store.write_articles([a], {}, NOW)
    store.seal_index()
    real = Segment.open
    calls = {"n": 0}

    def gone_once(directory: Path, info: object) -> Segment:
        calls["n"] += 1
        if calls["n"] == 1:  # another run merged it and deleted the file after we read the list
            raise FileNotFoundError(2, "No such file or directory", str(directory / "gone.keys.npy"))
        return real(directory, info)  # type: ignore[arg-type]

    monkeypatch.setattr(Segment, "open", staticmethod(gone_once))
    assert store.candidates_for_keys(a.band_keys) == [d]
    assert calls["n"] == 2
