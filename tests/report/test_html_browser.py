"""The HTML report in a real browser: Debian's headless Chromium.

Checks that the stories show, and that a ``<script>`` (and an ``onerror``
handler) planted in an article does not run. A control page with the same
payload left unescaped proves this browser does run scripts, so the negative
result means something.

`make test` installs chromium when it is missing (`make setup-chromium`).
Set DEDUP_SCREENSHOT_TO=docs/report.png to refresh the README's screenshot.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dedup.config import Config, ReadConfig
from dedup.pipeline import build_report, index_corpus
from dedup.report import render

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--mute-audio", "--hide-scrollbars",
    # Let timers, image errors and the like fire before the DOM is dumped.
    "--virtual-time-budget=3000",
)
SCRIPT = "<script>document.title='pwned';document.documentElement.setAttribute('data-pwned','script')</script>"
IMG = "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','img')\">"
# The attribute a payload sets when it runs, on a real element (escaped text never matches: no "<tag" before it).
PWNED = re.compile(r"<[a-z]+[^<>]*\sdata-pwned=")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed here; `make setup-chromium` installs it (apt-get install chromium), "
    "and `make test` does so before running the tests",
)


def _chromium(tmp_path: Path, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{name}"  # a fresh profile for every run
    cmd = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def _dom(tmp_path: Path, page: Path) -> str:
    result = _chromium(tmp_path, page.stem, "--dump-dom", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory, news) -> tuple[Path, int]:  # type: ignore[no-untyped-def]
    """The sample corpus plus one planted story whose first article carries the payloads."""
    from tests.conftest import junk_wrap, make_row, write_jsonl

    tmp = tmp_path_factory.mktemp("browser")
    tram = news["tram"]
    planted = [
        make_row("evil-orig", f"{IMG} {tram.body}", title=f"Tram vote {SCRIPT}", outlet="riverpost.com",
                 published_at="2026-11-24T08:00:00+00:00"),
        make_row("evil-copy", junk_wrap(tram.title, tram.body), title=tram.title, outlet="korannews.com",
                 published_at="2026-11-24T09:30:00+00:00"),
    ]
    cfg = Config(store=tmp / "store", read=ReadConfig(tz="Asia/Jakarta"), progress=False, workers=1)
    index_corpus([str(ROOT / "examples" / "sample" / "night1.jsonl")], cfg)
    index_corpus([str(ROOT / "examples" / "sample" / "night2.jsonl"), str(write_jsonl(tmp / "planted.jsonl", planted))], cfg)
    rep = build_report(cfg, since="all", mark=False)
    page = tmp / "report.html"
    page.write_text(render(rep, "html"), encoding="utf-8")
    return page, len(rep.stories)


def test_control_page_runs_scripts(tmp_path: Path) -> None:
    page = tmp_path / "control.html"
    page.write_text(f"<!doctype html><html><head><title>control</title></head><body>{SCRIPT}{IMG}</body></html>",
                    encoding="utf-8")
    dom = _dom(tmp_path, page)
    assert "<title>pwned</title>" in dom and PWNED.search(dom)


def test_stories_show_and_planted_scripts_do_not_run(report_page: tuple[Path, int], tmp_path: Path) -> None:
    page, n_stories = report_page
    dom = _dom(tmp_path, page)
    assert not PWNED.search(dom)  # (the payload's own text is there, escaped: see below)
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert title is not None and title.group(1).startswith("dedup report")
    assert len(re.findall(r"<div class=\"story\"", dom)) == n_stories == 18
    # The payloads are there, as text.
    assert "Tram vote &lt;script&gt;document.title='pwned'" in dom
    assert "&lt;img src=x onerror=" in dom
    assert dom.count("<svg") == 3 + n_stories  # three charts, one timeline per story
    for text in ("Copies per outlet", "Lag distribution", "Originality by outlet",
                 "first in corpus: kompas.com; credits Reuters — not in corpus", "uncredited copy", "partial copy"):
        assert text in dom


def test_screenshot(report_page: tuple[Path, int], tmp_path: Path) -> None:
    page, _ = report_page
    shot = tmp_path / "report.png"
    result = _chromium(tmp_path, "shot", f"--screenshot={shot}", "--window-size=1280,2200", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a real page, not a blank one
    target = os.environ.get("DEDUP_SCREENSHOT_TO")
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)


def test_markdown_report_rendered_to_html_runs_nothing_and_shows_overrides(tmp_path: Path) -> None:
    """The Markdown report as a wiki shows it (a CommonMark renderer, raw HTML allowed).
    A first line holding a CR and a fence can no longer open a code block that swallows
    the next chart's opening fence (leaving that chart's lines, with an outlet holding an
    ``<img onerror>`` between CRs, to be rendered as HTML); an override in an outlet is
    shown as ``\\u202e``, not obeyed."""
    from datetime import datetime, timezone

    from markdown_it import MarkdownIt

    from dedup.model import Member, OutletTotals, Report, Story, TimePrecision

    def member(ident: str, outlet: str, relation: str, first_line: str = "") -> Member:
        return Member(ident, outlet, f"https://x.example/{ident}", "t", datetime(2026, 11, 24, tzinfo=timezone.utc),
                      TimePrecision.EXACT, 60.0, 0.9, 1.0, relation, first_line=first_line)

    first = member("a", "riverpost.com", "original")
    members = (first, member("b", f"evil.com\r{IMG}\r", "uncredited_copy"),
               member("c", "\u202emoc.elgoog", "uncredited_copy", first_line="quote\r```\r"))
    rep = Report(datetime(2026, 11, 25, tzinfo=timezone.utc), None, (Story("s", first, members),),
                 tuple(OutletTotals(m.outlet, 1, int(m is first), int(m is not first)) for m in members))
    page = tmp_path / "report-md.html"
    body = MarkdownIt("commonmark").enable("table").render(render(rep, "md"))
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>md</title></head><body>{body}</body></html>",
                    encoding="utf-8")
    dom = _dom(tmp_path, page)
    assert not PWNED.search(dom)
    assert "\u202e" not in dom and "\\u202emoc.elgoog" in dom
