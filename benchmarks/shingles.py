"""Choose dedup's default shingles by measurement.

Data (evaluation-only licences: read at run time from ../shared/data, never copied into the repo):
COUNTER (Urdu wire story -> newspaper story, 600 pairs labelled WD / PD / ND) and the English
newshtml article bodies as unrelated background. For each candidate (char 3-8, word 1-5, and char
4-8 with separators removed) it measures on EXACT shingle sets recall@1 of the labelled source,
AUC reuse-vs-ND and score distributions (pairs and background); then, with dedup's own MinHash
signatures, what passes the verify rule and what becomes an LSH candidate.

    .venv/bin/python benchmarks/shingles.py [--quick] [--data DIR]

Writes benchmarks/results/shingles.json; the findings are in benchmarks/SHINGLES.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
import unicodedata
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
from datasketch.lsh import _optimal_param
from scipy import sparse
from scipy.stats import rankdata

from dedup.clean import clean_text
from dedup.verify import MIN_SHINGLES_FOR_CONTAINMENT, containment_both
from dedup.config import ClusterConfig, IndexConfig, ShingleConfig, SignConfig
from dedup.shingle import shingle_batch
from dedup.sign import sign_batch

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "benchmarks" / "results" / "shingles.json"
# (kind, size, spaces removed before shingling). The no-space rows are not a dedup
# option today: they test whether Urdu's inconsistent word spacing hurts char shingles.
CANDIDATES = ([("char", n, False) for n in range(3, 9)] + [("word", n, False) for n in range(1, 6)]
              + [("char", n, True) for n in range(4, 9)])
QUICK = [("char", 5, False), ("char", 6, False), ("word", 2, False), ("word", 5, False), ("char", 6, True)]
# dedup's current defaults: LSH threshold, min_similarity, min_containment (0.3, 0.5, 0.7 when measured)
DEFAULT = (IndexConfig().threshold, ClusterConfig().min_similarity, ClusterConfig().min_containment)
# (min_similarity, min_containment) shown in the verify table; the first one is dedup's default.
VERIFY = [DEFAULT[1:], (0.4, 0.6), (0.3, 0.5), (0.3, 0.7), (0.25, 0.7), (0.25, 0.8), (0.2, 0.7), (0.2, 0.8)]
LSH_THRESHOLDS = [0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5]
# (LSH threshold, min_similarity, min_containment) evaluated end to end for every candidate.
POINTS = [DEFAULT, (0.3, 0.4, 0.7), (0.3, 0.3, 0.7), (0.3, 0.3, 0.6), (0.25, 0.3, 0.7), (0.25, 0.25, 0.9)]
# Operating-point search (MinHash): maximise the share of WD+PD pairs found end to end (LSH AND
# verify), subject to ceilings on the verify rule alone and on LSH candidates among background pairs.
# bg_* verify ceilings allow ~1 newshtml pair and the few real (unlabelled) duplicates among the
# "unrelated" COUNTER pairs; the LSH ceiling bounds the work per query (0.5% of a 100k-doc window = 500).
GRID_MS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
GRID_MC = (0.5, 0.6, 0.7, 0.8, 0.9)
CEILING = {"ND": 0.05, "bg_counter": 2e-4, "bg_newshtml": 2e-4, "lsh_bg": 5e-3}
LABELS = ("WD", "PD", "ND")
GROUPS = (*LABELS, "bg_counter", "bg_newshtml")


@dataclass
class Corpus:
    texts: list[str]  # cleaned COUNTER bodies
    doc_ids: list[str]
    sha: np.ndarray  # body_sha1 per doc
    group: np.ndarray  # source_group_id per doc
    pairs: list[tuple[int, int, str]]  # (source index, derived index, label)
    bg_texts: list[str]  # cleaned newshtml English bodies
    ns_texts: list[str]  # the same two, separators removed
    ns_bg_texts: list[str]
    files: dict[str, str]  # data file -> sha1 (provenance, no text)


def load(data: Path) -> Corpus:
    counter, html = data / "counter", data / "newshtml"
    need = [counter / "documents.jsonl", counter / "pairs.jsonl", html / "truth.jsonl"]
    missing = [str(p) for p in need if not p.is_file()]
    if missing:
        sys.exit(f"shingles.py: evaluation data not found: {', '.join(missing)}\n"
                 f"Put COUNTER and newshtml under {data} or pass --data DIR.")
    docs = [json.loads(line) for line in need[0].open(encoding="utf-8")]
    pairs = [json.loads(line) for line in need[1].open(encoding="utf-8")]
    idx = {d["doc_id"]: i for i, d in enumerate(docs)}
    group_of = {p[k]: p["source_group_id"] for p in pairs for k in ("source_doc_id", "derived_doc_id")}
    html_docs = [json.loads(line) for line in need[2].open(encoding="utf-8")]
    texts = [clean_text(d["body"], title=d["headline"]).text for d in docs]
    bg_texts = [clean_text(h["expected_body"], title=h.get("title") or "").text
                for h in html_docs if h.get("language") == "en" and h.get("expected_body")]
    return Corpus(
        texts, [d["doc_id"] for d in docs], np.array([d["body_sha1"] for d in docs]),
        np.array([group_of[d["doc_id"]] for d in docs]),
        [(idx[p["source_doc_id"]], idx[p["derived_doc_id"]], p["label"]) for p in pairs],
        bg_texts, [word_chars_only(t) for t in texts], [word_chars_only(t) for t in bg_texts],
        {str(p.relative_to(data)): hashlib.sha1(p.read_bytes()).hexdigest() for p in need})


def word_chars_only(text: str) -> str:
    """Drop everything dedup's char shingles treat as a separator (the "ns" rows)."""
    return "".join(ch for ch in text if ch.isalnum() or ch == "_" or unicodedata.category(ch) in ("Mn", "Mc"))


def intersections(sets: list[np.ndarray]) -> np.ndarray:
    """Exact |A ∩ B| for every pair of shingle sets, as a dense int matrix."""
    ids = np.unique(np.concatenate(sets), return_inverse=True)[1]
    indptr = np.concatenate([[0], np.cumsum([s.size for s in sets])])
    x = sparse.csr_matrix((np.ones(ids.size, np.int32), ids, indptr), shape=(len(sets), int(ids.max()) + 1))
    return (x @ x.T).toarray()


def quantiles(v: np.ndarray, qs: tuple[float, ...] = (0.1, 0.5, 0.9)) -> list[float]:
    return [round(float(q), 4) for q in np.quantile(v, qs)] if v.size else []


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Mann-Whitney AUC, ties counted half."""
    r = rankdata(np.concatenate([pos, neg]))
    return float((r[: pos.size].sum() - pos.size * (pos.size + 1) / 2) / (pos.size * neg.size))


def recall_at_1(score: np.ndarray, c: Corpus, label: str, pool: np.ndarray) -> float:
    """Share of derived docs whose labelled source outranks every other doc in ``pool``
    (ties with a byte-identical copy of the source count as correct)."""
    hits = []
    for s, d, lab in c.pairs:
        if lab != label:
            continue
        row = np.where(pool, score[d], -np.inf)
        row[d] = -np.inf
        rivals = row[c.sha != c.sha[s]]
        hits.append(row[s] > (rivals.max() if rivals.size else -np.inf))
    return float(np.mean(hits))


def minhash_matrices(sigs: np.ndarray, thresholds: list[float]) -> tuple[np.ndarray, dict[float, np.ndarray]]:
    """Estimated Jaccard of all pairs and, per LSH threshold, the candidate matrix
    (candidate iff any band of r rows is fully equal, bands/rows as datasketch picks)."""
    k = sigs.shape[1]
    eq = [sigs[:, j, None] == sigs[None, :, j] for j in range(k)]
    est = np.sum(eq, axis=0, dtype=np.float32) / k
    cand = {}
    for t in thresholds:
        b, r = _optimal_param(t, k, 0.5, 0.5)
        m = np.zeros_like(eq[0])
        for band in range(b):
            m |= np.logical_and.reduce(eq[band * r : (band + 1) * r])
        cand[t] = m
    return est, cand


def smaller_in_larger(est_j: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Est. containment of the smaller set in the larger, from dedup.verify.containment_both
    (0 when the smaller set is below its MIN_SHINGLES_FOR_CONTAINMENT guard)."""
    a, b = np.broadcast_arrays(size[:, None].astype(float), size[None, :].astype(float))
    c_ab, c_ba = containment_both(est_j.astype(float), a, b)
    return np.where(np.minimum(a, b) >= MIN_SHINGLES_FOR_CONTAINMENT, np.where(a <= b, c_ab, c_ba), 0.0)


def measure(kind: str, n: int, nospace: bool, c: Corpus, reps: int) -> dict:
    cfg, scfg = ShingleConfig(kind=kind, size=n), SignConfig()
    texts, bg_texts = (c.ns_texts, c.ns_bg_texts) if nospace else (c.texts, c.bg_texts)
    times = []
    for _ in range(reps):  # the pipeline's own bulk path
        t0 = time.perf_counter()
        batch = shingle_batch(texts, cfg)
        t1 = time.perf_counter()
        sigs = sign_batch(batch, scfg)
        times.append((t1 - t0, time.perf_counter() - t1))
    sets = [batch.get(i) for i in range(len(batch))]
    size = np.array([s.size for s in sets])
    inter = intersections(sets)
    jac = inter / np.maximum(size[:, None] + size[None, :] - inter, 1)
    cont = inter / np.maximum(size[:, None], 1)  # cont[i, j] = |i ∩ j| / |i|
    maxc = np.maximum(cont, cont.T)
    src, der, lab = (np.array(v) for v in zip(*c.pairs))
    reuse = lab != "ND"
    everything, sources = np.ones(len(texts), bool), np.array([not i.endswith("p") for i in c.doc_ids])
    out: dict = {
        "name": f"{kind}{n}{'ns' if nospace else ''}", "kind": kind, "size": n, "spaces_removed": nospace,
        "median_shingles": float(np.median(size)),
        "seconds": {"shingle": round(min(t[0] for t in times), 3), "sign": round(min(t[1] for t in times), 3)},
        "recall_at_1": {f"{m}_{p}_{L}": round(recall_at_1(sc, c, L, pool), 4)
                        for m, sc in (("containment", cont), ("jaccard", jac))
                        for p, pool in (("all", everything), ("sources", sources)) for L in ("WD", "PD")},
        "auc": {k: round(auc(sc[der, src][reuse], sc[der, src][~reuse]), 4)
                for k, sc in (("containment", cont), ("jaccard", jac), ("max_containment", maxc))},
        "pairs": {L: {"jaccard_p10_p50_p90": quantiles(jac[der, src][lab == L]),
                      "containment_p10_p50_p90": quantiles(cont[der, src][lab == L]),
                      "max_containment_p10_p50_p90": quantiles(maxc[der, src][lab == L])} for L in LABELS},
    }
    # Background 1: every COUNTER pair from different source groups, byte-identical bodies excluded.
    iu = np.triu_indices(len(c.texts), 1)
    unrelated = (c.group[iu[0]] != c.group[iu[1]]) & (c.sha[iu[0]] != c.sha[iu[1]])
    bi, bj = iu[0][unrelated], iu[1][unrelated]
    # Background 2: every pair of newshtml English bodies.
    bbatch = shingle_batch(bg_texts, cfg)
    bsets = [bbatch.get(i) for i in range(len(bbatch))]
    bsize = np.array([s.size for s in bsets])
    binter = intersections(bsets)
    hu = np.triu_indices(len(bsets), 1)
    bjac = binter / np.maximum(bsize[:, None] + bsize[None, :] - binter, 1)
    bmaxc = binter / np.maximum(np.minimum(bsize[:, None], bsize[None, :]), 1)
    top = np.argsort(-jac[bi, bj])[:5]
    out["background"] = {
        "counter_unrelated": {"n_pairs": int(bi.size),
                              "jaccard_p50_p99_p999_max": quantiles(jac[bi, bj], (0.5, 0.99, 0.999, 1.0)),
                              "max_containment_p50_p99_p999_max": quantiles(maxc[bi, bj], (0.5, 0.99, 0.999, 1.0)),
                              "top_jaccard_doc_ids": [[c.doc_ids[bi[t]], c.doc_ids[bj[t]], round(float(jac[bi[t], bj[t]]), 3)]
                                                      for t in top]},
        "newshtml_en": {"n_pairs": int(hu[0].size),
                        "jaccard_p50_p99_p999_max": quantiles(bjac[hu], (0.5, 0.99, 0.999, 1.0)),
                        "max_containment_p50_p99_p999_max": quantiles(bmaxc[hu], (0.5, 0.99, 0.999, 1.0))},
    }
    # MinHash (num_perm=128): verify rule and LSH candidacy.
    est, cand = minhash_matrices(sigs, LSH_THRESHOLDS)
    best, bcand = minhash_matrices(sign_batch(bbatch, scfg), LSH_THRESHOLDS)
    econt, becont = smaller_in_larger(est, size), smaller_in_larger(best, bsize)
    where = dict(zip(GROUPS, [(src[lab == L], der[lab == L]) for L in LABELS] + [(bi, bj), hu]))
    reuse_n = int(reuse.sum())

    def rate(mask: np.ndarray, bmask: np.ndarray) -> dict[str, float]:
        return {g: round(float((bmask if g == "bg_newshtml" else mask)[ij].mean()), 5) for g, ij in where.items()}

    def point(t: float, ms: float, mc: float) -> dict:
        ok, bok = (est >= ms) | (econt >= mc), (best >= ms) | (becont >= mc)
        r, lsh = rate(ok & cand[t], bok & bcand[t]), rate(cand[t], bcand[t])
        found = (r["WD"] * (lab == "WD").sum() + r["PD"] * (lab == "PD").sum()) / reuse_n
        return {"threshold": t, "min_similarity": ms, "min_containment": mc, "reuse_found": round(found, 4),
                "end_to_end": r, "verify_only": rate(ok, bok), "lsh_bg": max(lsh["bg_counter"], lsh["bg_newshtml"])}

    ok, bok = (est >= DEFAULT[1]) | (econt >= DEFAULT[2]), (best >= DEFAULT[1]) | (becont >= DEFAULT[2])
    out["default_rule_bg_passes"] = {  # [smaller size, larger size, est J, est smaller-in-larger C, exact C]
        g: [[int(min(sz[i], sz[j])), int(max(sz[i], sz[j])), round(float(e[i, j]), 3), round(float(ec[i, j]), 2),
             round(float(x[i, j]), 2)] for i, j in zip(ii[m[ii, jj]], jj[m[ii, jj]])][:20]
        for g, m, (ii, jj), sz, e, ec, x in (("bg_counter", ok, (bi, bj), size, est, econt, maxc),
                                             ("bg_newshtml", bok, hu, bsize, best, becont, bmaxc))}

    def allowed(p: dict) -> bool:  # the verify rule must hold the ceilings by itself, not thanks to LSH misses
        v = p["verify_only"]
        return p["lsh_bg"] <= CEILING["lsh_bg"] and all(v[g] <= CEILING[g] for g in ("ND", "bg_counter", "bg_newshtml"))

    grid = sorted((point(t, ms, mc) for t in LSH_THRESHOLDS for ms in GRID_MS for mc in GRID_MC),
                  key=lambda p: -p["reuse_found"])
    out["verify_only"] = [{"min_similarity": ms, "min_containment": mc,
                           "pass": rate((est >= ms) | (econt >= mc), (best >= ms) | (becont >= mc))} for ms, mc in VERIFY]
    out["lsh_candidates"] = [{"threshold": t, "bands_rows": list(_optimal_param(t, scfg.num_perm, 0.5, 0.5)),
                              "rate": rate(cand[t], bcand[t])} for t in LSH_THRESHOLDS]
    out["points"] = [point(*p) for p in POINTS]
    out["best_points"] = [p for p in grid if allowed(p)][:5]
    return out


def table(title: str, head: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    print(f"\n{title}")
    for row in (head, *rows):
        print("  ".join(str(v).rjust(w) for v, w in zip(row, widths)))


def rates(r: dict[str, float]) -> str:
    return "/".join(f"{r[g]:.2f}" if g in LABELS else f"{r[g]:.4f}" for g in GROUPS)


def print_tables(results: list[dict]) -> None:
    rc = [(m, p, L) for m in ("containment", "jaccard") for p in ("all", "sources") for L in ("WD", "PD")]
    table("1. Exact sets: recall@1 of the labelled source (c = containment |D∩S|/|D|, j = Jaccard; "
          "ranked among all docs | sources only); AUC reuse vs ND; cost",
          ["shingle", "n/doc", "shingle s", "sign s", *(f"{m[0]}-{p[:3]}-{L}" for m, p, L in rc),
           "AUC c", "AUC j", "AUC maxc"],
          [[r["name"], int(r["median_shingles"]), r["seconds"]["shingle"], r["seconds"]["sign"],
            *(f"{r['recall_at_1'][f'{m}_{p}_{L}']:.3f}" for m, p, L in rc),
            *(f"{r['auc'][k]:.3f}" for k in ("containment", "jaccard", "max_containment"))] for r in results])
    q = "/".join
    table("2. Exact Jaccard p10/p50/p90 per label; max-containment p50 per label; "
          "background Jaccard and max-containment p50/p99/max",
          ["shingle", "J WD", "J PD", "J ND", "maxC WD/PD/ND", "bg-COUNTER J", "bg-COUNTER maxC", "bg-en J", "bg-en maxC"],
          [[r["name"], *(q(f"{v:.2f}" for v in r["pairs"][L]["jaccard_p10_p50_p90"]) for L in LABELS),
            q(f"{r['pairs'][L]['max_containment_p10_p50_p90'][1]:.2f}" for L in LABELS),
            *(q(f"{v:.3f}" for v in (b[0], b[1], b[3])) for k in ("counter_unrelated", "newshtml_en")
              for b in (r["background"][k]["jaccard_p50_p99_p999_max"], r["background"][k]["max_containment_p50_p99_p999_max"]))]
           for r in results])
    legend = "shares of WD/PD/ND/bg-COUNTER/bg-en pairs"
    table(f"3. MinHash(128) verify rule alone (est. J >= ms or smaller-in-larger est. C >= mc): {legend}",
          ["shingle", *(f"ms={ms} mc={mc}" for ms, mc in VERIFY)],
          [[r["name"], *(rates(v["pass"]) for v in r["verify_only"])] for r in results])
    table(f"4. MinHash(128) LSH candidates by threshold (bands x rows from datasketch): {legend}",
          ["shingle", *(f"t={x['threshold']} {x['bands_rows'][0]}x{x['bands_rows'][1]}" for x in results[0]["lsh_candidates"])],
          [[r["name"], *(rates(x["rate"]) for x in r["lsh_candidates"])] for r in results])
    table(f"5. End to end (LSH candidate AND verify) at fixed points t/ms/mc (first = dedup's defaults): "
          f"share of WD+PD found; {legend}",
          ["shingle", *(f"t={t} ms={ms} mc={mc}" for t, ms, mc in POINTS)],
          [[r["name"], *(f"{p['reuse_found']:.3f}: {rates(p['end_to_end'])}" for p in r["points"])] for r in results])
    table(f"6. Best grid point (t x ms x mc) end to end, the verify rule alone and LSH within the ceilings {CEILING}",
          ["shingle", "t", "ms", "mc", "WD+PD found", legend, "verify alone: " + legend, "LSH bg rate"],
          [[r["name"], *((b["threshold"], b["min_similarity"], b["min_containment"], b["reuse_found"],
                          rates(b["end_to_end"]), rates(b["verify_only"]), f"{b['lsh_bg']:.4f}")
                         if (b := (r["best_points"] or [None])[0]) else ["-"] * 7)] for r in results])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help=f"only {len(QUICK)} candidates, one timing run")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"data directory (default {DEFAULT_DATA})")
    args = ap.parse_args()
    t0 = time.perf_counter()
    corpus = load(args.data)
    load_seconds = time.perf_counter() - t0
    # Load (or compile) the numba kernels before anything is timed.
    sign_batch(shingle_batch(corpus.texts[:64], ShingleConfig()), SignConfig())
    results = []
    for kind, n, nospace in QUICK if args.quick else CANDIDATES:
        results.append(measure(kind, n, nospace, corpus, reps=1 if args.quick else 3))
        print(f"measured {results[-1]['name']}", file=sys.stderr)
    print_tables(results)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": "python benchmarks/shingles.py" + (" --quick" if args.quick else ""),
        "machine": {"arch": platform.uname().machine, "nproc": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "versions": {p: version(p) for p in ("dedup", "numpy", "numba", "datasketch", "xxhash", "scipy")},
        "data": corpus.files, "n_docs": len(corpus.texts), "n_pairs": len(corpus.pairs),
        "n_background_newshtml_en": len(corpus.bg_texts), "load_and_clean_seconds": round(load_seconds, 3),
        "git": subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                              capture_output=True, text=True).stdout.strip(),
        "notes": "timing: shingle_batch, then sign_batch, of the 1200 COUNTER docs (best of reps), num_perm=128, "
                 "all cores; counter background = all pairs from different source groups with different body_sha1.",
    }
    OUT.write_text(json.dumps({"meta": meta, "results": results}, indent=1, ensure_ascii=False) + "\n")
    print(f"\nwrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
