"""What an article says is shown, never acted on, in every rendering: control
characters (a CR ends a Markdown line and so a code fence; ESC starts a terminal
sequence) and bidi overrides ("\\u202emoc.elgoog" displays as "google.com") are made
visible as escapes; Urdu titles keep their direction."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt  # rich's own Markdown parser: a CommonMark renderer with GFM tables

import dedup.pipeline as pipeline
from dedup.cli import cli
from dedup.model import BoilerplateLine, Match, Member, OutletInfo, OutletTotals, Report, Story, TimePrecision
from dedup.report import render
from dedup.report.text import visible

UTC = timezone.utc
RLO = "\u202e"
# Characters that act rather than show: NUL, BEL, BS, CR, ESC, DEL, a C1 CSI, the bidi runs and a line separator.
ACTING = ("\x00", "\x07", "\x08", "\r", "\x1b", "\x7f", "\x9b", RLO, "\u202d", "\u202b", "\u2067", "\u2069", "\u2028")
SPOOF = f"{RLO}moc.elgoog"  # displays as "google.com"
# Where only \n was escaped, a CR in a table cell ended the row, and a fence after it opened a
# code block that the next chart's fence closed: that chart's lines (outlets, raw there) were
# then Markdown, and the outlet's own CRs put its <img> on a line of its own, as live HTML.
FENCE = "quote\r```\r"
BREAKOUT = "evil.com\r<img src=x onerror=alert(1)>\r"
URDU = "وزیراعظم نے بجٹ پیش کیا\u200f"  # an RLM: a legitimate mark in Urdu text


def _member(ident: str, outlet: str, title: str, url: str, relation: str = "uncredited_copy",
            first_line: str = f"line\r\x1b[2K{RLO}enil") -> Member:
    return Member(id=ident, outlet=outlet, url=url, title=title, published_at=datetime(2026, 11, 24, 8, tzinfo=UTC),
                  time_precision=TimePrecision.EXACT, lag_seconds=600.0 if relation != "original" else 0.0,
                  similarity=0.9, containment=1.0, relation=relation, first_line=first_line)


@pytest.fixture
def hostile() -> Report:
    # A story's heading is its first article's title, or its id when it has none.
    first = _member("orig\x1b[31m\x07\x00", "riverpost.com", "", "https://riverpost.com/a", relation="original")
    members = (
        first,
        _member("copy-1", SPOOF, "", f"https://evil.example/{RLO}lmth.xedni", first_line=FENCE),
        _member("copy-2", BREAKOUT, URDU, "https://evil.example/2", first_line=URDU),
        _member("copy-3", "bell\x07\x00\x7f\x9b.com", f"Real title\rFake title {RLO}txet", "https://bell.example/3"),
    )
    story = Story(story_id="s1", first=first, members=members, flags=(f"unknown time: {SPOOF}",), is_new=True)
    outlets = tuple(OutletTotals(m.outlet, 1, int(m is first), int(m is not first)) for m in members)
    return Report(datetime(2026, 11, 25, tzinfo=UTC), None, (story,), outlets,
                  {"stories": 1, "new_stories": 1, "copies": 3, "articles_in_store": 4})


def _acting(text: str) -> list[str]:
    return [repr(c) for c in ACTING if c in text]


# -- the helper ----------------------------------------------------------------------------------


def test_visible_shows_what_acts_and_keeps_urdu() -> None:
    assert visible(SPOOF) == "\\u202emoc.elgoog"
    assert visible("a\rb\x1b[2J\x07\x00\x7f\x9b") == "a\\rb\\x1b[2J\\x07\\x00\\x7f\\x9b"
    assert visible("a\u200fb") == "a\\u200fb"  # a mark has no place in a name
    assert visible(URDU, text=True) == URDU  # but is kept in prose
    assert visible("two\nlines\r\n\tand\u2028more", text=True) == "two lines   and more"
    assert visible("Harga beras naik — Rp 13.800 «ok» ✓") == "Harga beras naik — Rp 13.800 «ok» ✓"


# -- Markdown ------------------------------------------------------------------------------------


def test_markdown_shows_control_and_bidi_characters(hostile: Report) -> None:
    md = render(hostile, "md")
    assert _acting(md) == []
    assert "\\u202emoc.elgoog" in md  # the trick is shown, not hidden
    assert "## orig\\x1b\\[31m\\x07\\x00\n" in md  # the heading: its id ('[' escaped for Markdown)
    assert "| quote ```  |" in md  # a first line's CR is a space: no line of its own for the fence
    assert "evil.com\\r<img src=x onerror=alert(1)>\\r " in md  # in a fenced chart a CR is shown
    assert "| line \\x1b\\[2K\\u202eenil |" in md  # a first line: its CR a space, the rest shown
    assert f"| {URDU} |" in md  # an Urdu first line and its mark as they are


def test_markdown_rendered_by_commonmark_keeps_every_fence_and_row(hostile: Report) -> None:
    html = MarkdownIt("commonmark").enable("table").render(render(hostile, "md"))
    assert "<img" not in html  # the payload is text (&lt;img …), not a tag
    assert _acting(html) == []
    # Three fenced charts (copies, lags, originality), each still one block; one row per member.
    assert html.count("<pre><code>") == 3 and html.count("</code></pre>") == 3
    story_table = html.split("<table>")[1]
    assert story_table.count("<tr>") == 1 + 4  # header and four members, none split by a CR
    assert "\\u202emoc.elgoog" in html


def test_markdown_decodes_no_character_reference_and_no_link() -> None:
    # "&#x202e;" would be decoded to an override by any CommonMark viewer; a backslash
    # before an escaped bracket would escape the escape and make a link.
    m = _member("a", "&#x202e;moc.elgoog", "\\[click\\](https://evil.example/)", "https://x.example/a", "original")
    rep = Report(datetime(2026, 1, 1, tzinfo=UTC), None, (Story("s", m, (m,)),), (OutletTotals(m.outlet, 1, 1, 0),))
    html = MarkdownIt("commonmark").enable("table").render(render(rep, "md"))
    assert RLO not in html and "&amp;#x202e;moc.elgoog" in html
    assert "<a " not in html and "\\[click\\](https://evil.example/)" in html


# -- HTML ----------------------------------------------------------------------------------------


def test_html_shows_overrides_in_names_and_keeps_urdu_prose(hostile: Report) -> None:
    page = render(hostile, "html")
    assert _acting(page) == []
    assert "\\u202emoc.elgoog" in page
    assert "orig\\x1b[31m\\x07\\x00" in page
    assert "bell\\x07\\x00\\x7f\\x9b.com" in page
    # The link still leads where the article said; the override in it is percent-encoded.
    assert "href='https://evil.example/%E2%80%AElmth.xedni'" in page
    # Urdu prose keeps its own direction (dir='auto') and its mark; an override in a title is shown.
    assert f"<div dir='auto'><b>{URDU}</b></div><div dir='auto'>{URDU}</div>" in page
    assert "Real title Fake title \\u202etxet" in page


# -- terminal ------------------------------------------------------------------------------------


def _run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=True)
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r.exit_code, r.stdout, r.stderr


def test_query_table_shows_control_characters_and_no_markup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    matches = [
        Match("id\x1b]0;owned\x07\r", SPOOF, "https://x/1", None, f"title\x1b[2J{RLO}eltit", 0.9, 0.9, 0.9, None),
        Match("[/]", "[bold]bold[/bold].com", "https://x/2", None, "\x00\x7f", 0.8, 0.8, 0.8, None),
    ]
    monkeypatch.setattr(pipeline, "query", lambda cfg, target, k, where=None: ({"shingles": 100}, matches))
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = _run("query", "--store", str(tmp_path), "--text", "anything")
    assert code == 0
    assert _acting(out) == []
    for shown in ("\\u202emoc.elgoog", "id\\x1b]0;owned\\x07\\r", "title\\x1b[2J\\u202eeltit", "\\x00\\x7f",
                  "[/]", "[bold]bold[/bold].com"):
        assert shown in out
    code, out, _ = _run("query", "--store", str(tmp_path), "--text", "anything", "--json")
    assert code == 0 and _acting(out) == []
    assert [r["outlet"] for r in json.loads(out)["results"]] == [SPOOF, "[bold]bold[/bold].com"]  # the same data


def test_outlets_shows_control_characters(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    info = OutletInfo(SPOOF, 9, (BoilerplateLine("Baca juga\r\x1b[1A", 5, 0.5, "2026-11-24"),))
    monkeypatch.setattr(pipeline, "outlets", lambda cfg, only: [info])
    code, out, _ = _run("outlets", "--store", str(tmp_path))
    assert code == 0 and _acting(out) == []
    assert "\\u202emoc.elgoog (9 articles counted)" in out and "Baca juga \\x1b[1A" in out


def test_index_reject_lines_show_control_characters(tmp_path: Path) -> None:
    bad = tmp_path / "evil\x1b[2J\r.jsonl"  # a reject names the record by file:line
    bad.write_text('{"id": "a", "text": "fine text here"}\n{not json\n', encoding="utf-8")
    code, _, err = _run("index", "--store", str(tmp_path / "store"), "--workers", "1", str(bad))
    assert code == 0
    (line,) = [ln for ln in err.splitlines() if ln.startswith("rejected")]
    assert _acting(err) == []
    assert re.search(r"evil\\x1b\[2J\\r\.jsonl:2: malformed JSON", line)
