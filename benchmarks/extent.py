"""What reporting the extent of reuse costs (issue 14, item 7), and why passages start at 8 words.

    .venv/bin/python benchmarks/extent.py [--out F.json] runs STORE [--repeat 5]  # report time, HTML/JSON size, with and without
    .venv/bin/python benchmarks/extent.py [--out F.json] passages [DATA]          # COUNTER: shared runs per label (the choice of 8)

``runs`` builds ``dedup report --since all --limit 0`` on STORE ``--repeat`` times,
timing the reuse step (dedup.extent.with_reuse) apart from the rest, so the report
time without it is measured in the same runs; then renders the HTML and JSON with
and without the members' ``reuse`` and prints the sizes. ``passages`` scores every
labelled COUNTER pair (derived text against its source): the longest shared run,
and the share of the derived text's words inside runs of N words or more, per label.
Results: benchmarks/EXTENT.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

import dedup.pipeline as pipeline
from dedup.config import Config
from dedup.extent import longest_run, shared_runs, words
from dedup.report import render

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def runs(store: Path, repeat: int) -> dict[str, object]:
    spent: list[list[float]] = []  # per run: [wall, cpu] of the reuse step
    original = pipeline.with_reuse

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        t, c = time.perf_counter(), time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent[-1][0] += time.perf_counter() - t
            spent[-1][1] += time.process_time() - c

    pipeline.with_reuse = timed  # type: ignore[assignment]
    totals: list[tuple[float, float]] = []
    try:
        for _ in range(repeat):
            spent.append([0.0, 0.0])
            t, c = time.perf_counter(), time.process_time()
            rep = pipeline.build_report(Config(store=store, progress=False), since="all", mark=False, limit=0)
            totals.append((time.perf_counter() - t, time.process_time() - c))
    finally:
        pipeline.with_reuse = original  # type: ignore[assignment]
    measured = sum(m.reuse is not None for s in rep.stories for m in s.members)
    members = sum(len(s.members) for s in rep.stories)
    print(f"{store}: {len(rep.stories):,} stories, {members:,} members, {measured:,} measured against their parent")
    med = statistics.median
    out: dict[str, object] = {"store": str(store), "repeat": repeat, "stories": len(rep.stories), "members": members,
                              "measured": measured}
    for k, clock in enumerate(("wall", "CPU")):
        out[f"{clock.lower()}_seconds"] = {"with": med(t[k] for t in totals),
                                           "without": med(t[k] - x[k] for t, x in zip(totals, spent)),
                                           "reuse_step": med(x[k] for x in spent)}
        step = med(x[k] for x in spent)
        print(f"report build ({clock}), median of {repeat}: {med(t[k] for t in totals):.2f} s with reuse, "
              f"{med(t[k] - x[k] for t, x in zip(totals, spent)):.2f} s without "
              f"(reuse step {step:.2f} s, {1e3 * step / max(measured, 1):.2f} ms per copy)")
    bare = replace(rep, stories=tuple(replace(s, members=tuple(replace(m, reuse=None) for m in s.members),
                                               first=replace(s.first, reuse=None)) for s in rep.stories))
    for fmt in ("html", "json"):
        t = time.perf_counter()
        with_, without = len(render(rep, fmt).encode()), len(render(bare, fmt).encode())
        out[f"{fmt}_bytes"] = {"with": with_, "without": without}
        print(f"{fmt}: {without / 1e6:.2f} MB without, {with_ / 1e6:.2f} MB with reuse "
              f"(+{(with_ - without) / 1e6:.2f} MB, x{with_ / without:.2f}; both rendered in {time.perf_counter() - t:.1f} s)")
    return out


def passages(data: Path) -> dict[str, object]:
    d = data / "counter"
    docs = {r["doc_id"]: r for r in map(json.loads, (d / "documents.jsonl").open(encoding="utf-8"))}
    pairs = [json.loads(line) for line in (d / "pairs.jsonl").open(encoding="utf-8")]
    sizes = (5, 6, 7, 8, 10, 12, 15)
    longest: dict[str, list[int]] = {}
    covered: dict[str, dict[int, list[float]]] = {}
    for p in pairs:
        a, b = words(docs[p["derived_doc_id"]]["body"]).keys, words(docs[p["source_doc_id"]]["body"]).keys
        longest.setdefault(p["label"], []).append(longest_run(a, b, 8))
        for n in sizes:
            inside = {k for i, _, length in shared_runs(a, b, n) for k in range(i, i + length)}
            covered.setdefault(p["label"], {}).setdefault(n, []).append(len(inside) / max(len(a), 1))
    print("label pairs  longest(median)  " + "  ".join(f"runs>={n}" for n in sizes) + "   (share of pairs with a run >= N)")
    for label in sorted(longest):
        ls = longest[label]
        print(f"{label:5} {len(ls):5}  {statistics.median(ls):15.0f}  "
              + "  ".join(f"{sum(x >= n for x in ls) / len(ls):7.3f}" for n in sizes))
    print("label  " + "  ".join(f"words in runs>={n}" for n in sizes) + "   (mean share of the derived text's words)")
    for label in sorted(covered):
        print(f"{label:5}  " + "  ".join(f"{statistics.mean(covered[label][n]):16.3f}" for n in sizes))
    return {label: {"pairs": len(longest[label]), "longest_median": statistics.median(longest[label]),
                    "share_of_pairs_with_run": {n: round(sum(x >= n for x in longest[label]) / len(longest[label]), 4)
                                                for n in sizes},
                    "share_of_words_in_runs": {n: round(statistics.mean(covered[label][n]), 4) for n in sizes}}
            for label in sorted(longest)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("runs")
    r.add_argument("store", type=Path)
    r.add_argument("--repeat", type=int, default=5)
    p = sub.add_parser("passages")
    p.add_argument("data", type=Path, nargs="?", default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, help="also write the results as JSON (e.g. benchmarks/results/extent-runs.json)")
    args = ap.parse_args()
    result = runs(args.store, args.repeat) if args.cmd == "runs" else passages(args.data)
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
