"""How long the HTML report takes to write and to render in Chromium, and how big it is (issue 12, item 5).

On an existing store (e.g. 100k synthetic articles: `benchmarks/synth.py corpus.jsonl 100000`,
then `dedup index --store S corpus.jsonl`), for each `--limit`: `dedup report --since all
--format html` (wall time, file size), then headless Chromium loading the file, median of
`--runs` fresh-profile runs of each of `--dump-dom` (load, run the page's script, serialise
the DOM) and `--screenshot` (load, lay out and paint the first 1280×2000 px).

    .venv/bin/python benchmarks/html_render.py --store S --limit 200 --limit 10000
    .venv/bin/python benchmarks/html_render.py --store S --dedup "env PYTHONPATH=/tmp/old python -m dedup"

Writes benchmarks/results/html_render.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def _timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, check=False, timeout=600)
    return time.perf_counter() - t0, done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--limit", type=int, action="append", help="report --limit (repeatable; default 200)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dedup", default=str(ROOT / ".venv" / "bin" / "dedup"), help="how to run dedup")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "html_render.json")
    args = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (make setup-chromium)")
    results = []
    with tempfile.TemporaryDirectory(prefix="dedup-html-") as tmp:
        for limit in args.limit or [200]:
            page = Path(tmp) / f"report-{limit}.html"
            took, done = _timed([*shlex.split(args.dedup), "report", "--store", str(args.store), "--since", "all",
                                 "--format", "html", "--limit", str(limit), "--out", str(page)])
            if done.returncode != 0:
                raise SystemExit(done.stderr.decode()[-2000:])
            row: dict[str, object] = {"limit": limit, "report_s": round(took, 2), "bytes": page.stat().st_size}
            for mode in ("dump-dom", "screenshot"):
                times = []
                for n in range(args.runs):
                    extra = ["--dump-dom"] if mode == "dump-dom" else [f"--screenshot={tmp}/shot.png", "--window-size=1280,2000"]
                    took, done = _timed([chromium, *FLAGS, f"--user-data-dir={tmp}/profile-{limit}-{mode}-{n}", *extra,
                                         page.as_uri()])
                    if done.returncode != 0:
                        raise SystemExit(done.stderr.decode()[-2000:])
                    times.append(took)
                row[f"{mode}_s"] = [round(t, 2) for t in times]
                row[f"{mode}_median_s"] = round(statistics.median(times), 2)
            print(json.dumps(row))
            results.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"store": str(args.store), "dedup": args.dedup, "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
