"""Credit detection precision and recall, and who is named first on COUNTER.

    .venv/bin/python benchmarks/credits.py                 # everything (about a minute)
    .venv/bin/python benchmarks/credits.py --no-counter    # the sample corpus only
    .venv/bin/python benchmarks/credits.py --dev-only      # development samples A, B, C, D only

1. Sample corpus: each of the 122 articles' detected credits against
   examples/truth.json "credits" (an article absent there credits nobody).
2. COUNTER (../shared/data/counter; Urdu, CC BY-NC-SA 4.0, never copied into
   this repo): samples labelled by hand by the rule in
   benchmarks/data/counter_credit_labels.json (document ids and names only).
   A, B (100 documents each, 70 newspaper + 30 agency), C and D (150 documents
   each, 100 newspaper + 50 agency) are development samples: the rules were
   written and revised on them ("A+B+C+D" is their aggregate). Any other sample in the
   labels file is held out: `--dev-only` skips it entirely (not scored, not
   written), so that rules can be worked on without seeing it. `--dev-only`
   also skips part 3, which runs the detector on every COUNTER document.
3. Agency first: all 1200 COUNTER documents indexed with dedup into a temporary
   store (published_at = the document's date, outlet = its agency or paper);
   for every labelled WD/PD pair whose two documents end up in one story, is the
   story's origin the agency's document? COUNTER has dates only (no time of
   day), so most pairs are a day apart and some share a date: credits and
   wire-agency status decide those.

Precision and recall are micro-averaged over (document, credited name) pairs.
Results go to benchmarks/results/credits.json; benchmarks/CREDITS.md explains them.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from dedup.config import Config  # noqa: E402
from dedup.credits import load_rules  # noqa: E402
from dedup.pipeline import build_report, index_corpus  # noqa: E402
from dedup.read.outlet import outlet_from_url  # noqa: E402

COUNTER = ROOT.parent / "shared" / "data" / "counter"
LABELS = HERE / "data" / "counter_credit_labels.json"
OUT = HERE / "results" / "credits.json"


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    return {
        "tp": tp, "fp": fp, "fn": fn,
        "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
    }


def score(items: list[tuple[str, set[str], set[str]]]) -> dict[str, object]:
    """items: (id, expected names, found names)."""
    tp = sum(len(e & g) for _, e, g in items)
    fp = sum(len(g - e) for _, e, g in items)
    fn = sum(len(e - g) for _, e, g in items)
    by_name: dict[str, Counter[str]] = {}
    for _, e, g in items:
        for n in e | g:
            c = by_name.setdefault(n, Counter())
            c["tp" if n in e and n in g else "fp" if n in g else "fn"] += 1
    errors = [{"id": i, "missed": sorted(e - g), "wrong": sorted(g - e)} for i, e, g in items if e != g]
    return {
        "documents": len(items),
        "documents_crediting": sum(bool(e) for _, e, _ in items),
        **prf(tp, fp, fn),
        "by_name": {n: dict(c) for n, c in sorted(by_name.items())},
        "errors": errors,
    }


def sample_corpus() -> dict[str, object]:
    rules = load_rules()
    truth = json.loads((ROOT / "examples" / "truth.json").read_text(encoding="utf-8"))["credits"]
    items = []
    for night in ("night1.jsonl", "night2.jsonl"):
        for line in (ROOT / "examples" / "sample" / night).read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            outlet = rec.get("outlet") or outlet_from_url(rec["url"])
            found = {c.name for c in rules.find(rec["text"], outlet)}
            items.append((rec["id"], set(truth.get(rec["id"], [])), found))
    return score(items)


def load_counter(path: Path) -> dict[str, dict]:
    docs = {}
    with (path / "documents.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            docs[d["doc_id"]] = d
    return docs


DEVELOPMENT = ("A", "B", "C", "D")  # the samples rules are written on; any other is held out
DEV_KEY = "+".join(DEVELOPMENT)


def counter_credits(docs: dict[str, dict], dev_only: bool = False) -> dict[str, object]:
    """Scores per sample and for the development samples together (``DEV_KEY``).

    With ``dev_only``, a sample not in ``DEVELOPMENT`` is skipped before its ids or
    labels are read: it is neither scored nor written.
    """
    rules = load_rules()
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    out: dict[str, object] = {"rule": labels["rule"], "how": labels["how"]}
    dev = []
    for name, sample in labels["samples"].items():
        if dev_only and name not in DEVELOPMENT:
            continue
        items = []
        for i in sample["ids"]:
            d = docs[i]
            found = {c.name for c in rules.find(d["body"], d["outlet"])}
            items.append((i, set(sample["labels"].get(i, [])), found))
        if name in DEVELOPMENT:
            dev += items
        out[name] = {"use": sample["use"], "drawn": sample["drawn"], **score(items)}
    out[DEV_KEY] = {"use": "the development samples together", **score(dev)}
    return out


def agency_first(docs: dict[str, dict], path: Path, workdir: Path) -> dict[str, object]:
    """Index COUNTER with dedup; for labelled reuse pairs that share a story, who is the origin?"""
    corpus = workdir / "counter.jsonl"
    with corpus.open("w", encoding="utf-8") as fh:
        for d in docs.values():
            fh.write(json.dumps({"id": d["doc_id"], "url": "", "outlet": d["outlet"], "published_at": d["date"],
                                 "title": d["headline"], "text": d["body"]}, ensure_ascii=False) + "\n")
    cfg = Config(store=workdir / "store", progress=False)
    started = time.perf_counter()
    index_corpus([str(corpus)], cfg)
    rep = build_report(cfg, since="all", mark=False)
    seconds = time.perf_counter() - started
    story_of = {m.id: s for s in rep.stories for m in s.members}
    pairs = [json.loads(line) for line in (path / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    shared: Counter[str] = Counter()
    labelled: Counter[str] = Counter()
    first_is_source = first_is_agency = 0
    misses = []
    relations: Counter[str] = Counter()
    dates: Counter[str] = Counter()  # the paper's date against the agency's, for the pairs sharing a story
    for p in pairs:
        labelled[p["label"]] += 1
        s, dv = story_of.get(p["source_doc_id"]), story_of.get(p["derived_doc_id"])
        if s is None or dv is None or s.story_id != dv.story_id:
            continue
        shared[p["label"]] += 1
        if p["label"] not in ("WD", "PD"):
            continue
        origin = s.first
        sd, dd = p["source_date"], p["derived_date"]
        dates["unknown" if not (sd and dd) else "paper later" if dd > sd else "same date" if dd == sd else "paper earlier"] += 1
        first_is_source += origin.id == p["source_doc_id"]
        agency = docs[origin.id]["role"] == "source"
        first_is_agency += agency
        member = next(m for m in s.members if m.id == p["derived_doc_id"])
        relations[member.relation] += 1
        if not agency:
            misses.append({
                "pair": p["pair_id"], "label": p["label"], "origin": origin.id, "agency_doc": p["source_doc_id"],
                "agency_date": p["source_date"], "paper_date": p["derived_date"],
                "paper_credits": list(member.credits) if member.id != origin.id else list(origin.credits),
                "conflicts": list(s.conflicts),
            })
    n = shared["WD"] + shared["PD"]
    return {
        "documents": len(docs),
        "settings": {**cfg.signature_params(), "min_similarity": cfg.cluster.min_similarity,
                     "min_containment": cfg.cluster.min_containment},
        "index_and_report_seconds": round(seconds, 1),
        "stories": len(rep.stories),
        "pairs_by_label": dict(labelled),
        "pairs_sharing_a_story_by_label": dict(shared),
        "reuse_pairs_sharing_a_story": n,
        "origin_is_the_pairs_agency_document": first_is_source,
        "origin_is_an_agency_document": first_is_agency,
        "agency_first_rate": round(first_is_agency / n, 4) if n else None,
        "pair_source_first_rate": round(first_is_source / n, 4) if n else None,
        "paper_relations": dict(relations),
        "paper_date_vs_agency_date": dict(dates),
        "misses": misses,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--counter", type=Path, default=COUNTER, help=f"COUNTER directory [default: {COUNTER}]")
    ap.add_argument("--no-counter", action="store_true", help="only the sample corpus")
    ap.add_argument("--dev-only", action="store_true",
                    help=f"score only the development samples {', '.join(DEVELOPMENT)}; any other (held-out) "
                         "sample is skipped entirely: not scored, not written. The agency-first measurement is "
                         "skipped too: it runs the detector on every COUNTER document, held-out ones included")
    args = ap.parse_args()
    results: dict[str, object] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": {"dedup": version("dedup")},
        "command": "benchmarks/credits.py" + (" --no-counter" if args.no_counter else "")
                   + (" --dev-only" if args.dev_only else ""),
        "sample_corpus": sample_corpus(),
    }
    if not args.no_counter:
        if not (args.counter / "documents.jsonl").exists():
            sys.exit(f"{args.counter}: no COUNTER here (documents.jsonl); pass --counter or --no-counter")
        docs = load_counter(args.counter)
        results["counter_credits"] = counter_credits(docs, dev_only=args.dev_only)
        if not args.dev_only:  # it runs the detector on every document, held-out ones too
            with tempfile.TemporaryDirectory() as tmp:
                results["counter_agency_first"] = agency_first(docs, args.counter, Path(tmp))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    s = results["sample_corpus"]
    print(f"sample corpus: precision {s['precision']:.3f} recall {s['recall']:.3f} "  # type: ignore[index]
          f"({s['tp']} found, {s['fp']} wrong, {s['fn']} missed)")  # type: ignore[index]
    if not args.no_counter:
        c = results["counter_credits"]
        samples = [k for k in c if k not in ("rule", "how", DEV_KEY)]  # type: ignore[union-attr]
        order = [k for k in samples if k in DEVELOPMENT] + [DEV_KEY] + [k for k in samples if k not in DEVELOPMENT]
        for k in order:
            r = c[k]  # type: ignore[index]
            print(f"COUNTER sample {k}: precision {r['precision']:.3f} recall {r['recall']:.3f} "
                  f"({r['tp']} found, {r['fp']} wrong, {r['fn']} missed; {r['documents_crediting']} of "
                  f"{r['documents']} documents credit someone)")
        if not args.dev_only:
            a = results["counter_agency_first"]
            print(f"COUNTER agency first: {a['origin_is_an_agency_document']} of {a['reuse_pairs_sharing_a_story']} "  # type: ignore[index]
                  f"WD/PD pairs sharing a story = {a['agency_first_rate']}")  # type: ignore[index]
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
