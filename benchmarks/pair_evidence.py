"""Pair evidence beyond overlap (dedup/evidence.py): what templates veto and what credits add.

    .venv/bin/python benchmarks/pair_evidence.py            # about 30 s on 2 cores
    .venv/bin/python benchmarks/pair_evidence.py --bar 0.42 # another verifier bar

Pair-level, with exact character 7-gram sets (dedup.verify.text_shingles) and the score the
issue-14 verifier uses: Cd, the share of the LATER text's shingles found in the EARLIER text.

1. Recurring templates on COUNTER: every pair of documents from one outlet, through
   ``is_recurring_template``; which pairs it vetoes, which of those pass ``--bar`` (the
   links it removes), and how many labelled WD/PD/ND pairs it would veto (0 by construction:
   COUNTER pairs two outlets), also without the same-outlet condition (the figures alone).
2. Credits on COUNTER: every (newspaper, agency) pair, the newspaper the later text; a pair is
   credited when the newspaper credits the agency's outlet (``credits_of`` + ``credits_outlet``).
   Per factor f, a pair links at Cd >= bar, or credited and Cd >= f * bar. Labelled pairs:
   share linked per label, on the calibration half (odd pair ids, where f was chosen) and the
   held-out half (even ids). Unrelated pairs (neither the pair's own source nor a byte-identical
   copy of it) linked: all, and within 0-3 days (the candidates a verifier sees in a stream).
3. Credits on the sample corpus (examples/sample, truth in examples/truth.json): every
   (later, earlier) pair of articles whose later one credits the earlier's outlet; how many are
   in one true story and how many of each pass the bars.

COUNTER is read from ../shared/data/counter (never copied here; CC BY-NC-SA 4.0, Sharjeel, Nawab
and Rayson 2017). Results go to benchmarks/results/pair_evidence.json; benchmarks/CREDITS.md
("Credits as evidence") explains them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from dedup.config import ShingleConfig  # noqa: E402
from dedup.credits import load_rules  # noqa: E402
from dedup.evidence import Dated, credit_picks, credits_of, credits_outlet, figure_shift, is_recurring_template  # noqa: E402
from dedup.read.outlet import outlet_from_url  # noqa: E402
from dedup.read.timeparse import parse_time  # noqa: E402
from dedup.verify import containment, text_shingles  # noqa: E402

COUNTER = ROOT.parent / "shared" / "data" / "counter"
SAMPLE = ROOT / "examples" / "sample"
TRUTH = ROOT / "examples" / "truth.json"
OUT = HERE / "results" / "pair_evidence.json"
FACTORS = (1.0, 0.9, 0.8, 0.75, 0.7, 0.6, 0.5)
WINDOW_DAYS = 3
FLOOR = 0.15  # same-outlet pairs below this Cd both ways are not tried as templates
LABELS = ("WD", "PD", "ND")


def dated(d: dict) -> Dated:
    return Dated(d["outlet"], d["headline"], d["body"], d["date"], "date" if d["date"] else "unknown", d["date"])


def templates(docs: dict[str, dict], pairs: list[dict], sh: dict[str, np.ndarray], bar: float) -> dict:
    rules = load_rules()
    vetoed = []
    for a, b in itertools.combinations(sorted(docs), 2):
        da, db = docs[a], docs[b]
        if da["outlet"].casefold() != db["outlet"].casefold():
            continue
        # Only pairs some verifier could link (the rule tokenises both texts: 147k APP pairs).
        if max(containment(sh[a], sh[b]), containment(sh[b], sh[a])) < FLOOR:
            continue
        if is_recurring_template(dated(da), dated(db), rules):
            later, earlier = (a, b) if (da["date"] or "") > (db["date"] or "") else (b, a)
            cd = containment(sh[later], sh[earlier])
            vetoed.append({"later": later, "earlier": earlier, "outlet": da["outlet"], "cd": round(cd, 3),
                           "domain": da["domain"], "linked_before": cd >= bar})
    by_label: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    figures_only: dict[str, int] = defaultdict(int)
    for p in pairs:
        s, d = docs[p["source_doc_id"]], docs[p["derived_doc_id"]]
        by_label[p["label"]][0] += 1
        by_label[p["label"]][1] += is_recurring_template(dated(d), dated(s), rules)
        if s["date"] and d["date"] and s["date"] != d["date"]:
            figures_only[p["label"]] += figure_shift(f"{d['headline']}\n{d['body']}", f"{s['headline']}\n{s['body']}").moved
    named = [("0309", "0213"), ("0213", "0218"), ("0309", "0218"), ("0310", "0212"), ("0212", "0219"), ("0310", "0219"),
             ("0556", "0565")]
    got = {(v["earlier"], v["later"]) for v in vetoed}
    return {
        "same_outlet_pairs_vetoed": len(vetoed),
        "vetoed_pairs_linked_at_bar": sum(v["linked_before"] for v in vetoed),
        "issue_pairs_vetoed": {f"{e}/{lt}": (e, lt) in got for e, lt in named},
        "labelled_pairs_vetoed": {lab: by_label[lab][1] for lab in LABELS},
        "labelled_pairs": {lab: by_label[lab][0] for lab in LABELS},
        "labelled_pairs_figures_moved_without_outlet_condition": {lab: figures_only[lab] for lab in LABELS},
        # The links it removes (the other vetoed pairs are below the bar anyway).
        "vetoed_linked": sorted((v for v in vetoed if v["linked_before"]), key=lambda v: -v["cd"]),
    }


def counter_credits(docs: dict[str, dict], pairs: list[dict], sh: dict[str, np.ndarray], bar: float) -> dict:
    rules = load_rules()
    papers = sorted(i for i, d in docs.items() if d["role"] == "derived")
    agencies = sorted(i for i, d in docs.items() if d["role"] == "source")
    names = {i: credits_of(docs[i]["body"], docs[i]["outlet"], rules) for i in papers}
    label = {p["derived_doc_id"]: p for p in pairs}

    def day(i: str) -> date | None:
        return date.fromisoformat(docs[i]["date"]) if docs[i]["date"] else None

    def not_after(a: date | None, b: date | None) -> bool:
        return a is None or b is None or a <= b

    # Per pair: Cd, credited (the paper credits the agency's outlet), and credited-best (credited,
    # and the best-scoring text of that outlet dated no later than the paper: the one a credit picks).
    labelled: list[tuple[str, int, float, bool, bool]] = []  # (label, pair id, cd, credited, best)
    unrelated: list[tuple[float, bool, bool, bool]] = []  # (cd, credited, best, in window)
    for n in papers:
        p = label[n]
        own_sha = docs[p["source_doc_id"]]["body_sha1"]
        dn = day(n)
        scored = [(a, containment(sh[n], sh[a])) for a in agencies]
        # The candidates a verifier would weigh: agency texts dated no later than the paper.
        earlier = [(a, cd) for a, cd in scored if not_after(day(a), dn)]
        hit = {a for a, _ in earlier if credits_outlet(names[n], docs[n]["outlet"], docs[a]["outlet"], rules)}
        picks = credit_picks(names[n], docs[n]["outlet"], [(docs[a]["outlet"], cd) for a, cd in earlier], rules)
        picked = {a for (a, _), p_ in zip(earlier, picks, strict=True) if p_}
        for a, cd in scored:
            c, best = a in hit, a in picked
            if a == p["source_doc_id"]:
                labelled.append((p["label"], int(p["pair_id"]), cd, c, best))
            elif docs[a]["body_sha1"] != own_sha:
                da = day(a)
                window = dn is not None and da is not None and timedelta(0) <= dn - da <= timedelta(days=WINDOW_DAYS)
                unrelated.append((cd, c, best, window))
    out: dict = {"bar": bar, "credited_labelled": {lab: [sum(c for lb, _, _, c, _ in labelled if lb == lab),
                                                        sum(lb == lab for lb, *_ in labelled)] for lab in LABELS},
                 "credited_best_labelled": {lab: sum(b for lb, *_, b in labelled if lb == lab) for lab in LABELS},
                 "unrelated_pairs": len(unrelated), "unrelated_in_window": sum(w for *_, w in unrelated),
                 "unrelated_credited": sum(c for _, c, _, _ in unrelated),
                 "unrelated_credited_in_window": sum(c and w for _, c, _, w in unrelated), "by_factor": {}}
    for variant, k in (("any_credited", 3), ("best_credited", 4)):
        out["by_factor"][variant] = {}
        for f in FACTORS:
            row: dict = {}
            for half, keep in (("calibration", 1), ("held_out", 0)):
                row[half] = {}
                for lab in LABELS:
                    got = [r[2] >= bar or (r[k] and r[2] >= f * bar) for r in labelled if r[0] == lab and r[1] % 2 == keep]
                    row[half][lab] = round(float(np.mean(got)), 4)
            linked = [(u[0] >= bar, u[0] >= bar or (u[k - 2] and u[0] >= f * bar), u[3]) for u in unrelated]
            row["unrelated_linked"] = sum(x for _, x, _ in linked)
            row["unrelated_linked_by_credit"] = sum(x and not b for b, x, _ in linked)
            row["unrelated_linked_in_window"] = sum(x and w for _, x, w in linked)
            row["unrelated_linked_by_credit_in_window"] = sum(x and not b and w for b, x, w in linked)
            out["by_factor"][variant][str(f)] = row
    return out


def sample_credits(cfg: ShingleConfig, bar: float) -> dict:
    rules = load_rules()
    arts = [json.loads(line) for f in sorted(SAMPLE.glob("*.jsonl")) for line in f.open(encoding="utf-8")]
    truth = json.loads(TRUTH.read_text(encoding="utf-8"))
    story = {m: s["name"] for s in truth["stories"] for m in s["members"]}
    sh = {a["id"]: text_shingles(a["text"], a.get("title", ""), cfg) for a in arts}
    when = {a["id"]: parse_time(a.get("published_at"), "UTC")[0] for a in arts}
    for a in arts:
        a["outlet"] = a.get("outlet") or outlet_from_url(a["url"])
    names = {a["id"]: credits_of(a["text"], a["outlet"], rules) for a in arts}
    rows = []  # (same true story, Cd, picked by the credit) for every credited (later, earlier) pair
    for later in arts:
        tl = when[later["id"]]
        earlier = [e for e in arts if e is not later and tl is not None and (te := when[e["id"]]) is not None and te <= tl]
        scores = [containment(sh[later["id"]], sh[e["id"]]) for e in earlier]
        picks = credit_picks(names[later["id"]], later["outlet"], [(e["outlet"], cd) for e, cd in zip(earlier, scores)], rules)
        for e, cd, picked in zip(earlier, scores, picks, strict=True):
            if credits_outlet(names[later["id"]], later["outlet"], e["outlet"], rules):
                same = story.get(later["id"]) is not None and story.get(later["id"]) == story.get(e["id"])
                rows.append((same, cd, picked))
    out: dict = {"bar": bar, "credited_pairs": len(rows), "credited_pairs_same_story": sum(s for s, _, _ in rows),
                 "credited_pairs_picked": sum(p for *_, p in rows), "by_factor": {}}
    for f in FACTORS:
        out["by_factor"][str(f)] = {
            "same_story_linked": sum(s and (cd >= bar or (p and cd >= f * bar)) for s, cd, p in rows),
            "same_story_linked_without_credit": sum(s and cd >= bar for s, cd, _ in rows),
            "other_linked": sum((not s) and (cd >= bar or (p and cd >= f * bar)) for s, cd, p in rows),
            "other_linked_without_credit": sum((not s) and cd >= bar for s, cd, _ in rows)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counter", type=Path, default=COUNTER)
    ap.add_argument("--bar", type=float, default=0.32, help="the verifier's Arabic-script bar on Cd (default 0.32, branch verifier)")
    ap.add_argument("--sample-bar", type=float, default=0.55, help="the verifier's Latin-script bar (default 0.55)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    t0 = time.perf_counter()
    cfg = ShingleConfig()
    docs = {d["doc_id"]: d for d in map(json.loads, (args.counter / "documents.jsonl").open(encoding="utf-8"))}
    pairs = [json.loads(line) for line in (args.counter / "pairs.jsonl").open(encoding="utf-8")]
    sh = {i: text_shingles(d["body"], d["headline"], cfg, "ur") for i, d in docs.items()}
    results = {"command": " ".join(["benchmarks/pair_evidence.py", *sys.argv[1:]]),
               "templates": templates(docs, pairs, sh, args.bar),
               "counter_credits": counter_credits(docs, pairs, sh, args.bar),
               "sample_credits": sample_credits(cfg, args.sample_bar)}
    results["seconds"] = round(time.perf_counter() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    t = results["templates"]
    print(json.dumps({k: v for k, v in t.items() if k != "vetoed_linked"}, ensure_ascii=False))
    for v in t["vetoed_linked"]:
        print("  veto", v)
    print(json.dumps(results["counter_credits"], indent=1))
    print(json.dumps(results["sample_credits"], indent=1))
    print(f"{results['seconds']} s -> {args.out}")


if __name__ == "__main__":
    main()
