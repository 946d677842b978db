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


@lru_cache(maxsize=1)
def _kernel():  # type: ignore[no-untyped-def]
    import numba

    @numba.njit(cache=True, parallel=True, nogil=True)
    def sign_batch(values, offsets, a, b, out):  # type: ignore[no-untyped-def]
        # numba widens uint32 arithmetic to 64 bits: the mod-2^32 wraparound of
        # datasketch's scheme is made explicit with masks and uint32 casts, and
        # min() (not a branch) lets LLVM vectorise the permutation loop.
        mask = np.uint64(0xFFFFFFFF)
        k = a.shape[0]
        for i in numba.prange(offsets.shape[0] - 1):
            sig = np.full(k, np.uint32(0xFFFFFFFF), dtype=np.uint32)
            for s in range(offsets[i], offsets[i + 1]):
                h = np.uint64(values[s])
                h ^= h >> np.uint64(16)
                h = (h * np.uint64(0x85EBCA6B)) & mask
                h ^= h >> np.uint64(13)
                h = (h * np.uint64(0xC2B2AE35)) & mask
                h ^= h >> np.uint64(16)
                h32 = np.uint32(h)
                for j in range(k):
                    sig[j] = min(sig[j], np.uint32(a[j] * h32 + b[j]))
            out[i, :] = sig

    return sign_batch


def set_threads(n: int) -> None:
    """Use ``n`` threads for bulk signing (0: all cores)."""
    import numba

    numba.set_num_threads(n or numba.config.NUMBA_NUM_THREADS)


def sign_batch(shingle_sets: Sequence[np.ndarray], cfg: SignConfig) -> np.ndarray:
    """Signatures of many shingle sets, as a (len(sets), num_perm) uint32 matrix."""
    n = len(shingle_sets)
    total = sum(s.size for s in shingle_sets)
    if total < _COMPILED_MIN_SHINGLES:
        out = np.empty((n, cfg.num_perm), dtype=np.uint32)
        for i, s in enumerate(shingle_sets):
            out[i] = sign_one(s, cfg)
        return out
    a, b = permutations(cfg.num_perm, cfg.seed)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([s.size for s in shingle_sets], out=offsets[1:])
    values = np.concatenate(shingle_sets).astype(np.uint32, copy=False) if n else np.empty(0, np.uint32)
    out = np.empty((n, cfg.num_perm), dtype=np.uint32)
    _kernel()(values, offsets, a, b, out)
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
