"""The PostgreSQL band table before and after partitioning by month (issue 13, item 3).

N synthetic articles (synth.py) published over DAYS days, in order, are indexed by
`dedup index` with the code before partitioning (git ref BEFORE, schema 1: one bands
table) into one database; a copy of it is opened by this tree's code, which migrates it
to schema 2 (the bands partitioned by month; timed). Then, on both:

* probe: ``Store.candidates`` for the last night's articles (one batched join, as
  clustering does), and ``candidates_for_keys`` of single articles (as ``dedup query``
  does): medians of repeated runs;
* prune: ``dedup prune --before CUT`` on a copy of each (process start to exit), with
  the removed counts and the stories left compared.

    .venv/bin/python benchmarks/pgpartition.py --n 100000 --days 180 --index-both   # ~8 min on 2 loaded cores
    .venv/bin/python benchmarks/pgpartition.py --n 5000 --days 60 --workdir /tmp/pgp

PostgreSQL is a throwaway server (tests/_postgres.py), as in pgstore.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

import synth  # noqa: E402

BEFORE = "f2c7b38"  # main just before the bands were partitioned (schema 1)
LAST_DAY = date(2026, 11, 24)  # synth.py's last day

# Run in a process whose dedup is the code measured: prints one JSON line.
_PROBE = r"""
import json, statistics, sys, time
from dedup.store import open_store
url, night, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = open_store(url, create=False)
conn = store._conn
docs = [d for (d,) in conn.execute("SELECT doc FROM articles WHERE published_at LIKE %s ORDER BY doc", (night + "%",))]
batch = []
for _ in range(repeat):
    t = time.perf_counter(); pairs = store.candidates(docs); batch.append(time.perf_counter() - t)
singles = []
for d in docs[:200]:
    keys = [k for (k,) in conn.execute("SELECT band_key FROM bands WHERE doc = %s", (d,))]
    t = time.perf_counter(); store.candidates_for_keys(keys); singles.append(time.perf_counter() - t)
singles.sort()
print(json.dumps({"night_docs": len(docs), "pairs": int(len(pairs)), "batch_s": round(statistics.median(batch), 3),
                  "single_p50_ms": round(1000 * singles[len(singles) // 2], 2), "single_p99_ms": round(1000 * singles[int(len(singles) * .99)], 2)}))
"""


def _run(code: Path, *args: str) -> tuple[float, str]:
    """(wall seconds, stdout) of ``python args`` with ``code``'s dedup."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    t = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=code)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])} failed: {done.stderr.strip()[-800:]}")
    return time.perf_counter() - t, done.stdout


def _size(code: Path, url: str) -> int:
    """The store's size on the server (``dedup stats``): what a prune gives back at once."""
    return int(json.loads(_run(code, "-m", "dedup", "stats", "--json", "--store", url)[1])["size_bytes"])


def _stories(code: Path, url: str) -> str:
    return _run(code, "-c", "import sys, json\nfrom dedup.store import open_store\ns = open_store(sys.argv[1], create=False)\n"
                "st = {}\nfor a in s.articles():\n    st.setdefault(a.story_id, set()).add(a.id)\n"
                "print(sorted(sorted(m) for m in st.values() if len(m) > 1))", url)[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=180)
    ap.add_argument("--cut-days", type=int, default=90, help="prune --before this many days before the last day (default: %(default)s)")
    ap.add_argument("--before", default=BEFORE, help="git ref of the code before partitioning (default: %(default)s)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--index-both", action="store_true", help="also index the corpus with this tree's code (schema 2), timed")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "pgpartition.json")
    args = ap.parse_args()

    import psycopg
    from _postgres import Server

    work, corpus = synth.corpus_in(args.workdir, args.n, "dedup-pgpart-", days=args.days)
    old = work / f"code-{args.before}"
    if not old.exists():
        old.mkdir()
        subprocess.run(f"git -C {ROOT} archive {args.before} | tar -x -C {old}", shell=True, check=True)
    night, cut = LAST_DAY.isoformat(), (LAST_DAY - timedelta(days=args.cut_days)).isoformat()

    server = Server()
    try:
        def copy(src: str, name: str) -> str:
            with psycopg.connect(server.url(), autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{src}"')
            return server.url(name)

        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "flat"')
        flat = server.url("flat")
        index_s, _ = _run(old, "-m", "dedup", "index", "--quiet", "--store", flat, str(corpus))
        part = copy("flat", "part")
        migrate_s, _ = _run(ROOT, "-m", "dedup", "stats", "--store", part)  # opening it migrates it
        index2_s = None
        if args.index_both:  # what the partitions cost a writer
            with psycopg.connect(server.url(), autocommit=True) as conn:
                conn.execute('CREATE DATABASE "fresh"')
            index2_s, _ = _run(ROOT, "-m", "dedup", "index", "--quiet", "--store", server.url("fresh"), str(corpus))
        rows: dict[str, dict[str, object]] = {}
        for name, code, url in (("unpartitioned (schema 1)", old, flat), ("partitioned by month (schema 2)", ROOT, part)):
            probe = json.loads(_run(code, "-c", _PROBE, url, night, str(args.repeat))[1])
            pruned = copy(url.rsplit("/", 1)[1], url.rsplit("/", 1)[1] + "_pruned")
            size = _size(code, pruned)
            prune_s, out = _run(code, "-m", "dedup", "prune", "--store", pruned, "--before", cut, "--json")
            rows[name] = {**probe, "prune_s": round(prune_s, 1), "prune": json.loads(out), "stories_after": _stories(code, pruned),
                          "mib_before_prune": round(size / 2**20), "mib_after_prune": round(_size(code, pruned) / 2**20)}
            shown = {k: v for k, v in rows[name].items() if k not in ("stories_after", "prune")}
            print(name, json.dumps({**shown, "removed": rows[name]["prune"]["articles"]}), flush=True)
    finally:
        server.stop()

    a, b = rows.values()
    same = a["prune"] == b["prune"] and a["stories_after"] == b["stories_after"]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    result = {"n": args.n, "days": args.days, "cut": cut, "night": night, "machine": machine,
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "index_s_schema1": round(index_s, 1),
              "index_s_schema2": None if index2_s is None else round(index2_s, 1),
              "migrate_s": round(migrate_s, 1), "same_prune_and_stories": same,
              "results": {k: {x: y for x, y in v.items() if x != "stories_after"} for k, v in rows.items()}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\n{args.n:,} synthetic articles over {args.days} days; {machine}; indexed (schema 1) in {index_s:.0f} s, "
          f"migrated to schema 2 in {migrate_s:.1f} s{'' if index2_s is None else f'; indexed (schema 2) in {index2_s:.0f} s'}; "
          f"prune --before {cut}\n")
    print(f"| bands table | probe: the night's {a['night_docs']} articles, one join (median of {args.repeat}) | "
          "one article's keys p50 / p99 | prune (process) | removed | store size before → after prune |")
    print("|---|---:|---:|---:|---:|---:|")
    for k, v in rows.items():
        print(f"| {k} | {v['batch_s']} s | {v['single_p50_ms']} / {v['single_p99_ms']} ms | {v['prune_s']} s | "
              f"{v['prune']['articles']:,} articles | {v['mib_before_prune']} → {v['mib_after_prune']} MiB |")  # type: ignore[index]
    print(f"\nsame articles removed and same stories left: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
