"""benchmarks/synth.py as a command (it lives beside the benchmarks, which import it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SYNTH = Path(__file__).resolve().parents[2] / "benchmarks" / "synth.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SYNTH), *args], capture_output=True, text=True, timeout=120)


def test_help_says_what_it_writes() -> None:
    res = _run("--help")
    assert res.returncode == 0, res.stderr
    assert "usage: synth.py" in res.stdout and "OUT N" in res.stdout
    assert "synthetic news-length articles" in res.stdout and "JSON Lines" in res.stdout


def test_missing_or_bad_arguments_are_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    for args in ((), (str(tmp_path / "x.jsonl"),), (str(tmp_path / "x.jsonl"), "many")):
        res = _run(*args)
        assert res.returncode == 2 and "Traceback" not in res.stderr and "usage: synth.py" in res.stderr


def test_writes_the_articles_the_benchmarks_get(tmp_path: Path) -> None:
    sys.path.insert(0, str(SYNTH.parent))
    try:
        import synth
    finally:
        sys.path.remove(str(SYNTH.parent))
    out = tmp_path / "corpus.jsonl"
    assert _run(str(out), "5").returncode == 0
    assert [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] == list(synth.articles(5))
    more = tmp_path / "more.jsonl"
    assert _run(str(more), "2", "--seed", "99", "--start-id", "5").returncode == 0
    assert [json.loads(line)["id"] for line in more.read_text(encoding="utf-8").splitlines()] == ["syn-0000005", "syn-0000006"]
    assert [json.loads(line) for line in more.read_text(encoding="utf-8").splitlines()] == list(synth.articles(2, seed=99, start_id=5))


def test_days_spreads_the_dates_in_order_and_ends_on_the_same_day(tmp_path: Path) -> None:
    out = tmp_path / "months.jsonl"
    assert _run(str(out), "60", "--days", "30").returncode == 0
    days = [json.loads(line)["published_at"][:10] for line in out.read_text(encoding="utf-8").splitlines()]
    # Two a day, from 26 October (29 days before) to 24 November, the day of a one-day corpus.
    assert days == sorted(days) and days[0] == "2026-10-26" and days[-1] == "2026-11-24" and len(set(days)) == 30
