"""LSH banding over a Store (MinHashLSH semantics).

The Jaccard ``threshold`` is turned into bands × rows exactly as datasketch's
``MinHashLSH`` does (minimising the integrated false-positive and false-negative
probabilities); the choice is computed once and recorded in the store with the
other signature parameters, so a later run with other settings is refused
instead of silently mixing incompatible signatures.

>>> import numpy as np
>>> keys = band_keys(np.zeros((2, 128), dtype=np.uint32), LSHParams(bands=32, rows=4))
>>> keys.shape, bool((keys[0] == keys[1]).all())
((2, 32), True)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from .config import STORE_SETTINGS, Config, IndexConfig, ShingleConfig, SignConfig
from .errors import ConfigError, StoreError
from .store import Store

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True, slots=True)
class LSHParams:
    bands: int
    rows: int


@lru_cache(maxsize=32)
def optimal_params(threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5) -> LSHParams:
    """bands × rows for a threshold: datasketch's ``MinHashLSH`` choice, computed here.

    The same search as datasketch's ``_optimal_param`` (minimise the weighted
    integrated false-positive and false-negative probabilities; first minimum
    in (bands, rows) order wins) without importing datasketch, which pulls in
    scipy and costs 1.5 s of every run that creates a store. The integrands
    are polynomials of degree ≤ num_perm, so Gauss-Legendre quadrature with
    num_perm/2 + 8 nodes is exact; tests hold the choice equal to datasketch's.

    >>> optimal_params(0.3, 128)
    LSHParams(bands=37, rows=3)
    """
    x, w = np.polynomial.legendre.leggauss(num_perm // 2 + 8)

    def nodes(lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
        return (hi - lo) / 2 * x + (hi + lo) / 2, w * (hi - lo) / 2

    s_fp, w_fp = nodes(0.0, threshold)
    s_fn, w_fn = nodes(threshold, 1.0)
    best, choice = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        r = np.arange(1, num_perm // b + 1, dtype=np.float64)[:, None]
        fp = ((1 - (1 - s_fp**r) ** b) * w_fp).sum(axis=1)
        fn = (((1 - s_fn**r) ** b) * w_fn).sum(axis=1)
        error = fp * fp_weight + fn * fn_weight
        i = int(np.argmin(error))
        if error[i] < best:
            best, choice = float(error[i]), (b, i + 1)
    if choice[0] < 2:
        # as datasketch's MinHashLSH: one band would make every bucket one exact signature prefix
        raise ConfigError(
            f"threshold {threshold} with num_perm={num_perm} gives {choice[0]} LSH band of {choice[1]} rows; "
            "at least 2 bands are needed: lower the threshold or raise num_perm"
        )
    return LSHParams(bands=choice[0], rows=choice[1])


def band_keys(sigs: np.ndarray, params: LSHParams) -> np.ndarray:
    """(n, bands) int64 bucket keys: each band's rows hashed together."""
    n = sigs.shape[0]
    rows = sigs[:, : params.bands * params.rows].astype(np.uint64).reshape(n, params.bands, params.rows)
    with np.errstate(over="ignore"):
        acc = np.arange(params.bands, dtype=np.uint64)[None, :] * _GOLDEN + np.uint64(params.rows)
        acc = np.broadcast_to(acc, (n, params.bands)).copy()
        for j in range(params.rows):
            acc = (acc ^ rows[:, :, j]) * _MIX1
            acc ^= acc >> np.uint64(29)
        acc *= _MIX2
        acc ^= acc >> np.uint64(32)
    return acc.view(np.int64)


def signature_params(cfg: Config) -> dict[str, object]:
    lsh = optimal_params(cfg.index.threshold, cfg.sign.num_perm)
    return {**cfg.signature_params(), "bands": lsh.bands, "rows": lsh.rows}


def _describe(p: dict[str, Any]) -> str:
    sh, sg, cl = p["shingle"], p["sign"], p.get("cluster") or {}
    text = (
        f"{sh['kind']} {sh['size']}-grams, num_perm={sg['num_perm']}, seed={sg['seed']}, "
        f"scheme={sg['scheme']}, threshold={p['threshold']}"
    )
    if cl:
        text += f", min_similarity={cl['min_similarity']}, min_containment={cl['min_containment']}"
        if cl.get("derived"):
            text += ", derived-from thresholds " + " ".join(f"{k}={v}" for k, v in sorted(cl["derived"].items()))
    return text


def ensure_params(store: Store, cfg: Config) -> tuple[Config, LSHParams]:
    """The settings to index with, and their LSH bands: a new store records ``cfg``'s;
    an existing store gives its own, and refuses a run that chose others
    (``cfg.chosen``; all settings when it is None).

    >>> import tempfile, pathlib
    >>> from dedup.store import open_store
    >>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "s")
    >>> ensure_params(store, Config(sign=SignConfig(num_perm=64)))[1]
    LSHParams(bands=21, rows=3)
    >>> cfg, _ = ensure_params(store, Config(chosen=frozenset()))  # nothing chosen: the store's settings
    >>> cfg.sign.num_perm
    64
    """
    stored = store.get_meta("params")
    if stored is None:
        wanted = signature_params(cfg)
        store.set_meta("params", json.dumps(wanted, sort_keys=True))
        return cfg, LSHParams(int(wanted["bands"]), int(wanted["rows"]))  # type: ignore[call-overload]
    have = json.loads(stored)
    lsh = LSHParams(int(have["bands"]), int(have["rows"]))
    if "cluster" in have and "derived" not in have["cluster"]:
        # A store built before the "derived from" verifier: it takes this run's thresholds and keeps them.
        have["cluster"]["derived"] = dict(cfg.cluster.derived)
        store.set_meta("params", json.dumps(have, sort_keys=True))
    if cfg.chosen is None:
        mine = cfg.signature_params()
        if {k: have.get(k) for k in mine} != json.loads(json.dumps(mine)):
            raise StoreError(
                f"the store was built with {_describe(have)}, but this run asks for "
                f"{_describe(mine)}; use the store's settings (Config(chosen=frozenset()) takes them all) or index into a new store"
            )
        return cfg, lsh
    theirs = _settings_of(have, cfg)
    differ = [name for name in STORE_SETTINGS if name in cfg.chosen and cfg.setting(name) != theirs.setting(name)]
    if differ:
        built = " ".join(f"{STORE_SETTINGS[n]} {theirs.setting(n)}" for n in differ)
        asked = " ".join(f"{STORE_SETTINGS[n]} {cfg.setting(n)}" for n in differ)
        raise StoreError(
            f"the store was built with {built}, this run asks for {asked}: leave "
            f"{'it' if len(differ) == 1 else 'them'} out to use the store's settings, or index into a new --store"
        )
    return theirs, lsh


def _settings_of(have: dict[str, Any], cfg: Config) -> Config:
    """``cfg`` with the settings recorded in a store (those it lacks stay ``cfg``'s)."""
    cluster = have.get("cluster") or {}
    return replace(
        cfg,
        shingle=ShingleConfig(**have["shingle"]),
        sign=SignConfig(**have["sign"]),
        index=IndexConfig(threshold=float(have["threshold"])),
        cluster=replace(cfg.cluster, **{k: float(v) for k, v in cluster.items() if k in ("min_similarity", "min_containment")},
                        **({"derived": tuple(sorted((k, float(v)) for k, v in cluster["derived"].items()))}
                           if "derived" in cluster else {})),
    )


def store_settings(store: Store, cfg: Config) -> tuple[Config, LSHParams]:
    """``cfg`` with the settings the store was built with (queries and reports
    must shingle, sign and judge as the index did), and its LSH bands."""
    have, lsh = stored_params(store)
    return _settings_of(have, cfg), lsh


def stored_params(store: Store) -> tuple[dict[str, object], LSHParams]:
    """The parameters a store was built with (for queries: no datasketch import)."""
    stored = store.get_meta("params")
    if stored is None:
        raise StoreError("the store is empty: run 'dedup index' first")
    have = json.loads(stored)
    return have, LSHParams(int(have["bands"]), int(have["rows"]))


def candidate_pairs(store: Store, pending: Sequence[int]) -> np.ndarray:
    """(n, 2) int64 doc pairs sharing an LSH bucket, at least one side pending; unordered, unique."""
    if not pending:
        return np.empty((0, 2), dtype=np.int64)
    return store.candidates(pending)
