"""What checking the LSH segments' checksums on open costs a cold `dedup query`.

Side by side with the code before checksums (``--baseline``, exported with ``git archive``),
on one store built by this tree (the baseline ignores the digests it lists), alternating
runs so that both see the same machine load. Three figures, medians:

- the whole cold CLI (a new process: imports, store, query), wall and CPU time;
- the ``query()`` call alone, in a new process (imports excluded);
- both with the page cache as it is, and with the segment files evicted from it
  (``posix_fadvise(DONTNEED)`` on those files only: a disk-cold read, nobody else's cache touched).

    .venv/bin/python benchmarks/checksum_cost.py --articles 100000 --reps 25
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

_CHILD = """
import os, sys, time
from pathlib import Path
from dedup.config import Config
from dedup.pipeline import QueryTarget, query
store, qfile, evict = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "1"
if evict:
    for f in (store / "lsh").glob("*.npy"):
        fd = os.open(f, os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)
t = time.perf_counter()
query(Config(store=store), QueryTarget(file=qfile), k=10)
print(time.perf_counter() - t)
"""


def evict(store: Path) -> None:
    """The segment files, and only they, out of the page cache."""
    for f in (store / "lsh").glob("*.npy"):
        fd = os.open(f, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def cold_cli(tree: Path, store: Path, qfile: Path, disk_cold: bool) -> tuple[float, float]:
    """(wall, CPU) seconds of one `dedup query --file` run from ``tree``'s code."""
    if disk_cold:
        evict(store)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([PY, "-m", "dedup", "query", "--store", str(store), "--file", str(qfile), "--json"],
                   cwd=tree, capture_output=True, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def query_call(tree: Path, store: Path, qfile: Path, disk_cold: bool) -> float:
    out = subprocess.run([PY, "-c", _CHILD, str(store), str(qfile), "1" if disk_cold else "0"],
                         cwd=tree, capture_output=True, text=True, check=True)
    return float(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=25)
    ap.add_argument("--baseline", default="3642ab5", help="the commit before checksums (default: %(default)s)")
    ap.add_argument("--work", type=Path, default=None, help="keep the corpus and store here (default: a temporary directory)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "checksum_cost.json")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import synth

    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        corpus, store, qfile, base = work / "corpus.jsonl", work / "store", work / "query.txt", work / "baseline"
        if not store.exists():
            synth.write_jsonl(str(corpus), args.articles)
            subprocess.run([PY, "-m", "dedup", "index", "-q", "--store", str(store), str(corpus)], cwd=ROOT, check=True)
        first = json.loads(corpus.open(encoding="utf-8").readline())
        qfile.write_text(f"{first['title']}\nerror: Content is protected !!\n{first['text']}\n", encoding="utf-8")
        if not base.exists():
            base.mkdir()
            archive = subprocess.run(["git", "archive", args.baseline], cwd=ROOT, capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        trees = {"before": base, "after": ROOT}
        result: dict[str, object] = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "articles": args.articles, "reps": args.reps,
            "baseline": args.baseline, "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                                   "load_avg_at_start": os.getloadavg()},
            "segment_bytes": sum(f.stat().st_size for f in (store / "lsh").glob("*.npy")),
        }
        for disk_cold in (False, True):
            cli: dict[str, list[tuple[float, float]]] = {k: [] for k in trees}
            call: dict[str, list[float]] = {k: [] for k in trees}
            for r in range(args.reps + 1):
                for name, tree in trees.items():  # alternating: both see the same load
                    c, q = cold_cli(tree, store, qfile, disk_cold), query_call(tree, store, qfile, disk_cold)
                    if r:  # the first round warms the page cache and the bytecode caches
                        cli[name].append(c)
                        call[name].append(q)
            result["disk_cold" if disk_cold else "page_cached"] = {
                name: {
                    "cli_wall_median_s": round(statistics.median(w for w, _ in cli[name]), 3),
                    "cli_cpu_median_s": round(statistics.median(c for _, c in cli[name]), 3),
                    "query_call_median_ms": round(1000 * statistics.median(call[name]), 1),
                }
                for name in trees
            }
        result["machine"]["load_avg_at_end"] = os.getloadavg()  # type: ignore[index]
    print(json.dumps(result, indent=2))
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
