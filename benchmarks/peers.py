"""dedup against its peers, side by side: same articles, same shingles, same run.

    .venv/bin/python benchmarks/peers.py            # 10k, 50k and 100k articles, 3 runs each (~40 min)
    .venv/bin/python benchmarks/peers.py --quick    # 5k articles, 3 runs, small samples (< 5 min)
    .venv/bin/python benchmarks/peers.py --sizes 10000,50000 --reps 5

Articles: synthetic news-length articles from synth.py (generated into a temporary directory,
never stored), plus the real English bodies of ../shared/data/newshtml when present (repeated to
a few thousand texts; evaluation-only data, read at run time). Every system gets the same input:
dedup's cleaned text (clean.clean_text), cut into character 7-grams (dedup's default), 128
permutations; gaoya-word alone cuts word 5-grams, to show what gaoya does with its usual shingles.

Systems, each as its authors show or recommend:
  datasketch-readme  MinHash(num_perm=128), update(shingle.encode("utf8")) per shingle (default
                     sha1 hash), MinHashLSH.insert per document
  datasketch-best    MinHash.bulk (shared permutations, update_batch) with xxhash's xxh32 as
                     hashfunc, LeanMinHash, MinHashLSH.insertion_session
  rensa              RMinHash.digest_matrix_from_token_sets on the 7-gram strings; RMinHashLSH.insert_matrix
  rensa-prehashed    RMinHash.digest_matrix_from_flat_token_hashes on dedup's own shingle hashes
                     (the shingling is then dedup's, not rensa's)
  gaoya              MinHashStringIndex(analyzer="char", ngram_range=(7, 7)): bulk_hash_docs to sign,
                     par_bulk_insert_docs to sign and index
  gaoya-word         the same with analyzer="word", ngram_range=(5, 5): word 5-grams, far fewer
                     shingles per article (not the same input as the others: for reference)
  dedup              shingle_batch + sign_batch (sign); band_keys (the index step's bucket keys)
  dedup-index        end to end `dedup index` from JSONL: read, clean, shingle, sign, SQLite store,
                     LSH buckets and clustering (peers do far less: no cleaning, no storage, no clustering)

Each system runs in its own subprocess with its thread count fixed (RAYON_NUM_THREADS,
NUMBA_NUM_THREADS); texts are processed in batches of 2,000, as `dedup index` does. Slow systems
are timed on a prefix of the corpus (the sample size is recorded): signing throughput per
article does not depend on corpus size. Figures are medians of --reps runs; ratios are to
datasketch-readme at 1 core. Results: benchmarks/results/peers.json (peers-quick.json with --quick).
The machine is shared and noisy: compare within one run.
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
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
BIN = Path(sys.executable).parent / "dedup"
NUM_PERM = 128
SIZE = 7  # dedup's default shingles (ShingleConfig().size): every system gets the same
WORD_SIZE = 5  # gaoya-word only
BATCH = 2000
THRESHOLD = 0.3
# (bands, rows) for the peers' LSH: 32 x 4 = 128 slots (dedup picks 37 x 3 for threshold 0.3).
BANDS, ROWS = 32, 4
# Largest number of articles timed per run, per system (None: the whole corpus).
CAPS = {"datasketch-readme": 300, "datasketch-best": 5000, "rensa": 20000, "gaoya": 50000, "gaoya-word": 50000}
QUICK_CAPS = {"datasketch-readme": 100, "datasketch-best": 1000, "rensa": 5000}
THREADED = {"rensa", "rensa-prehashed", "gaoya", "gaoya-word", "dedup"}  # systems that can use more than one core
SYSTEMS = ("datasketch-readme", "datasketch-best", "rensa", "rensa-prehashed", "gaoya", "gaoya-word", "dedup")


# -- workers (run in a subprocess, one system and thread count each) --------------------------------

def _shingles(text: str) -> list[str]:
    return [text[i : i + SIZE] for i in range(max(1, len(text) - SIZE + 1))]


def _batches(texts: list[str]):
    for i in range(0, len(texts), BATCH):
        yield texts[i : i + BATCH]


def work_datasketch_readme(texts: list[str]) -> tuple[float, float]:
    from datasketch import MinHash, MinHashLSH

    t0 = time.perf_counter()
    sigs = []
    for text in texts:
        m = MinHash(num_perm=NUM_PERM)
        for sh in _shingles(text):
            m.update(sh.encode("utf8"))
        sigs.append(m)
    t1 = time.perf_counter()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, params=(BANDS, ROWS))
    for i, m in enumerate(sigs):
        lsh.insert(i, m)
    return t1 - t0, time.perf_counter() - t1


def work_datasketch_best(texts: list[str]) -> tuple[float, float]:
    import xxhash
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    sign = index = 0.0
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, params=(BANDS, ROWS))
    key = 0
    with lsh.insertion_session() as session:
        for batch in _batches(texts):
            t0 = time.perf_counter()
            tokens = [[sh.encode("utf8") for sh in _shingles(t)] for t in batch]
            mhs = MinHash.bulk(tokens, num_perm=NUM_PERM, hashfunc=xxhash.xxh32_intdigest)
            lean = [LeanMinHash(m) for m in mhs]
            t1 = time.perf_counter()
            for m in lean:
                session.insert(key, m)
                key += 1
            sign += t1 - t0
            index += time.perf_counter() - t1
    return sign, index


def work_rensa(texts: list[str]) -> tuple[float, float]:
    from rensa import RMinHash, RMinHashLSH

    sign = index = 0.0
    lsh = RMinHashLSH(THRESHOLD, NUM_PERM, BANDS)
    start = 0
    for batch in _batches(texts):
        t0 = time.perf_counter()
        mat = RMinHash.digest_matrix_from_token_sets([_shingles(t) for t in batch], NUM_PERM, 42)
        t1 = time.perf_counter()
        lsh.insert_matrix(mat, start)
        start += len(batch)
        sign += t1 - t0
        index += time.perf_counter() - t1
    return sign, index


def work_rensa_prehashed(texts: list[str]) -> tuple[float, float]:
    import numpy as np
    from rensa import RMinHash, RMinHashLSH

    from dedup.config import ShingleConfig
    from dedup.shingle import shingle_batch

    sign = index = 0.0
    lsh = RMinHashLSH(THRESHOLD, NUM_PERM, BANDS)
    start = 0
    for batch in _batches(texts):
        t0 = time.perf_counter()
        sb = shingle_batch(batch, ShingleConfig(kind="char", size=SIZE))
        flat = np.concatenate([sb.get(i) for i in range(len(sb))]).astype(np.uint64)  # the batch's sets, contiguous
        offsets = np.zeros(len(sb) + 1, dtype=np.uint64)
        np.cumsum(sb.counts, out=offsets[1:])
        mat = RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, NUM_PERM, 42)
        t1 = time.perf_counter()
        lsh.insert_matrix(mat, start)
        start += len(batch)
        sign += t1 - t0
        index += time.perf_counter() - t1
    return sign, index


def _gaoya_index(analyzer: str = "char"):
    from gaoya.minhash import MinHashStringIndex

    size = SIZE if analyzer == "char" else WORD_SIZE
    return MinHashStringIndex(hash_size=32, jaccard_threshold=THRESHOLD, num_bands=BANDS, band_size=ROWS,
                              analyzer=analyzer, lowercase=False, ngram_range=(size, size))


def work_gaoya(texts: list[str], analyzer: str = "char") -> tuple[float, float]:
    idx = _gaoya_index(analyzer)
    t0 = time.perf_counter()
    for batch in _batches(texts):
        idx.minhash_index.bulk_hash_docs(batch)
    sign = time.perf_counter() - t0
    idx = _gaoya_index(analyzer)
    t1 = time.perf_counter()
    start = 0
    for batch in _batches(texts):
        idx.par_bulk_insert_docs(list(range(start, start + len(batch))), batch)
        start += len(batch)
    both = time.perf_counter() - t1
    return sign, both - sign  # par_bulk_insert_docs signs again (in parallel) and inserts: its time is sign + index


def work_dedup(texts: list[str]) -> tuple[float, float]:
    from dedup.config import ShingleConfig, SignConfig
    from dedup.index import optimal_params, band_keys
    from dedup.shingle import shingle_batch
    from dedup.sign import sign_batch

    lsh = optimal_params(THRESHOLD, NUM_PERM)
    sign = index = 0.0
    for batch in _batches(texts):
        t0 = time.perf_counter()
        sigs = sign_batch(shingle_batch(batch, ShingleConfig(kind="char", size=SIZE)), SignConfig())
        t1 = time.perf_counter()
        band_keys(sigs, lsh)
        sign += t1 - t0
        index += time.perf_counter() - t1
    return sign, index


WORKERS = {"datasketch-readme": work_datasketch_readme, "datasketch-best": work_datasketch_best, "rensa": work_rensa,
           "rensa-prehashed": work_rensa_prehashed, "gaoya": work_gaoya,
           "gaoya-word": lambda texts: work_gaoya(texts, "word"), "dedup": work_dedup}


def worker_main(system: str, texts_path: Path, reps: int, cap: int | None) -> None:
    texts = [json.loads(line) for line in texts_path.open(encoding="utf-8")]
    if cap:
        texts = texts[:cap]
    WORKERS[system](texts[: min(len(texts), 200)])  # warm up: imports, compiled kernels, caches
    runs = [WORKERS[system](texts) for _ in range(reps)]
    print(json.dumps({"n": len(texts), "sign_s": [r[0] for r in runs], "index_s": [r[1] for r in runs]}))


# -- driver --------------------------------------------------------------------------------------------

def _env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"RAYON_NUM_THREADS": str(threads), "NUMBA_NUM_THREADS": str(threads), "OMP_NUM_THREADS": "1",
                "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "DEDUP_WORKERS": str(threads)})
    return env


def run_worker(system: str, texts: Path, threads: int, reps: int, cap: int | None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", system, "--texts", str(texts), "--reps", str(reps)]
    if cap:
        cmd += ["--cap", str(cap)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(threads))
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    sign, both = statistics.median(r["sign_s"]), statistics.median([a + b for a, b in zip(r["sign_s"], r["index_s"])])
    return {"articles_timed": r["n"], "runs": reps, "sign_s_median": round(sign, 3),
            "sign_per_s": round(r["n"] / sign, 1), "sign_index_per_s": round(r["n"] / both, 1),
            "sign_s_all": [round(x, 3) for x in r["sign_s"]]}


def run_index(corpus: Path, work: Path, threads: int, reps: int) -> dict:
    walls = []
    store = work / f"store-w{threads}"
    for _ in range(reps):
        shutil.rmtree(store, ignore_errors=True)
        t = time.perf_counter()
        subprocess.run([str(BIN), "index", "--quiet", "--workers", str(threads), "--store", str(store), str(corpus)],
                       check=True, capture_output=True, env=_env(threads))
        walls.append(time.perf_counter() - t)
    n = sum(1 for _ in corpus.open(encoding="utf-8"))
    size = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())  # the database and the LSH segments
    return {"articles_timed": n, "runs": reps, "seconds_median": round(statistics.median(walls), 2),
            "index_per_s": round(n / statistics.median(walls), 1), "seconds_all": [round(w, 2) for w in walls],
            "store_mib": round(size / 2**20, 1), "store": str(store)}


def query_latency(store: Path, corpus: Path, reps_cli: int = 5, reps_api: int = 20) -> dict:
    """Cold `dedup query` (a new process each time) and in-process ``pipeline.query`` latency."""
    from dedup.config import Config
    from dedup.pipeline import QueryTarget, query

    with corpus.open(encoding="utf-8") as fh:
        recs = [json.loads(next(fh)) for _ in range(reps_api)]
    qfile = store.parent / "query.txt"
    qfile.write_text(f"{recs[0]['title']}\nerror: Content is protected !!\n{recs[0]['text']}\n", encoding="utf-8")
    cold = []
    for _ in range(reps_cli):
        t = time.perf_counter()
        subprocess.run([str(BIN), "query", "--store", str(store), "--file", str(qfile), "--json"], check=True,
                       capture_output=True)
        cold.append(time.perf_counter() - t)
    cfg = Config(store=store, progress=False)
    warm = []
    for r in recs:
        t = time.perf_counter()
        query(cfg, QueryTarget(text=str(r["text"])), k=10)
        warm.append(time.perf_counter() - t)
    warm.sort()
    return {"cold_cli_median_s": round(statistics.median(cold), 3), "api_p50_ms": round(1000 * statistics.median(warm), 1),
            "api_p95_ms": round(1000 * warm[min(len(warm) - 1, int(0.95 * len(warm)))], 1), "api_runs": len(warm),
            "cli_runs": reps_cli}


def _versions() -> dict[str, str]:
    out = {}
    for p in ("dedup", "datasketch", "rensa", "gaoya", "xxhash", "numpy", "numba"):
        try:
            out[p] = version(p)
        except PackageNotFoundError:
            out[p] = "not installed"
    return out


def _available(system: str) -> str | None:
    """None when the system can run, else why not."""
    import importlib.util

    mod = {"rensa": "rensa", "rensa-prehashed": "rensa", "gaoya": "gaoya", "gaoya-word": "gaoya"}.get(system)
    if mod and importlib.util.find_spec(mod) is None:
        return f"{mod} is not installed (pip install -e '.[bench]'); skipped"
    return None


def write_texts(path: Path, texts: list[str]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for t in texts:
            fh.write(json.dumps(t, ensure_ascii=False) + "\n")


def newshtml_texts(repeat: int) -> list[str] | None:
    from dedup.clean import clean_text

    truth = DATA / "newshtml" / "truth.jsonl"
    if not truth.is_file():
        return None
    rows = [json.loads(line) for line in truth.open(encoding="utf-8")]
    bodies = [clean_text(r["expected_body"]).text for r in rows if r.get("expected_body")]
    return bodies * repeat


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="5k articles, small samples for the slow peers (< 5 min)")
    ap.add_argument("--sizes", default="10000,50000,100000", help="synthetic corpus sizes (comma-separated)")
    ap.add_argument("--reps", type=int, default=3, help="runs per measurement (median reported)")
    ap.add_argument("--systems", default=",".join(SYSTEMS), help="which systems (comma-separated)")
    ap.add_argument("--no-index", action="store_true", help="skip end-to-end `dedup index`")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--table", type=Path, help="print the markdown tables of a results file and exit")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--cap", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker_main(args.worker, args.texts, args.reps, args.cap)
        return
    if args.table:
        print(markdown_tables(json.loads(args.table.read_text())))
        return
    from dedup.clean import clean_text

    sizes = [5000] if args.quick else [int(s) for s in args.sizes.split(",")]
    caps = QUICK_CAPS if args.quick else CAPS
    systems = [s for s in args.systems.split(",") if s]
    out_path = args.out or HERE / "results" / ("peers-quick.json" if args.quick else "peers.json")
    results: dict = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": "benchmarks/peers.py " + " ".join(sys.argv[1:]),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "note": "2 cores, shared with other engineers' test runs: timings are noisy, compare within one run"},
        "versions": _versions(),
        "settings": {"shingles": f"char {SIZE}-grams of dedup's cleaned text (gaoya-word: word {WORD_SIZE}-grams)", "num_perm": NUM_PERM, "batch": BATCH,
                     "peers_lsh": f"threshold {THRESHOLD}, {BANDS} bands x {ROWS} rows", "reps": args.reps, "caps": caps},
        "skipped": {s: why for s in systems if (why := _available(s))},
        "corpora": {},
    }
    print(json.dumps({"versions": results["versions"], "skipped": results["skipped"]}), flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dedup-peers-") as tmp:
        work = Path(tmp)
        corpora: list[tuple[str, int | None]] = [(f"synthetic-{n}", n) for n in sizes]
        corpora.append(("newshtml-real", None))
        for name, n in corpora:
            raw = work / f"{name}.jsonl"
            texts_path = work / f"{name}.texts.jsonl"
            if n is None:
                texts = newshtml_texts(repeat=5 if args.quick else 20)
                if texts is None:
                    results["corpora"][name] = {"skipped": f"{DATA / 'newshtml'} not found"}
                    continue
            else:
                t = time.perf_counter()
                synth.write_jsonl(str(raw), n, seed=3)
                texts = [clean_text(str(r["text"]), title=str(r["title"])).text
                         for r in map(json.loads, raw.open(encoding="utf-8"))]
                print(f"{name}: generated in {time.perf_counter() - t:.0f} s", flush=True)
            write_texts(texts_path, texts)
            row: dict = {"articles": len(texts), "median_chars": int(statistics.median(map(len, texts))), "systems": {}}
            for system in systems:
                if system in results["skipped"]:
                    continue
                for threads in ((1, 2) if system in THREADED else (1,)):
                    r = run_worker(system, texts_path, threads, args.reps, caps.get(system))
                    r["load_avg_1m_after"] = round(os.getloadavg()[0], 2)  # how contested the 2 cores were
                    row["systems"][f"{system}@{threads}"] = r
                    print(name, system, threads, json.dumps(r), flush=True)
            if n is not None and not args.no_index:
                for threads in (1, 2):
                    r = run_index(raw, work, threads, args.reps)
                    r["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
                    if threads == 2:
                        r["query"] = query_latency(Path(r["store"]), raw)
                    r.pop("store")
                    row["systems"][f"dedup-index@{threads}"] = r
                    print(name, "dedup-index", threads, json.dumps(r), flush=True)
                for f in work.glob("store-*"):
                    shutil.rmtree(f, ignore_errors=True)
            base = row["systems"].get("datasketch-readme@1", {}).get("sign_per_s")
            if base:
                for r in row["systems"].values():
                    for k in ("sign_per_s", "index_per_s"):
                        if k in r:
                            r[f"{k.replace('_per_s', '')}_x_datasketch_readme"] = round(r[k] / base, 1)
            results["corpora"][name] = row
            for p in (raw, texts_path):
                p.unlink(missing_ok=True)
            out_path.parent.mkdir(parents=True, exist_ok=True)
            out_path.write_text(json.dumps({**results, "partial": True}, indent=1) + "\n")  # a long run keeps what it measured
    results["seconds"] = round(time.perf_counter() - started)
    results["estimate_1m"] = estimate_1m(results)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(results, indent=1) + "\n")
    print(markdown_tables(results))
    print(f"wrote {out_path} ({results['seconds']} s)")


def markdown_tables(results: dict) -> str:
    """The PEERS.md tables from a results dict: per corpus, per system and core count."""
    lines = []
    for name, row in results["corpora"].items():
        if "systems" not in row:
            lines.append(f"\n{name}: {row.get('skipped', 'not measured')}\n")
            continue
        lines.append(f"\n**{name}** ({row['articles']:,} articles, median {row['median_chars']:,} characters of cleaned text)\n")
        lines.append("| system | cores | articles timed | sign: articles/s | × datasketch-readme | sign + LSH insert: articles/s | end to end: articles/s |")
        lines.append("|---|---|---|---|---|---|---|")
        for key, r in row["systems"].items():
            system, threads = key.rsplit("@", 1)
            if "error" in r:
                lines.append(f"| {system} | {threads} | – | error: {r['error']} | | | |")
                continue
            timed = f"{r['articles_timed']:,}" + ("" if r["articles_timed"] >= row["articles"] else " (sample)")
            if "index_per_s" in r:
                ratio = r.get("index_x_datasketch_readme", "")
                lines.append(f"| {system} | {threads} | {timed} | – | {ratio}{'×' if ratio != '' else ''} | – | "
                             f"{r['index_per_s']:,.0f} ({r['seconds_median']} s, store {r['store_mib']} MiB) |")
            else:
                ratio = r.get("sign_x_datasketch_readme", "")
                lines.append(f"| {system} | {threads} | {timed} | {r['sign_per_s']:,.0f} | {ratio}{'×' if ratio != '' else ''} | "
                             f"{r['sign_index_per_s']:,.0f} | – |")
    return "\n".join(lines)


def estimate_1m(results: dict) -> dict:
    """Hours to sign (or index) 1M articles, extrapolated linearly from the largest synthetic corpus
    measured (for the capped peers, from their sample): an estimate, not a measurement."""
    synth_rows = [(int(k.split("-")[1]), v) for k, v in results["corpora"].items() if k.startswith("synthetic-") and "systems" in v]
    if not synth_rows:
        return {}
    n, row = max(synth_rows, key=lambda x: x[0])
    out = {"from_corpus": f"synthetic-{n}", "note": "linear extrapolation; clustering in dedup-index may grow faster than linear"}
    for name, r in row["systems"].items():
        rate = r.get("sign_per_s") or r.get("index_per_s")
        if rate:
            out[name] = {"hours": round(1e6 / rate / 3600, 2), "from_articles_timed": r["articles_timed"]}
    return out


if __name__ == "__main__":
    main()
