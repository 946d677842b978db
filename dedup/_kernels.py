"""Compiled (numba) inner loops of the shingle and sign stages, and of the index prefilter.

Imported only for bulk work: loading them costs ~0.5 s, compiling them the
first time ~10 s (then cached next to this file). Each kernel has a plain
numpy twin in shingle.py / sign.py that the tests hold it equal to.
"""

from __future__ import annotations

import numba
import numpy as np

# Constants are module globals so that numba freezes them and can cache the kernels.
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
ASTRAL_SALT = np.uint64(0x5851F42D4C957F2D)
MASK32 = np.uint64(0xFFFFFFFF)


@numba.njit(inline="always", cache=True)
def _splitmix(x):  # type: ignore[no-untyped-def]
    x ^= x >> np.uint64(30)
    x *= MIX1
    x ^= x >> np.uint64(27)
    x *= MIX2
    return x ^ (x >> np.uint64(31))


@numba.njit(inline="always", cache=True)
def _half_full_table(n):  # type: ignore[no-untyped-def]
    """An empty open-addressing table of uint32 for ``n`` values, at most half full once
    filled: (slots, mask, shift), a value's first slot being Fibonacci hashing's top bits."""
    bits = 4
    while (1 << bits) < 2 * n:
        bits += 1
    return np.zeros(1 << bits, dtype=np.uint32), (1 << bits) - 1, np.uint32(32 - bits)


@numba.njit(cache=True, parallel=True, nogil=True)
def char_shingles(cps, offsets, table, size, out, counts):  # type: ignore[no-untyped-def]
    """Fused token_hashes + ngram_hashes + unique, one article per iteration.

    Text ``i`` is ``cps[offsets[i]:offsets[i+1]]`` (code points); its distinct
    shingles go to ``out[offsets[i] : offsets[i] + counts[i]]``, in order of
    first occurrence (not sorted: MinHash does not need it).
    """
    space = table[32]
    for i in numba.prange(offsets.shape[0] - 1):
        start, end = offsets[i], offsets[i + 1]
        buf = np.empty(end - start, dtype=np.uint64)
        m = 0
        prev_word = False
        for p in range(start, end):
            c = cps[p]
            if c < 0x10000:
                hv = table[c]
            else:
                hv = _splitmix(np.uint64(c) + ASTRAL_SALT)
            if hv == space:
                if prev_word:
                    buf[m] = hv
                    m += 1
                prev_word = False
            else:
                buf[m] = hv
                m += 1
                prev_word = True
        if m > 0 and buf[m - 1] == space:
            m -= 1
        if m == 0:
            counts[i] = 0
            continue
        n = min(size, m)
        g = m - n + 1
        # Distinct values through an open-addressing set at most half full:
        # 22 vs 31 µs per news article for an LSD radix sort and a scan
        # (measured). 0 marks an empty slot, so the value 0 is tracked apart.
        slots, mask, shift = _half_full_table(g)
        seen_zero = False
        # Rolling: acc = sum buf[q+j] * GOLDEN^(n-1-j) (mod 2^64), slid one token at a
        # time (drop the oldest term, shift, add the newest) -- the same values as
        # recomputing each window, with 3 multiplications instead of n - 1.
        top = np.uint64(1)
        for j in range(n - 1):
            top *= GOLDEN
        acc = buf[0]
        for j in range(1, n):
            acc = acc * GOLDEN + buf[j]
        u = 0
        for q in range(g):
            if q > 0:
                acc = (acc - buf[q - 1] * top) * GOLDEN + buf[q + n - 1]
            v = np.uint32(_splitmix(acc) >> np.uint64(32))
            if v == 0:
                if not seen_zero:
                    seen_zero = True
                    out[start + u] = v
                    u += 1
                continue
            s = np.int64(np.uint32(v * np.uint32(0x9E3779B1)) >> shift)  # Fibonacci hashing
            while True:
                cur = slots[s]
                if cur == 0:
                    slots[s] = v
                    out[start + u] = v
                    u += 1
                    break
                if cur == v:
                    break
                s = (s + 1) & mask
        counts[i] = u


@numba.njit(cache=True, parallel=True, nogil=True)
def minhash(values, starts, counts, a, b, out):  # type: ignore[no-untyped-def]
    """datasketch "affine32" MinHash of set ``i`` = ``values[starts[i]:starts[i]+counts[i]]``.

    numba widens uint32 arithmetic to 64 bits: the mod-2^32 wraparound of the
    scheme is made explicit with masks and uint32 casts, and min() (not a branch)
    lets LLVM vectorise the permutation loop.
    """
    k = a.shape[0]
    for i in numba.prange(starts.shape[0]):
        sig = np.full(k, np.uint32(0xFFFFFFFF), dtype=np.uint32)
        for s in range(starts[i], starts[i] + counts[i]):
            h = np.uint64(values[s])
            h ^= h >> np.uint64(16)
            h = (h * np.uint64(0x85EBCA6B)) & MASK32
            h ^= h >> np.uint64(13)
            h = (h * np.uint64(0xC2B2AE35)) & MASK32
            h ^= h >> np.uint64(16)
            h32 = np.uint32(h)
            for j in range(k):
                sig[j] = min(sig[j], np.uint32(a[j] * h32 + b[j]))
        out[i, :] = sig


@numba.njit(cache=True, parallel=True, nogil=True)
def prefilter_mask(sigs, sizes, rows_a, rows_b, floor, out):  # type: ignore[no-untyped-def]
    """out[i] = whether the pair (rows_a[i], rows_b[i]) reaches ``floor`` in estimated containment
    of the smaller set in the larger: ``index.estimated_containment`` of the share of equal
    signature slots, without gathering two (n, num_perm) copies."""
    width = sigs.shape[1]
    for i in numba.prange(rows_a.size):
        a, b = rows_a[i], rows_b[i]
        c = 0
        for j in range(width):
            if sigs[a, j] == sigs[b, j]:
                c += 1
        sim = c / width
        sa, sb = float(sizes[a]), float(sizes[b])
        inter = sim * (sa + sb) / (1.0 + sim)
        out[i] = min(1.0, inter / max(min(sa, sb), 1.0)) >= floor


@numba.njit(cache=True, parallel=True, nogil=True)
def pair_intersections(values, starts, counts, ia, ib, out):  # type: ignore[no-untyped-def]
    """``out[k]`` = |set ia[k] ∩ set ib[k]| for unique (unsorted) sets ``values[starts[i] : starts[i] + counts[i]]``.

    Per pair, the smaller set goes into an open-addressing table at most half full and the
    larger probes it: O(|a| + |b|), no sorting (a doc is in about one pair after the
    candidate prefilter, so sorting each set first would cost more than it saves).
    """
    for k in numba.prange(ia.shape[0]):
        x, y = ia[k], ib[k]
        if counts[x] > counts[y]:
            x, y = y, x
        n_small = counts[x]
        if n_small == 0:
            out[k] = 0
            continue
        slots, mask, shift = _half_full_table(n_small)
        has_zero = False
        for p in range(starts[x], starts[x] + n_small):
            v = values[p]
            if v == 0:  # 0 marks an empty slot: tracked apart
                has_zero = True
                continue
            s = np.int64(np.uint32(v * np.uint32(0x9E3779B1)) >> shift)
            while slots[s] != 0:
                s = (s + 1) & mask
            slots[s] = v
        n = 0
        for q in range(starts[y], starts[y] + counts[y]):
            v = values[q]
            if v == 0:
                if has_zero:
                    n += 1
                continue
            s = np.int64(np.uint32(v * np.uint32(0x9E3779B1)) >> shift)
            while True:
                cur = slots[s]
                if cur == 0:
                    break
                if cur == v:
                    n += 1
                    break
                s = (s + 1) & mask
        out[k] = n


SIGN64 = np.uint64(0x8000000000000000)
RADIX_BITS = 11
RADIX_MASK = np.uint64((1 << RADIX_BITS) - 1)


@numba.njit(cache=True, nogil=True)
def sort_pairs(keys, docs):  # type: ignore[no-untyped-def]
    """(keys, docs) by key, stable (equal keys keep their order): an LSD radix sort of the
    int64 keys, 11 bits a pass, a pass skipped where every key has the same digit. Twin of
    ``np.argsort(keys, kind="stable")`` (segments.Segment.sort), 2.5x faster on LSH band keys."""
    n = keys.shape[0]
    k = np.empty(n, np.uint64)
    passes = (64 + RADIX_BITS - 1) // RADIX_BITS
    # Every pass's digit counts in one read of the keys, not one read per pass.
    counts = np.zeros((passes, 1 << RADIX_BITS), np.int64)
    for i in range(n):
        u = np.uint64(keys[i]) ^ SIGN64  # signed order as unsigned
        k[i] = u
        for p in range(passes):
            counts[p, (u >> np.uint64(p * RADIX_BITS)) & RADIX_MASK] += 1
    d = docs.copy()
    k2 = np.empty(n, np.uint64)
    d2 = np.empty(n, np.int64)
    for p in range(passes):
        s = np.uint64(p * RADIX_BITS)
        total = 0
        one_bucket = False
        for b in range(1 << RADIX_BITS):
            c = counts[p, b]
            if c == n:
                one_bucket = True
            counts[p, b] = total
            total += c
        if one_bucket:
            continue
        for i in range(n):
            b = (k[i] >> s) & RADIX_MASK
            j = counts[p, b]
            counts[p, b] = j + 1
            k2[j] = k[i]
            d2[j] = d[i]
        k, k2 = k2, k
        d, d2 = d2, d
    out = np.empty(n, np.int64)
    for i in range(n):
        out[i] = np.int64(k[i] ^ SIGN64)
    return out, d


@numba.njit(cache=True, nogil=True)
def merge_sorted(keys, docs, starts):  # type: ignore[no-untyped-def]
    """(keys, docs) of sorted pieces ``keys[starts[i]:starts[i + 1]]`` merged by key, equal
    keys in piece order, then in their order within the piece: the result of a stable sort
    of the whole, in one linear pass (the pieces are a k-way merge's few runs). Twin of
    ``np.argsort(keys, kind="stable")`` on such input (segments._merge_runs)."""
    n = keys.shape[0]
    k = starts.shape[0] - 1
    pos = starts[:-1].copy()
    ends = starts[1:]
    out_k = np.empty(n, np.int64)
    out_d = np.empty(n, np.int64)
    for j in range(n):
        best = -1
        for i in range(k):
            if pos[i] < ends[i] and (best < 0 or keys[pos[i]] < keys[pos[best]]):
                best = i
        out_k[j] = keys[pos[best]]
        out_d[j] = docs[pos[best]]
        pos[best] += 1
    return out_k, out_d


@numba.njit(cache=True, parallel=True, nogil=True)
def letter_counts(cps, offsets, table, out):  # type: ignore[no-untyped-def]
    """``out[i, c]``: how many code points of text ``i`` (``cps[offsets[i]:offsets[i+1]]``)
    ``table`` (BMP only) puts in class ``c``; astral code points are not counted. For
    verify.scripts_of, twin of its per-text count."""
    for i in numba.prange(offsets.shape[0] - 1):
        for c in range(out.shape[1]):
            out[i, c] = 0
        for p in range(offsets[i], offsets[i + 1]):
            cp = cps[p]
            if cp < 0x10000:
                out[i, table[cp]] += 1
