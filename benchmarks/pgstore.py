"""The PostgreSQL store against the embedded one, side by side in one run (issue 13).

N synthetic news-length articles (synth.py) are indexed by `dedup index` three ways:
into the embedded store; into PostgreSQL by one writer; into PostgreSQL by two
concurrent writers, each given half of the input (alternate lines). Each is timed end
to end (process start to exit, both processes for the two writers), then the three
stores' stories are compared (the partition of the articles into stories with 2+
members: story ids may differ with two writers, see README "Many machines").

    .venv/bin/python benchmarks/pgstore.py --n 100000            # ~15 min on 2 loaded cores
    .venv/bin/python benchmarks/pgstore.py --n 10000 --workdir /tmp/pgb

PostgreSQL is a throwaway server started for the run (tests/_postgres.py: initdb + pg_ctl,
fsync off, as the dedup-test user under root), unless --url names one (each run then
creates and drops a database of its own on it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import synth  # noqa: E402

DEDUP = [sys.executable, "-m", "dedup", "index", "--quiet"]


def _timed(commands: list[list[str]]) -> float:
    """Wall seconds from starting every command (at once) until the last has exited."""
    started = time.perf_counter()
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for c in commands]
    for p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(p.args)} failed ({p.returncode}): {err.strip()[-500:]}")  # type: ignore[arg-type]
    return time.perf_counter() - started


def _partition(location: str) -> set[frozenset[str]]:
    """The stories with 2+ members, each as the set of its article ids."""
    from dedup.config import store_location
    from dedup.store import open_store

    store = open_store(store_location(location), create=False)
    try:
        stories: dict[str, set[str]] = {}
        for a in store.articles():
            if a.story_id is not None:
                stories.setdefault(a.story_id, set()).add(a.id)
        return {frozenset(m) for m in stories.values() if len(m) > 1}
    finally:
        store.close()


def _size(location: str) -> int:
    out = subprocess.run([sys.executable, "-m", "dedup", "stats", "--json", "--store", location], capture_output=True, text=True, check=True)
    return int(json.loads(out.stdout)["size_bytes"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--workdir", type=Path, default=None, help="where the corpus and the embedded store go (default: a temp dir)")
    ap.add_argument("--url", default=None, help="an existing PostgreSQL server (postgresql://USER@HOST:PORT/DB) instead of a throwaway one")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "pgstore.json")
    args = ap.parse_args()

    import psycopg

    work, corpus = synth.corpus_in(args.workdir, args.n, "dedup-pgbench-")
    lines = corpus.read_text(encoding="utf-8").splitlines()
    halves = [work / "half-even.jsonl", work / "half-odd.jsonl"]
    for i, h in enumerate(halves):
        h.write_text("\n".join(lines[i::2]) + "\n", encoding="utf-8")

    server = None
    base = args.url
    if base is None:
        from _postgres import Server

        server = Server()
        base = server.url()
    databases: list[str] = []

    def new_db(name: str) -> str:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        databases.append(name)
        return base.rsplit("/", 1)[0] + "/" + name

    results: list[dict[str, object]] = []
    try:
        embedded = work / "embedded-store"
        subprocess.run(["rm", "-rf", str(embedded)], check=True)
        runs = [
            ("embedded (SQLite + segments), 1 writer", str(embedded), [[*DEDUP, "--store", str(embedded), str(corpus)]]),
        ]
        one = new_db("bench_one")
        runs.append(("PostgreSQL, 1 writer", one, [[*DEDUP, "--store", one, str(corpus)]]))
        two = new_db("bench_two")
        runs.append(("PostgreSQL, 2 concurrent writers (halves)", two, [[*DEDUP, "--store", two, str(h)] for h in halves]))
        reference: set[frozenset[str]] | None = None
        for name, location, commands in runs:
            seconds = _timed(commands)
            stories = _partition(location)
            reference = stories if reference is None else reference
            row = {
                "store": name, "articles": args.n, "seconds": round(seconds, 1), "articles_per_s": round(args.n / seconds),
                "stories_with_copies": len(stories), "same_stories_as_embedded": stories == reference, "size_bytes": _size(location),
            }
            print(json.dumps(row), flush=True)
            results.append(row)
    finally:
        if server is not None:
            server.stop()
        elif databases:
            with psycopg.connect(base, autocommit=True) as conn:
                for name in databases:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL {_pg_version()}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"n": args.n, "machine": machine, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                    "results": results}, indent=2) + "\n", encoding="utf-8")
    print(f"\n{args.n:,} synthetic articles; {machine}\n")
    print("| store | wall (s) | articles/s | stories with copies | same stories as embedded | size |")
    print("|---|---:|---:|---:|---|---:|")
    for r in results:
        print(f"| {r['store']} | {r['seconds']} | {r['articles_per_s']:,} | {r['stories_with_copies']:,} | "
              f"{'yes' if r['same_stories_as_embedded'] else 'NO'} | {int(r['size_bytes']) / 2**20:,.0f} MiB |")  # type: ignore[call-overload]


def _pg_version() -> str:
    from _postgres import find_bin

    pg_ctl = find_bin("pg_ctl")
    if pg_ctl is None:
        return "?"
    out = subprocess.run([pg_ctl, "--version"], capture_output=True, text=True).stdout  # "pg_ctl (PostgreSQL) 15.18 (Debian …)"
    return out.split(")", 1)[-1].split()[0] if ")" in out else out.strip()


if __name__ == "__main__":
    main()
