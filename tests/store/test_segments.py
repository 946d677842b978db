from __future__ import annotations

import io
import json
import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from dedup.errors import StoreError
from dedup.index import LSHParams, band_keys
from dedup.store import Finding, NewArticle, SQLiteStore, open_store
from dedup.store.segments import MAX_CLIQUE_BUCKET, Segment, bucket_join, iter_within_pairs, merge, plan_merges, segment_paths, within_pairs
from dedup.store.sqlite import DB_NAME, LSH_DIR, SCHEMA_VERSION

LSH = LSHParams(bands=16, rows=8)
NOW = "2026-11-25T00:00:00.000000+00:00"


@pytest.fixture
def store(sqlite_store: SQLiteStore) -> SQLiteStore:
    """The embedded store: these tests are about its segment files and SQLite itself."""
    return sqlite_store


def _new(ident: str, seed: int, sig: np.ndarray | None = None) -> NewArticle:
    if sig is None:
        sig = np.random.default_rng(seed).integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)
    return NewArticle(
        id=ident, url=f"https://example.com/{ident}", outlet="example.com", title=ident, text=f"Body {ident}",
        published_at=None, time_precision="unknown", published_raw=None, record_hash=f"h-{ident}",
        n_shingles=100, stripped=(), signature=sig, band_keys=band_keys(sig[None, :], LSH)[0],
    )


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
    assert not _segment_files(store)  # the file written was removed at once…
    assert store.get_meta("lsh_segments") is None  # …and never listed
    assert store.candidates_for_keys(a.band_keys) == [d]  # still found, from the row
    store.seal_index()  # the next run seals it
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


# -- damage: checksums, repair, bounds ---------------------------------------------------


def _flip(path: Path, n: int = 200, seed: int = 0) -> None:
    """``n`` bytes of a file's entries (past the 128-byte numpy header) inverted, as a bad disk would."""
    data = bytearray(path.read_bytes())
    for i in np.random.default_rng(seed).choice(np.arange(128, len(data)), n, replace=False).tolist():
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _near_copies(n: int, seed: int = 3) -> list[NewArticle]:
    """Copies of a few bases, each with some positions changed: real buckets to damage."""
    rng = np.random.default_rng(seed)
    bases = [rng.integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32) for _ in range(10)]
    arts = []
    for i in range(n):
        sig = bases[i % 10].copy()
        sig[rng.choice(128, 30, replace=False)] = rng.integers(0, 2**32, 30, dtype=np.uint64).astype(np.uint32)
        arts.append(_new(f"d{i}", i, sig))
    return arts


@pytest.fixture
def sealed(store: SQLiteStore) -> tuple[SQLiteStore, list[NewArticle], list[list[int]]]:
    """A store of 300 sealed articles, and what a lookup of each article's keys answers."""
    arts = _near_copies(300)
    store.write_articles(arts, {}, NOW)
    store.seal_index()
    return store, arts, [store.candidates_for_keys(a.band_keys) for a in arts]


def _damage(store: SQLiteStore, repair: bool = False) -> list[Finding]:
    """What check finds that is damage (not the articles these tests leave unclustered)."""
    return [f for f in store.check(repair) if f.damage]


def _file(store: SQLiteStore, part: str) -> Path:
    (path,) = (store.path / LSH_DIR).glob(f"*.{part}.npy")
    return path


def _listed(store: SQLiteStore) -> list[dict[str, object]]:
    return json.loads(store.get_meta("lsh_segments") or "[]")  # type: ignore[no-any-return]


@pytest.mark.parametrize("part", ["keys", "docs"])
def test_a_flipped_byte_segment_is_named_not_answered_from(sealed, part: str) -> None:  # type: ignore[no-untyped-def]
    store, arts, _ = sealed
    path = _file(store, part)
    _flip(path)
    for a in arts[:20]:  # every lookup: never a silently wrong answer, never a crash
        with pytest.raises(StoreError, match=re.escape(f"{path}: damaged LSH segment file, its checksum does not match")):
            store.candidates_for_keys(a.band_keys)
    with pytest.raises(StoreError, match=re.escape(str(path))):
        store.candidates([1, 2, 3])


def test_a_truncated_docs_file_is_named_as_the_docs_file(sealed) -> None:  # type: ignore[no-untyped-def]
    store, arts, _ = sealed
    path = _file(store, "docs")
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size // 2)
    with pytest.raises(StoreError) as err:
        store.candidates_for_keys(arts[0].band_keys)
    assert str(err.value).startswith(f"{path}: damaged LSH segment file, cut short")


@pytest.mark.parametrize("part", ["keys", "docs"])
def test_sealing_rebuilds_a_damaged_segment_from_the_rows(sealed, part: str) -> None:  # type: ignore[no-untyped-def]
    store, arts, answers = sealed
    path = _file(store, part)
    _flip(path)
    rebuilt = store.seal_index()  # what every index run does first
    assert [(f.where, f.repaired) for f in rebuilt] == [(str(path), True)]
    assert not path.exists()
    assert [store.candidates_for_keys(a.band_keys) for a in arts] == answers
    assert _damage(store) == []


def test_check_finds_and_repairs_a_damaged_segment(sealed) -> None:  # type: ignore[no-untyped-def]
    store, arts, answers = sealed
    path = _file(store, "keys")
    _flip(path, n=1)
    (found,) = _damage(store)
    assert (found.where, found.damage, found.derived, found.repaired) == (str(path), True, True, False)
    assert "checksum" in found.problem
    (fixed,) = _damage(store, repair=True)
    assert (fixed.where, fixed.repaired) == (str(path), True)
    assert _damage(store) == []
    assert [store.candidates_for_keys(a.band_keys) for a in arts] == answers


def test_a_segment_without_checksums_is_scanned_by_check_and_never_crashes_a_lookup(sealed) -> None:  # type: ignore[no-untyped-def]
    store, arts, answers = sealed
    # As an older dedup wrote it: no digests; then its keys lose their order and a doc goes out of range.
    (info,) = _listed(store)
    store.set_meta("lsh_segments", json.dumps([{k: v for k, v in info.items() if not k.endswith("_xxh3")}]))
    keys_path, docs_path = _file(store, "keys"), _file(store, "docs")
    keys, docs = np.load(keys_path), np.load(docs_path)
    keys[::7] = keys[::7][::-1]
    docs[5] = -3
    np.save(keys_path, keys)
    np.save(docs_path, docs)
    for a in arts:
        got = store.candidates_for_keys(a.band_keys)
        assert set(got) <= set(range(1, 301))
    assert len(store.candidates(list(range(1, 301)))) > 0
    (found,) = _damage(store)
    assert (found.where, found.problem) == (str(keys_path), "keys out of order")
    store.check(repair=True)
    assert [store.candidates_for_keys(a.band_keys) for a in arts] == answers
    assert not [f for f in store.check() if f.derived]  # rebuilt with a checksum: no note left either


def test_check_notes_a_sound_segment_without_checksums_and_repair_gives_it_one(sealed) -> None:  # type: ignore[no-untyped-def]
    store, arts, answers = sealed
    (info,) = _listed(store)
    store.set_meta("lsh_segments", json.dumps([{k: v for k, v in info.items() if not k.endswith("_xxh3")}]))
    (note,) = [f for f in store.check() if f.derived]
    assert (note.where, note.damage) == (str(store.path / LSH_DIR / str(info["name"])), False)
    assert "no checksum" in note.problem
    (done,) = [f for f in store.check(repair=True) if f.derived]
    assert done.repaired
    assert all("keys_xxh3" in i for i in _listed(store))
    assert [store.candidates_for_keys(a.band_keys) for a in arts] == answers


def test_bucket_join_never_fails_on_keys_out_of_order() -> None:
    # An unsorted run (a damaged file): numpy's searches can then end before they start.
    keys = np.array([4, 5, 7, 8, 8, 9, 10, 11, 13, 13, 13, 17, 26, 18, 22, 24, 26, 26, 26, 28, 28, 29, 30, 31, 33, 35,
                     25, 38, 38, 41, 1, 41, 42, 44, 47, 47, 49, 49, 49, 49])
    hits = bucket_join(keys, np.arange(keys.size), np.array([5, 8, 14, 17, 20, 30, 31, 41]), cap=None)
    assert hits.shape[1] == 2


def test_a_missing_file_of_several_segments_rebuilds_that_segment_only(store: SQLiteStore) -> None:
    arts = _near_copies(110)
    for night in (arts[:100], arts[100:]):  # a small night after a big one: two segments
        store.write_articles(night, {}, NOW)
        store.seal_index()
    answers = [store.candidates_for_keys(a.band_keys) for a in arts]
    infos = _listed(store)
    assert len(infos) == 2
    gone = store.path / LSH_DIR / f"{infos[0]['name']}.docs.npy"
    gone.unlink()
    (f,) = _damage(store)
    assert (f.where, f.problem) == (str(gone), "missing")
    (f,) = store.seal_index()
    assert (f.where, f.problem) == (str(gone), "missing")
    assert [i["name"] for i in _listed(store)][1:] == [i["name"] for i in infos][1:]  # the others kept
    assert [store.candidates_for_keys(a.band_keys) for a in arts] == answers


@pytest.mark.parametrize(("key", "value"), [("lsh_segments", '[{"name": "seg-1'), ("lsh_sealed", "many")])
def test_an_unreadable_segment_list_is_a_store_error_and_rebuilt_by_sealing(sealed, key: str, value: str) -> None:  # type: ignore[no-untyped-def]
    store, arts, answers = sealed
    store.set_meta(key, value)
    with pytest.raises(StoreError, match="the list of LSH segments in the meta table is unreadable"):
        store.candidates_for_keys(arts[0].band_keys)
    assert [f.where for f in _damage(store)] == ["lsh_segments"]
    (f,) = store.seal_index()
    assert f.where == "lsh_segments" and f.repaired
    assert [store.candidates_for_keys(a.band_keys) for a in arts] == answers
    assert _damage(store) == []


# -- bounded memory: sorting and merging in chunks (issue 11) ---------------------------


def _whole_sort(chunks: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The segment as one stable sort of every entry builds it (the code before chunking)."""
    docs = np.concatenate([d for d, _ in chunks])
    keys = np.concatenate([k for _, k in chunks])
    return Segment.sort(keys.reshape(-1), np.repeat(docs, keys.shape[1]))


def _chunks(rng: np.random.Generator, n_docs: int, bands: int, per: int) -> list[tuple[np.ndarray, np.ndarray]]:
    # Few distinct keys: many equal keys across runs, and one bucket longer than any run.
    keys = rng.integers(0, 25, (n_docs, bands))
    keys[: n_docs // 2, 0] = 7
    docs = np.sort(rng.choice(10 * n_docs, n_docs, replace=False)) + 1
    return [(docs[i : i + per], keys[i : i + per]) for i in range(0, n_docs, per)]


@pytest.mark.parametrize("run", [5, 16, 37, 10_000])
def test_a_segment_built_in_runs_equals_one_whole_sort(tmp_path: Path, run: int) -> None:
    chunks = _chunks(np.random.default_rng(run), 300, 4, 17)
    seg = Segment.build_chunked(tmp_path, chunks, run=run)
    assert seg is not None
    keys, docs = _whole_sort(chunks)
    assert np.array_equal(seg.keys, keys) and np.array_equal(seg.docs, docs)
    assert (seg.info.lo, seg.info.hi, seg.info.entries) == (int(chunks[0][0][0]), int(chunks[-1][0][-1]), keys.size)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in segment_paths(tmp_path, seg.info.name))


def test_a_streamed_segment_file_is_what_np_save_writes(tmp_path: Path) -> None:
    chunks = _chunks(np.random.default_rng(2), 200, 3, 9)
    seg = Segment.build_chunked(tmp_path, chunks, run=40)
    assert seg is not None
    for path, array in zip(segment_paths(tmp_path, seg.info.name), _whole_sort(chunks), strict=True):
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(array, dtype=np.int64), allow_pickle=False)
        assert path.read_bytes() == buf.getvalue()


@pytest.mark.parametrize("block", [3, 50, 1 << 20])
@pytest.mark.parametrize("filtered", [False, True])
def test_a_streamed_merge_equals_one_whole_sort(tmp_path: Path, block: int, filtered: bool) -> None:
    rng = np.random.default_rng(block)
    parts = [_chunks(rng, n, 4, 1000) for n in (120, 40, 75)]
    offset, segs, everything = 0, [], []
    for part in parts:
        part = [(d + offset, k) for d, k in part]
        offset = int(part[-1][0][-1]) + 1
        built = Segment.build_chunked(tmp_path, part)
        assert built is not None
        segs.append(built)
        everything += part
    keys, docs = _whole_sort(everything)
    alive = None
    if filtered:  # replaced articles' entries are dropped
        alive = np.sort(rng.choice(np.unique(docs), np.unique(docs).size * 2 // 3, replace=False))
        keep = np.isin(docs, alive)
        keys, docs = keys[keep], docs[keep]
    merged = merge(tmp_path, segs, alive, block=block)
    assert np.array_equal(merged.keys, keys) and np.array_equal(merged.docs, docs)
    assert merged.info.entries == keys.size


@pytest.mark.parametrize("chunk", [1, 7, 1 << 22])
def test_pairs_scanned_from_files_in_chunks_equal_the_whole_scan(tmp_path: Path, chunk: int) -> None:
    chunks = _chunks(np.random.default_rng(4), 150, 4, 50)
    chunks[0][1][:, 1] = 99  # a bucket of 50: a clique, and with cap 10 a star
    seg = Segment.build_chunked(tmp_path, chunks)
    assert seg is not None
    for cap in (None, 10):
        whole = within_pairs(np.asarray(seg.keys), np.asarray(seg.docs), cap)
        parts = list(iter_within_pairs(seg.keys, seg.docs, cap, seg.run_file(tmp_path).read, chunk=chunk))
        assert sorted(map(tuple, np.concatenate(parts).tolist())) == sorted(map(tuple, whole.tolist()))  # order aside


def test_a_bulk_seal_sorted_in_runs_equals_one_whole_sort(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import dedup.store.segments as segments_mod
    import dedup.store.sqlite as sqlite_mod

    docs = store.write_articles([_new(f"a{i}", i) for i in range(60)], {}, NOW)
    keys = np.stack([_new(f"a{i}", i).band_keys for i in range(60)])
    monkeypatch.setattr(segments_mod, "_SORT_RUN", 100)  # 960 entries: ten runs spilled to files
    monkeypatch.setattr(sqlite_mod, "_SEAL_CHUNK", 7)
    store.seal_index()
    (info,) = store._segment_infos()[0]
    seg = Segment.open(store.path / LSH_DIR, info)
    want_keys, want_docs = Segment.sort(keys.reshape(-1), np.repeat(np.array(docs), keys.shape[1]))
    assert np.array_equal(seg.keys, want_keys) and np.array_equal(seg.docs, want_docs)
    assert _segment_files(store) == {f"{info.name}.keys.npy", f"{info.name}.docs.npy"}  # no run left behind


@pytest.mark.parametrize("trouble", ["none", "replaced", "removed", "never sealed"])
def test_a_bulk_load_sorted_as_written_seals_what_the_rows_give(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch, trouble: str) -> None:
    # begin_bulk: each committed batch's entries are sorted as it is written, and the seal
    # merges them; a replaced or removed article (the rows no longer hold its entries) makes
    # the seal read the rows instead. Either way the segment is the rows' whole sort.
    import dedup.store.segments as segments_mod

    monkeypatch.setattr(segments_mod, "_SORT_RUN", 100)  # runs spilled to files as the batches come
    store.begin_bulk()
    assert store._bulk is not None
    arts = [_new(f"a{i}", i) for i in range(60)]
    for i in range(0, 60, 8):
        store.write_articles(arts[i : i + 8], {}, NOW)
    if trouble == "replaced":
        old = store.known(["a3"])["a3"][0]
        store.write_articles([_new("a3", 99)], {"a3": old}, NOW)
        assert store._bulk is None
    if trouble == "removed":
        store._conn.execute("DELETE FROM articles WHERE doc = 5")  # (as if pruned meanwhile)
    if trouble == "never sealed":
        bulk = store._bulk
        assert bulk is not None and bulk._spill is not None and bulk._spill.exists()
        store.close()
        assert not bulk._spill  # its temporary runs went with the store
        return
    store.end_bulk()
    store.seal_index()
    assert store._bulk is None
    rows = store._conn.execute("SELECT doc, band_keys FROM articles ORDER BY doc").fetchall()
    keys = np.stack([np.frombuffer(k, dtype="<i8") for _, k in rows])
    want_keys, want_docs = Segment.sort(keys.reshape(-1), np.repeat(np.array([d for d, _ in rows]), keys.shape[1]))
    (info,) = store._segment_infos()[0]
    seg = Segment.open(store.path / LSH_DIR, info)
    assert np.array_equal(seg.keys, want_keys) and np.array_equal(seg.docs, want_docs)
    assert _segment_files(store) == {f"{info.name}.keys.npy", f"{info.name}.docs.npy"}  # no run left behind


def test_a_sort_run_left_by_a_killed_seal_is_removed(store: SQLiteStore) -> None:
    store.write_articles([_new("a", 1)], {}, NOW)
    leftover = store.path / LSH_DIR / "sort-abc123"
    leftover.mkdir(parents=True)
    (leftover / "0.keys").write_bytes(b"\0" * 16)
    store.seal_index()
    assert not leftover.exists()


def test_pairs_verified_in_blocks_equal_pairs_verified_at_once(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import dedup.cluster as cluster_mod
    from dedup.config import ClusterConfig

    rng = np.random.default_rng(8)
    bases = [rng.integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32) for _ in range(4)]
    arts = []
    for i in range(40):  # copies of four bases: some pass verification, some only share a band
        sig = bases[i % 4].copy()
        n = 30 if i % 3 else 100  # 100 of 120: band 0 still shared, similarity about 0.2
        sig[8 + rng.choice(120, n, replace=False)] = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
        arts.append(_new(f"v{i}", i, sig))
    docs = store.write_articles(arts, {}, NOW)
    store.seal_index()
    at_once = cluster_mod.verified_pairs(store, docs, ClusterConfig())
    monkeypatch.setattr(cluster_mod, "_VERIFY_BLOCK", 3)  # signatures read again for each block of 3 pairs
    assert np.array_equal(cluster_mod.verified_pairs(store, docs, ClusterConfig()), at_once)
    assert 0 < len(at_once) < len(store.candidates(docs))
    sigs, sizes = store.signatures([docs[3], docs[0], docs[3]])  # in the order asked, repeats too
    assert np.array_equal(sigs, np.stack([arts[3].signature, arts[0].signature, arts[3].signature]))
    with pytest.raises(KeyError):
        store.signatures([docs[0], 999])


@pytest.mark.parametrize("n", [0, 1, 2, 1000, (1 << 16) + 3])
def test_the_compiled_sort_is_numpys_stable_argsort(n: int) -> None:
    from dedup._kernels import sort_pairs
    from dedup.store.segments import Segment

    rng = np.random.default_rng(n)
    keys = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, n, dtype=np.int64)
    if n > 2:
        keys[rng.random(n) < 0.3] = keys[0]  # buckets: equal keys keep their docs' order
        keys[:3] = [np.iinfo(np.int64).min, -1, np.iinfo(np.int64).max]
        keys[n // 2 :: 7] = 5  # keys that differ only in their low bits: every pass counts
    docs = rng.permutation(n).astype(np.int64)
    order = np.argsort(keys, kind="stable")
    for got_keys, got_docs in (sort_pairs(keys, docs), Segment.sort(keys, docs)):
        assert got_keys.tolist() == keys[order].tolist() and got_docs.tolist() == docs[order].tolist()


@pytest.mark.parametrize(("pieces", "size"), [(2, 1 << 16), (3, 70_000), (5, 1000), (1, 1 << 17)])
def test_the_compiled_merge_is_a_stable_sort_of_sorted_pieces(pieces: int, size: int) -> None:
    from dedup._kernels import merge_sorted
    from dedup.store.segments import _merged

    rng = np.random.default_rng(pieces)
    parts = []
    for p in range(pieces):
        keys = rng.integers(-50, 50, size, dtype=np.int64)  # few keys: long runs of equal ones
        keys[: size // 10] = np.iinfo(np.int64).min + p
        keys = np.sort(keys, kind="stable")
        parts.append((keys, rng.integers(0, 1 << 40, size, dtype=np.int64)))
    keys = np.concatenate([k for k, _ in parts])
    docs = np.concatenate([d for _, d in parts])
    order = np.argsort(keys, kind="stable")
    starts = np.cumsum([0] + [size] * pieces, dtype=np.int64)
    for got_keys, got_docs in (merge_sorted(keys, docs, starts), _merged(parts)):
        assert got_keys.tolist() == keys[order].tolist() and got_docs.tolist() == docs[order].tolist()
