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

Each file's xxh3 digest is recorded with the segment and checked whenever it
is opened (a hash of the whole file: ~5 ms for a 100k-article store's files
when cached), so a damaged file is reported, naming it, instead of giving wrong
answers; being derived, it is rebuilt from the rows (``SQLiteStore.seal_index``).

>>> import numpy as np, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> seg = Segment.build(d, np.array([[5, 9], [7, 5]], np.int64), np.array([1, 2], np.int64))
>>> bucket_join(seg.keys, seg.docs, np.array([5, 8]), cap=10).tolist()   # (query row, doc) pairs
[[0, 1], [0, 2]]
"""

from __future__ import annotations

import mmap
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xxhash

from ..errors import StoreError
from .faults import store_error

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
    # xxh3-128 of the keys and the docs file as written; None for a segment
    # written before digests were kept (checked for its shape only).
    digests: tuple[str, str] | None = None

    def to_json(self) -> dict[str, object]:
        d: dict[str, object] = {"name": self.name, "lo": self.lo, "hi": self.hi, "entries": self.entries}
        if self.digests is not None:
            d["keys_xxh3"], d["docs_xxh3"] = self.digests
        return d

    @classmethod
    def from_json(cls, d: dict[str, object]) -> SegmentInfo:
        digests = (str(d["keys_xxh3"]), str(d["docs_xxh3"])) if "keys_xxh3" in d and "docs_xxh3" in d else None
        return cls(str(d["name"]), int(d["lo"]), int(d["hi"]), int(d["entries"]), digests)  # type: ignore[call-overload]


def segment_paths(directory: Path, name: str) -> tuple[Path, Path]:
    return directory / f"{name}.keys.npy", directory / f"{name}.docs.npy"


def file_digest(path: Path) -> str:
    """xxh3-128 of a whole file (hex), through a read-only memory map."""
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return xxhash.xxh3_128_hexdigest(b"")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return xxhash.xxh3_128_hexdigest(mm)


def _save(path: Path, array: np.ndarray) -> str:
    """Write, fsync, then rename into place (a reader never sees half a file, and a failed
    write, a full disk, leaves none behind); returns the file's digest (hashed from the page
    cache, before it can be damaged on disk)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            # np.save's own write (ndarray.tofile) reports a full disk as "37000 requested
            # and 14832 written", without errno; a file write says ENOSPC. Same bytes.
            np.lib.format.write_array_header_1_0(fh, np.lib.format.header_data_from_array_1_0(array))
            fh.write(array.data)  # contiguous (Segment.write): no copy
            fh.flush()
            os.fsync(fh.fileno())
        digest = file_digest(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise store_error(exc, path) from exc
    return digest


# What a user does about a damaged segment file.
REPAIR_ADVICE = "run 'dedup check --repair' (or 'dedup index') on the store to rebuild it from the database"


class SegmentDamage(StoreError):
    """A segment file is not the one the store listed (``path`` names it)."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: damaged LSH segment file, {problem}; {REPAIR_ADVICE}")
        self.path = path
        self.problem = problem


# np.save's header for a 1-D int64 array (padded to 64 bytes, as the format asks).
_HEADER = 128


def _load(path: Path, entries: int, digest: str | None) -> np.ndarray:
    """One file of a segment, memory-mapped, after checking it is the file the store
    listed: its shape, and its digest (when it has one). SegmentDamage names the file."""
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise  # the caller may retry: a concurrent run can have merged it away
    except (OSError, ValueError) as exc:
        size, expected = path.stat().st_size, _HEADER + 8 * entries
        cut = f"cut short ({size:,} bytes of {expected:,}), " if size < expected else ""
        raise SegmentDamage(path, f"{cut}unreadable ({exc})") from exc
    if array.dtype != np.dtype("<i8") or array.shape != (entries,):
        held = f"{array.shape[0]:,} entries" if array.ndim == 1 else f"an array of shape {array.shape}"
        raise SegmentDamage(path, f"holds {held} of {array.dtype} where the store lists {entries:,} of int64")
    if digest is not None and file_digest(path) != digest:
        raise SegmentDamage(path, "its checksum does not match the one the store recorded")
    return array


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
    def build(cls, directory: Path, band_keys: np.ndarray, docs: np.ndarray, lo: int | None = None, hi: int | None = None) -> Segment:
        """A new segment for ``docs`` (ascending) with ``band_keys`` (n, bands), covering
        ``lo``..``hi`` (default: its first and last doc)."""
        keys, owner = cls.sort(band_keys.reshape(-1), np.repeat(docs, band_keys.shape[1] if band_keys.ndim == 2 else 1))
        return cls.write(directory, keys, owner, int(docs.min()) if lo is None else lo, int(docs.max()) if hi is None else hi)

    @classmethod
    def write(cls, directory: Path, keys: np.ndarray, docs: np.ndarray, lo: int, hi: int) -> Segment:
        directory.mkdir(parents=True, exist_ok=True)
        name = f"seg-{lo:010d}-{hi:010d}-{secrets.token_hex(4)}"
        kp, dp = segment_paths(directory, name)
        try:
            digests = (_save(kp, np.ascontiguousarray(keys, dtype=np.int64)), _save(dp, np.ascontiguousarray(docs, dtype=np.int64)))
        except BaseException:
            kp.unlink(missing_ok=True)
            dp.unlink(missing_ok=True)
            raise
        return cls(SegmentInfo(name, lo, hi, int(keys.size), digests), keys, docs)

    @classmethod
    def open(cls, directory: Path, info: SegmentInfo) -> Segment:
        """The segment ``info`` lists, checked against it (see :func:`_load`);
        FileNotFoundError when a file is gone."""
        kp, dp = segment_paths(directory, info.name)
        kd, dd = info.digests or (None, None)
        return cls(info, _load(kp, info.entries, kd), _load(dp, info.entries, dd))

    def damage(self, directory: Path) -> tuple[Path, str] | None:
        """The file and what is wrong with its contents (keys out of order, docs outside
        the range the segment covers), None if nothing: a full scan, for segments
        without digests."""
        kp, dp = segment_paths(directory, self.info.name)
        for i in range(0, self.info.entries, _SCAN_CHUNK):
            # one entry of overlap, so that order is checked across chunk boundaries
            k = np.asarray(self.keys[max(0, i - 1) : i + _SCAN_CHUNK])
            d = np.asarray(self.docs[i : i + _SCAN_CHUNK])
            if (k[1:] < k[:-1]).any():
                return kp, "keys out of order"
            if d.size and (int(d.min()) < self.info.lo or int(d.max()) > self.info.hi):
                return dp, f"docs outside {self.info.lo}..{self.info.hi}"
        return None

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
    # Never negative, whatever the file holds: a damaged (unsorted) run gives wrong
    # hits, which callers drop by range, not a crash.
    counts = np.maximum(hi - lo, 0)
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
