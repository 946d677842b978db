"""Plots of the measured figures (PNG, matplotlib's Agg backend), into benchmarks/plots/.

    .venv/bin/python benchmarks/plots.py

throughput.png     articles/s vs corpus size, per system and core count (benchmarks/results/peers.json;
                   hollow markers: timed on a prefix sample of the corpus, see PEERS.md)
query_latency.png  dedup query latency vs store size (peers.json's dedup-index runs and
                   benchmarks/results/speed*.json, whichever exist)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PLOTS = HERE / "plots"


def _load(name: str) -> dict | None:
    p = RESULTS / name
    return json.loads(p.read_text()) if p.is_file() else None


def throughput(plt, peers: dict, out: Path) -> None:
    series: dict[str, list[tuple[int, float, bool]]] = {}
    for name, row in peers["corpora"].items():
        if not name.startswith("synthetic-") or "systems" not in row:
            continue
        n = int(name.split("-")[1])
        for system, r in row["systems"].items():
            rate = r.get("sign_per_s") or r.get("index_per_s")
            if rate:
                series.setdefault(system, []).append((n, rate, r.get("articles_timed", n) < n))
    fig, ax = plt.subplots(figsize=(8.5, 5.5))
    colors = plt.get_cmap("tab20").colors
    for k, system in enumerate(sorted(series, key=lambda s: -max(r for _, r, _ in series[s]))):
        pts = sorted(series[system])
        line, = ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=system, color=colors[k % 20],
                        linestyle="--" if system.startswith("dedup-index") else "-")
        for n, rate, sampled in pts:
            if sampled:
                ax.plot([n], [rate], marker="o", markerfacecolor="white", color=line.get_color())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("corpus size (synthetic articles)")
    ax.set_ylabel("articles / s (median)")
    ax.set_title("MinHash signing throughput (char 5-grams, 128 perm); dashed: dedup index end to end\n"
                 f"{peers['date'][:10]}, 2 shared cores; hollow = timed on a sample of the corpus", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def latency(plt, peers: dict | None, speeds: list[dict], out: Path) -> bool:
    cold, api = [], []
    if peers:
        for name, row in peers["corpora"].items():
            q = row.get("systems", {}).get("dedup-index@2", {}).get("query")
            if q and name.startswith("synthetic-"):
                n = int(name.split("-")[1])
                cold.append((n, q["cold_cli_median_s"] * 1000))
                api.append((n, q["api_p50_ms"]))
    cold_speed = []
    for sp in speeds:
        for n, row in sp.get("sizes", {}).items():
            if "query" in row:
                cold_speed.append((int(n), row["query"]["cold_median_s"] * 1000))
    if not (cold or api or cold_speed):
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for pts, label in ((sorted(cold), "cold `dedup query` (new process), peers.py run"),
                       (sorted(api), "pipeline.query in process, p50, peers.py run"),
                       (sorted(set(cold_speed)), "cold `dedup query`, speed.py runs")):
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("articles in the store")
    ax.set_ylabel("latency (ms)")
    ax.set_title("dedup query latency vs store size (2 shared cores)", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return True


def main() -> None:
    try:
        import matplotlib
    except ImportError:
        print("plots.py: matplotlib is not installed (pip install -e '.[bench]'); no plots drawn")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    PLOTS.mkdir(exist_ok=True)
    peers = _load("peers.json") or _load("peers-quick.json")
    speeds = [s for s in (_load("speed.json"), _load("speed-quick.json")) if s]
    if peers:
        throughput(plt, peers, PLOTS / "throughput.png")
        print(f"wrote {PLOTS / 'throughput.png'}")
    else:
        print("plots.py: no benchmarks/results/peers.json yet (run benchmarks/peers.py)", file=sys.stderr)
    if latency(plt, peers, speeds, PLOTS / "query_latency.png"):
        print(f"wrote {PLOTS / 'query_latency.png'}")


if __name__ == "__main__":
    main()
