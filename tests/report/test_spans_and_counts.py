"""Issue 12: times as spans (a bare date is the whole day in its zone) and counts that mean copies,
through a real store and every renderer."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from dedup.config import Config, ReadConfig
from dedup.model import Report
from dedup.pipeline import build_report, index_corpus
from dedup.provenance import has_copies
from dedup.report import render
from dedup.report.stats import lag_distribution, summary


@pytest.fixture
def jakarta(cfg: Config, articles, jsonl) -> Report:  # type: ignore[no-untyped-def]
    """The standard scenario read with --tz Asia/Jakarta: beritaku.id's copy of kompas.com's 09:00 story
    is dated only "2026-11-25", and finwire.com posts its rates story twice (no copy)."""
    rows = {**articles}
    rows["beras-orig"] = {**rows["beras-orig"], "published_at": "2026-11-25T09:00:00+07:00"}
    rows["beras-copy"] = {**rows["beras-copy"], "published_at": "2026-11-25"}
    repost = {**rows["rates"], "id": "rates-repost", "url": "https://www.finwire.com/amp/rates",
              "published_at": "2026-11-25T15:00:00+00:00"}
    index_corpus([str(jsonl("night.jsonl", [*rows.values(), repost]))], replace(cfg, read=ReadConfig(tz="Asia/Jakarta")))
    return build_report(cfg, since="all", mark=False)


def test_a_jakarta_bare_date_is_its_day_and_its_lag_a_span_in_json(jakarta: Report) -> None:
    data = json.loads(render(jakarta, "json"))
    beras = next(s for s in data["stories"] if s["first"]["id"] == "beras-orig")
    copy = next(m for m in beras["members"] if m["id"] == "beras-copy")
    assert copy["time_precision"] == "date"
    assert copy["published_at"] == "2026-11-25T00:00:00+07:00"  # not 2026-11-24T17:00:00+00:00
    assert copy["lag_seconds"] is None  # not -86400, not 0
    assert copy["lag"] == {"min_seconds": 0.0, "max_seconds": 15 * 3600.0, "days": 0, "date_only": True, "label": "same day"}
    timed = next(m for m in beras["members"] if m["id"] == "beras-orig")
    assert timed["lag"] == {"min_seconds": 0.0, "max_seconds": 0.0, "days": None, "date_only": False, "label": "0"}
    buckets = {b["bucket"]: b["copies"] for b in data["lag_distribution"]}
    assert buckets["same day (date only)"] == 1
    assert buckets["< 15 min"] == 0 and buckets["before origin"] == 0


def test_a_jakarta_bare_date_is_shown_as_its_date_in_markdown_and_html(jakarta: Report) -> None:
    md = render(jakarta, "md")
    row = next(line for line in md.splitlines() if line.startswith("| 2 | ↳ beritaku.id |"))
    assert "| 2026-11-25 | same day |" in row
    assert "2026-11-24 17:00" not in md and "| -1d" not in md
    html = render(jakarta, "html")
    assert "<td>2026-11-25</td><td class='num'>same day</td>" in html
    assert "2026-11-24 17:00" not in html
    assert "<title>same day (date only): 1 copies</title>" in html
    assert "<title>&lt; 15 min: 0 copies</title>" in html


def test_totals_count_only_stories_with_a_copy(jakarta: Report) -> None:
    rates = next(s for s in jakarta.stories if s.first.outlet == "finwire.com")
    assert [m.relation for m in rates.members] == ["original", "same_outlet"]
    with_copies = [s for s in jakarta.stories if any(m.relation.endswith("_copy") for m in s.members)]
    assert jakarta.totals["stories"] == len(with_copies) == len(jakarta.stories) - 1
    assert jakarta.totals["new_stories"] == len(with_copies)
    assert summary(jakarta)["stories"] == len(with_copies)
    assert summary(jakarta)["stories_without_copies"] == 1
    assert jakarta.stories[-1] is rates  # listed after the stories with copies
    data = json.loads(render(jakarta, "json"))
    assert data["totals"]["stories"] == data["summary"]["stories"] == len(with_copies)
    assert [s["has_copies"] for s in data["stories"]] == [True] * len(with_copies) + [False]
    md = render(jakarta, "md")
    assert f"**{len(with_copies)} stories** with copies ({len(with_copies)} new)" in md
    assert "1 group without a copy listed last." in md
    html = render(jakarta, "html")
    assert f"<p><b>{len(with_copies)}</b> stories with copies ({len(with_copies)} new)" in html
    assert f"<b>{len(with_copies)}</b>stories with copies ({len(with_copies)} new)" in html  # the summary card
    assert html.index("Grouped without a copy") < html.index("id='" + rates.story_id + "'")


def test_a_story_with_only_a_related_text_is_no_story_with_copies() -> None:
    from datetime import datetime, timezone

    from dedup.model import Member, Story, TimePrecision

    t = datetime(2026, 11, 24, tzinfo=timezone.utc)
    first = Member("a", "app", "u", "t", t, TimePrecision.EXACT, 0.0, 1.0, 1.0, "original")
    related = replace(first, id="b", outlet="dawn.com", relation="related", lag_seconds=-10 * 86400.0)
    copy = replace(first, id="c", outlet="jang.com.pk", relation="partial_copy", lag_seconds=600.0)
    lone, real = Story("s1", first, (first, related)), Story("s2", first, (first, related, copy))
    assert not has_copies(lone) and has_copies(real)
    sm = summary(Report(t, None, (real, lone), ()))
    assert (sm["stories"], sm["new_stories"], sm["stories_without_copies"], sm["copies"]) == (1, 0, 1, 1)
