"""Nightly reports while `dedup index` runs, with real processes (issue 11, finding 1).

Per night, `dedup index` runs in its own process on a synthetic batch while
nightly `dedup report`s (the kind that moves the mark) run one after another in
others until it ends; then one more report. Every story the night changed (the
look back `--since <the night's start>`) must be in exactly one of them.

    .venv/bin/python benchmarks/report_race.py                # 20,000 + 4,000 articles, 3 rounds
    .venv/bin/python benchmarks/report_race.py --dedup "python other/checkout/run.py -m dedup"

Prints one line per night and writes benchmarks/results/report_race.json; exits 1
when a story was lost or repeated. Whether a report falls inside clustering is up
to timing here: the deterministic test is tests/test_pipeline_nightly.py.

Measured 2026-12-05 (2 shared cores, defaults, 3 rounds of 20,000 + 4,000 articles):
before the change sequence (schema 4) 4 of 6 nights lost every story they changed,
7,906 of 11,859 story changes in no report; after it, 0 lost and 0 repeated of 11,859,
with 3 to 8 reports run during each index run.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import synth  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "report_race.json"


def _report(dedup: list[str], store: Path, out: Path, *args: str) -> list[str]:
    """The story ids of one `dedup report --format json` (the nightly kind unless ``args`` say
    otherwise); none while the index run has not yet made the store."""
    # --limit 0: every story, not the first 200 a desk sees by default
    run = subprocess.run([*dedup, "report", "--store", str(store), "--format", "json", "--limit", "0", "--out", str(out), *args],
                         capture_output=True, text=True)
    if run.returncode == 4 and ("error: no store at" in run.stderr or "the store is empty" in run.stderr):
        return []
    if run.returncode != 0:
        raise SystemExit(f"dedup report failed ({run.returncode}): {run.stderr.strip()}")
    return [s["story_id"] for s in json.loads(out.read_text(encoding="utf-8"))["stories"]]


def night(dedup: list[str], store: Path, corpus: Path, work: Path) -> dict[str, int]:
    """Index ``corpus`` with nightly reports running throughout; what they held."""
    started = datetime.now(timezone.utc)
    index = subprocess.Popen([*dedup, "index", "--quiet", "--store", str(store), str(corpus)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    reports: list[list[str]] = []
    while index.poll() is None:
        reports.append(_report(dedup, store, work / "nightly.json"))
    during = len(reports)
    if index.returncode != 0:
        raise SystemExit(f"dedup index failed ({index.returncode})")
    reports.append(_report(dedup, store, work / "nightly.json"))
    changed = set(_report(dedup, store, work / "since.json", "--since", started.isoformat(), "--no-mark"))
    held = [sid for rep in reports for sid in rep]
    return {"reports_during_index": during, "stories_changed": len(changed), "reported": len(set(held) & changed),
            "lost": len(changed - set(held)), "repeated": len(held) - len(set(held))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=20000, help="first night's articles (the second night: a fifth)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dedup", default=f"{shlex.quote(sys.executable)} -m dedup", help="the command that runs dedup")
    ap.add_argument("--results", type=Path, default=RESULTS, help="where to write the JSON results")
    args = ap.parse_args(argv)
    dedup = shlex.split(args.dedup)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        nights = [work / "night1.jsonl", work / "night2.jsonl"]
        # One stream cut in two: the second night holds copies of the first's articles (stories grow).
        stream = synth.articles(args.articles + args.articles // 5)
        for path, n in zip(nights, (args.articles, args.articles // 5), strict=True):
            with path.open("w", encoding="utf-8") as fh:
                for _, rec in zip(range(n), stream, strict=False):
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        for r in range(args.rounds):
            store = work / f"store{r}"
            for n, corpus in enumerate(nights, start=1):
                t = time.perf_counter()
                row = {"round": r + 1, "night": n, **night(dedup, store, corpus, work), "seconds": round(time.perf_counter() - t, 1)}
                print(json.dumps(row), flush=True)
                rows.append(row)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps({"command": " ".join(sys.argv), "dedup": args.dedup, "nights": rows}, indent=2) + "\n", encoding="utf-8")
    bad = sum(r["lost"] + r["repeated"] for r in rows)
    print(f"lost or repeated: {bad} (of {sum(r['stories_changed'] for r in rows)} story changes)")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
