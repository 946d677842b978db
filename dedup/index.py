"""The candidate stage: LSH banding over a Store (MinHashLSH semantics), then a MinHash prefilter.

The Jaccard ``threshold`` is turned into bands × rows as datasketch's
``MinHashLSH`` does (minimising the integrated false-positive and false-negative
probabilities), for twice the signature's permutations: each permutation serves
two bands (``band_layout``), which reaches lower similarity without signing
more. The choice is computed once and recorded in the store with the
other signature parameters, so a later run with other settings is refused
instead of silently mixing incompatible signatures; a store made before the
reuse keeps the bands it recorded.

Rewritten copy shares little with its source (COUNTER's wholly derived pairs:
median exact char-7 Jaccard 0.37, p10 0.11), so the bands are low (0.11 → 96
bands of 2 rows) and bring many chance candidates; the prefilter keeps a pair
only when its MinHash-estimated containment of the smaller text in the larger
reaches ``IndexConfig.prefilter``, so that few pairs per article reach the exact
verifier (benchmarks/QUALITY.md, "Candidate stage"). A store created before the
prefilter has none (``prefilter`` 0) and keeps its bands: it proposes what it did.

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
from .store.interface import SignatureScan
from .store.segments import sorted_unique

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
# The prefilter reads the signatures of all docs of the candidate pairs at once up to
# this many docs (512 bytes each at 128 permutations), else of a block of pairs at a time.
_PREFILTER_DOCS = 1 << 18
# From this many docs (and an eighth of the store) on, the prefilter reads every signature
# at once through the store's signature scan, when it has one.
_SCAN_MIN_DOCS = 4096
_PREFILTER_BLOCK = 1 << 17
# Pairs compared at once by numpy (two gathered (n, num_perm) arrays); from this many
# pairs on, the compiled kernel (no gathered copies; ~0.5 s to load) does it.
_PREFILTER_CHUNK = 20000
_COMPILED_MIN_PAIRS = 200_000
# A new store's bands are datasketch's choice for this many times its permutations, each
# permutation serving that many bands (band_layout): at 0.11 that is 96 bands of 2 rows where
# 128 permutations alone allow 64, so a rewrite at Jaccard 0.1 is proposed with probability
# 0.62 instead of 0.47, without signing more permutations (benchmarks/QUALITY.md, "Kept figures,
# credits elsewhere, reused permutations").
PERMUTATION_REUSE = 2


@dataclass(frozen=True, slots=True)
class LSHParams:
    bands: int
    rows: int


@lru_cache(maxsize=32)
def optimal_params(threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5, reuse: int = 1) -> LSHParams:
    """bands × rows for a threshold: datasketch's ``MinHashLSH`` choice, computed here.

    The same search as datasketch's ``_optimal_param`` (minimise the weighted
    integrated false-positive and false-negative probabilities; first minimum
    in (bands, rows) order wins) without importing datasketch, which pulls in
    scipy and costs 1.5 s of every run that creates a store. The integrands
    are polynomials of degree ≤ num_perm, so Gauss-Legendre quadrature with
    num_perm/2 + 8 nodes is exact; tests hold the choice equal to datasketch's.

    ``reuse``: each permutation may serve that many bands (:func:`band_layout`); the choice is
    then datasketch's for ``reuse`` times the permutations.

    >>> optimal_params(0.3, 128)
    LSHParams(bands=37, rows=3)
    >>> optimal_params(0.11, 128, reuse=2)
    LSHParams(bands=96, rows=2)
    """
    given, num_perm = num_perm, num_perm * reuse
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
            f"threshold {threshold} with num_perm={given} gives {choice[0]} LSH band of {choice[1]} rows; "
            "at least 2 bands are needed: lower the threshold or raise num_perm"
        )
    if reuse > 1:
        band_layout(choice[0], choice[1], given)  # refused here, before a store records them
    return LSHParams(bands=choice[0], rows=choice[1])


@lru_cache(maxsize=32)
def band_layout(bands: int, rows: int, num_perm: int) -> np.ndarray:
    """(bands, rows) permutation indices of each band. Bands take the permutations in order
    (as datasketch's MinHashLSH) while they last; beyond ``num_perm`` they reuse them, each
    further band a set of permutations no band had: the permutations in the order ``i * m mod
    num_perm`` for m = 3, 5, 7, ... (coprime to num_perm), cut into bands of ``rows``.
    A band of two matching permutations is as likely whether they were used before or not,
    so reused bands raise the recall of a low threshold without signing more permutations.

    >>> band_layout(4, 2, 8).tolist()
    [[0, 1], [2, 3], [4, 5], [6, 7]]
    >>> band_layout(6, 2, 8)[4:].tolist()
    [[0, 3], [6, 1]]
    """
    if bands * rows <= num_perm:
        return _frozen(np.arange(bands * rows, dtype=np.int64).reshape(bands, rows))
    out = [tuple(r) for r in np.arange(num_perm // rows * rows).reshape(-1, rows).tolist()]
    seen = {frozenset(r) for r in out}
    m = 1
    while len(out) < bands:
        m += 2
        if m > 4 * num_perm * rows:
            raise ConfigError(
                f"{bands} LSH bands of {rows} rows cannot each take a different set of the {num_perm} permutations: "
                "lower the threshold or raise num_perm"
            )
        if np.gcd(m, num_perm) != 1:
            continue
        order = (np.arange(num_perm, dtype=np.int64) * m) % num_perm
        for r in order[: num_perm // rows * rows].reshape(-1, rows).tolist():
            if frozenset(r) not in seen and len(out) < bands:
                seen.add(frozenset(r))
                out.append(tuple(r))
    return _frozen(np.array(out, dtype=np.int64))


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False  # (cached and shared: no caller may change it)
    return a


def band_keys(sigs: np.ndarray, params: LSHParams) -> np.ndarray:
    """(n, bands) int64 bucket keys: each band's rows hashed together."""
    n = sigs.shape[0]
    if params.bands * params.rows <= sigs.shape[1]:
        rows = sigs[:, : params.bands * params.rows].astype(np.uint64).reshape(n, params.bands, params.rows)
    else:
        rows = sigs[:, band_layout(params.bands, params.rows, sigs.shape[1])].astype(np.uint64)
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
    lsh = optimal_params(cfg.index.threshold, cfg.sign.num_perm, reuse=PERMUTATION_REUSE)
    return {**cfg.signature_params(), "bands": lsh.bands, "rows": lsh.rows}


def _recorded(have: dict[str, Any]) -> dict[str, Any]:
    """A store's recorded parameters, with what a store created before a setting existed
    behaves as: no prefilter."""
    return {"prefilter": 0.0, **have}


def _describe(p: dict[str, Any]) -> str:
    sh, sg, cl = p["shingle"], p["sign"], p.get("cluster") or {}
    text = (
        f"{sh['kind']} {sh['size']}-grams, num_perm={sg['num_perm']}, seed={sg['seed']}, "
        f"scheme={sg['scheme']}, threshold={p['threshold']}, prefilter={p.get('prefilter', 0.0)}"
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
    LSHParams(bands=64, rows=2)
    >>> cfg, _ = ensure_params(store, Config(chosen=frozenset()))  # nothing chosen: the store's settings
    >>> cfg.sign.num_perm
    64
    """
    stored = store.get_meta("params")
    if stored is None:
        wanted = signature_params(cfg)
        store.set_meta("params", json.dumps(wanted, sort_keys=True))
        return cfg, LSHParams(int(wanted["bands"]), int(wanted["rows"]))  # type: ignore[call-overload]
    raw = json.loads(stored)
    if "cluster" in raw and "derived" not in raw["cluster"]:
        # A store built before the "derived from" verifier: it takes this run's thresholds and keeps them.
        raw["cluster"]["derived"] = dict(cfg.cluster.derived)
        store.set_meta("params", json.dumps(raw, sort_keys=True))
    have = _recorded(raw)
    lsh = LSHParams(int(have["bands"]), int(have["rows"]))
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
        index=IndexConfig(threshold=float(have["threshold"]), prefilter=float(_recorded(have)["prefilter"])),
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


def prefilter_of(store: Store) -> float:
    stored = store.get_meta("params")
    return float(_recorded(json.loads(stored))["prefilter"]) if stored is not None else 0.0


def estimated_containment(sim: np.ndarray, size_a: np.ndarray, size_b: np.ndarray) -> np.ndarray:
    """MinHash estimate of |A ∩ B| / min(|A|, |B|) from the estimated Jaccard ``sim`` and the set
    sizes: the containment of the smaller set in the larger, never below the Jaccard.

    >>> float(estimated_containment(np.array([0.25]), np.array([100]), np.array([400]))[0])
    1.0
    """
    sa, sb = size_a.astype(np.float64), size_b.astype(np.float64)
    inter = sim * (sa + sb) / (1.0 + sim)
    return np.minimum(1.0, inter / np.maximum(np.minimum(sa, sb), 1.0))


def passes_prefilter(sigs: np.ndarray, sizes: np.ndarray, rows_a: np.ndarray, rows_b: np.ndarray, floor: float) -> np.ndarray:
    """Whether each pair of rows (``rows_a[i]``, ``rows_b[i]``) of ``sigs`` / ``sizes`` reaches
    ``floor`` in :func:`estimated_containment`: compiled for many pairs, numpy for few."""
    if rows_a.size >= _COMPILED_MIN_PAIRS:
        from ._kernels import prefilter_mask

        out = np.empty(rows_a.size, dtype=np.bool_)
        prefilter_mask(sigs, sizes.astype(np.int64, copy=False), rows_a, rows_b, float(floor), out)
        return out
    out = np.empty(rows_a.size, dtype=np.bool_)
    for s in range(0, rows_a.size, _PREFILTER_CHUNK):
        a, b = rows_a[s : s + _PREFILTER_CHUNK], rows_b[s : s + _PREFILTER_CHUNK]
        sim = np.count_nonzero(sigs[a] == sigs[b], axis=1) / sigs.shape[1]
        out[s : s + _PREFILTER_CHUNK] = estimated_containment(sim, sizes[a], sizes[b]) >= floor
    return out


def prefilter_pairs(store: Store, pairs: np.ndarray, floor: float, scan: ScannedSignatures | None = None) -> np.ndarray:
    """The ``pairs`` whose estimated containment (:func:`estimated_containment`) reaches ``floor``.

    Signatures come from ``scan`` (by default the store's signature scan, read here when the
    pairs' docs are many); the pairs with a doc it lacks, or all when there is none, are
    judged from the rows (:func:`_passes_from_rows`)."""
    if floor <= 0 or pairs.size == 0:
        return pairs
    if scan is None:
        scan = ScannedSignatures.of(store, _rows_of(pairs)[0].size)
    if scan is None:
        return pairs[_passes_from_rows(store, pairs, floor)]
    keep, judged = _passes_in_scan(scan, pairs, floor)
    if not judged.all():
        keep[~judged] = _passes_from_rows(store, pairs[~judged], floor)
    return pairs[keep]


def _passes_from_rows(store: Store, pairs: np.ndarray, floor: float) -> np.ndarray:
    """Whether each pair passes the prefilter, on signatures read from the rows: once for all
    the docs of the pairs when they are few enough (``_PREFILTER_DOCS``), else block by block
    of pairs, so memory stays bounded."""
    docs, rows = _rows_of(pairs)
    if docs.size <= _PREFILTER_DOCS:
        blocks = [(0, docs, rows)]
    else:
        blocks = [(s, *_rows_of(pairs[s : s + _PREFILTER_BLOCK])) for s in range(0, len(pairs), _PREFILTER_BLOCK)]
    out = np.empty(len(pairs), dtype=bool)
    for start, involved, pos in blocks:
        sigs, sizes = store.signatures(involved.tolist())
        out[start : start + len(pos)] = passes_prefilter(sigs, sizes, pos[:, 0], pos[:, 1], floor)
    return out


def _passes_in_scan(scan: ScannedSignatures, pairs: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """(whether each pair passes the prefilter, whether the scan holds both its docs): a pair
    the scan cannot judge is marked as passing. On the scan's rows in place: no copy of the
    pairs' signatures (a chunk's pairs touch most of a bulk load's docs; gathering them per
    chunk cost 13% at 1M)."""
    at, found = scan.rows(pairs)
    judged = found.all(axis=1)
    keep = np.ones(len(pairs), dtype=bool)
    if judged.any():
        keep[judged] = passes_prefilter(scan.sigs, scan.sizes, at[judged, 0], at[judged, 1], floor)
    return keep, judged


def _rows_of(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct docs of ``pairs``, sorted; each pair's two positions among them). Doc
    numbers are dense, so a table indexed by doc does it (no sort of every pair's docs)
    unless they are spread far wider than the pairs."""
    top = int(pairs.max()) + 1
    if top > 4 * pairs.size + (1 << 20):
        docs = sorted_unique(pairs)
        return docs, np.searchsorted(docs, pairs)
    seen = np.zeros(top, dtype=bool)
    seen[pairs.reshape(-1)] = True
    docs = np.flatnonzero(seen)
    row = np.cumsum(seen, dtype=np.int64) - 1
    return docs.astype(np.int64), row[pairs]


def candidate_pairs(store: Store, pending: Sequence[int], scan: ScannedSignatures | None = None) -> np.ndarray:
    """(n, 2) int64 doc pairs sharing an LSH bucket, at least one side pending, that pass the
    store's prefilter (none in a store created before it); unordered, unique.

    In a bulk load the prefilter runs on each chunk of pairs as the store finds them
    (:class:`_ScanFilter`, on ``scan``: by default read here when the pending docs are many):
    the pairs sharing a bucket (tens of millions at 1M articles) are never all held at once,
    only those that pass."""
    if not pending:
        return np.empty((0, 2), dtype=np.int64)
    floor = prefilter_of(store)
    if scan is None and floor > 0:
        scan = ScannedSignatures.of(store, len(pending))
    early = _ScanFilter(scan, floor) if scan is not None and floor > 0 else None
    pairs = store.candidates(pending) if early is None else store.candidates(pending, keep=early)
    if early is not None and not early.unjudged:
        return pairs  # (every pair kept was judged against the scan: the prefilter, done)
    return prefilter_pairs(store, pairs, floor, scan)  # (the pairs the scan could not judge, from the rows)


@dataclass(frozen=True, slots=True, eq=False)  # (arrays: no == between scans)
class ScannedSignatures:
    """Every signature of the store's signature scan, read once (``have``: their docs,
    ascending), for work on many docs: one read of the signature file instead of a row each
    (1.8 s for 100k rows on a loaded machine). It may lack docs (replaced since, or a damaged
    file): :meth:`rows` says which."""

    have: np.ndarray
    sigs: np.ndarray
    sizes: np.ndarray

    @classmethod
    def of(cls, store: Store, docs: int) -> ScannedSignatures | None:
        """The scan, for work on ``docs`` docs when they are many (``_SCAN_MIN_DOCS``, and an
        eighth of the store); else None (reading rows is cheaper)."""
        if docs < _SCAN_MIN_DOCS or not isinstance(store, SignatureScan) or docs * 8 < store.article_count():
            return None
        have, sigs, sizes = store.all_signatures()
        return cls(have, sigs, sizes) if have.size else None

    def rows(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the row of each of ``docs`` (any shape) in the scan, whether the scan has it; a doc
        it lacks gets some row)."""
        first, n = int(self.have[0]), self.have.size
        if int(self.have[-1]) - first + 1 == n:
            # Docs first..last, every one (a bulk load into a new store): rows by subtraction,
            # not a binary search each (0.5 s of a 100k load).
            return np.clip(docs - first, 0, n - 1), (docs >= first) & (docs < first + n)
        at = np.minimum(np.searchsorted(self.have, docs), n - 1)
        return at, self.have[at] == docs


class _ScanFilter:
    """The prefilter as a ``keep`` filter of :meth:`Store.candidates`, on a
    :class:`ScannedSignatures`. A pair with a doc the scan lacks is kept unjudged, for
    :func:`prefilter_pairs` to judge."""

    def __init__(self, scan: ScannedSignatures, floor: float) -> None:
        self.scan = scan
        self.floor = floor
        self.unjudged = 0

    def __call__(self, pairs: np.ndarray) -> np.ndarray:
        keep, judged = _passes_in_scan(self.scan, pairs, self.floor)
        self.unjudged += int((~judged).sum())
        return keep


def query_candidates(store: Store, sig: np.ndarray, n_shingles: int, exclude: int | None = None) -> list[int]:
    """Docs a (not necessarily stored) text with signature ``sig`` of ``n_shingles`` shingles
    is a candidate pair with: the same index and prefilter as :func:`candidate_pairs`, so a
    query finds what indexing the text would link it to. ``exclude``: the text's own doc."""
    have, lsh = stored_params(store)
    docs = [d for d in store.candidates_for_keys(band_keys(sig[None, :], lsh)[0]) if d != exclude]
    floor = float(_recorded(have)["prefilter"])
    if floor <= 0 or not docs:
        return docs
    sigs, sizes = store.signatures(docs)
    est = estimated_containment((sigs == sig).mean(axis=1), sizes, np.full(len(docs), n_shingles))
    return [d for d, keep in zip(docs, (est >= floor).tolist(), strict=True) if keep]
