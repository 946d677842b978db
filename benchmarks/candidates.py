"""The candidate stage, option by option: what each LSH setting (and prefilter) proposes.

    .venv/bin/python benchmarks/candidates.py                # COUNTER, stress corpus (seed 1), 100k synthetic
    .venv/bin/python benchmarks/candidates.py --synth 20000  # a smaller synthetic corpus

Each corpus is indexed once through dedup's own pipeline (clean → shingle → sign, as
``dedup index`` does); the stored signatures are then banded in memory for every option,
and the candidate pairs found exactly as the store finds them in a bulk load
(``segments.within_pairs``, buckets over MAX_CLIQUE_BUCKET linked as stars). Per option:
- COUNTER (all 1,200 docs): share of the labelled WD / PD / ND pairs proposed;
- stress corpus (English, benchmarks/quality.py): share of same-story pairs proposed, and
  candidate pairs per article;
- synthetic (benchmarks/synth.py): candidate pairs per article, and the banding + pair
  time in memory (the part of an index run that the option changes).
A prefilter keeps a candidate pair only when its MinHash-estimated containment in either
direction (or its estimated Jaccard) reaches a floor: the pairs that reach the exact verifier.
Results go to benchmarks/results/candidates.json; see benchmarks/QUALITY.md, "Candidate stage".
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import quality  # noqa: E402
import synth  # noqa: E402

from dedup.config import Config, ShingleConfig  # noqa: E402
from dedup.index import LSHParams, band_keys, passes_prefilter  # noqa: E402
from dedup.pipeline import index_corpus  # noqa: E402
from dedup.store import open_store  # noqa: E402
from dedup.verify import containment, text_shingles  # noqa: E402
from dedup.store.segments import MAX_CLIQUE_BUCKET, Segment, clique_cap, sorted_unique, within_pairs  # noqa: E402

RESULTS = HERE / "results"


def load_signatures(jsonl: Path, store: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(ids, signatures, shingle counts) of every article, indexed by dedup into ``store``."""
    index_corpus([str(jsonl)], Config(store=store, progress=False))
    s = open_store(store, create=False)
    try:
        ids, docs = [], []
        for a in s.articles():
            ids.append(a.id)
            docs.append(a.doc)
        sigs, sizes = s.signatures(docs)
    finally:
        s.close()
    return ids, sigs, sizes


def lsh_pairs(sigs: np.ndarray, params: LSHParams, min_bands: int = 1, cap: int | None = None) -> np.ndarray:
    """(n, 2) unique row pairs (i < j) sharing at least ``min_bands`` band buckets, as a bulk
    load's scan finds them (buckets over ``cap`` members linked as stars; default: the store's)."""
    keys = band_keys(sigs, params)
    docs = np.repeat(np.arange(sigs.shape[0], dtype=np.int64), params.bands)
    k, d = Segment.sort(keys.reshape(-1), docs)
    pairs = within_pairs(k, d, clique_cap(params.rows) if cap is None else cap)
    if pairs.size == 0:
        return pairs
    lo, hi = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    packed = np.sort((lo << 32) | hi)  # np.unique hashes: far slower (store/segments.py: sorted_unique)
    starts = np.flatnonzero(np.r_[True, packed[1:] != packed[:-1]])
    count = np.diff(np.r_[starts, packed.size])
    packed = packed[starts][count >= min_bands]
    return np.stack([packed >> 32, packed & 0xFFFFFFFF], axis=1)


def prefilter(pairs: np.ndarray, sigs: np.ndarray, sizes: np.ndarray, floor: float) -> np.ndarray:
    """The pairs whose estimated containment of the smaller text in the larger reaches ``floor``
    (``dedup.index.prefilter_pairs``, on signatures in memory)."""
    if pairs.size == 0 or floor <= 0:
        return pairs
    return pairs[passes_prefilter(sigs, sizes, pairs[:, 0], pairs[:, 1], floor)]


# name → (function of signatures giving candidate pairs, prefilter floor)
def options() -> dict[str, tuple[Callable[[np.ndarray], np.ndarray], float]]:
    def bands(b: int, r: int, cap: int = MAX_CLIQUE_BUCKET) -> Callable[[np.ndarray], np.ndarray]:
        return lambda sigs: lsh_pairs(sigs, LSHParams(b, r), cap=cap)

    def two_sets(sigs: np.ndarray) -> np.ndarray:  # today's 37×3 plus 32×2 over the rest and wrapping
        a = lsh_pairs(sigs, LSHParams(37, 3))
        b = lsh_pairs(np.concatenate([sigs[:, 111:], sigs[:, :111]], axis=1), LSHParams(32, 2))
        packed = sorted_unique(np.concatenate([(a[:, 0] << 32) | a[:, 1], (b[:, 0] << 32) | b[:, 1]]))
        return np.stack([packed >> 32, packed & 0xFFFFFFFF], axis=1)

    out: dict[str, tuple[Callable[[np.ndarray], np.ndarray], float]] = {
        "t=0.3 37x3 (main)": (bands(37, 3), 0.0),
        "t=0.2 28x2": (bands(28, 2), 0.0),
        "t=0.15 51x2": (bands(51, 2), 0.0),
        "64x2 (all 128 perms)": (bands(64, 2), 0.0),
        "37x3 + 32x2 second set": (two_sets, 0.0),
        "64x2, >= 2 bands shared": (lambda sigs: lsh_pairs(sigs, LSHParams(64, 2), 2), 0.0),
    }
    for b, r in ((51, 2), (64, 2)):
        for floor in (0.15, 0.2, 0.25):
            out[f"{b}x{r} + est. containment >= {floor}"] = (bands(b, r), floor)
    for b, r in ((51, 2), (64, 2)):
        out[f"{b}x{r}, stars above 16 + est. containment >= 0.2"] = (bands(b, r, 16), 0.2)
    return out


def counter_case(work: Path, data: Path) -> tuple[np.ndarray, np.ndarray, dict[str, list[tuple[int, int]]]]:
    c = quality.load_counter(data)
    order = list(c.docs)
    random.Random(quality.COUNTER_ORDER_SEED).shuffle(order)
    path = work / "counter.jsonl"
    quality._write_jsonl(path, ({"id": d["doc_id"], "outlet": d["outlet"], "published_at": d["date"],
                                 "title": d["headline"], "text": d["body"]} for d in order))
    ids, sigs, sizes = load_signatures(path, work / "counter-store")
    row = {i: k for k, i in enumerate(ids)}
    labelled: dict[str, list[tuple[int, int]]] = {"WD": [], "PD": [], "ND": [], "WD_cd": [], "PD_cd": [], "ND_cd": []}
    for p in c.pairs:
        a, b = row.get(p["source_doc_id"]), row.get(p["derived_doc_id"])
        if a is not None and b is not None:
            labelled[p["label"]].append((min(a, b), max(a, b)))
    # Pairs an exact directed verifier would accept (char-7 share of the newspaper text
    # found in the agency text >= 0.311, REUSE-EVIDENCE.md): what the candidates must reach.
    s = open_store(work / "counter-store", create=False)
    try:
        arts = {a.id: a for a in s.articles()}
    finally:
        s.close()
    cfg = ShingleConfig()
    for p in c.pairs:
        a, b = row.get(p["source_doc_id"]), row.get(p["derived_doc_id"])
        if a is None or b is None:
            continue
        src, der = arts[p["source_doc_id"]], arts[p["derived_doc_id"]]
        cd = containment(text_shingles(der.text, der.title, cfg), text_shingles(src.text, src.title, cfg))
        if cd >= 0.311:
            labelled.setdefault(p["label"] + "_cd", []).append((min(a, b), max(a, b)))
    return sigs, sizes, labelled


def share(pairs: np.ndarray, wanted: list[tuple[int, int]]) -> float:
    have = set(((pairs[:, 0] << 32) | pairs[:, 1]).tolist())
    return round(sum(((a << 32) | b) in have for a, b in wanted) / max(1, len(wanted)), 3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=quality.DEFAULT_DATA)
    ap.add_argument("--synth", type=int, default=100_000, help="synthetic articles (0: none)")
    args = ap.parse_args()
    opts = options()
    res: dict = {"command": " ".join(["benchmarks/candidates.py", *sys.argv[1:]]),
                 "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "options": {}}
    with tempfile.TemporaryDirectory(prefix="cand-") as tmp:
        work = Path(tmp)
        csigs, csizes, labelled = counter_case(work, args.data)
        st = quality.stress_corpus(args.data, 1)
        spath = work / "stress.jsonl"
        quality._write_jsonl(spath, ({"id": d.id, "outlet": d.outlet, "title": d.title, "text": d.text} for d in st.docs))
        sids, ssigs, ssizes = load_signatures(spath, work / "stress-store")
        cluster = {d.id: d.cluster for d in st.docs}
        sc = np.array([hash(cluster[i]) for i in sids])
        iu, ju = np.triu_indices(len(sids), 1)
        true_pairs = list(zip(iu[sc[iu] == sc[ju]].tolist(), ju[sc[iu] == sc[ju]].tolist(), strict=True))
        n_unrel = int((sc[iu] != sc[ju]).sum())
        if args.synth:
            ypath = work / "synth.jsonl"
            synth.write_jsonl(str(ypath), args.synth)
            _, ysigs, ysizes = load_signatures(ypath, work / "synth-store")
        for name, (fn, floor) in opts.items():
            row: dict = {}
            cp = prefilter(fn(csigs), csigs, csizes, floor)
            row["counter"] = {lab: share(cp, labelled[lab]) for lab in labelled}
            row["counter"]["pairs_per_article"] = round(len(cp) * 2 / len(csigs), 2)
            sp = prefilter(fn(ssigs), ssigs, ssizes, floor)
            true_hit = share(sp, true_pairs)
            unrel = int((sc[sp[:, 0]] != sc[sp[:, 1]]).sum()) if sp.size else 0
            row["stress"] = {"true_pairs": true_hit, "unrelated_share_pct": round(100 * unrel / n_unrel, 3),
                             "pairs_per_article": round(len(sp) * 2 / len(ssigs), 2)}
            if args.synth:
                t0 = time.perf_counter()
                raw = fn(ysigs)
                t1 = time.perf_counter()
                yp = prefilter(raw, ysigs, ysizes, floor)
                t2 = time.perf_counter()
                row["synth"] = {"articles": args.synth, "lsh_pairs_per_article": round(len(raw) * 2 / args.synth, 2),
                                "pairs_per_article": round(len(yp) * 2 / args.synth, 2),
                                "band_and_pair_s": round(t1 - t0, 2), "prefilter_s": round(t2 - t1, 2)}
            res["options"][name] = row
            print(name, json.dumps(row), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "candidates.json").write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
