"""The bundled sample corpus reproduces its truth file end to end (issue: the detector end to end)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dedup.config import Config, ReadConfig
from dedup.pipeline import QueryTarget, build_report, index_corpus, query
from dedup.report.json import report_dict

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample"
TRUTH = json.loads((ROOT / "examples" / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Config:
    cfg = Config(store=tmp_path_factory.mktemp("sample") / "store", read=ReadConfig(tz="Asia/Jakarta"), progress=False)
    index_corpus([str(SAMPLE / "night1.jsonl")], cfg)
    index_corpus([str(SAMPLE / "night2.jsonl")], cfg)
    return cfg


@pytest.fixture(scope="module")
def report(store: Config) -> dict:
    return report_dict(build_report(store, since="all", mark=False))


def _articles() -> dict[str, dict]:
    out = {}
    for f in ("night1.jsonl", "night2.jsonl"):
        for line in (SAMPLE / f).read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            out[rec["id"]] = rec
    return out


def test_every_expected_story_with_its_first_publisher(report: dict) -> None:
    got = {frozenset(m["id"] for m in s["members"]): s["first"]["id"] for s in report["stories"]}
    for story in TRUTH["stories"]:
        members = frozenset(story["members"])
        assert members in got, f"story {story['name']} not reproduced"
        assert got[members] == story["first"], f"story {story['name']}: first {got[members]}, expected {story['first']}"
    assert len(report["stories"]) == len(TRUTH["stories"])


def test_same_event_stories_do_not_merge(report: dict) -> None:
    story_of = {m["id"]: s["story_id"] for s in report["stories"] for m in s["members"]}
    for group in TRUTH["must_not_merge"]:
        stories = [story_of[i] for i in group if i in story_of]
        assert len(stories) == len(set(stories)), f"merged: {group}"


def test_singletons_stay_alone(report: dict) -> None:
    in_story = {m["id"] for s in report["stories"] for m in s["members"]}
    assert not in_story & set(TRUTH["singletons"])


def _copy_with(transform: str, exclude: str | None = None) -> tuple[str, str]:
    for story in TRUTH["stories"]:
        for ident, transforms in story.get("transforms", {}).items():
            if transform in transforms and (exclude is None or not any(exclude in t for t in transforms)):
                return ident, story["first"]
    raise AssertionError(f"no copy with {transform}")


def test_query_junk_wrapped_copy_finds_original(store: Config, tmp_path: Path) -> None:
    ident, original = _copy_with("scraper_junk", exclude="abridged")
    rec = _articles()[ident]
    f = tmp_path / "copy.txt"
    f.write_text(rec["title"] + "\n" + rec["text"], encoding="utf-8")
    _, matches = query(store, QueryTarget(file=f), k=5)
    # The copy itself is in the store too; the original must be at the top with it.
    top = [m for m in matches if m.id != ident]
    assert top[0].id == original
    assert top[0].similarity >= 0.9


def test_query_abridged_copy_is_contained_in_original(store: Config, tmp_path: Path) -> None:
    ident, original = _copy_with("abridged_3_paragraphs")
    rec = _articles()[ident]
    f = tmp_path / "abridged.txt"
    f.write_text(rec["text"], encoding="utf-8")
    _, matches = query(store, QueryTarget(file=f), k=5)
    top = [m for m in matches if m.id != ident]
    assert top[0].id == original
    assert top[0].containment >= 0.9


def test_reindexing_the_same_file_changes_nothing(store: Config) -> None:
    before = report_dict(build_report(store, since="all", mark=False))["stories"]
    summary = index_corpus([str(SAMPLE / "night1.jsonl")], store)
    assert summary.added == 0 and summary.replaced == 0
    assert summary.unchanged == summary.read > 0
    after = report_dict(build_report(store, since="all", mark=False))["stories"]
    assert [s["story_id"] for s in after] == [s["story_id"] for s in before]
