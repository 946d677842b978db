"""Speed and scale of dedup, measured side by side in one run.

    .venv/bin/python benchmarks/speed.py            # 10k and 100k articles
    .venv/bin/python benchmarks/speed.py --quick    # 10k only, fewer repetitions (< 5 min)

Synthetic news-length articles (300–800 words, see synth.py) are generated into
a temporary directory, never stored in the repo. Every figure is a median of
repeated runs on this machine; results go to benchmarks/results/speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402

BIN = Path(sys.executable).parent / "dedup"


def run_timed(cmd: list[str]) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in KiB, stdout) of a command, via GNU time."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    rss = int(proc.stderr.strip().splitlines()[-1])
    return wall, rss, proc.stdout


def store_bytes(store: Path) -> int:
    """Every file of a store: the database, its WAL, and the LSH segments in lsh/."""
    return sum(f.stat().st_size for f in store.rglob("*") if f.is_file())


def bench_index(corpus: Path, workdir: Path, workers: int, reps: int) -> dict[str, float]:
    walls, rss, sizes = [], [], []
    for r in range(reps):
        store = workdir / f"store-w{workers}-{r}"
        shutil.rmtree(store, ignore_errors=True)
        wall, peak, _ = run_timed([str(BIN), "index", "--quiet", "--workers", str(workers), "--store", str(store), str(corpus)])
        walls.append(wall)
        rss.append(peak)
        sizes.append(store_bytes(store))
    n = sum(1 for _ in corpus.open())
    wall = statistics.median(walls)
    return {"articles": n, "seconds_median": round(wall, 2), "articles_per_s": round(n / wall),
            "peak_rss_mib": round(statistics.median(rss) / 1024, 1), "store_mib": round(statistics.median(sizes) / 2**20, 1),
            "runs": reps}


def bench_append(corpus_new: Path, store: Path, reps: int) -> dict[str, float]:
    walls = []
    for r in range(reps):
        copy = store.parent / f"{store.name}-append-{r}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(store, copy)
        wall, _, _ = run_timed([str(BIN), "index", "--quiet", "--store", str(copy), str(corpus_new)])
        walls.append(wall)
        shutil.rmtree(copy, ignore_errors=True)
    return {"seconds_median": round(statistics.median(walls), 2), "runs": reps}


def bench_query(store: Path, query_file: Path, reps: int) -> dict[str, float]:
    walls = []
    for _ in range(reps):
        wall, _, out = run_timed([str(BIN), "query", "--store", str(store), "--file", str(query_file), "--json"])
        walls.append(wall)
    top = json.loads(out)["results"][:1]
    walls.sort()
    return {"cold_median_s": round(statistics.median(walls), 3), "cold_p95_s": round(walls[min(len(walls) - 1, int(0.95 * len(walls)))], 3),
            "runs": reps, "top_similarity": top[0]["similarity"] if top else None}


def bench_warm_query(store: Path, n_articles: int, reps: int = 200) -> dict[str, float]:
    """Warm query latency through the Python API: one process, repeated ``query(--id)`` calls."""
    import random

    from dedup.config import Config
    from dedup.pipeline import QueryTarget, query

    cfg = Config(store=store, progress=False)
    rng = random.Random(5)
    ids = [f"syn-{rng.randrange(n_articles):07d}" for _ in range(reps + 10)]
    for ident in ids[:10]:  # warm-up: imports, page cache
        query(cfg, QueryTarget(id=ident), k=10)
    times = []
    for ident in ids[10:]:
        t = time.perf_counter()
        query(cfg, QueryTarget(id=ident), k=10)
        times.append(time.perf_counter() - t)
    times.sort()
    return {"p50_ms": round(1000 * times[len(times) // 2], 2), "p99_ms": round(1000 * times[int(0.99 * (len(times) - 1))], 2), "runs": reps}


def bench_signing(n: int) -> dict[str, object]:
    """Signing only: dedup's batch path vs datasketch as its README shows it, same shingles."""
    from datasketch import MinHash

    from dedup.clean import clean_text
    from dedup.config import ShingleConfig, SignConfig
    from dedup.shingle import shingle_batch
    from dedup.sign import set_threads, sign_batch

    texts = [clean_text(str(a["text"]), title=str(a["title"])).text for a in synth.articles(n, seed=3)]
    cfg = ShingleConfig()
    shingle_batch(texts[:64], cfg)  # load the compiled kernels outside the timing
    sign_batch(shingle_batch(texts[:64], cfg), SignConfig())
    out: dict[str, object] = {"articles": n}
    for threads in (1, 2):
        set_threads(threads)
        times = []
        for _ in range(3):
            t = time.perf_counter()
            sign_batch(shingle_batch(texts, cfg), SignConfig())
            times.append(time.perf_counter() - t)
        out[f"dedup_{threads}core_per_s"] = round(n / statistics.median(times))
    # datasketch README: one MinHash per document, update() per shingle (bytes), default hash.
    sub = texts[: max(50, n // 20)]
    t = time.perf_counter()
    for text in sub:
        m = MinHash(num_perm=128)
        for i in range(len(text) - 4):
            m.update(text[i : i + 5].encode("utf8"))
    naive = len(sub) / (time.perf_counter() - t)
    out["datasketch_readme_per_s"] = round(naive)
    out["datasketch_readme_articles"] = len(sub)
    out["ratio_1core"] = round(int(out["dedup_1core_per_s"]) / naive, 1)  # type: ignore[call-overload]
    out["ratio_2core"] = round(int(out["dedup_2core_per_s"]) / naive, 1)  # type: ignore[call-overload]
    return out


_BURN = "import time\nt = time.perf_counter()\nx = 0\nfor i in range(15_000_000):\n    x += i * i\nprint(time.perf_counter() - t)"


def bench_machine(reps: int = 3) -> dict[str, float]:
    """What "2 cores" buys here: a pure-Python loop alone, then two copies at once
    on separate processes. 2.0 would be two full cores; shared or hyper-threaded
    cores give less, and every "2 core" figure below is bounded by it."""

    def burn(n: int) -> list[float]:
        procs = [subprocess.Popen([sys.executable, "-c", _BURN], stdout=subprocess.PIPE, text=True) for _ in range(n)]
        return [float(p.communicate()[0]) for p in procs]

    alone = statistics.median(burn(1)[0] for _ in range(reps))
    pair = statistics.median(max(burn(2)) for _ in range(reps))
    return {"python_loop_alone_s": round(alone, 3), "python_loop_two_at_once_s": round(pair, 3), "two_process_speedup": round(2 * alone / pair, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10k articles only, fewer repetitions")
    ap.add_argument("--sizes", default="10000,100000", help="corpus sizes (comma-separated)")
    ap.add_argument("--reps", type=int, default=None, help="runs per index measurement (default 3; 1 with --quick)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / ("speed-quick.json" if "--quick" in sys.argv else "speed.json"))
    args = ap.parse_args()
    sizes = [10000] if args.quick else [int(s) for s in args.sizes.split(",")]
    reps = args.reps or (1 if args.quick else 3)
    results: dict[str, object] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(), **bench_machine()},
        "versions": {p: version(p) for p in ("dedup", "datasketch", "numpy", "numba")},
        "command": " ".join(["benchmarks/speed.py", *sys.argv[1:]]),
        "signing": bench_signing(2000 if args.quick else 10000),
        "sizes": {},
    }
    print(json.dumps(results["signing"], indent=1), flush=True)
    with tempfile.TemporaryDirectory(prefix="dedup-bench-") as tmp:
        work = Path(tmp)
        for n in sizes:
            corpus = work / f"corpus-{n}.jsonl"
            synth.write_jsonl(str(corpus), n)
            extra = work / f"extra-{n}.jsonl"
            synth.write_jsonl(str(extra), n // 10, seed=99, start_id=n)
            query_file = work / "query.txt"
            # a junk-wrapped copy of an indexed article
            first = json.loads(corpus.open().readline())
            query_file.write_text(f"{first['title']}\nerror: Content is protected !!\n{first['text']}\n", encoding="utf-8")
            row: dict[str, object] = {}
            for workers in (1, 2):
                row[f"index_{workers}core"] = bench_index(corpus, work, workers, reps)
                print(n, workers, row[f"index_{workers}core"], flush=True)
            store = work / "store-w2-0"
            row["query"] = bench_query(store, query_file, 5 if args.quick else 7)
            row["warm_query"] = bench_warm_query(store, n)
            row["append_10pct"] = bench_append(extra, store, reps)
            print(n, row["query"], row["warm_query"], row["append_10pct"], flush=True)
            results["sizes"][str(n)] = row  # type: ignore[index]
            for f in work.glob("store-*"):
                shutil.rmtree(f, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
