"""Serving an index (issue 13), side by side in one run: the embedded store, PostgreSQL, and
datasketch's Redis-backed MinHashLSH on the same synthetic articles.

    .venv/bin/python benchmarks/server.py --n 100000 --append 10000     # ~15 min on 2 loaded cores
    .venv/bin/python benchmarks/server.py --n 10000 --append 1000 --queries 50 --cold 5

1. `dedup index` of N articles (synth.py) into the embedded store and into PostgreSQL (one writer),
   each timed from process start to exit; store sizes (`dedup stats`).
2. Query latency over HTTP: `dedup serve` on each store, both running; one client on one kept-alive
   connection sends POST /query by id and by text (the article's own text) for the same sampled
   articles, alternating between the two servers so that the machine's load weighs on both alike.
3. Cold CLI: `dedup query --id X --json`, a new process each time, alternating between the stores.
4. datasketch: `MinHashLSH(threshold=0.3, num_perm=128, storage_config={"type": "redis", ...})` on a
   redis-server this script starts (temp dir, free port, no persistence) and stops. Its signatures
   are dedup's, read from the embedded store, as `LeanMinHash(seed=1, hashvalues=…, scheme="affine32")`: dedup signs
   with datasketch's own scheme (affine32 permutations, seed 1), so these are the signatures
   datasketch's MinHash would give for the same shingle hashes; datasketch's much slower signing is
   left out (benchmarks/PEERS.md measures it). Timed: insertion through `insertion_session`, the
   queries (`lsh.query`) for the same sampled articles, and Redis's `INFO memory` (used_memory).
5. A nightly append: the next `--append` articles of the same synthetic stream (copies of the base
   corpus among them) by `dedup index` into both stores, and their signatures into datasketch's LSH.

Each figure is stored with the load average (1 min) at the time; results in
benchmarks/results/server.json. The machine is shared: compare within one run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import synth  # noqa: E402
from pgstore import _partition, _pg_version, _size, _timed  # noqa: E402

BIN = str(Path(sys.executable).parent / "dedup")
THRESHOLD = 0.3  # dedup's default (IndexConfig), given to datasketch too
NUM_PERM = 128


def load() -> float:
    return round(os.getloadavg()[0], 2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stats(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    return {"n": len(ms), "p50_ms": round(float(np.percentile(a, 50)), 2), "p99_ms": round(float(np.percentile(a, 99)), 2),
            "mean_ms": round(float(a.mean()), 2)}


class Serve:
    """`dedup serve` on one store and a kept-alive connection to it."""

    def __init__(self, store: str, log: Path) -> None:
        self.port = _free_port()
        self._log = log.open("w")
        self.proc = subprocess.Popen([BIN, "serve", "--store", store, "--port", str(self.port), "--max-bytes", "10MB"],
                                     stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:  # poll until uvicorn answers: it says nothing we could await otherwise
            try:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                status, _ = self.request("GET", "/health")
                if status == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"dedup serve --store {store} did not start: see {log}")
            time.sleep(0.2)

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        self.conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def stop(self) -> None:
        self.conn.close()
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self._log.close()


class Redis:
    """A throwaway redis-server: temp dir, free port, nothing saved."""

    def __init__(self) -> None:
        import redis

        exe = shutil.which("redis-server")
        if exe is None:
            raise SystemExit("redis-server is not installed (Debian: apt-get install redis-server; 'make bench-server' does it)")
        self.dir = Path(tempfile.mkdtemp(prefix="dedup-redis-"))
        self.port = _free_port()
        self.proc = subprocess.Popen([exe, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                                      "--save", "", "--appendonly", "no", "--logfile", str(self.dir / "log")])
        self.client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.client.ping()
                break
            except redis.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"redis-server did not start: {(self.dir / 'log').read_text(errors='replace')[-500:]}")
                time.sleep(0.1)
        self.version = self.client.info("server")["redis_version"]

    def memory(self) -> dict[str, int]:
        info = self.client.info("memory")
        return {k: int(info[k]) for k in ("used_memory", "used_memory_rss", "used_memory_dataset")}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


def _signatures(store_dir: Path, ids: set[str] | None = None) -> dict[str, np.ndarray]:
    """article id → dedup's signature, from the embedded store (all, or those of ``ids``)."""
    from dedup.config import store_location
    from dedup.store import open_store

    store = open_store(store_location(str(store_dir)), create=False)
    try:
        docs, sigs, _ = store.all_signatures()  # type: ignore[attr-defined]
        names = store.identities([int(d) for d in docs])
        out = {}
        for i, d in enumerate(docs):
            name = names.get(int(d))
            if name is not None and (ids is None or name[0] in ids):
                out[name[0]] = sigs[i]
        return out
    finally:
        store.close()


def _lean(sig: np.ndarray):  # noqa: ANN202 (datasketch is optional)
    from datasketch import LeanMinHash

    return LeanMinHash(seed=1, hashvalues=sig, scheme="affine32")


def _insert(lsh, sigs: dict[str, np.ndarray]) -> float:  # noqa: ANN001
    """Seconds to insert every signature through one insertion session (its buffer flushed at the end)."""
    items = [(k, _lean(s)) for k, s in sigs.items()]  # the conversion is not datasketch's cost
    t = time.perf_counter()
    with lsh.insertion_session(buffer_size=50_000) as session:
        for key, m in items:
            session.insert(key, m, check_duplication=False)
    return time.perf_counter() - t


def _datasketch(server: Redis, embedded: Path, sample: list[dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
    """datasketch's Redis-backed MinHashLSH given every signature of the embedded store: insertion
    (one session), Redis's memory, then one query per sampled article. (the LSH, the figures)"""
    from datasketch import MinHashLSH

    sigs = _signatures(embedded)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, storage_config={
        "type": "redis", "basename": b"bench", "redis": {"host": "127.0.0.1", "port": server.port}})
    la = load()
    seconds = _insert(lsh, sigs)
    ds: dict[str, Any] = {"redis": server.version, "bands": lsh.b, "rows": lsh.r, "articles": len(sigs),
                          "insert_seconds": round(seconds, 1), "inserts_per_s": round(len(sigs) / seconds),
                          "load_before": la, "load_after": load(), "memory": server.memory(), "keys": server.client.dbsize()}
    la = load()
    q_ms, found, sizes = [], 0, []
    queries = [(rec["id"], _lean(sigs[rec["id"]])) for rec in sample]
    lsh.query(queries[0][1])  # warm the connection
    for key, m in queries:
        t = time.perf_counter()
        hits = lsh.query(m)
        q_ms.append((time.perf_counter() - t) * 1000)
        found += key in hits
        sizes.append(len(hits))
    ds["query"] = _stats(q_ms) | {"finds_itself": found, "median_candidates": int(np.median(sizes)),
                                  "load_before": la, "load_after": load()}
    return lsh, ds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="articles in the stores [%(default)s]")
    ap.add_argument("--append", type=int, default=10_000, help="articles appended afterwards (0: none) [%(default)s]")
    ap.add_argument("--queries", type=int, default=200, help="sampled articles queried over HTTP and in datasketch [%(default)s]")
    ap.add_argument("--cold", type=int, default=15, help="cold `dedup query --id` processes per store [%(default)s]")
    ap.add_argument("--workdir", type=Path, default=None, help="where the corpus and the embedded store go (default: a temp dir, removed)")
    ap.add_argument("--stores", type=lambda v: v.split(","), default=["embedded", "postgresql"],
                    help="which stores, comma-separated [embedded,postgresql]")
    ap.add_argument("--pg-writers", type=int, default=1, help="concurrent `dedup index` processes building the PostgreSQL store [%(default)s]")
    ap.add_argument("--no-datasketch", dest="datasketch", action="store_false", help="skip datasketch + Redis")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "server.json")
    args = ap.parse_args()

    import psycopg
    from _postgres import Server
    work = args.workdir or Path(tempfile.mkdtemp(prefix="dedup-serverbench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    # One synthetic stream: the first N are the stores, the next --append the night after
    # (its copies copy articles of the base corpus too).
    stream = work / f"synth-{args.n + args.append}.jsonl"
    if not stream.exists():
        synth.write_jsonl(str(stream), args.n + args.append)
    lines = stream.read_text(encoding="utf-8").splitlines()
    base, night = work / "base.jsonl", work / "night.jsonl"
    base.write_text("\n".join(lines[: args.n]) + "\n", encoding="utf-8")
    night.write_text("\n".join(lines[args.n :]) + "\n", encoding="utf-8")
    sample = [json.loads(lines[i]) for i in random.Random(13).sample(range(args.n), args.queries)]
    del lines

    out: dict[str, Any] = {"command": " ".join(["benchmarks/server.py", *sys.argv[1:]]), "date": started, "n": args.n,
                           "append_articles": args.append, "queries": args.queries}
    pg = Server()
    redis_server: Redis | None = None
    serves: list[Serve] = []
    try:
        with psycopg.connect(pg.url(), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "bench"')
        stores = {"embedded": str(work / "embedded-store"), "postgresql": pg.url("bench")}
        stores = {k: v for k, v in stores.items() if k in args.stores}
        shutil.rmtree(work / "embedded-store", ignore_errors=True)
        parts = [work / f"part-{i}.jsonl" for i in range(args.pg_writers)]
        if args.pg_writers > 1:  # alternate lines, as benchmarks/pgstore.py splits them
            with base.open(encoding="utf-8") as fh:
                chunks: list[list[str]] = [[] for _ in parts]
                for i, line in enumerate(fh):
                    chunks[i % len(parts)].append(line)
            for part, chunk in zip(parts, chunks):
                part.write_text("".join(chunk), encoding="utf-8")
            del chunks
        machine = (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                   f"PostgreSQL {_pg_version()}")

        # 1. index
        out["index"] = {}
        for name, location in stores.items():
            la = load()
            inputs = parts if name == "postgresql" and args.pg_writers > 1 else [base]
            seconds = _timed([[BIN, "index", "--quiet", "--store", location, str(f)] for f in inputs])
            row = {"writers": len(inputs), "seconds": round(seconds, 1), "articles_per_s": round(args.n / seconds), "size_bytes": _size(location),
                   "load_before": la, "load_after": load()}
            out["index"][name] = row
            print("index", name, json.dumps(row), flush=True)

        # 2. HTTP: both servers up, requests alternate between them
        la = load()
        serves = [Serve(loc, work / f"serve-{name}.log") for name, loc in stores.items()]
        for s in serves:  # first request of each kind opens the store and warms it: not timed
            s.request("POST", "/query", {"id": sample[0]["id"]})
            s.request("POST", "/query", {"text": sample[0]["text"]})
        http_ms: dict[str, dict[str, list[float]]] = {name: {"id": [], "text": []} for name in stores}
        self_first = {name: 0 for name in stores}
        for rec in sample:
            for kind, body in (("id", {"id": rec["id"]}), ("text", {"text": rec["text"]})):
                for name, s in zip(stores, serves):
                    t = time.perf_counter()
                    status, payload = s.request("POST", "/query", body)
                    http_ms[name][kind].append((time.perf_counter() - t) * 1000)
                    if status != 200:
                        raise SystemExit(f"POST /query {kind} on {name}: {status} {payload[:300]!r}")
                    if kind == "text":
                        hits = json.loads(payload)["results"]
                        self_first[name] += bool(hits) and hits[0]["similarity"] >= 0.99
        for s in serves:
            s.stop()
        serves = []
        out["http"] = {name: {kind: _stats(v) for kind, v in kinds.items()} | {"load_before": la, "load_after": load()}
                       for name, kinds in http_ms.items()}
        print("http", json.dumps(out["http"]), flush=True)

        # 3. cold CLI
        la = load()
        cold_s: dict[str, list[float]] = {name: [] for name in stores}
        for rec in sample[: args.cold]:
            for name, location in stores.items():
                t = time.perf_counter()
                subprocess.run([BIN, "query", "--store", location, "--id", rec["id"], "--json"], check=True, capture_output=True)
                cold_s[name].append(time.perf_counter() - t)
        out["cold_cli"] = {name: {"n": len(v), "median_s": round(float(np.median(v)), 3), "p99_s": round(float(np.percentile(v, 99)), 3),
                                  "min_s": round(min(v), 3), "load_before": la, "load_after": load()} for name, v in cold_s.items()}
        print("cold", json.dumps(out["cold_cli"]), flush=True)

        # 4. datasketch + Redis on the same signatures
        lsh = None
        if args.datasketch and "embedded" in stores:
            redis_server = Redis()
            lsh, out["datasketch_redis"] = _datasketch(redis_server, Path(stores["embedded"]), sample)
            print("datasketch", json.dumps(out["datasketch_redis"]), flush=True)

        # 5. the nightly append
        if args.append:
            out["append"] = {}
            for name, location in stores.items():
                la = load()
                seconds = _timed([[BIN, "index", "--quiet", "--store", location, str(night)]])
                out["append"][name] = {"seconds": round(seconds, 1), "articles_per_s": round(args.append / seconds),
                                       "size_bytes": _size(location), "load_before": la, "load_after": load()}
            partitions = [_partition(loc) for loc in stores.values()]
            if len(partitions) > 1:
                out["append"]["same_stories"] = all(p == partitions[0] for p in partitions)
            out["append"]["stories_with_copies"] = len(partitions[0])
            if lsh is not None and redis_server is not None:
                night_ids = {json.loads(line)["id"] for line in night.read_text(encoding="utf-8").splitlines()}
                new = _signatures(Path(stores["embedded"]), night_ids)
                la = load()
                seconds = _insert(lsh, new)
                out["append"]["datasketch_redis"] = {"seconds": round(seconds, 1), "inserts_per_s": round(len(new) / seconds),
                                                     "memory": redis_server.memory(), "load_before": la, "load_after": load()}
            print("append", json.dumps(out["append"]), flush=True)
        out["machine"] = machine + (f", Redis {redis_server.version}, datasketch {_version('datasketch')}" if redis_server else "")
    finally:
        for s in serves:
            s.stop()
        if redis_server is not None:
            redis_server.stop()
        pg.stop()
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    out["self_first_by_text"] = self_first
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


if __name__ == "__main__":
    main()
