"""A compact copy of every stored article's MinHash signature, for a query that scores them all.

The signatures live in the article rows, beside the texts: reading them all from
there reads the whole database (0.3–0.5 s at 100k articles). This file keeps them
apart, memory-mapped: a header (magic, signature length) and then fixed-size
records ``(doc int64, n_shingles int64, signature uint32[num_perm])`` in doc order.

It is derived and only appended to, at the end of an index run: the rows after its
last doc are read from the database by whoever uses it; replaced articles' records
stay in it (a reader keeps the docs still stored); a partial last record (a run
interrupted while appending) is ignored and cut off by the next append; a file that
is not one (wrong magic, docs out of order) is written afresh.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "signatures.bin"
>>> append(p, np.array([3, 7]), np.array([40, 50]), np.arange(8, dtype=np.uint32).reshape(2, 4))
>>> r = read(p)
>>> r["doc"].tolist(), r["n"].tolist(), r["sig"][1].tolist()
([3, 7], [40, 50], [4, 5, 6, 7])
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

MAGIC = b"DEDUPSG1"
_HEADER = struct.Struct("<8sQ")  # magic, num_perm


def _dtype(num_perm: int) -> np.dtype:
    return np.dtype([("doc", "<i8"), ("n", "<i8"), ("sig", "<u4", (num_perm,))])


def _layout(path: Path) -> tuple[np.dtype, int] | None:
    """(record dtype, whole records) of the file, or None when it is absent or not one."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEADER.size)
            size = os.fstat(fh.fileno()).st_size
    except FileNotFoundError:
        return None
    if len(head) < _HEADER.size:
        return None
    magic, num_perm = _HEADER.unpack(head)
    if magic != MAGIC or not 0 < num_perm <= 1 << 16:
        return None
    dtype = _dtype(num_perm)
    return dtype, (size - _HEADER.size) // dtype.itemsize


def read(path: Path) -> np.ndarray | None:
    """The file's whole records (memory-mapped, doc order), or None when it is absent or not one."""
    layout = _layout(path)
    if layout is None:
        return None
    dtype, n = layout
    if n == 0:
        return np.empty(0, dtype=dtype)
    recs = np.memmap(path, dtype=dtype, mode="r", offset=_HEADER.size, shape=(n,))
    docs = recs["doc"]
    if docs[0] < 1 or (n > 1 and not bool(np.all(docs[1:] > docs[:-1]))):
        return None
    return recs


def last_doc(path: Path) -> int:
    """The doc of the file's last whole record (0: none, or no file), read without the rest."""
    layout = _layout(path)
    if layout is None or layout[1] == 0:
        return 0
    dtype, n = layout
    with path.open("rb") as fh:
        fh.seek(_HEADER.size + (n - 1) * dtype.itemsize)
        return int(np.frombuffer(fh.read(8), dtype="<i8")[0])


def append(path: Path, docs: np.ndarray, sizes: np.ndarray, sigs: np.ndarray) -> None:
    """Add records for ``docs`` (increasing, after the file's last doc); a file that is absent,
    not one, of another signature length, or ending after ``docs[0]`` is replaced by these alone."""
    num_perm = int(sigs.shape[1])
    dtype = _dtype(num_perm)
    recs = np.empty(len(docs), dtype=dtype)
    recs["doc"], recs["n"], recs["sig"] = docs, sizes, sigs
    layout = _layout(path)
    if layout is None or layout[0] != dtype or (len(docs) and int(docs[0]) <= last_doc(path)):
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            fh.write(_HEADER.pack(MAGIC, num_perm))
            fh.write(recs.tobytes())
        os.replace(tmp, path)
        return
    whole = _HEADER.size + layout[1] * dtype.itemsize
    with path.open("r+b") as fh:
        fh.truncate(whole)  # a partial record of an interrupted append
        fh.seek(whole)
        fh.write(recs.tobytes())
