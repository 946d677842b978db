"""`dedup prune --before DATE` end to end: the store after a prune serves index, query,
report, export and check; an interrupted prune is completed by the same command."""

from __future__ import annotations

import io
import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dedup.cli import cli
from dedup.config import Config
from dedup.pipeline import QueryTarget, build_report, check, export, index_corpus, prune, query
from dedup.store import open_store
from dedup.store.segments import Segment
from dedup.store.sqlite import LSH_DIR

SAMPLE = Path(__file__).parent.parent / "examples" / "sample"
CUT = "2026-11-24T12:00:00+00:00"


def _cfg(store: Path) -> Config:
    return Config(store=store, progress=False, workers=1)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's two nights, indexed, and reported on (the nightly mark is set)."""
    store = tmp_path_factory.mktemp("sample") / "store"
    for night in ("night1.jsonl", "night2.jsonl"):
        index_corpus([str(SAMPLE / night)], replace_tz(_cfg(store)))
    build_report(_cfg(store), since="last")
    return store


def replace_tz(cfg: Config) -> Config:
    from dataclasses import replace

    return replace(cfg, read=replace(cfg.read, tz="Asia/Jakarta"))


@pytest.fixture
def store(indexed: Path, tmp_path: Path) -> Path:
    shutil.copytree(indexed, tmp_path / "store")
    return tmp_path / "store"


def _state(store: Path) -> dict[str, object]:
    """Everything a prune changes: articles and their stories, the stories, the LSH entries."""
    s = open_store(store, create=False)
    try:
        sealed: set[int] = set()
        for info in s.lsh_segments():
            sealed |= set(Segment.open(store / LSH_DIR, info).docs.tolist())
        docs = {a.doc: a.id for a in s.articles()}
        return {
            "articles": sorted((a.id, a.story_id) for a in s.articles()),
            "stories": sorted(s._conn.execute("SELECT story_id, created_at, updated_at, changed_seq FROM stories").fetchall()),
            "sealed": sorted(docs[d] for d in sealed if d in docs),
            "stale": sorted(d for d in sealed if d not in docs),
            "files": sorted({p.name.split(".")[0] for p in (store / LSH_DIR).iterdir()} - {i.name for i in s.lsh_segments()}),
            "damage": [f for f in s.check() if f.damage],
        }
    finally:
        s.close()


def _published(store: Path) -> dict[str, str | None]:
    s = open_store(store, create=False)
    try:
        return {a.id: a.published_at for a in s.articles()}
    finally:
        s.close()


def test_after_a_prune_the_store_serves_every_command(store: Path, tmp_path: Path) -> None:
    cfg = _cfg(store)
    before = build_report(cfg, since="all", mark=False, limit=0)
    firsts = {s.story_id: s.first.id for s in before.stories}
    stored = _published(store)
    res = prune(cfg, CUT)
    kept_ids = set(_published(store))
    assert res.articles == len(stored) - len(kept_ids) > 0
    pruned = {m.id for s in before.stories for m in s.members} - kept_ids
    assert check(cfg).damaged == ()

    # The nightly report does not list what the prune changed: it adds no news.
    assert build_report(cfg, since="last", mark=False).stories == ()
    after = build_report(cfg, since="all", mark=False, limit=0)
    assert {s.story_id for s in after.stories} <= set(firsts)
    assert not {m.id for s in after.stories for m in s.members} & pruned
    moved = [s for s in after.stories if firsts[s.story_id] in pruned]
    assert moved, "the sample has a story whose first publisher is pruned and that keeps copies"

    # Pruned articles are no candidates: querying with their texts finds none of them.
    texts = [m.title for s in before.stories for m in s.members if m.id in pruned]
    for text in texts[:5]:
        _, matches = query(cfg, QueryTarget(text=text), k=50)
        assert not {m.id for m in matches} & pruned
    info, matches = query(cfg, QueryTarget(id=moved[0].members[0].id), k=10)
    assert matches and not {m.id for m in matches} & pruned

    out = io.BytesIO()
    assert export(cfg, "articles", "jsonl", out) == len(kept_ids)

    # A new copy of that story: the story keeps its id, the nightly report lists it, and its
    # first publisher is the one the look back showed after the prune.
    story = moved[0]
    src = next(m for m in story.members if m.id == story.first.id)
    s = open_store(store, create=False)
    try:
        text = s.article_by(id=src.id).text  # type: ignore[union-attr]
    finally:
        s.close()
    rec = {"id": "late-copy", "url": "https://late.example/copy", "outlet": "late.example",
           "published_at": "2026-11-26T09:00:00+07:00", "title": src.title, "text": text}
    late = tmp_path / "late.jsonl"
    late.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    index_corpus([str(late)], cfg)
    tonight = build_report(cfg, since="last", mark=False)
    (listed,) = [x for x in tonight.stories if x.story_id == story.story_id]
    assert listed.first.id == story.first.id and "late-copy" in {m.id for m in listed.members}
    assert check(cfg).damaged == ()


def test_a_rerun_prune_removes_nothing_more(store: Path) -> None:
    first = prune(_cfg(store), CUT)
    state = _state(store)
    assert state["stale"] == [] and state["files"] == [] and state["damage"] == []
    again = prune(_cfg(store), CUT)
    assert (again.articles, again.stories_dropped, again.stories_changed) == (0, 0, ())
    assert _state(store) == state and first.articles > 0


def test_indexing_the_same_files_again_does_not_bring_pruned_articles_back(store: Path) -> None:
    """The README's nightly routine indexes the whole folder again: the articles a prune removed
    must not come back as new articles (and new stories in tonight's report)."""
    stored = _published(store)
    res = prune(_cfg(store), CUT)
    kept = _published(store)
    summaries = [index_corpus([str(SAMPLE / n)], replace_tz(_cfg(store))) for n in ("night1.jsonl", "night2.jsonl")]
    assert sum(x.added + x.replaced for x in summaries) == 0
    assert sum(x.unchanged for x in summaries) == len(kept)
    assert sum(n for x in summaries for _, n in x.skipped) == res.articles == len(stored) - len(kept)
    assert _published(store) == kept
    assert build_report(_cfg(store), since="last", mark=False).stories == ()
    assert not prune(_cfg(store), "2026-11-24", dry_run=True).articles  # an earlier cut: nothing more


# A prune SIGKILLed: after it rewrote a segment, as it commits, after it committed (old files left).
_KILLED = """
import os, signal, sys
from pathlib import Path
from dedup.config import Config
from dedup.pipeline import prune
from dedup.store import sqlite

store, where = sys.argv[1:3]
die = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
if where == "rewritten":
    real_merge = sqlite.merge
    sqlite.merge = lambda *a, **k: (real_merge(*a, **k), die())
elif where == "commit":
    real_rows = sqlite.SQLiteStore._prune_rows
    def rows(self, *a, **k):
        self._conn.set_trace_callback(lambda sql: sql == "COMMIT" and die())
        return real_rows(self, *a, **k)
    sqlite.SQLiteStore._prune_rows = rows
else:
    sqlite.SQLiteStore._remove_unlisted = die
prune(Config(store=Path(store), progress=False, workers=1), sys.argv[3])
"""


@pytest.mark.parametrize("where", ["rewritten", "commit", "committed"])
def test_a_killed_prune_is_completed_by_the_same_command(indexed: Path, tmp_path: Path, where: str) -> None:
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    shutil.copytree(indexed, whole)
    shutil.copytree(indexed, killed)
    untouched = _state(killed)
    prune(_cfg(whole), CUT)
    done = _state(whole)

    p = subprocess.run([sys.executable, "-c", _KILLED, str(killed), where, CUT], timeout=300, capture_output=True, text=True)
    assert p.returncode == -signal.SIGKILL, p.stderr
    left = _state(killed)
    assert left["damage"] == []
    if where == "committed":
        assert {k: v for k, v in left.items() if k != "files"} == {k: v for k, v in done.items() if k != "files"}
        assert left["files"], "the retired segment files are left, unlisted"
    else:
        assert {k: v for k, v in left.items() if k != "files"} == {k: v for k, v in untouched.items() if k != "files"}

    again = prune(_cfg(killed), CUT)
    assert _state(killed) == done
    assert again.articles == (0 if where == "committed" else len(untouched["articles"]) - len(done["articles"]))  # type: ignore[arg-type]
    # and the store indexes on
    index_corpus([str(SAMPLE / "night2.jsonl")], replace_tz(_cfg(killed)))
    assert check(_cfg(killed)).damaged == ()


# -- the command ---------------------------------------------------------------------


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=True)


def test_prune_command_dry_run_then_prune(store: Path) -> None:
    n = len(_published(store))
    dry = _run("prune", "--store", str(store), "--before", "2026-11-24T19:00", "--tz", "Asia/Jakarta", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("would remove ") and "published before 2026-11-24T12:00:00+00:00" in dry.output
    assert len(_published(store)) == n
    r = _run("prune", "--store", str(store), "--before", "2026-11-24T19:00", "--tz", "Asia/Jakarta", "--json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    assert got["articles"] == n - len(_published(store)) > 0 and got["dry_run"] is False
    assert dry.output.split()[2] == str(got["articles"])
    assert set(got) == {"before", "dry_run", "articles", "undated", "stories_dropped", "stories_changed"}


def test_prune_command_errors(store: Path, tmp_path: Path) -> None:
    r = _run("prune", "--store", str(store), "--before", "last tuesday")
    assert r.exit_code == 2 and r.stderr.startswith("error: --before 'last tuesday'")
    r = _run("prune", "--store", str(store), "--before", "2099-01-01")  # a mistyped year would empty the store
    assert r.exit_code == 2 and "is in the future" in r.stderr
    r = _run("prune", "--store", str(tmp_path / "none"), "--before", "2026-11-24")
    assert r.exit_code == 4 and r.stderr.startswith("error: no store at")
    assert not (tmp_path / "none").exists()
    holder = open_store(store, create=False)
    holder.lock_writer()
    try:
        r = _run("prune", "--store", str(store), "--before", "2026-11-24")
        assert r.exit_code == 4 and "is being indexed" in r.stderr
    finally:
        holder.close()
