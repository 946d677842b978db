"""MinHash signatures in datasketch's default scheme ("affine32"), in bulk.

A signature here equals, value for value, ``datasketch.MinHash(num_perm, seed,
scheme="affine32", hashfunc=lambda v: v)`` updated with the same uint32 shingle
hashes (a test checks this). The difference is speed: the permutation loop runs
compiled (numba), over a whole batch, on every core.

>>> import numpy as np
>>> from dedup.config import SignConfig
>>> sig = sign_one(np.array([1, 2, 3], dtype=np.uint32), SignConfig(num_perm=16))
>>> sig.shape, sig.dtype
((16,), dtype('uint32'))
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from .config import SignConfig
from .shingle import ShingleBatch

EMPTY = np.uint32(0xFFFFFFFF)
# Below this many shingles in a batch the compiled kernel's start-up (import,
# cache load) costs more than it saves: plain numpy is used.
_COMPILED_MIN_SHINGLES = 200_000


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) exactly as datasketch 2.x draws them for scheme "affine32"."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def sign_one(shingles: np.ndarray, cfg: SignConfig) -> np.ndarray:
    """Signature of one shingle set (numpy; for queries and small inputs)."""
    a, b = permutations(cfg.num_perm, cfg.seed)
    if shingles.size == 0:
        return np.full(cfg.num_perm, EMPTY, dtype=np.uint32)
    out = np.full(cfg.num_perm, EMPTY, dtype=np.uint32)
    with np.errstate(over="ignore"):
        h = _fmix32(shingles.astype(np.uint32))
        # Chunked so that a very long text never allocates a huge matrix.
        for start in range(0, h.size, 4096):
            chunk = h[start : start + 4096, None]
            np.minimum(out, (chunk * a + b).min(axis=0), out=out)
    return out


def set_threads(n: int) -> None:
    """Use ``n`` threads for the compiled kernels (0: all cores)."""
    import numba

    numba.set_num_threads(n or numba.config.NUMBA_NUM_THREADS)


def sign_batch(shingles: ShingleBatch | Sequence[np.ndarray], cfg: SignConfig) -> np.ndarray:
    """Signatures of many shingle sets, as a (len(sets), num_perm) uint32 matrix."""
    if not isinstance(shingles, ShingleBatch):
        shingles = ShingleBatch.of(shingles)
    n = len(shingles)
    out = np.empty((n, cfg.num_perm), dtype=np.uint32)
    if int(shingles.counts.sum()) < _COMPILED_MIN_SHINGLES:
        for i in range(n):
            out[i] = sign_one(shingles.get(i), cfg)
        return out
    a, b = permutations(cfg.num_perm, cfg.seed)
    from ._kernels import minhash

    minhash(shingles.values, shingles.starts, shingles.counts, a, b, out)
    return out


def jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Estimated Jaccard: the share of equal signature slots."""
    return float(np.count_nonzero(sig_a == sig_b)) / sig_a.shape[-1]


def containment(jac: float, size_a: int, size_b: int) -> float:
    """Estimated |A ∩ B| / |A| from Jaccard and the two set sizes."""
    if size_a <= 0:
        return 0.0
    inter = jac * (size_a + size_b) / (1.0 + jac)
    return min(1.0, inter / size_a)
