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
from dedup.index import LSHParams, band_keys, ensure_params, optimal_params, signature_params, stored_params
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
        with pytest.raises(StoreError, match=r"threshold=0\.3.*threshold=0\.5"):
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
        assert p == optimal_params(0.5, 64)
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
