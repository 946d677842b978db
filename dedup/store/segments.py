"""The LSH bucket index as sorted, memory-mapped segment files.

A bucket lookup is a binary search in a sorted array of band keys: no B-tree
to maintain row by row (37 rows per article in a SQL table cost more than
everything else in an index run). Each index run seals the articles it stored
into one new segment; small segments are merged into larger ones, as in an
LSM tree, so a store of N articles has O(log N) segments.

Segments are derived data: every article's band keys are also kept in its
row, which is the truth. Which segments exist is recorded by the store in the
same transaction as its other metadata; a file not recorded there is garbage
from an interrupted run and is removed. Articles not yet sealed (the "tail")
are searched from their rows.

>>> import numpy as np, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> seg = Segment.build(d, np.array([[5, 9], [7, 5]], np.int64), np.array([1, 2], np.int64))
>>> bucket_join(seg.keys, seg.docs, np.array([5, 8]), cap=10).tolist()   # (query row, doc) pairs
[[0, 1], [0, 2]]
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import StoreError

# Above this many members a bucket is linked as a star (to its first member
# only) instead of to all members: such buckets hold near-identical texts (one
# wire story on hundreds of sites), and union-find makes the star as good as
# the clique at a tiny fraction of the verified pairs.
MAX_CLIQUE_BUCKET = 64
# Merge the newest segment into the one before it while it is at least this
# share of its size: keeps the number of segments logarithmic in the store size.
_MERGE_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """What the store records about a segment (JSON in its metadata)."""

    name: str
    lo: int  # first doc covered
    hi: int  # last doc covered
    entries: int

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "lo": self.lo, "hi": self.hi, "entries": self.entries}

    @classmethod
    def from_json(cls, d: dict[str, object]) -> SegmentInfo:
        return cls(str(d["name"]), int(d["lo"]), int(d["hi"]), int(d["entries"]))  # type: ignore[call-overload]


def segment_paths(directory: Path, name: str) -> tuple[Path, Path]:
    return directory / f"{name}.keys.npy", directory / f"{name}.docs.npy"


def _save(path: Path, array: np.ndarray) -> None:
    """Write, fsync, then rename into place: a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, array, allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True, slots=True)
class Segment:
    """Sorted band keys and the doc of each, memory-mapped read-only."""

    info: SegmentInfo
    keys: np.ndarray  # int64, sorted
    docs: np.ndarray  # int64, sorted within equal keys

    @staticmethod
    def sort(keys: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Stable sort on keys of (doc-ordered) input keeps docs ascending within a
        # bucket, so a star bucket's centre is its earliest doc.
        order = np.argsort(keys, kind="stable")
        return keys[order], docs[order]

    @classmethod
    def build(cls, directory: Path, band_keys: np.ndarray, docs: np.ndarray) -> Segment:
        """A new segment for ``docs`` (ascending) with ``band_keys`` (n, bands)."""
        keys, owner = cls.sort(band_keys.reshape(-1), np.repeat(docs, band_keys.shape[1] if band_keys.ndim == 2 else 1))
        return cls.write(directory, keys, owner, int(docs.min()), int(docs.max()))

    @classmethod
    def write(cls, directory: Path, keys: np.ndarray, docs: np.ndarray, lo: int, hi: int) -> Segment:
        directory.mkdir(parents=True, exist_ok=True)
        name = f"seg-{lo:010d}-{hi:010d}-{secrets.token_hex(4)}"
        kp, dp = segment_paths(directory, name)
        _save(kp, np.ascontiguousarray(keys, dtype=np.int64))
        _save(dp, np.ascontiguousarray(docs, dtype=np.int64))
        return cls(SegmentInfo(name, lo, hi, int(keys.size)), keys, docs)

    @classmethod
    def open(cls, directory: Path, info: SegmentInfo) -> Segment:
        kp, dp = segment_paths(directory, info.name)
        try:
            keys = np.load(kp, mmap_mode="r")
            docs = np.load(dp, mmap_mode="r")
        except FileNotFoundError:
            raise  # the caller may retry: a concurrent run can have merged it away
        except (OSError, ValueError) as exc:
            raise StoreError(f"{kp}: unreadable LSH segment ({exc}); delete the store's lsh/ folder, then run 'dedup index' on the store to rebuild it") from exc
        if keys.shape != (info.entries,) or docs.shape != (info.entries,):
            raise StoreError(f"{kp}: LSH segment holds {keys.shape[0]} entries, the store expects {info.entries}")
        return cls(info, keys, docs)

    def remove_files(self, directory: Path) -> None:
        for p in segment_paths(directory, self.info.name):
            p.unlink(missing_ok=True)


def bucket_join(keys: np.ndarray, docs: np.ndarray, query_keys: np.ndarray, cap: int | None) -> np.ndarray:
    """(n, 2) int64 (position in ``query_keys``, doc) for every entry of a sorted (keys, docs)
    run sharing a key; buckets larger than ``cap`` give their first member only (``None``: all)."""
    if keys.size == 0 or query_keys.size == 0:
        return np.empty((0, 2), dtype=np.int64)
    # Sorted queries make the binary searches walk the index in order (several
    # times faster on large arrays, and page-friendly on a memory-mapped file).
    order = np.argsort(query_keys, kind="stable")
    sorted_q = query_keys[order]
    lo = np.empty(query_keys.size, dtype=np.int64)
    hi = np.empty(query_keys.size, dtype=np.int64)
    lo[order] = np.searchsorted(keys, sorted_q, side="left")
    hi[order] = np.searchsorted(keys, sorted_q, side="right")
    counts = hi - lo
    if cap is not None:
        counts = np.where(counts > cap, 1, counts)
    hit = np.flatnonzero(counts)
    if hit.size == 0:
        return np.empty((0, 2), dtype=np.int64)
    counts, lo = counts[hit], lo[hit]
    total = int(counts.sum())
    # positions lo[i] .. lo[i] + counts[i] - 1 for each hit i, without a Python loop
    starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
    pos = starts + np.arange(total)
    return np.stack([np.repeat(hit, counts).astype(np.int64), np.asarray(docs[pos], dtype=np.int64)], axis=1)


# Entries of a run scanned at once by within_pairs: bounds its memory on large segments.
_SCAN_CHUNK = 1 << 22


def within_pairs(keys: np.ndarray, docs: np.ndarray, cap: int | None = MAX_CLIQUE_BUCKET) -> np.ndarray:
    """(n, 2) doc pairs sharing a bucket inside one sorted run: the self-join of a run
    whose articles are all being clustered (a bulk load), without a single search.
    Buckets larger than ``cap`` give a star to their first member, as :func:`bucket_join`.

    >>> within_pairs(np.array([1, 5, 5, 5, 9]), np.array([3, 1, 2, 4, 3])).tolist()
    [[1, 2], [1, 4], [2, 4]]
    """
    out: list[np.ndarray] = []
    n, p = keys.size, 0
    while p < n:
        q = min(n, p + _SCAN_CHUNK)
        if q < n:  # end the chunk on a bucket boundary
            q = int(np.searchsorted(keys, keys[q - 1], side="right"))
        k = np.asarray(keys[p:q])
        d = np.asarray(docs[p:q], dtype=np.int64)
        same = k[1:] == k[:-1]
        if same.any():
            # bucket starts among entries that have a next equal one, and bucket sizes
            first = np.flatnonzero(np.r_[True, ~same] & np.r_[same, False])
            size = np.searchsorted(k, k[first], side="right") - first
            star = size > cap if cap is not None else np.zeros(size.size, dtype=bool)
            if star.any():
                centres, counts = first[star], size[star] - 1
                offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts) + 1
                ci = np.repeat(centres, counts)
                out.append(np.stack([d[ci], d[ci + offsets]], axis=1))
            for s in np.unique(size[~star]).tolist():
                starts = first[~star & (size == s)]
                ii, jj = np.triu_indices(s, 1)
                out.append(np.stack([d[(starts[:, None] + ii).ravel()], d[(starts[:, None] + jj).ravel()]], axis=1))
        p = q
    return np.concatenate(out) if out else np.empty((0, 2), dtype=np.int64)


def merge(directory: Path, segments: list[Segment], alive: np.ndarray | None) -> Segment:
    """One segment holding the entries of ``segments`` (adjacent, oldest first) whose
    doc is in ``alive`` (sorted docs that still exist; ``None`` keeps every entry)."""
    keys = np.concatenate([np.asarray(s.keys) for s in segments])
    docs = np.concatenate([np.asarray(s.docs) for s in segments])
    if alive is not None:
        keep = np.isin(docs, alive, assume_unique=False)
        keys, docs = keys[keep], docs[keep]
    # Concatenated sorted runs: the stable sort (timsort) merges them in linear time.
    # Docs of older segments are smaller, so docs stay ascending within a bucket.
    keys, docs = Segment.sort(keys, docs)
    return Segment.write(directory, keys, docs, segments[0].info.lo, segments[-1].info.hi)


def plan_merges(sizes: list[int]) -> int:
    """How many of the newest segments to merge into one (0 or 1: none)."""
    k = 1
    total = sizes[-1] if sizes else 0
    while k < len(sizes) and total >= _MERGE_SHARE * sizes[-k - 1]:
        total += sizes[-k - 1]
        k += 1
    return k
