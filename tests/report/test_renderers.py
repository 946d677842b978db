from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from dedup.config import Config
from dedup.model import Member, OutletTotals, Report, Story, TimePrecision
from dedup.pipeline import build_report, index_corpus
from dedup.report import render
from dedup.report.text import lag_text, time_text

UTC = timezone.utc
XSS = "<script>alert(1)</script>"


def _member(ident: str, outlet: str, when: datetime | None, lag: float | None, relation: str, sim: float, title: str = "Judul") -> Member:
    return Member(
        id=ident, outlet=outlet, url=f"https://www.{outlet}/{ident}?a=1&b=2", title=title, published_at=when,
        time_precision=TimePrecision.EXACT if when else TimePrecision.UNKNOWN, lag_seconds=lag, similarity=sim,
        containment=1.0, relation=relation, first_line=f"First line of {ident} | {XSS}",
    )


@pytest.fixture
def report() -> Report:
    t0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    first = _member("orig", "riverpost.com", t0, 0.0, "original", 1.0, title=f"Tram vote {XSS}")
    members = (
        first,
        _member("copy", "korannews.com", datetime(2026, 11, 24, 10, 5, tzinfo=UTC), 7500.0, "copy", 0.97),
        _member("part", "dailyecho.net", None, None, "partial_copy", 0.36),
    )
    story = Story(story_id="s0123456789ab", first=first, members=members, flags=("unknown time: part",), is_new=True)
    return Report(
        generated_at=datetime(2026, 11, 25, 1, 0, tzinfo=UTC),
        since=datetime(2026, 11, 24, 1, 0, tzinfo=UTC),
        stories=(story,),
        outlets=(
            OutletTotals("dailyecho.net", 1, 0, 1),
            OutletTotals("korannews.com", 1, 0, 1),
            OutletTotals("riverpost.com", 1, 1, 0),
        ),
        totals={"stories": 1, "new_stories": 1, "copies": 2, "articles_in_store": 40},
    )


def test_json_contract(report: Report) -> None:
    data = json.loads(render(report, "json"))
    assert data["generated_at"] == "2026-11-25T01:00:00+00:00"
    assert data["since"] == "2026-11-24T01:00:00+00:00"
    assert data["totals"] == {"stories": 1, "new_stories": 1, "copies": 2, "articles_in_store": 40, "more": 0}
    (story,) = data["stories"]
    assert story["story_id"] == "s0123456789ab"
    assert story["is_new"] is True
    assert story["first"] == {"id": "orig", "outlet": "riverpost.com", "url": "https://www.riverpost.com/orig?a=1&b=2",
                              "published_at": "2026-11-24T08:00:00+00:00"}
    assert story["flags"] == ["unknown time: part"]
    assert [m["id"] for m in story["members"]] == ["orig", "copy", "part"]
    for m in story["members"]:
        assert {"id", "outlet", "url", "published_at", "lag_seconds", "similarity", "relation"} <= set(m)
    assert story["members"][0]["relation"] == "original" and story["members"][0]["lag_seconds"] == 0.0
    assert story["members"][1]["lag_seconds"] == 7500.0 and story["members"][1]["similarity"] == 0.97
    assert story["members"][2]["published_at"] is None and story["members"][2]["lag_seconds"] is None
    assert data["outlets"][2] == {"outlet": "riverpost.com", "articles": 1, "original": 1, "copies": 0}
    assert all(set(o) == {"outlet", "articles", "original", "copies"} for o in data["outlets"])


def test_json_keeps_non_ascii(report: Report) -> None:
    story = report.stories[0]
    first = replace(story.first, title="Harga beras naik — Rp 13.800")
    rep = Report(report.generated_at, None, (Story("s1", first, (first,)),), ())
    text = render(rep, "json")
    assert "Harga beras naik — Rp 13.800" in text
    assert json.loads(text)["since"] is None


def test_html_escapes_everything_from_articles(report: Report) -> None:
    html = render(report, "html")
    assert XSS not in html
    # the page's own script is the only one, and the policy allows it by its hash alone
    (script,) = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert html.lower().count("<script") == 1
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = re.search(r"Content-Security-Policy' content=\"([^\"]*)\"", html)
    assert csp is not None
    policy = {d.split()[0]: d.split()[1:] for d in csp.group(1).split(";") if d.strip()}
    assert policy["default-src"] == ["'none'"] and policy["script-src"] == [f"'sha256-{digest}'"]
    assert "Tram vote &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "First line of copy | &lt;script&gt;" in html
    assert "https://www.riverpost.com/orig?a=1&amp;b=2" in html
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "default-src 'none'" in html  # no network, no scripts
    assert html.count("<tr class='original'>") == 1
    assert "⚠ unknown time: part" in html
    assert "+2h 05m" in html
    assert "riverpost.com" in html and "korannews.com" in html


def test_markdown_renders(report: Report) -> None:
    md = render(report, "md")
    lines = md.splitlines()
    assert lines[0] == "# dedup report"
    assert "Generated 2026-11-25 01:00 UTC; changes since 2026-11-24 01:00 UTC." in md
    assert "**1 story** with copies (1 new), **2 copies**; 40 articles in the store." in md
    # scraped text is shown, never rendered as HTML by a Markdown viewer
    assert f"## Tram vote {XSS.replace('<', '&lt;').replace('>', '&gt;')}" in md and "<script" not in md
    assert "Story `s0123456789ab` (new) · first: **riverpost.com** at 2026-11-24 08:00 UTC" in md
    rows = [ln for ln in lines if ln.startswith("| ") and ln[2].isdigit()]
    assert len(rows) == 3
    assert rows[0].startswith("| 1 | riverpost.com | 2026-11-24 08:00 UTC | 0 | 1.00 | original |")
    assert rows[1].startswith("| 2 | korannews.com | 2026-11-24 10:05 UTC | +2h 05m | 0.97 | copy |")
    assert rows[2].startswith("| 3 | dailyecho.net | unknown | — | 0.36 | partial_copy |")
    assert "- ⚠ unknown time: part" in md
    assert "## Outlets" in md and "| riverpost.com | 1 | 1 | 0 |" in md


def test_markdown_escapes_table_pipes() -> None:
    m = _member("a|b", "x|y.com", None, None, "original", 1.0, title="A | B\nC")
    rep = Report(datetime(2026, 1, 1, tzinfo=UTC), None, (Story("s", m, (m,)),), (OutletTotals("x|y.com", 1, 1, 0),))
    md = render(rep, "md")
    assert "## A \\| B C" in md
    assert "| x\\|y.com | 1 | 1 | 0 |" in md
    assert "changes since the beginning" in md


def test_markdown_does_not_pass_links_through() -> None:
    m = _member("a", "x.com", None, None, "original", 1.0, title="[win](javascript:alert(1))")
    rep = Report(datetime(2026, 1, 1, tzinfo=UTC), None, (Story("s", m, (m,)),), (OutletTotals("x.com", 1, 1, 0),),
                 {"stories": 1, "new_stories": 1, "copies": 0, "articles_in_store": 12345})
    md = render(rep, "md")
    assert "## \\[win\\](javascript:alert(1))" in md
    assert "12,345 articles in the store" in md
    # an outlet and an id come from the input too (the id heads a story without a title)
    m = _member(XSS, "<img src=x onerror=alert(1)>", None, None, "original", 1.0, title="")
    rep = Report(datetime(2026, 1, 1, tzinfo=UTC), None, (Story("s", m, (m,)),), ())
    md = render(rep, "md")
    prose = "".join(md.split("```")[::2])  # text in fenced blocks is shown as is by any viewer
    assert "<script" not in prose and "<img" not in prose
    assert "**&lt;img src=x onerror=alert(1)&gt;**" in md and "## &lt;script&gt;" in md


def test_empty_report_renders_in_every_format() -> None:
    rep = Report(datetime(2026, 1, 1, tzinfo=UTC), None, (), (), {"stories": 0, "new_stories": 0, "copies": 0, "articles_in_store": 3})
    assert json.loads(render(rep, "json"))["stories"] == []
    assert "**0 stories**" in render(rep, "md")
    assert "<b>0</b> stories" in render(rep, "html")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0, "0"), (59, "+0m"), (60, "+1m"), (7500, "+2h 05m"), (86400 * 3 + 3600 * 4 + 5, "+3d 4h"), (-5400, "-1h 30m")],
)
def test_lag_text(seconds: float | None, text: str) -> None:
    assert lag_text(seconds) == text


def test_time_text() -> None:
    assert time_text(None) == "unknown"
    assert time_text(datetime(2026, 11, 24, 8, 5, tzinfo=UTC)) == "2026-11-24 08:05 UTC"


def test_report_from_a_real_store(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    evil = {**articles["beras-orig"], "title": XSS}
    rows = [evil if r["id"] == "beras-orig" else r for r in articles.values()]
    index_corpus([str(jsonl("night.jsonl", rows))], cfg)
    rep = build_report(cfg, since="all")
    data = json.loads(render(rep, "json"))
    assert {"generated_at", "stories", "outlets"} <= set(data)
    assert len(data["stories"]) == 3
    for story in data["stories"]:
        assert set(story["first"]) == {"id", "outlet", "url", "published_at"}
        assert story["members"][0]["id"] == story["first"]["id"]
        assert story["members"][0]["relation"] == "original"
        assert all(m["relation"] in ("credited_copy", "uncredited_copy", "partial_copy") for m in story["members"][1:])
    beras = next(s for s in data["stories"] if s["first"]["id"] == "beras-orig")
    assert beras["first"]["published_at"] == "2026-11-24T03:00:00+00:00"
    assert beras["members"][1]["lag_seconds"] == 4500.0
    html = render(rep, "html")
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = render(rep, "md")
    assert md.count("\n## ") == 4  # three stories and the outlets
