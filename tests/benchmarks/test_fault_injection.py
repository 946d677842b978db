"""benchmarks/faults.py: its checks catch a store unlike the reference, and a
small fault injection (2 kills of a 500-article run) runs end to end."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dedup.config import Config
from dedup.pipeline import index_corpus

ROOT = Path(__file__).resolve().parents[2]
FAULTS = ROOT / "benchmarks" / "faults.py"
sys.path.insert(0, str(FAULTS.parent))
try:
    import faults
finally:
    sys.path.remove(str(FAULTS.parent))


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("faults") / "store"
    index_corpus([str(ROOT / "examples" / "sample" / "night1.jsonl")], Config(store=store, progress=False, workers=1))
    return store


def _damaged(store: Path, tmp_path: Path, *sql: str) -> dict[str, object]:
    copy = tmp_path / "copy"
    shutil.copytree(store, copy)
    con = sqlite3.connect(copy / "dedup.sqlite")
    with con:
        for statement in sql:
            con.execute(statement)
    con.close()
    return faults.snapshot(copy)


def test_a_store_matches_itself(sample_store: Path) -> None:
    snap = faults.snapshot(sample_store)
    assert snap["integrity"] == ["ok"] and snap["articles"] and len(snap["stories"]) > 1
    assert faults.compare(snap, faults.snapshot(sample_store)) == {}


def test_the_checks_catch_what_a_kill_can_leave(sample_store: Path, tmp_path: Path) -> None:
    ref = faults.snapshot(sample_store)
    # A batch counted twice by the boilerplate learner (issue 11, finding 4).
    got = _damaged(sample_store, tmp_path / "a", "UPDATE outlet_articles SET articles = articles + 5")
    assert set(faults.compare(ref, got)) == {"boilerplate"}
    # An article left pending; then one moved to another story.
    got = _damaged(sample_store, tmp_path / "b", "UPDATE memberships SET story_id = NULL WHERE doc = (SELECT MIN(doc) FROM memberships)")
    assert {"integrity", "stories", "story_ids"} <= set(faults.compare(ref, got))
    (story, *_), (other, *_) = sorted(ref["stories"].items(), key=lambda kv: -len(kv[1]))[:2]
    got = _damaged(sample_store, tmp_path / "c",
                   f"UPDATE memberships SET story_id = '{other}' WHERE doc = (SELECT doc FROM articles WHERE id = "
                   f"'{sorted(ref['stories'][story])[0]}')")
    assert set(faults.compare(ref, got)) == {"stories", "story_ids"}
    # The same stories under other ids.
    got = _damaged(sample_store, tmp_path / "d", "UPDATE memberships SET story_id = story_id || 'x'",
                   "UPDATE stories SET story_id = story_id || 'x'")
    assert set(faults.compare(ref, got)) == {"story_ids"}


def test_phases_come_from_what_the_run_reported() -> None:
    run = faults.Run(started=100.0, ended=110.0, events=[
        (100.5, "start"), (100.6, "read"), (101.0, "count"), (101.1, "sign"), (101.3, "write"), (101.5, "read"),
        (102.0, "count"), (102.4, "write"), (102.6, "read"), (103.0, "seal"), (104.0, "cluster"), (105.0, "assign"),
        (106.0, "done")])
    assert run.phase_at(101.05) == ("count", "writing") and run.phase_at(100.2) == ("spawn", "startup")
    assert [p for p, _, _ in run.segments()] == ["startup", "reading", "writing", "reading", "writing", "reading",
                                                 "sealing", "clustering", "done"]
    assert run.start_of("writing", 1) == 102.0 and run.start_of("writing", 2) is None
    assert faults.pick_point(run, "sealing", __import__("random").Random(1))[0] == 0


def test_two_kills_of_a_small_run(tmp_path: Path) -> None:
    out = tmp_path / "faults.json"
    res = subprocess.run([sys.executable, str(FAULTS), "--articles", "500", "--kills", "2", "--seed", "3", "--out", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["articles"] == 500 and data["kills"] == 2 and data["machine"]["cpus"] and data["dedup_check"] is True
    assert [r["kind"] for r in data["runs"]] == ["fresh", "incremental"]
    for r in data["runs"]:
        assert r["phase"] in ("startup", "reading", "writing", "sealing", "clustering", "done")
        # Articles and stories survive any kill (the issue found so in 32 of 32): the rerun completes, intact.
        assert r["rerun_exit"] == 0 and "integrity" not in r["bad"] and "articles" not in r["bad"]
    assert data["summary"]["total"]["kills"] == 2
    assert "kills:" in res.stdout and "phase" in res.stdout  # the summary table
