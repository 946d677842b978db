"""Fault injection: SIGKILL `dedup index` at random points, then check that the
next run completes the store to exactly what an uninterrupted run gives.

    .venv/bin/python benchmarks/faults.py              # 50 kills of a 20k run (~10-15 min on 2 cores)
    .venv/bin/python benchmarks/faults.py --quick      # 5 kills of a 5k run (~1 min)
    .venv/bin/python benchmarks/faults.py --kills 20 --seed 3 --articles 10000

A synthetic corpus (synth.py) is generated into a temporary directory. Two
references are built by uninterrupted runs: ``fresh`` (the whole corpus into an
empty store) and ``incremental`` (the whole corpus into a store that already
holds its first half). Each kill alternates between the two kinds: it starts
`dedup index` on a fresh store (or a copy of the half store), SIGKILLs it after a
random delay, gives the processes it started (the background reader, page
workers) 5 s to go (then kills them, and counts them as left over), re-runs
`dedup index` to completion and compares the store with its kind's reference:

- integrity: ``PRAGMA integrity_check``, every article has a membership, nothing pending,
  and ``dedup check`` finds no damage (where this dedup has the command);
- articles: ids and record hashes; content: shingle counts, signatures, stripped lines;
- stories: membership as a partition; story ids: the id of each story;
- boilerplate: the outlet tables (articles counted per outlet, articles per line),
  what ``dedup outlets`` shows and what cleaning strips;
- queries: the answers to a few ``query --id`` (the LSH segments);
- leftover: processes of the killed run still alive 5 s after the kill.

Kill points are spread over the four phases of a run (reading, writing,
sealing, clustering): a random moment of the aimed-at phase in the reference
run's timing (its nth stretch, so many seconds in), taken from the moment the
killed run itself reports entering that stretch, so that the kill follows the
run's real pace on a busy machine. The killed run is `dedup index` started
through this script's ``--probe`` mode: dedup's own CLI, which also writes one
line to standard error on entering and leaving the store's write steps and
clustering; the phase a run was in when killed is the one it reported last.
The re-run is the plain `dedup index`. Results go to
benchmarks/results/faults.json (faults-quick.json with --quick).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402

BIN = Path(sys.executable).parent / "dedup"
PROBE = "--probe"
EVENT = "@phase"
# What the probe reports, and the phase of a run it belongs to.
PHASE_OF = {"start": "startup", "read": "reading", "count": "writing", "sign": "writing", "write": "writing",
            "seal": "sealing", "cluster": "clustering", "assign": "clustering", "done": "done"}
TARGETS = ("reading", "writing", "sealing", "clustering")
KINDS = ("fresh", "incremental")
CHECKS = ("integrity", "articles", "content", "stories", "story_ids", "boilerplate", "queries")
GRACE = 5.0  # seconds the killed run's other processes get to notice and exit
QUERIES = 5  # articles queried per check


# -- the probe: dedup's CLI, saying which step it is in ---------------------------------------


def _probe(argv: list[str]) -> None:
    """Run ``dedup`` with ``argv``, writing ``@phase NAME T`` to standard error on
    entering and leaving each step (T: the monotonic clock, shared by all processes)."""
    import dedup.cli
    import dedup.pipeline as pipeline
    from dedup.store import SQLiteStore

    def event(name: str) -> None:
        os.write(2, f"{EVENT} {name} {time.monotonic():.4f}\n".encode())

    def hook(owner: Any, name: str, enter: str, leave: str | None = None) -> None:
        fn = getattr(owner, name, None)
        if fn is None:  # a step this version of dedup does not have
            return

        @functools.wraps(fn)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            event(enter)
            try:
                return fn(*args, **kwargs)
            finally:
                if leave:
                    event(leave)

        setattr(owner, name, wrapped)

    hook(SQLiteStore, "lock_writer", "start", "read")
    # A batch: its boilerplate counted (committed on its own before dedup 7b4c4be, with the
    # articles since), then cleaned and signed, then written.
    hook(pipeline, "learn_boilerplate", "count", "sign")
    hook(SQLiteStore, "count_lines", "count", "sign")
    hook(SQLiteStore, "write_articles", "write", "read")
    hook(SQLiteStore, "end_bulk", "seal")
    hook(SQLiteStore, "seal_index", "seal")
    hook(pipeline, "cluster_pending", "cluster", "done")
    hook(SQLiteStore, "assign", "assign")
    event("start")
    sys.argv = ["dedup", *argv]
    dedup.cli.main()


# -- processes ---------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, session) of a process, None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return fields[0], int(fields[3])


def session_alive(sid: int) -> list[int]:
    """Live (not zombie) processes of a session: what a run started, wherever re-parented."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))) is not None and st[1] == sid and st[0] != "Z":
            pids.append(int(entry))
    return pids


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()[:200]
    except OSError:
        return ""


def _kill_session(sid: int) -> None:
    # Only what this script started: the session's processes, by pid.
    for pid in session_alive(sid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    while session_alive(sid) and time.monotonic() < deadline:
        time.sleep(0.05)


@dataclass
class Run:
    """One `dedup index` run through the probe: its events and how it ended."""

    started: float
    events: list[tuple[float, str]] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    exit: int | None = None
    ended: float = 0.0
    eof: bool = False  # its standard error closed: every process of the run is gone
    cond: threading.Condition = field(default_factory=threading.Condition)

    def phase_at(self, t: float) -> tuple[str, str]:
        """(event, phase) last reported at or before ``t``."""
        last = "spawn"
        for when, name in self.events:
            if when > t:
                break
            last = name
        return last, PHASE_OF.get(last, "startup")

    def segments(self) -> list[tuple[str, float, float]]:
        """(phase, from, to) in seconds since the start, consecutive events of one phase merged."""
        out: list[tuple[str, float, float]] = []
        marks = [(self.started, "spawn"), *self.events, (self.ended, "exit")]
        for (t0, name), (t1, _) in zip(marks, marks[1:]):
            phase = PHASE_OF.get(name, "startup")
            if out and out[-1][0] == phase:
                out[-1] = (phase, out[-1][1], t1 - self.started)
            else:
                out.append((phase, t0 - self.started, t1 - self.started))
        return out

    def phases_s(self) -> dict[str, float]:
        total: dict[str, float] = {}
        for phase, a, b in self.segments():
            total[phase] = total.get(phase, 0.0) + b - a
        return {p: round(t, 2) for p, t in total.items()}

    def start_of(self, phase: str, nth: int) -> float | None:
        """When the run entered ``phase`` for the ``nth`` time (0: the first), on the monotonic clock."""
        starts, prev = [], None
        for t, name in self.events:
            p = PHASE_OF.get(name, "startup")
            if p == phase and prev != phase:
                starts.append(t)
            prev = p
        return starts[nth] if len(starts) > nth else None


def start_probe(args: list[str]) -> tuple[subprocess.Popen[bytes], Run, threading.Thread]:
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), PROBE, *args],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    run = Run(started=time.monotonic())

    def drain() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            parts = line.split()
            with run.cond:
                if len(parts) == 3 and parts[0] == EVENT:
                    run.events.append((float(parts[2]), parts[1]))
                    run.cond.notify_all()
                else:
                    run.stderr.append(line)
        with run.cond:
            run.eof = True
            run.cond.notify_all()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    return proc, run, reader


def probe_run(args: list[str], timeout: float) -> Run:
    """An uninterrupted run through the probe (a reference, and its phase timings)."""
    proc, run, reader = start_probe(args)
    try:
        run.exit = proc.wait(timeout=timeout)
    finally:
        run.ended = time.monotonic()
        _kill_session(proc.pid)
        reader.join(5)
    if run.exit != 0:
        raise SystemExit(f"reference run failed ({run.exit}): {' | '.join(run.stderr[-5:])}")
    return run


def dedup_index(store: Path, corpus: Path, timeout: float) -> tuple[int | None, float, str]:
    """`dedup index` to completion: (exit code, or None when it hung; seconds; stderr's tail)."""
    start = time.monotonic()
    proc = subprocess.Popen([str(BIN), "index", "--quiet", "--store", str(store), str(corpus)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        _, err = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        _kill_session(proc.pid)
        _, err = proc.communicate()
        code = None
    _kill_session(proc.pid)
    return code, time.monotonic() - start, err.decode(errors="replace")[-500:]


# -- what a store holds ------------------------------------------------------------------------


def snapshot(store: Path) -> dict[str, Any]:
    """Everything the checks compare, read straight from the database."""
    con = sqlite3.connect(f"file:{store / 'dedup.sqlite'}?mode=ro", uri=True)
    try:
        q = con.execute
        integrity = [r[0] for r in q("PRAGMA integrity_check")]
        rows = q("SELECT a.id, a.record_hash, a.n_shingles, a.signature, a.stripped, m.doc IS NOT NULL, m.story_id "
                 "FROM articles a LEFT JOIN memberships m ON m.doc = a.doc").fetchall()
        stories: dict[str, list[str]] = {}
        for ident, *_, story in rows:
            if story is not None:
                stories.setdefault(story, []).append(ident)
        return {
            "integrity": integrity,
            "without_membership": sum(1 for r in rows if not r[5]),
            "pending": sum(1 for r in rows if r[5] and r[6] is None),
            "story_rows": {r[0] for r in q("SELECT story_id FROM stories")},
            "articles": {r[0]: r[1] for r in rows},
            "content": {r[0]: (r[2], hashlib.sha1(r[3]).hexdigest(), r[4]) for r in rows},
            "stories": {sid: frozenset(ids) for sid, ids in stories.items()},
            "outlet_articles": dict(q("SELECT outlet, articles FROM outlet_articles")),
            "outlet_lines": {(o, k): (n, line) for o, k, n, line in q("SELECT outlet, key, articles, line FROM outlet_lines")},
        }
    finally:
        con.close()


def dedup_check(store: Path) -> str | None:
    """What `dedup check` finds damaged ('' when nothing; None when this dedup has no check command)."""
    res = subprocess.run([str(BIN), "check", "--json", "--store", str(store)], capture_output=True, text=True,
                         timeout=600, check=False)
    if res.returncode == 2 and "No such command" in res.stderr:
        return None
    try:
        data = json.loads(res.stdout)
    except ValueError:
        return f"exit {res.returncode}: {res.stderr.strip()[-300:]}"
    damaged = [f"{f['where']}: {f['problem']}" for f in data.get("findings", []) if f.get("damage")]
    return "" if data.get("ok") and res.returncode == 0 else ("; ".join(damaged) or f"exit {res.returncode}")[:500]


def query_answers(store: Path, ids: list[str]) -> dict[str, list[tuple[str, float]]]:
    from dedup.config import Config
    from dedup.pipeline import QueryTarget, query

    out = {}
    for ident in ids:
        _, matches = query(Config(store=store, progress=False), QueryTarget(id=ident), k=10)
        out[ident] = [(m.id, round(m.similarity, 4)) for m in matches]
    return out


def _diff(a: dict[Any, Any], b: dict[Any, Any]) -> str:
    missing, extra = a.keys() - b.keys(), b.keys() - a.keys()
    changed = [k for k in a.keys() & b.keys() if a[k] != b[k]]
    example = (f"; e.g. {sorted(changed, key=str)[0]!r}: {a[sorted(changed, key=str)[0]]!r} -> "
               f"{b[sorted(changed, key=str)[0]]!r}"[:300] if changed else "")
    return f"{len(missing)} missing, {len(extra)} extra, {len(changed)} changed{example}"


def compare(ref: dict[str, Any], got: dict[str, Any]) -> dict[str, str]:
    """Check name -> what is wrong (absent when it holds)."""
    bad: dict[str, str] = {}
    problems = []
    if got["integrity"] != ["ok"]:
        problems.append(f"integrity_check: {'; '.join(got['integrity'][:3])}")
    if got["without_membership"]:
        problems.append(f"{got['without_membership']} articles without a membership")
    if got["pending"]:
        problems.append(f"{got['pending']} articles pending")
    if set(got["stories"]) != got["story_rows"]:
        problems.append(f"{len(got['story_rows'] ^ set(got['stories']))} stories without members or rows")
    if problems:
        bad["integrity"] = "; ".join(problems)
    if got["articles"] != ref["articles"]:
        bad["articles"] = _diff(ref["articles"], got["articles"])
    if got["content"] != ref["content"]:
        bad["content"] = _diff(ref["content"], got["content"])
    if set(got["stories"].values()) != set(ref["stories"].values()):
        mine, theirs = set(got["stories"].values()), set(ref["stories"].values())
        bad["stories"] = f"{len(theirs - mine)} stories of the reference not found, {len(mine - theirs)} others"
    if got["stories"] != ref["stories"]:
        bad["story_ids"] = _diff(ref["stories"], got["stories"])
    if got["outlet_articles"] != ref["outlet_articles"] or got["outlet_lines"] != ref["outlet_lines"]:
        bad["boilerplate"] = (f"outlets: {_diff(ref['outlet_articles'], got['outlet_articles'])}; "
                              f"lines: {_diff(ref['outlet_lines'], got['outlet_lines'])}")[:600]
    return bad


# -- the experiment ----------------------------------------------------------------------------


@dataclass
class Kill:
    kind: str
    target: str  # the phase aimed at
    segment: int  # its nth stretch (a run reads and writes batch after batch)
    offset_s: float  # how far into it
    event: str = ""  # what the run reported last before the kill
    phase: str = ""  # the phase that puts it in
    finished_before_kill: bool = False
    killed_after_s: float = 0.0
    lingered: list[str] = field(default_factory=list)  # other processes alive just after the kill
    linger_s: float = 0.0  # until the last of them exited
    leftover: list[str] = field(default_factory=list)  # still alive after GRACE (then killed here)
    rerun_exit: int | None = 0
    rerun_s: float = 0.0
    rerun_stderr: str = ""
    bad: dict[str, str] = field(default_factory=dict)


def pick_point(ref: Run, target: str, rng: random.Random) -> tuple[int, float]:
    """A random moment of ``target`` in the reference run: (its nth stretch of that phase, seconds into it).
    Anchored on the killed run's own report of entering that stretch, the kill follows the
    run's real pace on a busy machine, not the reference's."""
    spans = [b - a for phase, a, b in ref.segments() if phase == target]
    u = rng.uniform(0, sum(spans))
    for nth, span in enumerate(spans):
        if u <= span:
            return nth, u
        u -= span
    return max(0, len(spans) - 1), spans[-1] if spans else 0.0


def kill_once(kind: str, target: str, point: tuple[int, float], store: Path, corpus: Path, timeout: float) -> Kill:
    nth, offset = point
    k = Kill(kind, target, nth, round(offset, 3))
    proc, run, reader = start_probe(["index", "--quiet", "--store", str(store), str(corpus)])
    with run.cond:
        run.cond.wait_for(lambda: run.start_of(target, nth) is not None or run.eof, timeout=timeout)
        entered = run.start_of(target, nth)
    at = (entered if entered is not None else time.monotonic()) + offset
    try:
        run.exit = proc.wait(timeout=max(0.0, at - time.monotonic()))
        k.finished_before_kill = True
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)  # the run's own process only: its children are on their own
        killed = time.monotonic()
        k.killed_after_s = round(killed - run.started, 3)
        proc.wait()
        alive = session_alive(proc.pid)  # at once: the pipe below stays open while any of them lives
        k.lingered = [_cmdline(p) for p in alive]
        while alive and time.monotonic() - killed < GRACE:
            time.sleep(0.05)
            alive = session_alive(proc.pid)
        k.linger_s = round(time.monotonic() - killed, 2) if k.lingered else 0.0
        k.leftover = [_cmdline(p) for p in alive]
        _kill_session(proc.pid)
        reader.join(5)
        k.event, k.phase = run.phase_at(killed)
    run.ended = time.monotonic()
    _kill_session(proc.pid)
    reader.join(5)
    if k.finished_before_kill:
        k.event, k.phase = "exit", "done"
    k.rerun_exit, k.rerun_s, err = dedup_index(store, corpus, timeout)
    k.rerun_s = round(k.rerun_s, 2)
    if k.rerun_exit != 0:
        k.rerun_stderr = err
    return k


def _machine() -> dict[str, Any]:
    try:
        commit = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=False).stdout.strip()
    except OSError:
        commit = ""
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "commit": commit}


def summarise(kills: list[Kill]) -> dict[str, Any]:
    by_phase: dict[str, dict[str, Any]] = {}
    for k in kills:
        row = by_phase.setdefault(k.phase, {"kills": 0, **{c: 0 for c in CHECKS}, "rerun_failed": 0, "lingered": 0,
                                            "leftover": 0})
        row["kills"] += 1
        for c in k.bad:
            row[c] += 1
        row["rerun_failed"] += int(k.rerun_exit != 0)
        row["lingered"] += int(bool(k.lingered))
        row["leftover"] += int(bool(k.leftover))
    total = {key: sum(r[key] for r in by_phase.values()) for key in ("kills", *CHECKS, "rerun_failed", "lingered", "leftover")}
    return {
        "by_phase": by_phase,
        "by_kind": dict(Counter(k.kind for k in kills)),
        "total": total,
        "kills_with_any_mismatch": sum(bool(k.bad) or k.rerun_exit != 0 for k in kills),
        "max_linger_s": max((k.linger_s for k in kills), default=0.0),
    }


def table(summary: dict[str, Any]) -> str:
    cols = ("kills", *CHECKS, "rerun_failed", "lingered", "leftover")
    w = {c: len(c) + 2 for c in cols}
    head = f"{'phase':<11}" + "".join(f"{c:>{w[c]}}" for c in cols)
    order = [p for p in ("startup", *TARGETS, "done") if p in summary["by_phase"]]
    lines = [head, "-" * len(head)]
    lines += [f"{p:<11}" + "".join(f"{summary['by_phase'][p][c]:>{w[c]}}" for c in cols) for p in order]
    lines += ["-" * len(head), f"{'all':<11}" + "".join(f"{summary['total'][c]:>{w[c]}}" for c in cols)]
    return "\n".join(lines)


def experiment(n: int, kills: int, seed: int, workdir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    rng = random.Random(seed)
    corpus, half_corpus = workdir / "corpus.jsonl", workdir / "half.jsonl"
    synth.write_jsonl(str(corpus), n, seed=seed)
    with corpus.open(encoding="utf-8") as src, half_corpus.open("w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i >= n // 2:
                break
            dst.write(line)
    half = workdir / "half"
    code, secs, err = dedup_index(half, half_corpus, timeout=600)
    if code != 0:
        raise SystemExit(f"indexing the first half failed ({code}): {err}")

    refs: dict[str, Path] = {"fresh": workdir / "ref-fresh", "incremental": workdir / "ref-incremental"}
    shutil.copytree(half, refs["incremental"])
    timing: dict[str, Run] = {}
    for kind, store in refs.items():
        timing[kind] = probe_run(["index", "--quiet", "--store", str(store), str(corpus)], timeout=600)
        log(f"reference {kind}: {timing[kind].ended - timing[kind].started:.1f} s")
    snaps = {kind: snapshot(store) for kind, store in refs.items()}
    for kind, snap in snaps.items():
        assert not compare(snap, snap), f"reference {kind} fails its own checks: {compare(snap, snap)}"
    checked = {kind: dedup_check(store) for kind, store in refs.items()}
    assert not any(checked.values()), f"dedup check fails on a reference: {checked}"
    has_check = None not in checked.values()
    query_ids = {kind: rng.sample(sorted(snaps[kind]["articles"]), QUERIES) for kind in KINDS}
    answers = {kind: query_answers(refs[kind], query_ids[kind]) for kind in KINDS}
    # Timeout of a re-run: ten times an uninterrupted one, and at least a minute.
    timeout = max(60.0, 10 * max(r.ended - r.started for r in timing.values()))

    results: list[Kill] = []
    for i in range(kills):
        kind = KINDS[i % 2]
        target = TARGETS[(i // 2) % len(TARGETS)]
        point = pick_point(timing[kind], target, rng)
        store = workdir / f"kill-{i}"
        if kind == "incremental":
            shutil.copytree(half, store)
        k = kill_once(kind, target, point, store, corpus, timeout)
        if k.rerun_exit == 0:
            k.bad = compare(snaps[kind], snapshot(store))
            if answers[kind] != query_answers(store, query_ids[kind]):
                k.bad["queries"] = "answers to query --id differ from the reference's"
            if has_check and (found := dedup_check(store)):
                k.bad["integrity"] = "; ".join(filter(None, (k.bad.get("integrity"), f"dedup check: {found}")))
        results.append(k)
        log(f"kill {i + 1:>2}/{kills} {kind:<11} {target:>10} #{k.segment:<2} +{k.offset_s:5.2f} s -> killed at {k.killed_after_s:5.2f} s in "
            f"{k.phase:<10} ({k.event}) -> " + (", ".join(f"{c}: {v}" for c, v in k.bad.items()) or "same")
            + (f"; rerun exit {k.rerun_exit}" if k.rerun_exit != 0 else "")
            + (f"; {len(k.leftover)} LEFTOVER" if k.leftover else ""))
        shutil.rmtree(store, ignore_errors=True)

    return {
        "articles": n, "kills": kills, "seed": seed, "dedup_check": has_check,
        "reference": {kind: {"seconds": round(timing[kind].ended - timing[kind].started, 2),
                             "phases_s": timing[kind].phases_s()}
                      for kind in KINDS},
        # For the record: the two kinds need not end equal (what a run learns depends on what was stored before it).
        "incremental_vs_fresh": compare(snaps["fresh"], snaps["incremental"]),
        "summary": summarise(results),
        "runs": [asdict(k) for k in results],
    }


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="faults.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=None, help="kills to try (default: 50, or 5 with --quick)")
    ap.add_argument("--articles", type=int, default=None, help="corpus size (default: 20000, or 5000 with --quick)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the corpus and of the kill points (default: %(default)s)")
    ap.add_argument("--quick", action="store_true", help="5 kills of a 5k run (about a minute)")
    ap.add_argument("--out", type=Path, default=None,
                    help="result file (default: benchmarks/results/faults.json, faults-quick.json with --quick)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when any kill left a store that differs or a process behind")
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [PROBE]:
        _probe(argv[1:])
        return 0
    args = _parser().parse_args(argv)
    n = args.articles or (5000 if args.quick else 20000)
    kills = args.kills if args.kills is not None else (5 if args.quick else 50)
    out = args.out or HERE / "results" / ("faults-quick.json" if args.quick else "faults.json")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dedup-faults-") as tmp:
        result = experiment(n, kills, args.seed, Path(tmp), lambda msg: print(msg, flush=True))
    result = {
        "command": "benchmarks/faults.py " + " ".join(argv),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": _machine(),
        "seconds": round(time.monotonic() - started, 1),
        **result,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print()
    print(table(result["summary"]))
    s = result["summary"]
    print(f"\n{s['total']['kills']} kills: {s['kills_with_any_mismatch']} left a store unlike the uninterrupted run's; "
          f"{s['total']['leftover']} left a process behind (longest linger {s['max_linger_s']} s). "
          f"Written to {out} ({result['seconds']:.0f} s).")
    return 1 if args.strict and (s["kills_with_any_mismatch"] or s["total"]["leftover"]) else 0


if __name__ == "__main__":
    sys.exit(main())
