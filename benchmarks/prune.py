"""What `dedup prune` costs: the older half of a synthetic store removed.

Builds one store of N synthetic articles (``synth.py``: times spread over one day, so the
older half is spread over every LSH segment, the worst case for the rewrite), then on
fresh copies of it, ``--reps`` times: ``dedup prune --before MEDIAN`` as a new process (wall
time, and the prune call alone as the library reports it), the store's files before and
after, and the free pages SQLite keeps for reuse (the file does not shrink: the next nights'
articles fill them). Then once: ``VACUUM`` on a pruned copy, to show what giving the space
back to the file system would cost. Medians.

    .venv/bin/python benchmarks/prune.py --articles 20000 --reps 3
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import synth  # noqa: E402

PY = sys.executable
_CHILD = """
import json, sys, time
from pathlib import Path
from dedup.config import Config
from dedup.pipeline import prune
t = time.perf_counter()
r = prune(Config(store=Path(sys.argv[1]), progress=False), sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - t, "articles": r.articles, "dropped": r.stories_dropped, "changed": len(r.stories_changed)}))
"""


def sizes(store: Path) -> dict[str, int]:
    db = sum(p.stat().st_size for p in store.glob("dedup.sqlite*"))
    lsh = sum(p.stat().st_size for p in (store / "lsh").glob("*.npy"))
    conn = sqlite3.connect(store / "dedup.sqlite")
    try:
        free = conn.execute("PRAGMA freelist_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
        lines = conn.execute("SELECT COUNT(*) FROM outlet_lines").fetchone()[0]
    finally:
        conn.close()
    return {"db_bytes": db, "lsh_bytes": lsh, "free_bytes": free, "outlet_lines": lines}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=20000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "prune.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-prune-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus.jsonl"
        synth.write_jsonl(str(corpus), args.articles)
        base = work / "base"
        t = time.perf_counter()
        subprocess.run([PY, "-m", "dedup", "index", "--quiet", "--store", str(base), str(corpus)], check=True)
        index_s = time.perf_counter() - t
        conn = sqlite3.connect(base / "dedup.sqlite")
        times = sorted(r[0] for r in conn.execute("SELECT published_at FROM articles"))
        conn.close()
        cut = times[len(times) // 2]  # the older half goes
        before = sizes(base)
        runs = []
        for _ in range(args.reps):
            copy = work / "copy"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(base, copy)
            t = time.perf_counter()
            p = subprocess.run([PY, "-c", _CHILD, str(copy), cut], check=True, capture_output=True, text=True)
            wall = time.perf_counter() - t
            runs.append({"wall_seconds": wall, **json.loads(p.stdout)})
        after = sizes(copy)
        t = time.perf_counter()
        conn = sqlite3.connect(copy / "dedup.sqlite")
        conn.execute("VACUUM")
        conn.close()
        vacuum_s = time.perf_counter() - t
        vacuumed = sizes(copy)
        result = {
            "machine": f"{platform.processor() or platform.machine()}, {platform.system()} {platform.release()}",
            "articles": args.articles, "index_seconds": round(index_s, 1), "before": cut,
            "removed": runs[0]["articles"], "stories_dropped": runs[0]["dropped"], "stories_changed": runs[0]["changed"],
            "prune_wall_seconds_median": round(statistics.median(r["wall_seconds"] for r in runs), 2),
            "prune_call_seconds_median": round(statistics.median(r["seconds"] for r in runs), 2),
            "runs": runs, "sizes_before": before, "sizes_after": after,
            "vacuum_seconds": round(vacuum_s, 2), "sizes_after_vacuum": vacuumed,
        }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
