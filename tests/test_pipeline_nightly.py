"""The nightly report's mark against an index run in progress (issue 11, finding 1): every
story an index run changes is in exactly one nightly report, whenever the reports run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from dedup.config import Config
from dedup.model import Report
from dedup.pipeline import build_report, index_corpus, mark_reported
from dedup.store import SQLiteStore, open_store

SAMPLE = Path(__file__).parent.parent / "examples" / "sample"


class _Nightly:
    """Nightly reports taken while an index run goes on, as ``dedup report`` takes them:
    built without moving the mark, then marked once delivered."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.taken: list[tuple[str, Report]] = []  # (when, report)
        self.undelivered: list[Report] = []

    def take(self, when: str, *, deliver: bool = True) -> None:
        rep = build_report(self.cfg, since="last", mark=False)
        self.taken.append((when, rep))
        if deliver:
            mark_reported(self.cfg, rep)
        else:
            self.undelivered.append(rep)

    def deliver(self) -> None:
        for rep in self.undelivered:
            mark_reported(self.cfg, rep)
        self.undelivered.clear()


def _hook_reports(monkeypatch: pytest.MonkeyPatch, nightly: _Nightly) -> None:
    """A nightly report at every point of an index run where one can fall: after each batch is
    committed, once clustering has begun, inside the transaction that assigns the stories
    (delivered after its commit), and after it."""
    real_write, real_pending, real_assign = SQLiteStore.write_articles, SQLiteStore.pending, SQLiteStore.assign

    def write_articles(self: SQLiteStore, *args: Any, **kwargs: Any) -> list[int]:
        docs = real_write(self, *args, **kwargs)
        nightly.take("after a batch")
        return docs

    def pending(self: SQLiteStore) -> list[int]:
        docs = real_pending(self)
        nightly.take("clustering")
        return docs

    def assign(self: SQLiteStore, *args: Any, **kwargs: Any) -> None:
        def in_transaction(sql: str) -> None:
            # Called by SQLite as each statement starts: this one runs inside assign's open transaction.
            if sql.startswith("UPDATE memberships SET story_id") and not any(w == "assigning" for w, _ in nightly.taken):
                nightly.take("assigning", deliver=False)

        self._conn.set_trace_callback(in_transaction)
        try:
            real_assign(self, *args, **kwargs)
        finally:
            self._conn.set_trace_callback(None)
        nightly.deliver()
        nightly.take("assigned")

    monkeypatch.setattr(SQLiteStore, "write_articles", write_articles)
    monkeypatch.setattr(SQLiteStore, "pending", pending)
    monkeypatch.setattr(SQLiteStore, "assign", assign)


def _story_ids(rep: Report) -> list[str]:
    return [s.story_id for s in rep.stories]


def _all_story_ids(cfg: Config) -> set[str]:
    store = open_store(cfg.store, create=False)
    try:
        return {a.story_id for a in store.articles() if a.story_id is not None}
    finally:
        store.close()


def _run_with_reports(cfg: Config, path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Report]]:
    """Index ``path`` with nightly reports falling everywhere in the run, then the next
    nightly report after it: every report that saw the run's changes."""
    nightly = _Nightly(cfg)
    with monkeypatch.context() as m:
        _hook_reports(m, nightly)
        index_corpus([str(path)], cfg)
    assert [w for w, _ in nightly.taken].count("assigning") == 1  # the in-transaction report did run
    nightly.take("the next night")
    return nightly.taken


def test_a_story_is_in_exactly_one_nightly_report_whenever_reports_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = Config(store=tmp_path / "store", progress=False, workers=1, batch_size=20)
    seen_before: set[str] = set()
    for night in ("night1.jsonl", "night2.jsonl"):
        started = datetime.now(timezone.utc)
        existed = _all_story_ids(cfg) if night != "night1.jsonl" else set()
        taken = _run_with_reports(cfg, SAMPLE / night, monkeypatch)
        assert len(taken) >= 6  # a report between batches, during clustering and after it
        # What this run changed, by the look back of the index runs' clock (it moves nothing).
        changed = set(_story_ids(build_report(cfg, since=started, mark=False)))
        assert changed, night
        reported = [sid for _, rep in taken for sid in _story_ids(rep)]
        assert set(reported) == changed, night  # never in neither…
        assert len(reported) == len(set(reported)), night  # …and never in both
        # New is new since the last report: a story that existed before this run only grew.
        for _, rep in taken:
            for s in rep.stories:
                assert s.is_new == (s.story_id not in existed), (night, s.story_id)
        seen_before |= changed
    assert seen_before == set(_story_ids(build_report(cfg, since="all", mark=False)))
    # Nothing happened since: the next nightly report is empty.
    assert build_report(cfg, since="last", mark=False).stories == ()


def test_a_report_taken_during_clustering_then_the_next_cover_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's reproduction, plainly: one report while the index run is clustering."""
    cfg = Config(store=tmp_path / "store", progress=False, workers=1)
    during: list[Report] = []
    real_pending: Callable[[SQLiteStore], list[int]] = SQLiteStore.pending

    def pending(self: SQLiteStore) -> list[int]:
        docs = real_pending(self)
        during.append(build_report(cfg, since="last"))  # a nightly report, marked as the library marks it
        return docs

    monkeypatch.setattr(SQLiteStore, "pending", pending)
    index_corpus([str(SAMPLE / "night1.jsonl")], cfg)
    monkeypatch.undo()
    assert len(during) == 1 and during[0].stories == ()  # nothing was committed when it began
    after = build_report(cfg, since="last")
    assert len(after.stories) == 14 and all(s.is_new for s in after.stories)


def test_the_nightly_report_lists_every_story_and_a_look_back_is_capped(tmp_path: Path) -> None:
    # The nightly report moves the mark past every story it holds: one it left unlisted
    # (the desk's default cap of 200) would be in no nightly report at all.
    import json
    import random

    from dedup.config import DEFAULT_REPORT_LIMIT

    rnd = random.Random(3)
    words = [f"w{i}" for i in range(20000)]
    n = DEFAULT_REPORT_LIMIT + 20
    corpus = tmp_path / "many.jsonl"
    with corpus.open("w", encoding="utf-8") as fh:
        for s in range(n):
            text = " ".join(rnd.choice(words) for _ in range(120))
            for k, outlet in enumerate(("first.example", "copy.example")):
                fh.write(json.dumps({"id": f"s{s}-{k}", "outlet": outlet, "published_at": f"2026-11-24T{10 + k}:00:00Z",
                                     "title": f"Story {s}", "text": text}) + "\n")
    cfg = Config(store=tmp_path / "store", progress=False, workers=1)
    index_corpus([str(corpus)], cfg)
    nightly = build_report(cfg, since="last", mark=False)
    assert len(nightly.listed) == len(nightly.stories) == n and nightly.more == 0
    look_back = build_report(cfg, since="all", mark=False)
    assert len(look_back.listed) == DEFAULT_REPORT_LIMIT and look_back.more == n - DEFAULT_REPORT_LIMIT
