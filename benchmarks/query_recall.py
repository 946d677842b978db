"""Query recall@1 on COUNTER through the CLI: does ``dedup query --id <newspaper text>`` rank its own
agency source (or a byte-identical copy of it) first?

    .venv/bin/python benchmarks/query_recall.py                       # this checkout's dedup
    PYTHONPATH=/tmp/old benchmarks/query_recall.py --label main       # another checkout's, side by side

All 1,200 COUNTER documents are indexed with ``dedup index`` (shuffled as benchmarks/quality.py
shuffles them, so that insertion order breaks no tie) into a temporary store; then each of the 600
labelled pairs' derived text is queried with ``dedup query --id D --json --top 5``, run in-process
through click (the CLI's parsing, the query and the JSON rendering; no process start per query).
Figures per label (WD / PD / ND), and on the two halves of the pairs (odd / even pair ids: the
ranking's constants were chosen on the odd half, see QUALITY.md), go to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from click.testing import CliRunner

from dedup.cli import cli

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parents[1] / "shared" / "data"
COUNTER_ORDER_SEED = 20141201  # as benchmarks/quality.py
LABELS = ("WD", "PD", "ND")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--label", default="this checkout", help="what the code under test is called in the results")
    ap.add_argument("--out", type=Path, default=None, help="results file [default: benchmarks/results/query_recall[-LABEL].json]")
    args = ap.parse_args()
    d = args.data / "counter"
    if not (d / "documents.jsonl").is_file():
        sys.exit(f"query_recall.py: COUNTER not found under {d}; pass --data DIR")
    docs = [json.loads(line) for line in (d / "documents.jsonl").open(encoding="utf-8")]
    pairs = [json.loads(line) for line in (d / "pairs.jsonl").open(encoding="utf-8")]
    sha = {x["doc_id"]: x["body_sha1"] for x in docs}
    random.Random(COUNTER_ORDER_SEED).shuffle(docs)
    runner = CliRunner()
    with tempfile.TemporaryDirectory(prefix="dedup-query-recall-") as tmp:
        corpus, store = Path(tmp) / "counter.jsonl", Path(tmp) / "store"
        with corpus.open("w", encoding="utf-8") as fh:
            for x in docs:
                fh.write(json.dumps({"id": x["doc_id"], "outlet": x["outlet"], "published_at": x["date"],
                                     "title": x["headline"], "text": x["body"]}, ensure_ascii=False) + "\n")
        r = runner.invoke(cli, ["index", "--quiet", "--store", str(store), str(corpus)])
        if r.exit_code != 0:
            sys.exit(f"dedup index failed: {r.output}")
        hits: dict[str, list[bool]] = defaultdict(list)
        empty: dict[str, int] = defaultdict(int)
        secs = []
        for p in pairs:
            t = time.perf_counter()
            r = runner.invoke(cli, ["query", "--store", str(store), "--id", p["derived_doc_id"], "--json", "--top", "5"])
            secs.append(time.perf_counter() - t)
            if r.exit_code != 0:
                sys.exit(f"dedup query --id {p['derived_doc_id']} failed: {r.output}")
            results = json.loads(r.stdout)["results"]
            ok = bool(results) and sha[results[0]["id"]] == sha[p["source_doc_id"]]
            half = "odd" if int(p["pair_id"]) % 2 else "even"
            for key in (p["label"], f"{p['label']} {half}"):
                hits[key].append(ok)
            empty[p["label"]] += not results
    out = {
        "label": args.label,
        "command": " ".join(["benchmarks/query_recall.py", *sys.argv[1:]]),
        "recall_at_1": {k: round(statistics.mean(v), 4) for k, v in sorted(hits.items())},
        "n": {k: f"{sum(v)}/{len(v)}" for k, v in sorted(hits.items())},
        "queries_with_no_result": dict(empty),
        "query_seconds_median": round(statistics.median(secs), 4),
    }
    print(json.dumps(out, indent=1))
    path = args.out or HERE / "results" / ("query_recall.json" if args.label == "this checkout" else f"query_recall-{args.label}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
