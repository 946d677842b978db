"""Hostile JSON Lines through a real `dedup index`, `report` and `export` (issue 11, finding 2).

Generates N lines (default 20,000; seeded) from hostile atoms: lone surrogates, NUL and ESC,
bidi overrides, numbers of 5,000 digits and 1e999, JSON nested in odd places, broken URLs,
20,000-character names, random bytes (5% of lines) and lines with a stray quote, bracket,
backslash or NUL spliced in (5%). Every line must end as an article or as a reject with a
reason; no run may crash or hang. Prints the outcomes by reason and writes a JSON file.

    .venv/bin/python benchmarks/fuzz.py                  # 20,000 lines, ~1 min
    .venv/bin/python benchmarks/fuzz.py --lines 2000 --seed 3
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from dedup.config import Config, ReadConfig
from dedup.model import Notice, Rejected
from dedup.pipeline import index_corpus

ATOMS = [
    "null", "true", "false", "0", "-0", "1e999", "-1e999", "NaN", "Infinity", "-Infinity", "1.5", "9" * 400, "9" * 5000,
    '"x"', '""', '"\\ud800"', '"\\udfff\\ud800"', '"\\u0000"', '"\\u001b[2J"', '"\\u202e"', '"  "', '"2026-11-24"',
    '"9999-12-31T23:59:59-23:59"', '"0001-01-01T00:00:00+23:59"', "[]", "{}", "[[[]]]", '{"a":{"b":1}}', '"http://[::1"',
    '"javascript:alert(1)"', '"https://web.archive.org/web/2020/http://x.com/a"', '"\\ud83d\\ude00"', '"' + "y" * 20000 + '"',
]
FIELDS = ["id", "url", "outlet", "title", "text", "published_at", "html", "extra"]


def hostile_lines(n: int, seed: int) -> bytes:
    rnd = random.Random(seed)
    lines: list[bytes] = []
    for i in range(n):
        if rnd.random() < 0.05:
            lines.append(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 60))).replace(b"\n", b" "))
            continue
        parts = []
        for f in rnd.sample(FIELDS, rnd.randint(0, len(FIELDS))):
            v = rnd.choice(ATOMS)
            if f == "text" and rnd.random() < 0.5:
                v = f'"some text {i} about the harbour, the minister and the price of rice {i % 97}"'
            if f == "html" and rnd.random() < 0.3:
                v = '"<html><body><p>hi</p></body></html>"'
            parts.append(f'"{f}": {v}')
        s = "{" + ", ".join(parts) + "}"
        if rnd.random() < 0.05:
            k = rnd.randint(0, len(s))
            s = s[:k] + rnd.choice(['"', "{", "]", "\\", "\x00", ","]) + s[k:]
        lines.append(s.encode("utf-8", "surrogatepass"))
    return b"\n".join(lines) + b"\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "fuzz.json")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dedup-fuzz-"))
    path = work / "hostile.jsonl"
    path.write_bytes(hostile_lines(args.lines, args.seed))
    store = work / "store"
    t = time.monotonic()
    summary = index_corpus([str(path)], Config(store=store, progress=False, read=ReadConfig(max_bytes=5000)))
    took = time.monotonic() - t
    outcomes: Counter[str] = Counter()
    outcomes["indexed"] = summary.added
    outcomes["unchanged (repeated id)"] = summary.unchanged
    for p in summary.problems:
        outcomes[("rejected: " if isinstance(p, Rejected) else "warning: ") + p.reason] += 1
    assert all(isinstance(p, (Rejected, Notice)) for p in summary.problems)
    dedup = str(Path(sys.executable).parent / "dedup")
    commands = {
        "report": [dedup, "report", "--store", str(store), "--since", "all", "--no-mark", "--format", "html", "--out", str(work / "r.html")],
        "export": [dedup, "export", "--store", str(store), "--out", str(work / "a.jsonl")],
        "query": [dedup, "query", "--store", str(store), "--text", "some text about the harbour, the minister and the price of rice"],
        "check": [dedup, "check", "--store", str(store)],
    }
    exits = {name: subprocess.run(cmd, capture_output=True, timeout=300).returncode for name, cmd in commands.items()}
    unreadable = sum(n for k, n in outcomes.items() if "unreadable" in k or "failed" in k)
    for k, n in sorted(outcomes.items(), key=lambda kv: -kv[1]):
        print(f"{n:7,}  {k}")
    print(f"index: {summary.read:,} read in {took:.1f} s; exits: {exits}; records that fell to the catch-all: {unreadable}")
    args.out.write_text(json.dumps({
        "machine": f"{platform.machine()}, {platform.python_version()}", "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "lines": args.lines, "seed": args.seed, "index_seconds": round(took, 1), "outcomes": dict(outcomes), "exits": exits,
    }, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
