"""Disk-full runs of `dedup index` on a real tmpfs (issue 11, finding 3).

A 20k synthetic corpus (synth.py) is indexed once, uninterrupted, as the reference (for ``incr``
runs: its first half, then the whole, as they run). Then, for
each spec, `dedup index` runs into a store on a tmpfs whose free space a ballast file holds to
FREE MB (``incr``: the store already holds the first half of the corpus); it must fail with one
line and exit 4, within the timeout, leaving no process and no unlisted segment file behind.
The ballast is deleted ("space freed") and the same command run again, which must complete the
store to exactly the reference: the same articles and record hashes, stories and story ids,
boilerplate counts, and ``PRAGMA integrity_check`` ok.

Needs root (mount) and ``fallocate``. Results: one line per run on stdout and a JSON file.

    sudo .venv/bin/python benchmarks/diskfull.py                     # 10 runs, ~3-5 min
    .venv/bin/python benchmarks/diskfull.py --specs fresh:20 incr:30 # chosen runs
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth  # noqa: E402

DEFAULT_SPECS = ["fresh:20", "fresh:60", "fresh:100", "fresh:130", "incr:5", "incr:30", "incr:50", "incr:55", "incr:58", "incr:60"]
Snapshot = tuple[list[tuple[str, str, str]], list[tuple[str]], str, tuple[list[tuple[str, int]], list[tuple[str, int, str, int]]]]


def snapshot(store: Path) -> Snapshot:
    """What must equal the reference after the rerun."""
    c = sqlite3.connect(f"file:{store / 'dedup.sqlite'}?mode=ro", uri=True)
    try:
        arts = c.execute("SELECT a.id, a.record_hash, m.story_id FROM articles a JOIN memberships m USING(doc) ORDER BY a.id").fetchall()
        stories = c.execute("SELECT story_id FROM stories ORDER BY story_id").fetchall()
        ok = c.execute("PRAGMA integrity_check").fetchone()[0]
        bp = (
            c.execute("SELECT outlet, articles FROM outlet_articles ORDER BY outlet").fetchall(),
            c.execute("SELECT outlet, key, line, articles FROM outlet_lines ORDER BY outlet, key").fetchall(),
        )
    finally:
        c.close()
    return arts, stories, ok, bp


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=20000, help="corpus size (default 20000)")
    ap.add_argument("--specs", nargs="+", default=DEFAULT_SPECS, help="KIND:FREE_MB, KIND fresh or incr")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds a failing run may take before it counts as hung")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "diskfull.json")
    args = ap.parse_args()
    dedup = str(Path(sys.executable).parent / "dedup")
    work = Path(tempfile.mkdtemp(prefix="dedup-diskfull-"))
    mnt = work / "mnt"
    mnt.mkdir()
    full, half = work / "full.jsonl", work / "half.jsonl"
    synth.write_jsonl(str(full), args.articles, seed=1)
    with full.open() as src, half.open("w") as dst:
        for i, line in enumerate(src):
            if i >= args.articles // 2:
                break
            dst.write(line)
    ref = work / "ref"
    subprocess.run([dedup, "index", "--store", str(ref), "--quiet", str(full)], check=True, capture_output=True)
    # The uninterrupted run of an "incr" spec is the same two commands with room to spare: a
    # store clustered in two runs may differ from one clustered at once (at 20k one abridged
    # copy, Jaccard 0.25, shares only buckets that the whole corpus fills past the star cap).
    ref_incr = work / "ref-incr"
    for corpus in (half, full):
        subprocess.run([dedup, "index", "--store", str(ref_incr), "--quiet", str(corpus)], check=True, capture_output=True)
    wants = {"fresh": snapshot(ref), "incr": snapshot(ref_incr)}
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400m", "tmpfs", str(mnt)], check=True)
    runs: list[dict[str, object]] = []
    try:
        for spec in args.specs:
            kind, free = spec.split(":")
            store, ballast = mnt / "s", mnt / "ballast"
            shutil.rmtree(store, ignore_errors=True)
            ballast.unlink(missing_ok=True)
            if kind == "incr":
                subprocess.run([dedup, "index", "--store", str(store), "--quiet", str(half)], check=True, capture_output=True)
            room = shutil.disk_usage(mnt).free - float(free) * 2**20
            subprocess.run(["fallocate", "-l", str(int(room)), str(ballast)], check=True)
            t = time.monotonic()
            try:
                p = subprocess.run([dedup, "index", "--store", str(store), "--quiet", str(full)], capture_output=True, text=True, timeout=args.timeout)
                rc: int | str = p.returncode
                err = p.stderr
            except subprocess.TimeoutExpired as exc:
                rc, err = "hung", (exc.stderr or b"").decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
            took = time.monotonic() - t
            lines = [line for line in err.strip().splitlines() if line.strip()]
            left = subprocess.run(["pgrep", "-f", f"--store {store}"], capture_output=True, text=True).stdout.split()
            files = sorted(p.name for p in (store / "lsh").glob("*")) if (store / "lsh").exists() else []
            ballast.unlink()
            again = subprocess.run([dedup, "index", "--store", str(store), "--quiet", str(full)], capture_output=True, text=True, timeout=600)
            got, want = snapshot(store), wants[kind]
            run = {
                "kind": kind, "free_mb": float(free), "exit": rc, "seconds": round(took, 1), "stderr_lines": len(lines),
                "traceback": "Traceback" in err, "message": lines[-1][:400] if lines else "", "leftover_processes": len(left),
                "lsh_files_left": files, "rerun_exit": again.returncode, "rerun_articles": len(got[0]), "rerun_stories": len(got[1]),
                "integrity": got[2], "same_as_uninterrupted": got[0] == want[0] and got[1] == want[1], "same_boilerplate": got[3] == want[3],
            }
            runs.append(run)
            print(
                f"{kind:5} {free:>4} MB free: exit {rc} in {took:.1f} s, {len(lines)} line(s), traceback {run['traceback']}, "
                f"left {len(left)} process(es), {len(files)} lsh file(s); rerun exit {again.returncode}, "
                f"same as uninterrupted {run['same_as_uninterrupted']}, boilerplate {run['same_boilerplate']}, integrity {got[2]}",
                flush=True,
            )
            print(f"      {run['message']}", flush=True)
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    args.out.write_text(json.dumps({
        "machine": f"{platform.machine()}, {platform.python_version()}", "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "articles": args.articles, "reference": {k: {"articles": len(w[0]), "stories": len(w[1])} for k, w in wants.items()}, "runs": runs,
    }, indent=1) + "\n")


if __name__ == "__main__":
    main()
