"""The extent of reuse in every rendering (issue 14, item 7): ``reused_share`` and
``longest_passage_words`` on members (JSON, CSV, Markdown), and the HTML's side-by-side
view with the shared passages marked; then the same numbers through ``dedup index`` and
``dedup report``."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timezone
from pathlib import Path

from dedup.config import Config
from dedup.extent import with_reuse
from dedup.model import Report, Story
from dedup.pipeline import build_report, index_corpus
from dedup.report import render
from dedup.verify import containment, text_shingles
from tests.conftest import make_row, write_jsonl
from tests.test_extent import COPY, SHARED, WIRE, WORD3, _art, _member


def _report() -> Report:
    """wire <- copy: 8 of the copy's 10 word 3-grams are the wire's, 10 words shared verbatim."""
    story = Story("s1", _member("wire", None), (_member("wire", None), _member("copy", "wire")))
    story = with_reuse(story, [_art(1, "wire", WIRE), _art(2, "copy", COPY)], WORD3)
    return Report(generated_at=datetime(2026, 12, 5, tzinfo=timezone.utc), since=None, stories=(story,), outlets=())


def test_json_members_carry_the_share_the_longest_passage_and_the_passages() -> None:
    members = {m["id"]: m for m in json.loads(render(_report(), "json"))["stories"][0]["members"]}
    assert members["copy"]["reused_share"] == 0.8 and members["copy"]["longest_passage_words"] == 10
    start = WIRE.index("Harbour")
    assert members["copy"]["reused_passages"] == [
        {"words": 10, "copy": [0, len(SHARED)], "source": [start, start + len(SHARED)]}]
    wire = members["wire"]
    assert (wire["reused_share"], wire["longest_passage_words"], wire["reused_passages"]) == (None, None, None)


def test_csv_and_markdown_show_the_two_numbers() -> None:
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(render(_report(), "csv")))}
    assert (rows["copy"]["reused_share"], rows["copy"]["longest_passage_words"]) == ("0.8", "10")
    assert (rows["wire"]["reused_share"], rows["wire"]["longest_passage_words"]) == ("", "")
    md = render(_report(), "md")
    assert "| reused from parent |" in md
    assert next(line for line in md.splitlines() if line.startswith("| 2 |")).endswith("| 80% · 10 words |")


def test_html_shows_the_copy_beside_its_source_with_the_shared_run_marked() -> None:
    html = render(_report(), "html")
    views = re.findall(r"<details class='cmp' id='cmp-([^']+)'>(.*?)</details>", html, re.S)
    assert [v[0] for v in views] == ["copy"]  # a copy gets a view; the original only as its source
    view = views[0][1]
    assert "80% of its text found in the source; longest shared passage 10 words" in view
    columns = re.findall(r"<div class='txt' dir='auto'[^>]*>(.*?)</div>", view, re.S)
    assert columns == [
        f"<mark>{SHARED.capitalize()}</mark>, &amp; unions said.",  # article text is escaped
        f"Rotterdam port: <mark>{SHARED.capitalize()}</mark> on Monday.",
    ]
    assert "<td class='num'>80% · 10 words</td>" in html


def test_report_measures_each_copy_against_its_parent_through_the_store(tmp_path: Path, news) -> None:  # type: ignore[no-untyped-def]
    """Indexed and reported as a desk would: the copy's ``reused_share`` is the shared
    verify base's containment of its text in its parent's, and its longest passage the
    whole wire body (the copy is the wire plus a paragraph of its own)."""
    tram = news["tram"]
    own = "The copying outlet adds a closing paragraph of its own about something else entirely."
    rows = [
        make_row("wire-1", tram.body, title=tram.title, outlet="wire.example", published_at="2026-12-05T08:00:00+00:00"),
        make_row("copy-1", f"{tram.body}\n\n{own}", title=tram.title, outlet="copy.example",
                 published_at="2026-12-05T09:00:00+00:00"),
    ]
    cfg = Config(store=tmp_path / "store", progress=False, workers=1)
    index_corpus([str(write_jsonl(tmp_path / "in.jsonl", rows))], cfg)
    (story,) = json.loads(render(build_report(cfg, since="all", mark=False), "json"))["stories"]
    copy = next(m for m in story["members"] if m["id"] == "copy-1")
    assert copy["parent"]["id"] == "wire-1"
    shingle_cfg = cfg.shingle  # the store was built with it
    expected = containment(text_shingles(rows[1]["text"], tram.title, shingle_cfg),  # type: ignore[arg-type]
                           text_shingles(tram.body, tram.title, shingle_cfg))
    assert copy["reused_share"] == round(expected, 4) and 0.8 < expected < 1.0
    assert copy["longest_passage_words"] == len(re.findall(r"\w+", tram.body))
    assert [p["words"] for p in copy["reused_passages"]] == [copy["longest_passage_words"]]


def test_html_cuts_the_long_stretches_of_the_source_the_copy_did_not_reuse() -> None:
    """The source column keeps the 15 words next to each passage of a long unreused stretch
    and says how many it cut; the copy's own column is never cut."""
    tail = " ".join(f"word{k}" for k in range(40))
    wire = f"{WIRE}\n{tail}"
    story = Story("s1", _member("wire", None), (_member("wire", None), _member("copy", "wire")))
    story = with_reuse(story, [_art(1, "wire", wire), _art(2, "copy", f"{COPY}\n{tail}")], WORD3)
    view = render(Report(generated_at=datetime(2026, 12, 5, tzinfo=timezone.utc), since=None, stories=(story,),
                         outlets=()), "html")
    copy_col, source_col = re.findall(r"<div class='txt' dir='auto'[^>]*>(.*?)</div>", view, re.S)
    assert tail in copy_col  # shared by both: one long marked run, nothing cut
    assert "not reused" not in copy_col and "not reused" not in source_col
    story = with_reuse(story, [_art(1, "wire", wire), _art(2, "copy", COPY)], WORD3)
    view = render(Report(generated_at=datetime(2026, 12, 5, tzinfo=timezone.utc), since=None, stories=(story,),
                         outlets=()), "html")
    _, source_col = re.findall(r"<div class='txt' dir='auto'[^>]*>(.*?)</div>", view, re.S)
    # After the passage: " on Monday." and the 40 words, 42 unreused words; 15 kept, 27 cut.
    assert source_col.endswith("</mark> on Monday.\nword0 word1 word2 word3 word4 word5 word6 word7 word8 word9 "
                               "word10 word11 word12 <span class='muted'>[… 27 words not reused …]</span>")
