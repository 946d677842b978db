"""dedup at a million articles: one bulk index, a nightly append, cold queries.

    .venv/bin/python benchmarks/scale.py                 # 1,000,000 articles (about 10 min, ~8 GB of disk)
    .venv/bin/python benchmarks/scale.py --n 200000      # a smaller run

Synthetic news-length articles (synth.py) are generated into a temporary
directory (or --workdir), never stored in the repo. One run of each step (a
1M-article index is too long to repeat here): read the figures as one
measurement on a shared machine, not a median. Results go to
benchmarks/results/scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402
from speed import BIN, run_timed, store_bytes  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="articles in the bulk index [default: 1,000,000]")
    ap.add_argument("--workdir", type=Path, default=None, help="where corpus and store go [default: a temporary directory]")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "scale.json")
    args = ap.parse_args()
    tmp = None if args.workdir else tempfile.TemporaryDirectory(prefix="dedup-scale-")
    work = args.workdir or Path(tmp.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    try:
        corpus, nightly = work / f"corpus-{args.n}.jsonl", work / "nightly.jsonl"
        if not corpus.exists():
            synth.write_jsonl(str(corpus), args.n)
        synth.write_jsonl(str(nightly), args.n // 100, seed=99, start_id=args.n)
        query_file = work / "query.txt"
        first = json.loads(corpus.open().readline())
        query_file.write_text(f"{first['title']}\nerror: Content is protected !!\n{first['text']}\n", encoding="utf-8")
        store = work / "store"
        shutil.rmtree(store, ignore_errors=True)

        wall, rss, out = run_timed([str(BIN), "index", "--quiet", "--store", str(store), str(corpus)])
        result: dict[str, object] = {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
            "command": " ".join(["benchmarks/scale.py", *sys.argv[1:]]),
            "index": {"articles": args.n, "seconds": round(wall, 1), "articles_per_s": round(args.n / wall),
                      "peak_rss_mib": round(rss / 1024), "store_mib": round(store_bytes(store) / 2**20)},
        }
        print(result["index"], flush=True)
        wall, rss, _ = run_timed([str(BIN), "index", "--quiet", "--store", str(store), str(nightly)])
        result["nightly_append"] = {"articles": args.n // 100, "seconds": round(wall, 1), "peak_rss_mib": round(rss / 1024)}
        print(result["nightly_append"], flush=True)
        walls = []
        for _ in range(5):
            wall, rss, out = run_timed([str(BIN), "query", "--store", str(store), "--file", str(query_file), "--json"])
            walls.append(wall)
        top = json.loads(out)["results"][:1]
        result["cold_query"] = {"median_s": round(statistics.median(walls), 3), "max_s": round(max(walls), 3), "runs": 5,
                                "top_similarity": top[0]["similarity"] if top else None, "peak_rss_mib": round(rss / 1024)}
        print(result["cold_query"], flush=True)
        result["segments"] = sorted(p.name for p in (store / "lsh").glob("*.keys.npy"))
        result["store_mib_after_append"] = round(store_bytes(store) / 2**20)
    finally:
        if tmp is not None:
            tmp.cleanup()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
