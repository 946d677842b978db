from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHashLSH
from datasketch.lsh import _optimal_param

from dedup.config import ClusterConfig, Config, IndexConfig, ShingleConfig, SignConfig
from dedup.errors import ConfigError, StoreError
from dedup.index import (
    PERMUTATION_REUSE,
    LSHParams,
    band_keys,
    band_layout,
    ensure_params,
    optimal_params,
    signature_params,
    stored_params,
)
from dedup.store import open_store


@pytest.mark.parametrize(
    ("threshold", "num_perm"),
    [(0.3, 128), (0.5, 128), (0.8, 64), (0.3, 256), *((t / 20, p) for t in range(1, 20) for p in (32, 128))],
)
def test_optimal_params_equal_datasketch(threshold: float, num_perm: int) -> None:
    b, r = _optimal_param(threshold, num_perm, 0.5, 0.5)
    if b < 2:  # MinHashLSH refuses these, and so do we
        with pytest.raises(ConfigError, match="at least 2 bands"):
            optimal_params(threshold, num_perm)
        with pytest.raises(ValueError):
            MinHashLSH(threshold=threshold, num_perm=num_perm)
        return
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    assert (lsh.b, lsh.r) == (b, r)
    assert optimal_params(threshold, num_perm) == LSHParams(bands=b, rows=r)


def test_band_keys_shape_and_equality() -> None:
    rng = np.random.default_rng(1)
    sigs = rng.integers(0, 2**32, (3, 128), dtype=np.uint64).astype(np.uint32)
    sigs[1] = sigs[0]
    sigs[2] = sigs[0]
    sigs[2, 5] ^= 1  # one value changed: only band 5 // rows differs
    p = LSHParams(bands=16, rows=8)
    keys = band_keys(sigs, p)
    assert keys.shape == (3, 16) and keys.dtype == np.int64
    assert (keys[0] == keys[1]).all()
    differ = np.flatnonzero(keys[0] != keys[2]).tolist()
    assert differ == [0]


def test_band_keys_differ_between_bands_for_equal_rows() -> None:
    # Identical row values in two bands must not land in the same bucket key.
    sigs = np.zeros((1, 128), dtype=np.uint32)
    keys = band_keys(sigs, LSHParams(bands=32, rows=4))
    assert len(set(keys[0].tolist())) == 32


def test_band_keys_ignore_unused_tail() -> None:
    p = LSHParams(bands=10, rows=12)  # 120 of 128 values used
    a = np.arange(128, dtype=np.uint32)[None, :]
    b = a.copy()
    b[0, 125] = 7
    assert (band_keys(a, p) == band_keys(b, p)).all()


def test_bands_beyond_the_permutations_reuse_them_in_new_sets() -> None:
    layout = band_layout(81, 2, 128)
    assert layout.shape == (81, 2) and layout.min() >= 0 and layout.max() < 128
    assert layout[:64].ravel().tolist() == list(range(128))  # first as datasketch lays them out
    assert len({frozenset(r) for r in layout.tolist()}) == 81 and all(a != b for a, b in layout.tolist())
    assert len({frozenset(r) for r in band_layout(128 * 127 // 2 // 4, 2, 128).tolist()}) == 128 * 127 // 2 // 4
    with pytest.raises(ConfigError, match="cannot each take a different set"):
        band_layout(20, 4, 8)  # C(8, 4) = 70 sets, but the layouts reach only a few
    with pytest.raises(ConfigError, match="lower the threshold or raise num_perm"):
        optimal_params(0.95, 32, reuse=2)  # 2 bands of 32 rows: both would take all 32 permutations
    # A band's key depends on its own permutations only, reused or not.
    rng = np.random.default_rng(3)
    sigs = rng.integers(0, 2**32, (2, 128), dtype=np.uint64).astype(np.uint32)
    sigs[1] = sigs[0]
    sigs[1, 7] ^= 1
    keys = band_keys(sigs, LSHParams(bands=81, rows=2))
    assert keys.shape == (2, 81)
    assert np.flatnonzero(keys[0] != keys[1]).tolist() == [i for i, r in enumerate(layout.tolist()) if 7 in r]


def test_a_new_store_bands_as_for_twice_its_permutations_and_reaches_lower_similarity() -> None:
    have = signature_params(Config())
    assert PERMUTATION_REUSE == 2
    assert (have["bands"], have["rows"]) == (96, 2) and optimal_params(0.11, 128 * PERMUTATION_REUSE) == LSHParams(96, 2)
    # Pairs of signatures agreeing on a random 10% of their permutations (Jaccard 0.1): the
    # share that shares a bucket is 1 - (1 - 0.1^2)^bands, reused permutations or not.
    rng = np.random.default_rng(7)
    n = 4000
    a = rng.integers(0, 2**32, (n, 128), dtype=np.uint64).astype(np.uint32)
    b = rng.integers(0, 2**32, (n, 128), dtype=np.uint64).astype(np.uint32)
    same = rng.random((n, 128)) < 0.1
    b[same] = a[same]
    for bands, want in ((64, 1 - 0.99**64), (96, 1 - 0.99**96)):
        p = LSHParams(bands=bands, rows=2)
        found = (band_keys(a, p) == band_keys(b, p)).any(axis=1).mean()
        assert abs(found - want) < 0.03, (bands, found, want)


def test_ensure_params_records_then_accepts_then_refuses(tmp_path: Path) -> None:
    cfg = Config(store=tmp_path / "s", progress=False)
    store = open_store(cfg.store)
    try:
        assert store.get_meta("params") is None
        used, p = ensure_params(store, cfg)
        assert used == cfg
        recorded = json.loads(store.get_meta("params") or "")
        assert recorded == json.loads(json.dumps(signature_params(cfg)))
        assert (recorded["bands"], recorded["rows"]) == (p.bands, p.rows)
        assert ensure_params(store, cfg) == (cfg, p)
        assert stored_params(store)[1] == p
        assert ensure_params(store, replace(cfg, progress=True))[1] == p
        with pytest.raises(StoreError, match=rf"threshold={cfg.index.threshold}.*threshold=0\.5"):
            ensure_params(store, replace(cfg, index=IndexConfig(threshold=0.5)))
        with pytest.raises(StoreError, match="char 7-grams.*word 3-grams"):
            ensure_params(store, replace(cfg, shingle=ShingleConfig(kind="word", size=3)))
    finally:
        store.close()


def test_settings_not_chosen_come_from_the_store(tmp_path: Path) -> None:
    built = Config(store=tmp_path / "s", shingle=ShingleConfig(kind="word"), sign=SignConfig(num_perm=64),
                   index=IndexConfig(threshold=0.5), cluster=ClusterConfig(min_similarity=0.6, min_containment=0.8))
    store = open_store(built.store)
    try:
        ensure_params(store, built)
        # A later run that chose nothing (the CLI without options) indexes with the store's settings…
        used, p = ensure_params(store, Config(store=built.store, chosen=frozenset()))
        assert (used.shingle, used.sign, used.index) == (built.shingle, built.sign, built.index)
        assert (used.cluster.min_similarity, used.cluster.min_containment) == (0.6, 0.8)
        assert p == optimal_params(0.5, 64 * PERMUTATION_REUSE)
        # …and one that chose a setting must match the store on it, named by its flag.
        same = Config(store=built.store, sign=SignConfig(num_perm=64), chosen=frozenset({"sign.num_perm"}))
        assert ensure_params(store, same)[0].index.threshold == 0.5
        other = Config(store=built.store, index=IndexConfig(threshold=0.4), chosen=frozenset({"index.threshold"}))
        with pytest.raises(StoreError, match=r"built with --threshold 0\.5, this run asks for --threshold 0\.4: leave it out"):
            ensure_params(store, other)
    finally:
        store.close()


def test_word_shingles_default_to_three_words() -> None:
    assert ShingleConfig(kind="word").size == 3
    assert ShingleConfig().size == 7
    assert ShingleConfig(kind="word", size=2).size == 2


def test_chosen_names_known_settings_only() -> None:
    with pytest.raises(ConfigError, match="unknown store settings"):
        Config(chosen=frozenset({"sign.seed"}))


def test_stored_params_of_an_empty_store(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s")
    try:
        with pytest.raises(StoreError, match="dedup index"):
            stored_params(store)
    finally:
        store.close()


# -- the candidate stage reaches rewritten copy (issue 14) ------------------------------------

# A wire story and a national outlet's rewrite of it: two sentences kept, the rest paraphrased
# or cut. Exact char-7 Jaccard 0.30, 55% of the rewrite's shingles in the wire text; with the
# default signatures it shares no band of 37 x 3 (the old default) and 5 bands of 64 x 2.
WIRE = ("The central bank raised its benchmark interest rate by half a percentage point on Tuesday, "
        "the largest increase in more than two decades, as policymakers moved to cool inflation that "
        "has climbed to its highest level since 1998. Governor Maria Santos told reporters in the capital "
        "that the board would not hesitate to act again if prices kept rising through the summer. "
        "Food and fuel costs drove most of the increase, the statistics office said last week, with "
        "rice up 14 percent and diesel up 22 percent from a year earlier. Exporters welcomed the move, "
        "saying a stronger currency would lower the cost of imported machinery, while retailers warned "
        "that higher borrowing costs would hurt sales ahead of the holiday season. The bank's next "
        "policy meeting is scheduled for September.")
REWRITE = ("Inflation fight: policymakers at the central bank lifted borrowing costs sharply this week. "
           "Governor Maria Santos told reporters in the capital that the board would not hesitate to act "
           "again if prices kept rising through the summer. According to official figures, rice now costs "
           "14 percent more than twelve months ago and diesel 22 percent more. Shop owners in the old "
           "market said customers were already buying less. Exporters welcomed the move, saying a stronger "
           "currency would lower the cost of imported machinery. Analysts expect another increase in September.")
UNRELATED = ("Heavy rain flooded three villages in the northern district overnight, forcing about 400 families "
             "to move to schools and mosques on higher ground, the disaster agency said on Wednesday. Rescue "
             "teams used rubber boats to reach elderly residents, and the regional government sent rice, "
             "blankets and clean water. Forecasters expect more rain until the weekend.")


def _indexed(tmp_path: Path, jsonl, row, cfg: Config | None = None) -> tuple[Config, dict[str, int]]:  # type: ignore[no-untyped-def]
    from dedup.pipeline import index_corpus

    cfg = cfg or Config(store=tmp_path / "s", progress=False, workers=1)
    path = jsonl("in.jsonl", [row("wire", WIRE, outlet="wire.example", published_at="2026-12-01T08:00:00Z"),
                              row("rewrite", REWRITE, outlet="daily.example", published_at="2026-12-01T15:00:00Z"),
                              row("other", UNRELATED, outlet="daily.example", published_at="2026-12-01T16:00:00Z")])
    index_corpus([str(path)], cfg)
    store = open_store(cfg.store, create=False)
    try:
        docs = {a.id: a.doc for a in store.articles()}
    finally:
        store.close()
    return cfg, docs


def test_candidate_pairs_reach_a_rewritten_copy(tmp_path: Path, jsonl, row) -> None:  # type: ignore[no-untyped-def]
    from dedup.index import candidate_pairs

    cfg, docs = _indexed(tmp_path, jsonl, row)
    store = open_store(cfg.store, create=False)
    try:
        pairs = {tuple(sorted(p)) for p in candidate_pairs(store, sorted(docs.values())).tolist()}
    finally:
        store.close()
    assert tuple(sorted((docs["wire"], docs["rewrite"]))) in pairs
    assert not any(docs["other"] in p for p in pairs)  # an unrelated text is no candidate


def test_query_candidates_probe_the_same_index_and_prefilter(tmp_path: Path, jsonl, row) -> None:  # type: ignore[no-untyped-def]
    from dedup.index import query_candidates

    cfg, docs = _indexed(tmp_path, jsonl, row)
    store = open_store(cfg.store, create=False)
    try:
        sig = store.signature_of(docs["rewrite"])
        size = next(store.articles([docs["rewrite"]])).n_shingles
        assert query_candidates(store, sig, size, exclude=docs["rewrite"]) == [docs["wire"]]
        # A text sharing only one band (2 of 128 slots) with the wire story: an LSH
        # candidate, but far below the prefilter.
        wire = store.signature_of(docs["wire"])
        shared = int(np.flatnonzero(band_keys(sig[None], LSHParams(64, 2))[0] == band_keys(wire[None], LSHParams(64, 2))[0])[0])
        chance = np.arange(1, 129, dtype=np.uint32)
        chance[2 * shared : 2 * shared + 2] = wire[2 * shared : 2 * shared + 2]
        assert docs["wire"] in store.candidates_for_keys(band_keys(chance[None], LSHParams(64, 2))[0])
        assert query_candidates(store, chance, size) == []
    finally:
        store.close()


class _FakeStore:
    """Just what candidate_pairs reads: the recorded params, the LSH candidates, the signatures."""

    def __init__(self, params: dict[str, object], pairs: np.ndarray, sigs: np.ndarray, sizes: np.ndarray) -> None:
        self.params, self.pairs, self.sigs, self.sizes = params, pairs, sigs, sizes

    def get_meta(self, key: str) -> str | None:
        return json.dumps(self.params) if key == "params" else None

    def candidates(self, docs: list[int]) -> np.ndarray:
        return self.pairs

    def signatures(self, docs: list[int]) -> tuple[np.ndarray, np.ndarray]:
        return self.sigs[docs], self.sizes[docs]


def _fake(prefilter: float | None) -> _FakeStore:
    sigs = np.arange(4 * 128, dtype=np.uint32).reshape(4, 128)
    sigs[1, :40] = sigs[0, :40]  # docs 0, 1: estimated Jaccard 0.31, containment 0.48
    sigs[2, :8] = sigs[0, :8]  # docs 0, 2: 0.06 and 0.12 (a chance bucket)
    sigs[3, :8] = sigs[0, :8]  # docs 0, 3: 0.06, but doc 3 is a tenth of doc 0: 0.6 of it in doc 0
    params: dict[str, object] = {"bands": 64, "rows": 2, "threshold": 0.12}
    if prefilter is not None:
        params["prefilter"] = prefilter
    pairs = np.array([[0, 1], [0, 2], [0, 3]], dtype=np.int64)
    return _FakeStore(params, pairs, sigs, np.array([1000, 1000, 1000, 100]))


def test_candidate_pairs_drop_chance_candidates_below_the_prefilter() -> None:
    from dedup.index import candidate_pairs

    assert candidate_pairs(_fake(0.2), [0, 1, 2, 3]).tolist() == [[0, 1], [0, 3]]  # type: ignore[arg-type]


def test_a_store_made_before_the_prefilter_keeps_its_bands_and_proposes_every_lsh_candidate(tmp_path: Path) -> None:
    from dedup.index import candidate_pairs

    # What the code before the prefilter recorded: no "prefilter" key, 37 x 3 bands.
    assert candidate_pairs(_fake(None), [0, 1, 2, 3]).tolist() == [[0, 1], [0, 2], [0, 3]]  # type: ignore[arg-type]
    cfg = Config(store=tmp_path / "s", index=IndexConfig(threshold=0.3), progress=False)
    store = open_store(cfg.store)
    try:
        ensure_params(store, cfg)
        old = json.loads(store.get_meta("params") or "")
        del old["prefilter"]
        old["bands"], old["rows"] = 37, 3  # before its permutations were reused
        store.set_meta("params", json.dumps(old))
        used, lsh = ensure_params(store, Config(store=cfg.store, chosen=frozenset()))
        assert lsh == LSHParams(37, 3) and used.index == IndexConfig(threshold=0.3, prefilter=0.0)
        # A run in code asking for the old settings explicitly is accepted too.
        assert ensure_params(store, replace(cfg, index=IndexConfig(threshold=0.3, prefilter=0.0)))[1] == lsh
        with pytest.raises(StoreError, match=r"prefilter=0\.0.*prefilter=0\.2"):
            ensure_params(store, cfg)
    finally:
        store.close()


def test_prefilter_compiled_equals_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    import dedup.index as index

    rng = np.random.default_rng(3)
    sigs = rng.integers(0, 3, (50, 128), dtype=np.uint32)  # small values: many equal slots
    sizes = rng.integers(20, 2000, 50)
    a, b = rng.integers(0, 50, 400), rng.integers(0, 50, 400)
    sim = (sigs[a] == sigs[b]).mean(axis=1)
    expected = index.estimated_containment(sim, sizes[a], sizes[b]) >= 0.45
    assert 0 < expected.sum() < expected.size  # both outcomes occur
    plain = index.passes_prefilter(sigs, sizes, a, b, 0.45)
    monkeypatch.setattr(index, "_COMPILED_MIN_PAIRS", 1)
    assert index.passes_prefilter(sigs, sizes, a, b, 0.45).tolist() == plain.tolist() == expected.tolist()


def test_prefilter_reads_the_signature_scan_as_the_rows(tmp_path: Path, jsonl, row, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import dedup.index as index

    cfg, docs = _indexed(tmp_path, jsonl, row)
    every = sorted(docs.values())
    pairs = np.array([[a, b] for i, a in enumerate(every) for b in every[i + 1 :]], dtype=np.int64)
    store = open_store(cfg.store, create=False)
    try:
        monkeypatch.setattr(index, "_SCAN_MIN_DOCS", 10**9)
        rows = index.prefilter_pairs(store, pairs, 0.2).tolist()
        monkeypatch.setattr(index, "_SCAN_MIN_DOCS", 1)
        read = {"n": 0}
        real = type(store).all_signatures

        def counted(self):  # type: ignore[no-untyped-def]
            read["n"] += 1
            return real(self)

        monkeypatch.setattr(type(store), "all_signatures", counted)
        assert index.prefilter_pairs(store, pairs, 0.2).tolist() == rows == [sorted((docs["wire"], docs["rewrite"]))]
        assert read["n"] == 1
    finally:
        store.close()


def test_a_bulk_loads_prefilter_runs_on_each_chunk_of_pairs_as_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The same pairs as filtering them all once gathered, but the store only ever gathers the
    # pairs that pass (at 1M articles, those sharing a bucket are tens of millions: the peak).
    import dedup.index as index
    from dedup.pipeline import index_corpus
    from dedup.store import sigfile

    sample = Path(__file__).resolve().parents[1] / "examples" / "sample"
    cfg = Config(store=tmp_path / "s", progress=False, workers=1)
    index_corpus([str(p) for p in sorted(sample.glob("night*.jsonl"))], cfg)
    store = open_store(cfg.store, create=False)
    try:
        pending = sorted(a.doc for a in store.articles())
        monkeypatch.setattr(index, "_SCAN_MIN_DOCS", 10**9)  # no early filter: every pair gathered, then filtered
        everything = store.candidates(pending)
        reference = index.candidate_pairs(store, pending).tolist()
        assert 0 < len(reference) < len(everything)
        monkeypatch.setattr(index, "_SCAN_MIN_DOCS", 1)
        gathered: list[list[list[int]]] = []
        real = type(store).candidates

        def recorded(self, docs, keep=None):  # type: ignore[no-untyped-def]
            assert keep is not None
            out = real(self, docs, keep=keep)
            gathered.append(out.tolist())
            return out

        monkeypatch.setattr(type(store), "candidates", recorded)
        assert index.candidate_pairs(store, pending).tolist() == reference
        assert gathered == [reference]  # only what passes was ever gathered
        # A signature file missing docs (records cut out of its middle): their pairs are kept
        # unjudged, then judged from the rows.
        path = cfg.store / "signatures.bin"
        recs = sigfile.read(path)
        assert recs is not None
        data, head, size = path.read_bytes(), path.stat().st_size - recs.nbytes, recs.dtype.itemsize
        path.write_bytes(data[: head + size * 10] + data[head + size * 60 :])
        gathered.clear()
        assert index.candidate_pairs(store, pending).tolist() == reference
        assert len(gathered[0]) > len(reference)
    finally:
        store.close()
