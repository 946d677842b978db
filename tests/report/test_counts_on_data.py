"""Issue 12 on the evaluation data: COUNTER (all bare dates, outlets as given) and the newshtml
pages. Totals count only stories with a copy, and no date-only copy is timed to the minute.
Skipped, with the reason, when ../shared/data is absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dedup.config import Config
from dedup.model import Report, TimePrecision
from dedup.pipeline import build_report, index_corpus
from dedup.provenance import is_copy
from dedup.report import render
from dedup.report.stats import lag_distribution

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
COUNTER = DATA / "counter" / "documents.jsonl"
NEWSHTML = DATA / "newshtml" / "pages"


def _copies(report: Report) -> list[bool]:
    return [any(is_copy(m.relation) for m in s.members) for s in report.stories]


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> Report:
    if not COUNTER.is_file():
        pytest.skip(f"COUNTER not found at {COUNTER}")
    work = tmp_path_factory.mktemp("counter")
    corpus = work / "counter.jsonl"
    with corpus.open("w", encoding="utf-8") as out:  # as benchmarks/quality.py indexes it: outlets as given
        for line in COUNTER.open(encoding="utf-8"):
            d = json.loads(line)
            out.write(json.dumps({"id": d["doc_id"], "outlet": d["outlet"], "published_at": d["date"],
                                  "title": d["headline"], "text": d["body"]}, ensure_ascii=False) + "\n")
    cfg = Config(store=work / "store", progress=False)
    index_corpus([str(corpus)], cfg)
    return build_report(cfg, since="all", mark=False)


@pytest.fixture(scope="module")
def newshtml(tmp_path_factory: pytest.TempPathFactory) -> Report:
    if not NEWSHTML.is_dir():
        pytest.skip(f"newshtml pages not found at {NEWSHTML}")
    cfg = Config(store=tmp_path_factory.mktemp("newshtml") / "store", progress=False)
    index_corpus([str(NEWSHTML)], cfg)
    return build_report(cfg, since="all", mark=False)


@pytest.mark.parametrize("corpus", ["counter", "newshtml"])
def test_totals_count_only_stories_with_a_copy(corpus: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(corpus)
    copies = _copies(report)
    assert not all(copies)  # each corpus has groups without a copy (an outlet's own text again)
    assert report.totals["stories"] == sum(copies) < len(report.stories)
    data = json.loads(render(report, "json"))
    assert data["summary"]["stories"] == sum(copies)
    assert data["summary"]["stories_without_copies"] == copies.count(False)
    assert f"**{sum(copies)} {'story' if sum(copies) == 1 else 'stories'}** with copies" in render(report, "md")


def test_counter_bare_dates_are_never_timed_to_the_minute(counter: Report) -> None:
    dated = [m for s in counter.stories for m in s.members[1:] if is_copy(m.relation)]
    assert dated and all(m.time_precision == TimePrecision.DATE for m in dated)
    assert all(m.lag_seconds is None and m.lag_span is not None and m.lag_span.min_seconds >= 0 for m in dated)
    dist = dict(lag_distribution(counter))
    timed = ("< 15 min", "15–60 min", "1–3 h", "3–6 h", "6–24 h", "1–3 days", "> 3 days")
    assert all(dist[b] == 0 for b in timed)  # every COUNTER copy is in a "(date only)" bucket
    assert dist["same day (date only)"] == sum(1 for m in dated if m.lag_span and m.lag_span.days == 0)
    assert "<title>&lt; 15 min: 0 copies</title>" in render(counter, "html")


# --- the provenance tree on the data (issue #12 item 1) -------------------------------------


def _story_of(report: Report, pred) -> tuple:  # type: ignore[no-untyped-def]
    stories = [s for s in report.stories if any(pred(m) for m in s.members)]
    assert len(stories) == 1
    return stories[0], {m.outlet if "." in m.outlet else m.id: m for m in stories[0].members}


def test_newshtml_24horas_credits_efe_and_cooperativa_is_an_uncredited_copy_of_efe(newshtml: Report) -> None:
    s, by = _story_of(newshtml, lambda m: m.outlet == "24horas.cl")
    horas, coop = by["24horas.cl"], by["cooperativa.cl"]
    assert "EFE" in horas.credits
    assert horas.relation == "credited_copy"
    assert (horas.parent.name, horas.parent.in_corpus) == ("EFE", False)  # type: ignore[union-attr]
    assert coop.relation == "uncredited_copy" and (coop.parent.name, coop.parent.in_corpus) == ("EFE", False)  # type: ignore[union-attr]
    assert s.origin is not None and (s.origin.name, s.origin.in_corpus) == ("EFE", False)
    assert s.confidence != "high"  # cooperativa.cl is no longer "the original with high confidence"


def test_counter_0431p_and_0490p_are_credited_copies_of_online(counter: Report) -> None:
    s, by = _story_of(counter, lambda m: m.id == "0431p")
    members = {m.id: m for m in s.members}
    for ident in ("0431p", "0490p"):
        m = members[ident]
        assert "Online" in m.credits and m.relation == "credited_copy"
        line = []  # its line in the tree, up to the root
        while m.parent is not None and m.parent.in_corpus:
            line.append(m.parent.id)
            m = members[m.parent.id]  # type: ignore[index]
        assert m.parent is not None and (m.parent.name, m.parent.in_corpus) == ("Online", False), line
