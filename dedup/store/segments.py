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

import io
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
# Bands of 2 rows (low LSH thresholds, which reach rewritten copy) fill buckets by chance:
# two texts share a band when they share the minimum of two permutations, which common
# shingles make frequent. Their buckets are linked as stars above this many members:
# on 100k synthetic articles at 64 x 2, 1.79M candidate pairs instead of 4.23M, and every
# pair of estimated Jaccard >= 0.3 still found (benchmarks/QUALITY.md, "Candidate stage").
MAX_CLIQUE_BUCKET_LOW_ROWS = 16


def clique_cap(rows: int) -> int:
    """Members above which a bucket of a band of ``rows`` rows is linked as a star."""
    return MAX_CLIQUE_BUCKET if rows >= 3 else MAX_CLIQUE_BUCKET_LOW_ROWS
# Merge the newest segment into the one before it while it is at least this
# share of its size: keeps the number of segments logarithmic in the store size.
_MERGE_SHARE = 0.25
# Entries sorted in memory at once when a segment is built or merged (16 bytes
# each, about three times that while sorting): sealing a bulk load of any size
# sorts runs of this many entries into temporary files and merges them, and a
# merge of segments streams them block by block, so the peak does not grow
# with the store (one sort of a 1M-article load's 37M keys took 1.7 GiB).
_SORT_RUN = 1 << 22
# From this many entries on, Segment.sort is the compiled radix sort (a tenth of a bulk load's
# time went to numpy's stable argsort at 96 bands: benchmarks/QUALITY.md, "Speed"); below it,
# loading the compiled kernels would cost more than it saves.
_COMPILED_SORT_MIN = 1 << 16


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
    """xxh3-128 of a whole file (hex), read 8 MiB at a time: the pages of a memory
    map of the whole file would all count in the process's resident memory (the
    keys file of a million articles is 296 MB)."""
    h = xxhash.xxh3_128()
    buf = bytearray(8 << 20)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()


def _npy_header(n: int) -> bytes:
    """The .npy header ``np.save`` writes for ``n`` int64 entries (the same length, 128 bytes,
    for every ``n``: numpy pads it so that the shape can grow in place)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<i8", "fortran_order": False, "shape": (n,)})
    return buf.getvalue()


# np.save's header for a 1-D int64 array: 128 bytes for any length.
_HEADER = len(_npy_header(0))


class _SegmentWriter:
    """Streams sorted (keys, docs) blocks into a new segment's two .npy files: written
    to temporary names, the header last (once the count is known), fsynced, then
    renamed into place, so a reader never sees half a file."""

    def __init__(self, directory: Path, lo: int, hi: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory, self.lo, self.hi, self.n = directory, lo, hi, 0
        self.name = f"seg-{lo:010d}-{hi:010d}-{secrets.token_hex(4)}"
        self._paths = segment_paths(directory, self.name)
        self._tmps = [p.with_name(p.name + ".tmp") for p in self._paths]
        self._fhs = [open(t, "wb") for t in self._tmps]
        for fh in self._fhs:
            fh.write(b"\0" * _HEADER)

    def write(self, keys: np.ndarray, docs: np.ndarray) -> None:
        try:
            for fh, a in zip(self._fhs, (keys, docs), strict=True):
                fh.write(np.ascontiguousarray(a, dtype="<i8").data)  # a file write says ENOSPC (tofile would not)
        except OSError as exc:
            self.abort()
            raise store_error(exc, self._paths[0]) from exc
        self.n += int(keys.size)

    def close(self) -> Segment:
        """Header, fsync, digest (from the page cache, before the file can be damaged on
        disk), then rename into place; on a failure (a full disk) no file is left."""
        header = _npy_header(self.n)
        if len(header) != _HEADER:  # pragma: no cover -- numpy pads every 1-D int64 header alike
            raise StoreError(f"{self._paths[0]}: unexpected .npy header length for {self.n} entries")
        digests: list[str] = []
        try:
            for fh, tmp in zip(self._fhs, self._tmps, strict=True):
                fh.seek(0)
                fh.write(header)
                fh.flush()
                os.fsync(fh.fileno())
                fh.close()
                digests.append(file_digest(tmp))
            for tmp, path in zip(self._tmps, self._paths, strict=True):
                os.replace(tmp, path)
        except OSError as exc:
            self.abort()
            for path in self._paths:
                path.unlink(missing_ok=True)
            raise store_error(exc, self._paths[len(digests) % 2]) from exc
        info = SegmentInfo(self.name, self.lo, self.hi, self.n, (digests[0], digests[1]))
        return Segment.open(self.directory, info)

    def abort(self) -> None:
        for fh, tmp in zip(self._fhs, self._tmps, strict=True):
            try:
                fh.close()
            except OSError:
                pass  # a full disk fails the close's flush too; the file goes anyway
            tmp.unlink(missing_ok=True)


class _RunFile:
    """A sorted run of (keys, docs) in two files of int64 (``.npy`` or raw), read by
    explicit reads: pages of a memory map would count in the process's RSS."""

    def __init__(self, keys_path: Path, docs_path: Path, n: int) -> None:
        self.paths, self.n = (keys_path, docs_path), n
        self.offsets = tuple(_data_offset(p) for p in self.paths)

    def read(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        count = max(0, min(stop, self.n) - start)
        k, d = (np.fromfile(p, dtype="<i8", count=count, offset=off + 8 * start) for p, off in zip(self.paths, self.offsets, strict=True))
        return k.astype(np.int64, copy=False), d.astype(np.int64, copy=False)


def _data_offset(path: Path) -> int:
    """Where the data of a ``.npy`` file starts (0 for a raw file)."""
    if path.suffix != ".npy":
        return 0
    with open(path, "rb") as fh:
        if np.lib.format.read_magic(fh) == (1, 0):
            np.lib.format.read_array_header_1_0(fh)
        else:
            np.lib.format.read_array_header_2_0(fh)
        return fh.tell()


def _merge_runs(runs: list[_RunFile], out: _SegmentWriter, keep: Callable[[np.ndarray], np.ndarray] | None, block: int) -> None:
    """K-way merge of sorted runs into ``out``, ``block`` entries in memory at a time.

    Equal keys come out in run order, then in their order within the run: the same
    as a stable sort of the runs concatenated. ``keep(docs)`` filters entries."""
    per = max(1 << 12, block // max(1, len(runs)))
    bufs = [(np.empty(0, np.int64), np.empty(0, np.int64)) for _ in runs]
    pos = [0] * len(runs)

    def refill(i: int, want: int) -> None:
        k, d = bufs[i]
        if k.size < want and pos[i] < runs[i].n:
            nk, nd = runs[i].read(pos[i], pos[i] + want - k.size)
            pos[i] += nk.size
            bufs[i] = (np.concatenate([k, nk]), np.concatenate([d, nd]))

    while True:
        for i in range(len(runs)):
            refill(i, per)
        # Entries below the smallest last key of a run not read to its end are all
        # in the buffers: everything after them in that run is at least that key.
        open_lasts = [int(bufs[i][0][-1]) for i in range(len(runs)) if pos[i] < runs[i].n]
        if not open_lasts and all(b[0].size == 0 for b in bufs):
            return
        bound = min(open_lasts) if open_lasts else None
        cuts = [b[0].size if bound is None else int(np.searchsorted(b[0], bound, side="left")) for b in bufs]
        if sum(cuts) == 0:
            # Every buffer starts at the bound (a bucket longer than a buffer): read on
            # until each open run's buffer passes it.
            for i in range(len(runs)):
                if pos[i] < runs[i].n and int(bufs[i][0][-1]) == bound:
                    refill(i, bufs[i][0].size + per)
            continue
        pieces = [(b[0][:c], b[1][:c]) for b, c in zip(bufs, cuts, strict=True) if c]
        bufs = [(b[0][c:], b[1][c:]) for b, c in zip(bufs, cuts, strict=True)]
        if keep is not None:
            pieces = [(k[m], d[m]) for k, d in pieces for m in (keep(d),)]
        out.write(*_merged(pieces))


def _merged(pieces: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (keys, docs) pieces as one, equal keys in piece order: what a stable sort of
    them concatenated gives, by a linear merge when they are long (compiled)."""
    keys = np.concatenate([k for k, _ in pieces]) if pieces else np.empty(0, np.int64)
    docs = np.concatenate([d for _, d in pieces]) if pieces else np.empty(0, np.int64)
    if len(pieces) < 2 or keys.size < _COMPILED_SORT_MIN:
        return Segment.sort(keys, docs)
    from .._kernels import merge_sorted  # (a bulk load has them loaded already)

    starts = np.cumsum([0] + [k.size for k, _ in pieces], dtype=np.int64)
    return merge_sorted(keys, docs, starts)  # type: ignore[no-any-return]


# What a user does about a damaged segment file.
REPAIR_ADVICE = "run 'dedup check --repair' (or 'dedup index') on the store to rebuild it from the database"


class SegmentDamage(StoreError):
    """A segment file is not the one the store listed (``path`` names it)."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: damaged LSH segment file, {problem}; {REPAIR_ADVICE}")
        self.path = path
        self.problem = problem




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
        if keys.size >= _COMPILED_SORT_MIN:
            from .._kernels import sort_pairs  # (a bulk load has them loaded already)

            return sort_pairs(np.ascontiguousarray(keys, dtype=np.int64), np.ascontiguousarray(docs, dtype=np.int64))  # type: ignore[no-any-return]
        order = np.argsort(keys, kind="stable")
        return keys[order], docs[order]

    @classmethod
    def build(cls, directory: Path, band_keys: np.ndarray, docs: np.ndarray, lo: int | None = None, hi: int | None = None) -> Segment:
        """A new segment for ``docs`` (ascending) with ``band_keys`` (n, bands), covering
        ``lo``..``hi`` (default: its first and last doc)."""
        seg = cls.build_chunked(directory, [(docs, band_keys)], lo=lo, hi=hi)
        assert seg is not None
        return seg

    @classmethod
    def build_chunked(
        cls, directory: Path, chunks: Iterable[tuple[np.ndarray, np.ndarray]], run: int | None = None,
        lo: int | None = None, hi: int | None = None,
    ) -> Segment | None:
        """A new segment from (docs, band keys (n, bands)) chunks, docs ascending across
        them (None if they hold no doc), covering ``lo``..``hi`` (default: its first and
        last doc): sorted in runs of ``run`` entries (default ``_SORT_RUN``) spilled to
        temporary files, then merged, so memory stays bounded."""
        builder = SegmentBuilder(directory, run)
        try:
            for docs, band_keys in chunks:
                builder.add(docs, band_keys)
            return builder.finish(lo, hi)
        finally:
            builder.abort()

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

    def run_file(self, directory: Path) -> _RunFile:
        """This segment's entries, read from its files in chunks (no memory map)."""
        return _RunFile(*segment_paths(directory, self.info.name), self.info.entries)

    def remove_files(self, directory: Path) -> None:
        for p in segment_paths(directory, self.info.name):
            p.unlink(missing_ok=True)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an int64 array: ``np.unique``, by a sort. numpy 2.4's
    ``np.unique`` hashes integer arrays, 17x slower on millions of packed pairs here
    (4M: 10 s against 0.6 s on the loaded 2-core machine).

    >>> sorted_unique(np.array([5, 1, 5, 3])).tolist()
    [1, 3, 5]
    """
    s = np.sort(np.asarray(values).reshape(-1))
    return s[np.r_[True, s[1:] != s[:-1]]] if s.size else s


def packed_pairs(a: np.ndarray, b: np.ndarray, keep: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """Unordered doc pairs packed into one int64 each (low doc << 32 | high doc), unique (a
    1-D unique is far faster than ``unique(axis=0)`` on pairs); with ``keep`` (pairs → bool
    mask, a store's candidate filter), only the pairs it keeps.

    >>> packed_pairs(np.array([3, 1, 3]), np.array([1, 2, 1])).tolist() == [(1 << 32) | 2, (1 << 32) | 3]
    True
    """
    packed = sorted_unique((np.minimum(a, b) << 32) | np.maximum(a, b))
    if keep is not None and packed.size:
        packed = packed[keep(unpacked_pairs(packed))]
    return packed


def unpacked_pairs(packed: np.ndarray) -> np.ndarray:
    """(n, 2) int64 pairs of :func:`packed_pairs`' values."""
    return np.stack([packed >> 32, packed & 0xFFFFFFFF], axis=1)


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
    out = list(iter_within_pairs(keys, docs, cap))
    return np.concatenate(out) if out else np.empty((0, 2), dtype=np.int64)


def iter_within_pairs(
    keys: np.ndarray, docs: np.ndarray, cap: int | None = MAX_CLIQUE_BUCKET,
    read: Callable[[int, int], tuple[np.ndarray, np.ndarray]] | None = None, chunk: int = _SCAN_CHUNK,
) -> Iterator[np.ndarray]:
    """:func:`within_pairs`, a chunk of the run at a time; ``read(start, stop)`` gives the
    entries of a chunk (e.g. from the segment's files, so that a scan of a large
    memory-mapped segment does not keep its pages resident); ``keys`` is only searched."""
    n, p = keys.size, 0
    while p < n:
        q = min(n, p + chunk)
        if q < n:  # end the chunk on a bucket boundary
            q = int(np.searchsorted(keys, keys[q - 1], side="right"))
        if read is None:
            k, d = np.asarray(keys[p:q]), np.asarray(docs[p:q], dtype=np.int64)
        else:
            k, d = read(p, q)
        same = k[1:] == k[:-1]
        out: list[np.ndarray] = []
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
            if out:
                yield np.concatenate(out)
        p = q


def merge(directory: Path, segments: list[Segment], alive: np.ndarray | None, block: int | None = None) -> Segment:
    """One segment holding the entries of ``segments`` (adjacent, oldest first) whose
    doc is in ``alive`` (sorted docs that still exist; ``None`` keeps every entry).

    Streamed: ``block`` entries (default ``_SORT_RUN``) in memory at a time. Docs of
    older segments are smaller, so docs stay ascending within a bucket."""
    keep = None
    if alive is not None:
        live = np.asarray(alive, dtype=np.int64)

        def keep(docs: np.ndarray) -> np.ndarray:
            if live.size == 0:
                return np.zeros(docs.size, dtype=bool)
            return live[np.minimum(np.searchsorted(live, docs), live.size - 1)] == docs

    out = _SegmentWriter(directory, segments[0].info.lo, segments[-1].info.hi)
    try:
        _merge_runs([s.run_file(directory) for s in segments], out, keep, block or _SORT_RUN)
    except BaseException:
        out.abort()
        raise
    return out.close()


class SegmentBuilder:
    """A new segment's entries, added chunk by chunk (docs ascending across chunks), sorted in
    runs of ``run`` entries (default ``_SORT_RUN``) spilled to temporary files in
    ``directory``, then merged by :meth:`finish`, so memory stays bounded. A full run is sorted
    and spilled on a second thread (the compiled sort lets go of the GIL) while the next one
    is added; one at a time. :meth:`abort` (safe after :meth:`finish`) removes what is left.

    >>> import numpy as np, tempfile, pathlib
    >>> b = SegmentBuilder(pathlib.Path(tempfile.mkdtemp()))
    >>> b.add(np.array([1, 2]), np.array([[7, 5], [7, 6]]))
    >>> seg = b.finish()
    >>> seg.keys.tolist(), seg.docs.tolist(), (b.docs, b.first, b.last)
    ([5, 6, 7, 7], [1, 2, 1, 2], (2, 1, 2))
    """

    def __init__(self, directory: Path, run: int | None = None) -> None:
        self.directory, self.run = directory, run or _SORT_RUN
        self.docs, self.first, self.last = 0, 0, 0  # what was added: how many docs, the first and last
        self._spill: Path | None = None
        self._runs: list[_RunFile] = []
        self._held: list[tuple[np.ndarray, np.ndarray]] = []
        self._n_held = 0
        self._sorter: ThreadPoolExecutor | None = None
        self._sorting: Future[_RunFile] | None = None

    def add(self, docs: np.ndarray, band_keys: np.ndarray) -> None:
        """Docs (ascending, after those added before) and their band keys (n, bands)."""
        if docs.size == 0:
            return
        if self.docs and int(docs[0]) <= self.last:
            raise ValueError(f"docs must ascend across chunks: {int(docs[0])} after {self.last}")
        self.first = self.first if self.docs else int(docs[0])
        self.last = int(docs[-1])
        self.docs += int(docs.size)
        width = band_keys.shape[1] if band_keys.ndim == 2 else 1
        self._held.append((np.asarray(band_keys, dtype=np.int64).reshape(-1), np.repeat(np.asarray(docs, dtype=np.int64), width)))
        self._n_held += self._held[-1][0].size
        if self._n_held >= self.run:
            self._spill_held()

    def finish(self, lo: int | None = None, hi: int | None = None) -> Segment | None:
        """The segment, covering ``lo``..``hi`` (default: the first and last doc added);
        None if no doc was added."""
        if not self.docs:
            return None
        out = _SegmentWriter(self.directory, self.first if lo is None else lo, self.last if hi is None else hi)
        try:
            if self._sorting is None:  # it all fitted in one run: no temporary files
                out.write(*Segment.sort(*self._take_held()))
            else:
                if self._held:
                    self._spill_held()
                self._runs.append(self._sorting.result())
                self._sorting = None
                _merge_runs(self._runs, out, None, self.run)
        except BaseException:
            out.abort()
            raise
        finally:
            self.abort()
        return out.close()

    def abort(self) -> None:
        """Stop, and remove the temporary runs (a sort under way finishes with its files first)."""
        self._held.clear()
        if self._sorter is not None:
            self._sorter.shutdown(wait=True)
            self._sorter = None
        self._sorting = None
        if self._spill is not None:
            shutil.rmtree(self._spill, ignore_errors=True)
            self._spill = None

    def _take_held(self) -> tuple[np.ndarray, np.ndarray]:
        keys = np.concatenate([k for k, _ in self._held])
        docs = np.concatenate([d for _, d in self._held])
        self._held.clear()
        self._n_held = 0
        return keys, docs

    def _spill_held(self) -> None:
        self._spill = self._spill or Path(tempfile.mkdtemp(prefix="sort-", dir=_mkdir(self.directory)))
        self._sorter = self._sorter or ThreadPoolExecutor(1, thread_name_prefix="dedup-sort")
        if self._sorting is not None:
            self._runs.append(self._sorting.result())
        spill, i = self._spill, len(self._runs) + 1
        self._sorting = self._sorter.submit(lambda kd: _spill_run(spill, i, *Segment.sort(*kd)), self._take_held())


def _mkdir(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _spill_run(spill: Path, i: int, keys: np.ndarray, docs: np.ndarray) -> _RunFile:
    """Sorted run number ``i`` to two temporary files in ``spill`` (file writes: a full
    disk says ENOSPC)."""
    paths = spill / f"{i}.keys", spill / f"{i}.docs"
    for path, array in zip(paths, (keys, docs), strict=True):
        try:
            with open(path, "wb") as fh:
                fh.write(np.ascontiguousarray(array, dtype="<i8").data)
        except OSError as exc:
            raise store_error(exc, path) from exc
    return _RunFile(*paths, keys.size)


def plan_merges(sizes: list[int]) -> int:
    """How many of the newest segments to merge into one (0 or 1: none)."""
    k = 1
    total = sizes[-1] if sizes else 0
    while k < len(sizes) and total >= _MERGE_SHARE * sizes[-k - 1]:
        total += sizes[-k - 1]
        k += 1
    return k
