"""How well and how fast dedup reads raw HTML pages, measured on newshtml.

Data (evaluation only, read at run time, never copied into the repo):
``../shared/data/newshtml`` — 294 real news pages from 246 outlets in 35
languages with human ground truth (see its README.txt). Every page goes
through dedup's own read stage (:func:`dedup.read.html.extract_in_order`, the
code ``dedup index`` runs), once with the page's URL known (as from a WARC
record or a ``url`` field) and once from the HTML alone (canonical link).

Scores, as that set's README defines them:

* publication date: the page-local calendar date of ``published_raw`` equals
  ``expected_date`` (exact), or is at most one day off (152 pages);
* body: the article-extraction-benchmark metric — token 4-gram shingle
  multisets, per-page precision and recall normalised by the page's shingle
  count, averaged over pages, F1 of the two means (142 ``aeb`` pages);
* title: token F1 (lower-cased ``\\w+`` tokens, bag of words), mean over the
  78 pages with a title;
* outlet: the registered domain equals the truth's (294 pages);
* language: equals the truth's code (294; the truth is py3langid on extracted
  text for most pages, so this mostly checks that nothing is lost);
* pages/s: wall time of the extraction over all pages with ``--workers``
  processes, after a warm-up.

    .venv/bin/python benchmarks/html_extract.py [--workers 2] [--data DIR] [--out FILE]

Writes benchmarks/results/html_extract.json; see benchmarks/HTML.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import sys
import time
from collections import Counter
from datetime import date
from importlib.metadata import version
from pathlib import Path

from dedup.model import Article, Rejected
from dedup.read.html import Page, extract_in_order

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "newshtml"
_TOKEN = re.compile(r"\w+")


# -- metrics ---------------------------------------------------------------------

def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def body_scores(truth: str, pred: str) -> tuple[float | None, float | None]:
    """(precision, recall) of one page by the article-extraction-benchmark rule;
    None where that rule leaves the page out of the mean."""
    t, p = _shingles(truth), _shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    s = tp + fp + fn
    if s:
        tp, fp, fn = tp / s, fp / s, fn / s
    if fp == fn == 0:
        return 1.0, 1.0
    precision = None if tp + fp == 0 else tp / (tp + fp)
    recall = None if tp + fn == 0 else tp / (tp + fn)
    return precision, recall


def token_f1(truth: str, pred: str) -> float:
    t = Counter(_TOKEN.findall(truth.casefold()))
    p = Counter(_TOKEN.findall((pred or "").casefold()))
    overlap = sum((t & p).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(t.values())
    return 2 * precision * recall / (precision + recall)


def local_date(a: Article | None) -> str | None:
    """The calendar date as the page states it (published_raw keeps the page's own offset)."""
    if a is None or not a.published_raw:
        return None
    return a.published_raw[:10]


# -- run -------------------------------------------------------------------------

def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the pool's workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def extract(rows: list[dict], data: Path, workers: int, with_url: bool) -> tuple[dict[str, Article | Rejected], float, float]:
    """(results by page id, wall seconds, CPU seconds) of one pass over the pages."""
    pages = [
        Page(source=r["id"], html=(data / r["file"]).read_bytes(), url=r["url"] if with_url else "")
        for r in rows
    ]
    started, cpu = time.perf_counter(), _cpu()
    out: dict[str, Article | Rejected] = {}
    for item in extract_in_order(pages, workers=workers):  # the pool is shut down (workers reaped) at the end
        if isinstance(item, (Article, Rejected)):
            out[item.source] = item
    return out, time.perf_counter() - started, _cpu() - cpu


def score(rows: list[dict], got: dict[str, Article | Rejected]) -> dict[str, object]:
    def art(r: dict) -> Article | None:
        a = got.get(r["id"])
        return a if isinstance(a, Article) else None

    res: dict[str, object] = {}
    rejected = {r["id"]: got[r["id"]].reason for r in rows if isinstance(got.get(r["id"]), Rejected)}  # type: ignore[union-attr]
    res["pages"] = len(rows)
    res["rejected"] = rejected

    dated = [r for r in rows if r.get("expected_date")]
    exact = within = with_time = 0
    misses = []
    for r in dated:
        a = art(r)
        d = local_date(a)
        if d == r["expected_date"]:
            exact += 1
        else:
            misses.append({"id": r["id"], "expected": r["expected_date"], "got": a.published_raw if a else None})
        if d and abs((date.fromisoformat(d) - date.fromisoformat(r["expected_date"])).days) <= 1:
            within += 1
        if a and a.published_raw and len(a.published_raw) > 10:
            with_time += 1
    res["date"] = {
        "n": len(dated), "exact": exact, "exact_rate": round(exact / len(dated), 4),
        "within_1_day_rate": round(within / len(dated), 4), "with_time_of_day": with_time, "misses": misses,
    }
    precision, recall, f1s = [], [], []
    for r in rows:
        if not r.get("expected_body"):
            continue
        a = art(r)
        p, rc = body_scores(r["expected_body"], a.text if a else "")
        if p is not None:
            precision.append(p)
        if rc is not None:
            recall.append(rc)
        if p is not None and rc is not None and p + rc:
            f1s.append(2 * p * rc / (p + rc))
    pm, rm = statistics.mean(precision), statistics.mean(recall)
    res["body"] = {
        "n": len(recall), "precision": round(pm, 4), "recall": round(rm, 4), "f1": round(2 * pm * rm / (pm + rm), 4),
        "f1_page_median": round(statistics.median(f1s), 4),
    }
    titled = [r for r in rows if r.get("title")]
    scores = [(token_f1(r["title"], art(r).title if art(r) else ""), r) for r in titled]  # type: ignore[union-attr]
    res["title"] = {
        "n": len(titled), "token_f1": round(statistics.mean(s for s, _ in scores), 4),
        "exact_rate": round(sum(" ".join(_TOKEN.findall(r["title"].casefold())) == " ".join(_TOKEN.findall((art(r).title if art(r) else "").casefold())) for _, r in scores) / len(titled), 4),  # type: ignore[union-attr]
        "worst": [{"id": r["id"], "f1": round(s, 2), "truth": r["title"], "got": art(r).title if art(r) else None} for s, r in sorted(scores, key=lambda x: x[0])[:8]],  # type: ignore[union-attr]
    }
    outlet_ok = [r["id"] for r in rows if art(r) and art(r).outlet == r["outlet"]]  # type: ignore[union-attr]
    res["outlet"] = {"n": len(rows), "correct": len(outlet_ok), "rate": round(len(outlet_ok) / len(rows), 4),
                     "wrong": [{"id": r["id"], "expected": r["outlet"], "got": art(r).outlet if art(r) else None} for r in rows if r["id"] not in set(outlet_ok)]}  # type: ignore[union-attr]
    lang_ok = sum(1 for r in rows if art(r) and art(r).language == r["language"])  # type: ignore[union-attr]
    res["language"] = {"n": len(rows), "correct": lang_ok, "rate": round(lang_ok / len(rows), 4)}
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "html_extract.json")
    args = ap.parse_args()
    if not (args.data / "truth.jsonl").exists():
        print(f"no newshtml data at {args.data}", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in (args.data / "truth.jsonl").open(encoding="utf-8")]
    extract(rows[:8], args.data, args.workers, True)  # warm-up: imports, lru caches, pool start
    load = os.getloadavg()[0]
    with_url, seconds, cpu = extract(rows, args.data, args.workers, True)
    html_only, seconds_html_only, _ = extract(rows, args.data, args.workers, False)
    total_bytes = sum(r["bytes"] for r in rows)
    result = {
        "data": "newshtml (../shared/data/newshtml)",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "versions": {p: version(p) for p in ("trafilatura", "htmldate", "py3langid", "lxml", "tldextract")},
        "workers": args.workers,
        "speed": {
            "pages": len(rows), "seconds": round(seconds, 2), "pages_per_s": round(len(rows) / seconds, 1),
            "mb_per_s": round(total_bytes / seconds / 1e6, 2),
            "seconds_html_only": round(seconds_html_only, 2),
            # Wall time depends on what else runs on the machine; CPU time per page does not.
            "cpu_seconds": round(cpu, 2), "cpu_ms_per_page": round(1000 * cpu / len(rows), 1),
            "pages_per_s_if_cores_free": round(args.workers * len(rows) / cpu, 1),
            "load_average_before": round(load, 2),
        },
        "url_known": score(rows, with_url),
        "html_only": score(rows, html_only),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    u, h = result["url_known"], result["html_only"]
    sp = result["speed"]
    print(f"{len(rows)} pages, {args.workers} workers: {sp['pages_per_s']} pages/s wall (load {sp['load_average_before']}), "  # type: ignore[index]
          f"{sp['cpu_ms_per_page']} CPU ms/page = {sp['pages_per_s_if_cores_free']} pages/s with {args.workers} free cores")  # type: ignore[index]
    for name, r in (("url known", u), ("html only", h)):
        print(
            f"{name:>9}: date exact {r['date']['exact_rate']:.3f} (±1 day {r['date']['within_1_day_rate']:.3f}, "  # type: ignore[index]
            f"{r['date']['with_time_of_day']} with time)  body F1 {r['body']['f1']:.4f}  "  # type: ignore[index]
            f"title F1 {r['title']['token_f1']:.4f}  outlet {r['outlet']['rate']:.3f}  "  # type: ignore[index]
            f"language {r['language']['rate']:.3f}  rejected {len(r['rejected'])}"  # type: ignore[arg-type]
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
