"""Peak memory of dedup: `dedup index` at scale (news-length and tiny articles), `dedup export`,
and one very large article; optionally, where in an index run the peak is.

    .venv/bin/python benchmarks/memory.py --n 100000                 # 100k news-length and tiny
    .venv/bin/python benchmarks/memory.py --n 1000000 --workdir /tmp/m  # 1M (about 10 min each)
    .venv/bin/python benchmarks/memory.py --n 100000 --phases        # peak RSS per phase, in-process

Synthetic articles (synth.py: 300-800 words, or 9-20 for "tiny": one or two lines) are generated into a temporary
directory (or --workdir, where a corpus already written is reused), never stored in the repo.
The peak of a command is GNU time's maximum resident set size of its largest process (the
background reader is a process of its own). ``--phases`` runs the index in this process with
one worker and samples its RSS every 5 ms, naming the stage running at each sample. Results go
to benchmarks/results/memory.json (merged with what is there, by step).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402
from speed import BIN, run_timed, store_bytes  # noqa: E402

KINDS = {"normal": (300, 800), "tiny": (9, 20)}


def _rss_kib() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


class PhaseSampler:
    """Samples this process's RSS on a thread; :meth:`phase` names what runs meanwhile."""

    def __init__(self, interval: float = 0.005) -> None:
        self.stack: list[str] = ["start"]
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self._note()

    def _note(self) -> None:
        name, rss = self.stack[-1], _rss_kib()
        if rss > self.peaks.get(name, 0):
            self.peaks[name] = rss

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        self._note()
        self.stack.append(name)
        try:
            yield
        finally:
            self._note()
            self.stack.pop()

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        fn: Callable[..., Any] = getattr(owner, attr)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with self.phase(name):
                return fn(*args, **kwargs)

        setattr(owner, attr, wrapped)

    def __enter__(self) -> PhaseSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def phases(corpus: Path, store: Path) -> dict[str, float]:
    """Peak RSS (MiB) of each stage of one in-process ``index_corpus`` (1 worker)."""
    from dedup import cluster, pipeline
    from dedup.config import Config
    from dedup.store import sqlite

    with PhaseSampler() as s:
        for owner, attr, name in [
            (sqlite.SQLiteStore, "write_articles", "load: write"),
            (pipeline, "shingle_batch", "load: shingle"),
            (pipeline, "learn_boilerplate", "load: boilerplate"),
            (sqlite.SQLiteStore, "seal_index", "seal"),
            (sqlite.SQLiteStore, "candidates", "cluster: candidates"),
            (sqlite.SQLiteStore, "signatures", "cluster: signatures"),
            (cluster, "verified_pairs", "cluster: verify"),
            (cluster, "_components_of", "cluster: components"),
            (sqlite.SQLiteStore, "assign", "cluster: assign"),
            (pipeline, "cluster_pending", "cluster: other"),
        ]:
            s.wrap(owner, attr, name)
        with s.phase("index (other)"):
            pipeline.index_corpus([str(corpus)], Config(store=store, progress=False, workers=1))
    return {k: round(v / 1024) for k, v in s.peaks.items()}


def corpus_for(work: Path, kind: str, n: int) -> Path:
    path = work / f"corpus-{kind}-{n}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        synth.write_jsonl(str(tmp), n, words=KINDS[kind])
        tmp.replace(path)
    return path


def big_article(work: Path, megabytes: float) -> Path:
    """One article of about ``megabytes`` MB of text (synthetic paragraphs repeated with variation)."""
    path = work / f"big-{megabytes:g}mb.jsonl"
    if not path.exists():
        paras = [str(r["text"]) for r in synth.articles(200, seed=3)]
        parts, size, i = [], 0, 0
        while size < megabytes * 1e6:
            p = f"{i} {paras[i % len(paras)]}"
            parts.append(p)
            size += len(p) + 2
            i += 1
        rec = {"id": "big-1", "url": "https://www.big.example/1", "published_at": "2026-11-24T10:00:00Z",
               "title": "A very long article", "text": "\n\n".join(parts)}
        path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="articles per corpus [default: 100,000]")
    ap.add_argument("--kinds", default="normal,tiny", help="which corpora: normal, tiny or both [default: both]")
    ap.add_argument("--workdir", type=Path, default=None, help="where corpora and stores go [default: a temporary directory]")
    ap.add_argument("--phases", action="store_true", help="peak RSS per stage, in-process, instead of the commands")
    ap.add_argument("--no-export", action="store_true", help="skip `dedup export --what articles`")
    ap.add_argument("--big-mb", type=float, default=0, help="also index one article of this many MB into a fresh store")
    ap.add_argument("--reuse", action="store_true", help="measure the exports of a store already in --workdir (no index run)")
    ap.add_argument("--keep", action="store_true", help="keep the stores in --workdir")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "memory.json")
    args = ap.parse_args()
    tmp = None if args.workdir else tempfile.TemporaryDirectory(prefix="dedup-memory-")
    work = args.workdir or Path(tmp.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    steps: dict[str, object] = {}
    try:
        for kind in [k for k in args.kinds.split(",") if k]:
            corpus = corpus_for(work, kind, args.n)
            store = work / f"store-{kind}-{args.n}"
            reuse = args.reuse and store.exists() and not args.phases
            if not reuse:
                shutil.rmtree(store, ignore_errors=True)
            if args.phases:
                steps[f"phases {kind} {args.n}"] = r = phases(corpus, store)
                print(kind, r, flush=True)
                save(args.out, steps)
                continue
            if not reuse:
                wall, rss, _ = run_timed([str(BIN), "index", "--quiet", "--store", str(store), str(corpus)])
                steps[f"index {kind} {args.n}"] = r = {"articles": args.n, "seconds": round(wall, 1), "peak_rss_mib": round(rss / 1024),
                                                      "store_mib": round(store_bytes(store) / 2**20)}
                print(f"index {kind} {args.n}", r, flush=True)
                save(args.out, steps)
            if not args.no_export:
                for fmt in ("jsonl", "parquet"):
                    out = work / f"export-{kind}.{fmt}"
                    wall, rss, _ = run_timed([str(BIN), "export", "--store", str(store), "--what", "articles",
                                              "--format", fmt, "--out", str(out)])
                    steps[f"export articles {fmt} {kind} {args.n}"] = r = {
                        "seconds": round(wall, 1), "peak_rss_mib": round(rss / 1024), "output_mib": round(out.stat().st_size / 2**20)}
                    print(f"export {fmt} {kind} {args.n}", r, flush=True)
                    save(args.out, steps)
                    out.unlink()
            if not args.keep:
                shutil.rmtree(store, ignore_errors=True)
        if args.big_mb:
            big = big_article(work, args.big_mb)
            store = work / "store-big"
            shutil.rmtree(store, ignore_errors=True)
            wall, rss, _ = run_timed([str(BIN), "index", "--quiet", "--store", str(store), str(big)])
            steps[f"index one {args.big_mb:g} MB article"] = r = {"bytes": big.stat().st_size, "seconds": round(wall, 1),
                                                                  "peak_rss_mib": round(rss / 1024)}
            print(f"one {args.big_mb:g} MB article", r, flush=True)
            shutil.rmtree(store, ignore_errors=True)
        save(args.out, steps)
    finally:
        if tmp is not None:
            tmp.cleanup()
    print(f"wrote {args.out}")


def save(out: Path, steps: dict[str, object]) -> None:
    """Merge ``steps`` into the results file (after every step: a 1M run is long)."""
    old = json.loads(out.read_text()) if out.exists() else {}
    old.setdefault("steps", {}).update(steps)
    old["date"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    old["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}
    command = " ".join(["benchmarks/memory.py", *sys.argv[1:]])
    old["commands"] = [c for c in old.get("commands", []) if c != command] + [command]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(old, indent=2) + "\n")


if __name__ == "__main__":
    main()
