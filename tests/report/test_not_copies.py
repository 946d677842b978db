"""Members that are in a story but no copy: ``same_outlet`` (the origin's own outlet again) and
``related`` (an earlier related text). Listed with their lag; counted in no copy count, credit
share or lag statistic of the summary, the outlet table and the charts, in any format."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from dedup.config import Config
from dedup.model import Member, OutletTotals, Report, Story, TimePrecision
from dedup.pipeline import build_report, index_corpus
from dedup.report import render
from dedup.report.stats import lag_distribution, outlet_rows, summary

UTC = timezone.utc
T0 = datetime(2014, 12, 1, 5, 0, tzinfo=UTC)


def _m(ident: str, outlet: str, lag: float, relation: str, *, credited: bool = False, title: str = "") -> Member:
    return Member(
        id=ident, outlet=outlet, url=f"https://{outlet}/{ident}", title=title or f"Title {ident}",
        published_at=datetime.fromtimestamp(T0.timestamp() + lag, UTC), time_precision=TimePrecision.EXACT,
        lag_seconds=lag, similarity=0.9, containment=0.9, relation=relation, first_line=f"First line of {ident}",
        credited=credited,
    )


@pytest.fixture
def report() -> Report:
    """APP files a story twice; one paper credits it, one does not; an old template is related."""
    first = _m("app-1", "app", 0.0, "original")
    members = (
        first,
        _m("old-template", "nawa-e-waqt", -4147200.0, "related"),
        _m("app-2", "app", 600.0, "same_outlet"),
        _m("jang-1", "jang", 3600.0, "credited_copy", credited=True),
        _m("dawn-1", "dawn", 7200.0, "uncredited_copy"),
    )
    story = Story(story_id="s1", first=first, members=members, is_new=True)
    # As the pipeline builds them (test_from_a_real_store_an_outlets_second_posting_is_same_outlet checks it).
    outlets = (OutletTotals("app", 2, 1, 0), OutletTotals("dawn", 1, 0, 1), OutletTotals("jang", 1, 0, 1),
               OutletTotals("nawa-e-waqt", 1, 0, 0))
    return Report(datetime(2014, 12, 2, tzinfo=UTC), None, (story,), outlets,
                  {"stories": 1, "new_stories": 1, "copies": 2, "articles_in_store": 9})


def test_summary_counts_only_copies(report: Report) -> None:
    sm = summary(report)
    assert (sm["copies"], sm["credited_copies"], sm["uncredited_copies"], sm["partial_copies"]) == (2, 1, 1, 0)
    assert sm["share_credited"] == 0.5
    assert sm["median_lag_seconds"] == 5400.0  # of jang and dawn only
    dist = dict(lag_distribution(report))
    assert dist["before origin"] == 0 and dist["< 15 min"] == 0  # not the template, not APP's second filing
    assert sum(dist.values()) == 2


def test_outlet_rows_leave_them_out(report: Report) -> None:
    rows = {o.outlet: o for o in outlet_rows(report)}
    app = rows["app"]
    assert (app.articles, app.original, app.copies, app.share_credited) == (2, 1, 0, None)
    assert app.copied_by_others == 2 and app.same_outlet == 1
    assert app.share_original == 1.0  # first in every story it took part in; its second filing is neither
    assert app.median_lag_seconds is None
    old = rows["nawa-e-waqt"]
    assert (old.copies, old.related, old.median_lag_seconds) == (0, 1, None)
    assert rows["jang"].copies == 1 and rows["jang"].share_credited == 1.0


def test_json_keeps_its_keys_and_counts_only_copies(report: Report) -> None:
    data = json.loads(render(report, "json"))
    (story,) = data["stories"]
    assert [m["relation"] for m in story["members"]] == ["original", "related", "same_outlet", "credited_copy",
                                                         "uncredited_copy"]
    assert story["members"][1]["lag_seconds"] == -4147200.0 and story["members"][2]["lag_seconds"] == 600.0
    assert data["totals"] == {"stories": 1, "new_stories": 1, "copies": 2, "articles_in_store": 9, "more": 0}
    assert data["outlets"][0] == {"outlet": "app", "articles": 2, "original": 1, "copies": 0}
    assert all(set(o) == {"outlet", "articles", "original", "copies"} for o in data["outlets"])
    stats = {o["outlet"]: o for o in data["outlet_stats"]}
    assert stats["app"]["copies"] == 0 and stats["app"]["share_credited"] is None
    assert stats["app"]["copied_by_others"] == 2 and stats["nawa-e-waqt"]["copies"] == 0
    assert set(stats["app"]) == {"outlet", "articles", "original", "share_original", "copies", "credited_copies",
                                 "share_credited", "partial_copies", "copied_by_others", "median_lag_seconds"}
    assert data["summary"]["copies"] == 2
    assert sum(b["copies"] for b in data["lag_distribution"]) == 2


def test_markdown_counts_only_copies(report: Report) -> None:
    md = render(report, "md")
    assert "**2 copies**" in md
    assert "- Copies: 1 credited, 1 uncredited, 0 partial; 50% name their source" in md
    assert "| 2 | nawa-e-waqt | " in md and "| related |" in md and "| same_outlet |" in md
    assert "| app | 2 | 1 | 0 | 100% | 2 | — | — |" in md  # first in every story it took part in
    chart = md.split("### Copies per outlet")[1].split("```")[1]
    assert "app" not in chart and "nawa-e-waqt" not in chart and "jang" in chart
    assert re.search(r"\nbefore origin +0\n", md.split("### Lag distribution")[1])


def test_html_counts_only_copies(report: Report) -> None:
    html = render(report, "html")
    assert "<b>2</b> copies" in html
    assert "same outlet" in html and "earlier related text" in html  # their relation badges
    copies_chart = html.split("<h3>Copies per outlet</h3>")[1].split("</svg>")[0]
    assert "app" not in copies_chart and "nawa-e-waqt" not in copies_chart
    lag_chart = html.split("<h3>Lag distribution")[1].split("</svg>")[0]
    assert "<title>before origin: 0 copies</title>" in lag_chart
    outlet_table = html.split("<h2>Outlets</h2>")[1]
    assert "<tr><td>app</td><td class='num'>2</td><td class='num'>1</td><td class='num'>0</td>" in outlet_table


def test_from_a_real_store_an_outlets_second_posting_is_same_outlet(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    # riverpost.com posts its tram story again (a re-post under another id) an hour later.
    repost = {**articles["tram-orig"], "id": "tram-repost", "url": "https://www.riverpost.com/amp/tram",
              "published_at": "2026-11-24T09:00:00+00:00"}
    index_corpus([str(jsonl("night.jsonl", [*articles.values(), repost]))], cfg)
    rep = build_report(cfg, since="all")
    tram = next(s for s in rep.stories if s.first.id == "tram-orig")
    rel = {m.id: m.relation for m in tram.members}
    assert rel == {"tram-orig": "original", "tram-repost": "same_outlet", "tram-junk": "uncredited_copy",
                   "tram-abr": "partial_copy"}
    data = json.loads(render(rep, "json"))
    river = next(o for o in data["outlets"] if o["outlet"] == "riverpost.com")
    assert river == {"outlet": "riverpost.com", "articles": 2, "original": 1, "copies": 0}
    assert data["totals"]["copies"] == data["summary"]["copies"] == 4  # tram: 2, beras: 1, gempa: 1


# -- text direction ------------------------------------------------------------------------------

def test_html_titles_and_first_lines_take_their_own_direction() -> None:
    urdu_title, urdu_line = "پاکستان نے میچ جیت لیا", "لاہور ۔ یکم دسمبر (اے پی پی) پاکستان جیت گیا"
    first = replace(_m("app-1", "app", 0.0, "original", title=urdu_title), first_line=urdu_line)
    copy = _m("dawn-1", "dawn", 60.0, "uncredited_copy", title="Pakistan win")
    rep = Report(datetime(2014, 12, 2, tzinfo=UTC), None, (Story("s1", first, (first, copy)),), ())
    html = render(rep, "html")
    assert html.startswith("<!doctype html><html lang='en'>")
    assert f"<h2 dir='auto' lang='ur'>{urdu_title}</h2>" in html  # the member's language, read from title and first line
    assert f"<div dir='auto'><b>{urdu_title}</b></div>" in html
    assert f"<div dir='auto'>{urdu_line}</div>" in html
    assert "<div dir='auto'><b>Pakistan win</b></div>" in html  # every title: the direction comes from the text
    assert "<td class='first' lang='ur'>" in html  # title and first line together are enough to tell
    assert "<td class='first'><div dir='auto'><b>Pakistan win</b>" in html  # two words tell no language: none claimed
    # No scraped title or first line outside an element of its own direction.
    for text in (urdu_title, urdu_line):
        for hit in re.finditer(re.escape(text), html):
            before = html[: hit.start()]
            assert re.search(r"dir='auto'( lang='\w+')?>(<b>)?$", before), html[hit.start() - 60 : hit.end()]
