"""Does ``dedup index`` stream a large gzipped WARC in bounded memory?

Generates a gzipped WARC of about ``--size-gb`` GB from the newshtml pages
(evaluation data, read at run time, never copied into the repo), each page
repeated under distinct URLs (``…?copy=N``), with a warcinfo record, a request
record before every response and a few non-HTML responses and redirects mixed
in — then runs ``dedup index`` on it in a child process with ``--workers`` and
samples the resident memory of the whole process tree (the indexer and its
extraction workers) every half second.

    .venv/bin/python benchmarks/warc_stream.py [--size-gb 1] [--workers 2] [--dir /tmp/dedup-warc-bench]

The archive and the store go to ``--dir`` (outside the repository). Writes
benchmarks/results/warc_stream.json; see benchmarks/HTML.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "newshtml"


def generate(data: Path, out: Path, size_bytes: int) -> dict[str, int]:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    rows = [json.loads(line) for line in (data / "truth.jsonl").open(encoding="utf-8")]
    pages = [(r["url"], (data / r["file"]).read_bytes()) for r in rows]
    counts = {"responses": 0, "html": 0, "other": 0, "rounds": 0, "uncompressed_html_bytes": 0}
    with out.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record(out.name, {"software": "dedup benchmarks/warc_stream.py"}))
        copy = 0
        while fh.tell() < size_bytes:
            copy += 1
            counts["rounds"] = copy
            for i, (url, html) in enumerate(pages):
                sep = "&" if "?" in url else "?"
                uri = f"{url}{sep}copy={copy}"
                req = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example")], is_http_request=True)
                writer.write_record(writer.create_warc_record(uri, "request", http_headers=req))
                http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(html), http_headers=http))
                counts["responses"] += 1
                counts["html"] += 1
                counts["uncompressed_html_bytes"] += len(html)
                if i % 50 == 0:  # page requisites and redirects, as a crawl has them
                    img = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
                    writer.write_record(writer.create_warc_record(uri + "&img=1", "response", payload=io.BytesIO(b"\x89PNG" + b"\0" * 2000), http_headers=img))
                    moved = StatusAndHeaders("301 Moved Permanently", [("Location", uri)], protocol="HTTP/1.1")
                    writer.write_record(writer.create_warc_record(uri.replace("https://", "http://", 1), "response", payload=io.BytesIO(b""), http_headers=moved))
                    counts["responses"] += 2
                    counts["other"] += 2
                if fh.tell() >= size_bytes:
                    break
    return counts


def _tree_rss(pid: int, field: str = "Rss:") -> int:
    """Resident bytes of ``pid`` and all its descendants: ``Rss:`` counts pages shared by
    forked workers once per process (an upper bound), ``Pss:`` shares them out."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith(field):
                        total += int(line.split()[1]) * 1024
            with open(f"/proc/{p}/task/{p}/children") as fh:
                todo.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def _stored(store: Path) -> int | None:
    """Articles committed so far (read-only, beside the writer: SQLite WAL allows it)."""
    import sqlite3

    db = store / "dedup.sqlite"
    if not db.exists():
        return None
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        n = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        con.close()
        return int(n)
    except sqlite3.Error:
        return None


def run_index(warc: Path, store: Path, workers: int, partial: Path | None = None) -> dict[str, object]:
    cmd = [sys.executable, "-m", "dedup", "index", "--quiet", "--store", str(store), "--workers", str(workers), str(warc)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples: list[tuple[float, int]] = []
    pss: list[int] = []
    progress: list[tuple[float, int]] = []
    done = threading.Event()

    def sample() -> None:
        last = 0.0
        while not done.is_set():
            now = time.perf_counter() - started
            samples.append((now, _tree_rss(proc.pid)))
            if now - last >= 30:  # a progress line: memory should stay flat as articles grow
                last = now
                pss.append(_tree_rss(proc.pid, "Pss:"))
                n = _stored(store)
                if n is not None:
                    progress.append((now, n))
                if partial is not None:
                    partial.write_text(json.dumps({
                        "partial": True, "seconds": round(now), "articles_committed": n,
                        "peak_rss_tree_mb": round(max(s for _, s in samples) / 2**20, 1),
                        "rss_now_mb": round(samples[-1][1] / 2**20, 1),
                        "progress": [{"s": round(t), "articles": a, "peak_rss_mb_so_far": round(max(x for w, x in samples if w <= t) / 2**20, 1)} for t, a in progress],
                    }, indent=1) + "\n")
            done.wait(0.5)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate()
    done.set()
    t.join()
    seconds = time.perf_counter() - started
    peak = max((s for _, s in samples), default=0)
    # The profile over time: flat means bounded (memory does not grow with the archive).
    profile = []
    for frac in (0.1, 0.25, 0.5, 0.75, 0.95):
        cut = [s for when, s in samples if when <= frac * seconds]
        profile.append({"at": frac, "peak_so_far_mb": round(max(cut, default=0) / 2**20, 1)})
    return {
        "command": " ".join(["dedup", *cmd[3:]]), "exit_code": proc.returncode, "seconds": round(seconds, 1),
        "peak_rss_tree_mb": round(peak / 2**20, 1), "peak_pss_tree_mb": round(max(pss, default=0) / 2**20, 1),
        "rss_profile": profile,
        "progress": [{"s": round(t), "articles": a, "peak_rss_mb_so_far": round(max(x for w, x in samples if w <= t) / 2**20, 1)} for t, a in progress],
        "stdout": out.strip().splitlines()[-6:],
        "stderr_tail": err.strip().splitlines()[-5:],
    }


def read_only(warc: Path) -> dict[str, object]:
    """Stream every record through dedup's WARC reader without extracting pages:
    the archive side of memory, on the whole archive, in a minute or two."""
    from dedup.read.html import Page
    from dedup.read.warc import read_warc

    started = time.perf_counter()
    peak = 0
    pages = other = 0
    with warc.open("rb") as fh:
        for i, item in enumerate(read_warc(fh, str(warc))):
            if isinstance(item, Page):
                pages += 1
            else:
                other += 1
            if i % 500 == 0:
                peak = max(peak, _tree_rss(os.getpid()))
    seconds = time.perf_counter() - started
    return {"pages": pages, "rejected": other, "seconds": round(seconds, 1),
            "records_per_s": round((pages + other) / seconds), "mb_per_s_compressed": round(warc.stat().st_size / seconds / 1e6, 1),
            "peak_rss_mb": round(peak / 2**20, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--size-gb", type=float, default=1.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/dedup-warc-bench"))
    ap.add_argument("--keep", action="store_true", help="keep the archive and store")
    ap.add_argument("--reuse", action="store_true", help="reuse an archive generated (and kept) before")
    ap.add_argument("--read-only", action="store_true", help="only stream the archive through the WARC reader (no extraction, no index)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "warc_stream.json")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    warc = args.dir / f"newshtml-x{args.size_gb:g}GB.warc.gz"
    store = args.dir / "store"
    t0 = time.perf_counter()
    counts_file = warc.with_suffix(".counts.json")
    reused = args.reuse and warc.exists() and counts_file.exists()
    if reused:
        counts = json.loads(counts_file.read_text())
    else:
        counts = generate(args.data, warc, int(args.size_gb * 1e9))
        counts_file.write_text(json.dumps(counts))
    gen_s = time.perf_counter() - t0
    print(f"{'reused' if reused else 'generated'} {warc} ({warc.stat().st_size / 1e9:.2f} GB, {counts['html']:,} HTML pages) in {gen_s:.0f} s", flush=True)
    if args.read_only:
        res_ro = read_only(warc)
        out = args.out.with_name(args.out.stem + "_read_only.json")
        out.write_text(json.dumps({"archive": {"path": str(warc), "bytes": warc.stat().st_size, **counts}, **res_ro}, indent=1) + "\n")
        print(json.dumps(res_ro))
        return 0
    subprocess.run(["rm", "-rf", str(store)], check=True)
    res = run_index(warc, store, args.workers, partial=args.out.with_suffix(".partial.json"))
    result = {
        "archive": {"path": str(warc), "bytes": warc.stat().st_size, **counts, "generate_seconds": round(gen_s, 1)},
        "workers": args.workers, "cpus": os.cpu_count(), **res,
        "pages_per_s": round(counts["html"] / res["seconds"], 1) if res["seconds"] else None,  # type: ignore[operator]
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("seconds", "peak_rss_tree_mb", "rss_profile", "pages_per_s", "exit_code")}, indent=1))
    if not args.keep:
        warc.unlink()
        counts_file.unlink()
        subprocess.run(["rm", "-rf", str(store)], check=True)
    return 0 if res["exit_code"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
