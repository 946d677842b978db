from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash

from dedup import sign
from dedup.clean import clean_text
from dedup.config import ShingleConfig, SignConfig
from dedup.shingle import shingle
from dedup.sign import EMPTY, containment, jaccard, permutations, sign_batch, sign_one


def _datasketch(shingles: np.ndarray, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda v: v)
    for x in shingles:
        m.update(int(x))
    return m.hashvalues


def _datasketch_batch(shingles: np.ndarray, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda v: v)
    m.update_batch([int(x) for x in shingles])
    return m.hashvalues


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 7), (256, 42)])
def test_permutations_equal_datasketch(num_perm: int, seed: int) -> None:
    a, b = permutations(num_perm, seed)
    da, db = MinHash(num_perm=num_perm, seed=seed).permutations
    assert np.array_equal(a, da)
    assert np.array_equal(b, db)


def test_sign_one_equals_datasketch_on_real_text(news) -> None:
    n = news["tram"]
    sh = shingle(clean_text(n.body, title=n.title).text, ShingleConfig())
    assert sh.size > 500
    ours = sign_one(sh, SignConfig())
    assert ours.dtype == np.uint32 and ours.shape == (128,)
    assert np.array_equal(ours, _datasketch(sh).astype(np.uint32))


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 3)])
def test_sign_one_equals_datasketch_on_edge_values(num_perm: int, seed: int) -> None:
    sh = np.array([0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF], dtype=np.uint32)
    ours = sign_one(sh, SignConfig(num_perm=num_perm, seed=seed))
    assert np.array_equal(ours, _datasketch(sh, num_perm, seed).astype(np.uint32))


def test_sign_one_long_input_crosses_chunks() -> None:
    rng = np.random.default_rng(5)
    sh = np.unique(rng.integers(0, 2**32, 10_000, dtype=np.uint64).astype(np.uint32))
    assert sh.size > 4096  # more than one chunk
    assert np.array_equal(sign_one(sh, SignConfig()), _datasketch_batch(sh).astype(np.uint32))


def test_empty_set_signature() -> None:
    sig = sign_one(np.empty(0, dtype=np.uint32), SignConfig(num_perm=32))
    assert sig.shape == (32,)
    assert (sig == EMPTY).all()


def test_sign_batch_small_uses_numpy_and_matches_datasketch() -> None:
    rng = np.random.default_rng(11)
    sets = [np.unique(rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)) for n in (1, 50, 700)]
    sets.append(np.empty(0, dtype=np.uint32))
    out = sign_batch(sets, SignConfig())
    assert out.shape == (4, 128) and out.dtype == np.uint32
    for i, s in enumerate(sets[:3]):
        assert np.array_equal(out[i], _datasketch_batch(s).astype(np.uint32))
    assert (out[3] == EMPTY).all()


def test_sign_batch_compiled_path_matches_datasketch(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2026)
    sizes = [9_000] * 24 + [1, 17, 4_096]
    sets = [np.unique(rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)) for n in sizes]
    sets.insert(5, np.empty(0, dtype=np.uint32))
    assert sum(s.size for s in sets) > max(200_000, getattr(sign, "_COMPILED_MIN_SHINGLES", 0))

    # Above the threshold the compiled kernel signs the batch: the per-set numpy path must not run.
    monkeypatch.setattr(sign, "sign_one", lambda *a, **k: pytest.fail("numpy path used above the threshold"))

    out = sign_batch(sets, SignConfig())
    assert out.shape == (len(sets), 128)
    assert (out[5] == EMPTY).all()
    for i in (0, 1, 4, 6, 23, len(sets) - 3, len(sets) - 2, len(sets) - 1):
        assert np.array_equal(out[i], _datasketch_batch(sets[i]).astype(np.uint32)), f"row {i}"


def test_jaccard_estimate() -> None:
    a = np.arange(128, dtype=np.uint32)
    b = a.copy()
    b[:32] += 1000
    assert jaccard(a, a) == 1.0
    assert jaccard(a, b) == 0.75


def test_estimated_jaccard_tracks_true_jaccard() -> None:
    base = np.arange(0, 4000, dtype=np.uint32) * np.uint32(2654435761)
    a = np.unique(base[:3000])
    b = np.unique(base[1000:])  # true Jaccard 2000 / 4000 = 0.5
    est = jaccard(sign_one(a, SignConfig()), sign_one(b, SignConfig()))
    assert abs(est - 0.5) < 0.15


def test_containment_from_jaccard() -> None:
    # A (100) inside B (300): Jaccard 1/3, containment of A in B is 1.
    assert containment(1 / 3, 100, 300) == pytest.approx(1.0)
    assert containment(1 / 3, 300, 100) == pytest.approx(1 / 3)
    assert containment(0.5, 0, 10) == 0.0
    assert containment(0.9, 10, 10) <= 1.0
