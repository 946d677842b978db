"""Cold ``dedup query`` (a new process each time) on one store, this checkout and another side by side.

    .venv/bin/python benchmarks/query_speed.py --n 100000 --other /tmp/old     # builds a synthetic store
    .venv/bin/python benchmarks/query_speed.py --store S --query-file F --other /tmp/old

The store is indexed with this checkout (synth.py's articles, as speed.py makes them; the other
checkout reads the same store: it ignores the signature file). The two are run alternately,
``--reps`` times each, so that the machine's load weighs on both alike; medians of wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402

BIN = Path(sys.executable).parent / "dedup"


def cold(args: list[str], pythonpath: str | None) -> tuple[float, str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    else:
        env.pop("PYTHONPATH", None)
    t = time.perf_counter()
    out = subprocess.run([str(BIN), *args], capture_output=True, text=True, check=True, env=env).stdout
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, help="an indexed store [default: build one of --n articles]")
    ap.add_argument("--query-file", type=Path, help="the query [default: the store's first synthetic article, wrapped in junk]")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--other", required=True, help="the other checkout's directory (run with PYTHONPATH=OTHER)")
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="dedup-query-speed-") as tmp:
        store, qfile = args.store, args.query_file
        if store is None or qfile is None:
            corpus = Path(tmp) / "corpus.jsonl"
            synth.write_jsonl(str(corpus), args.n)
            first = json.loads(corpus.open().readline())
            qfile = Path(tmp) / "query.txt"
            qfile.write_text(f"{first['title']}\nerror: Content is protected !!\n{first['text']}\n", encoding="utf-8")
            store = Path(tmp) / "store"
            subprocess.run([str(BIN), "index", "--quiet", "--store", str(store), str(corpus)], check=True)
        walls: dict[str, list[float]] = {"this": [], "other": []}
        tops: dict[str, object] = {}
        for _ in range(args.reps):
            for name, path in (("this", None), ("other", args.other)):
                wall, out = cold(["query", "--store", str(store), "--file", str(qfile), "--json"], path)
                walls[name].append(wall)
                top = json.loads(out)["results"][:1]
                tops[name] = top[0]["id"] if top else None
    result = {"command": " ".join(["benchmarks/query_speed.py", *sys.argv[1:]]), "load_average": os.getloadavg(),
              **{name: {"median_s": round(statistics.median(w), 3), "min_s": round(min(w), 3), "runs": len(w),
                        "top_id": tops[name]} for name, w in walls.items()}}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
