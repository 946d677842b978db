"""The nightly report as a product (issue 4): summary, timelines, credits, outlet table, charts.

Markdown, JSON and HTML carry the same content; everything from an article is escaped.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

from dedup.model import CreditRef, Member, OutletTotals, Report, Story, TimePrecision
from dedup.report import render
from dedup.report.html import _SCRIPT
from dedup.report.stats import lag_distribution, outlet_rows, summary

UTC = timezone.utc
EVIL = "<img src=x onerror=alert(1)>"


def _m(ident: str, outlet: str, lag: float | None, relation: str, *, credits: tuple[str, ...] = (), credited: bool = False,
       sim: float = 0.98, url: str | None = None) -> Member:
    t0 = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    when = None if lag is None else datetime.fromtimestamp(t0.timestamp() + lag, UTC)
    return Member(
        id=ident, outlet=outlet, url=url or f"https://{outlet}/{ident}", title=f"Banjir {ident} {EVIL}", published_at=when,
        time_precision=TimePrecision.EXACT if when else TimePrecision.UNKNOWN, lag_seconds=lag, similarity=sim,
        containment=1.0, relation=relation, first_line=f"Banjir besar melanda {EVIL}", credits=credits, credited=credited,
    )


@pytest.fixture
def report() -> Report:
    detik = _m("detik-1", "detik.com", 0.0, "original", credits=("AFP",))
    members = (
        detik,
        _m("koran-1", "korannews.com", 2820.0, "uncredited_copy", credits=("AFP",)),
        _m("tribun-1", "tribunnews.com", 7200.0, "credited_copy", credits=("detik.com",), credited=True),
        _m("bter-1", "beritaterkini.id", 12720.0, "partial_copy", credits=("AFP", "detik.com"), credited=True, sim=0.52),
        _m("viral-1", f"infoviral.co{EVIL}", None, "uncredited_copy", url="javascript:alert(document.domain)"),
    )
    story = Story(
        story_id="s1", first=detik, members=members, flags=("unknown time: viral-1",), is_new=True,
        credits=(CreditRef("AFP", False), CreditRef("detik.com", True)), confidence="medium",
        conflicts=(), evidence=("earliest known time: 2026-11-24 05:00 UTC",),
    )
    outlets = tuple(OutletTotals(m.outlet, 1, int(m.relation == "original"), int(m.relation != "original")) for m in members)
    return Report(datetime(2026, 11, 25, 1, 0, tzinfo=UTC), None, (story,), outlets,
                  {"stories": 1, "new_stories": 1, "copies": 4, "articles_in_store": 50})


def test_stats(report: Report) -> None:
    rows = {o.outlet: o for o in outlet_rows(report)}
    assert rows["detik.com"].copied_by_others == 4 and rows["detik.com"].share_original == 1.0
    assert rows["tribunnews.com"].share_credited == 1.0 and rows["korannews.com"].share_credited == 0.0
    assert rows["beritaterkini.id"].partial == 1 and rows["beritaterkini.id"].whole_credited == 0
    assert rows["korannews.com"].median_lag_seconds == 2820.0
    dist = dict(lag_distribution(report))
    assert dist["15–60 min"] == 1 and dist["1–3 h"] == 1 and dist["3–6 h"] == 1 and dist["unknown"] == 1
    sm = summary(report)
    assert (sm["copies"], sm["credited_copies"], sm["uncredited_copies"], sm["partial_copies"]) == (4, 1, 2, 1)
    assert sm["share_credited"] == 0.5  # the credited partial copy counts as credited
    assert sm["origins_credit_a_source_not_in_corpus"] == 1


def test_json_adds_to_the_contract(report: Report) -> None:
    data = json.loads(render(report, "json"))
    (story,) = data["stories"]
    assert story["credits"] == [{"name": "AFP", "in_corpus": False}, {"name": "detik.com", "in_corpus": True}]
    assert story["confidence"] == "medium" and story["conflicts"] == []
    assert story["origin_note"] == "first in corpus: detik.com; credits AFP — not in corpus"
    assert story["evidence"] == ["earliest known time: 2026-11-24 05:00 UTC"]
    koran = story["members"][1]
    assert koran["relation"] == "uncredited_copy" and koran["credits"] == ["AFP"] and koran["credited"] is False
    assert story["members"][3]["credited"] is True
    assert all(set(o) == {"outlet", "articles", "original", "copies"} for o in data["outlets"])  # unchanged
    stats = {o["outlet"]: o for o in data["outlet_stats"]}
    assert stats["detik.com"]["copied_by_others"] == 4 and stats["tribunnews.com"]["share_credited"] == 1.0
    assert data["summary"]["copies"] == 4
    assert [b["bucket"] for b in data["lag_distribution"]][0] == "before origin"


def test_markdown_carries_the_same_content(report: Report) -> None:
    md = render(report, "md")
    assert "first in corpus: detik.com; credits AFP — not in corpus." in md
    assert "Confidence: **medium** (earliest known time: 2026-11-24 05:00 UTC)." in md
    assert "| 2 | korannews.com | 2026-11-24 05:47 UTC | +47m | 0.98 | uncredited_copy | AFP |" in md
    assert "- Copies: 1 credited, 2 uncredited, 1 partial; 50% name their source" in md
    for chart in ("### Copies per outlet", "### Lag distribution", "### Originality by outlet"):
        assert chart in md
    assert md.count("\n## ") == 2  # the story and the outlets: charts are ### inside Outlets
    assert "| detik.com | 1 | 1 | 0 | 100% | 4 | — | — |" in md


def test_html_is_a_self_contained_product(report: Report) -> None:
    html = render(report, "html")
    # no script but the page's own (the table of contents' filter and sort), allowed by its hash
    assert html.lower().count("<script") == html.count(f"<script>{_SCRIPT}</script>") == 1 and "default-src 'none'" in html
    assert not re.findall(r"<[^>]+\ssrc=", html)  # nothing to fetch: no images, frames or fonts
    links = set(re.findall(r"href='([^']*)'", html))
    assert links == {m.url for m in report.stories[0].members if m.url.startswith("https://")} | {
        f"#{s.story_id}" for s in report.stories}  # the table of contents' links stay in the page
    assert html.count("<svg") == 4  # three charts and one story timeline
    for title in ("Copies per outlet", "Lag distribution", "Originality by outlet", "Outlets"):
        assert title in html
    assert "first in corpus: detik.com; credits AFP — not in corpus" in html
    assert "conf-medium" in html and "uncredited copy" in html and "partial copy" in html
    assert html.count("<tr class='original'>") == 1


def test_html_escapes_everything_from_articles(report: Report) -> None:
    html = render(report, "html")
    assert EVIL not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "infoviral.co&lt;img" in html  # the outlet, also inside SVG text
    assert "javascript:" not in html  # a non-http URL is shown as text, never linked
    assert "href='https://detik.com/detik-1'" in html


def test_empty_report_has_no_charts() -> None:
    rep = Report(datetime(2026, 1, 1, tzinfo=UTC), None, (), (), {"stories": 0, "new_stories": 0, "copies": 0, "articles_in_store": 0})
    assert "<svg" not in render(rep, "html")
    assert "###" not in render(rep, "md")
    assert json.loads(render(rep, "json"))["summary"]["copies"] == 0
