"""The HTML report in a real browser: Debian's headless Chromium.

Checks that the stories show, and that a ``<script>`` (and an ``onerror``
handler) planted in an article does not run. A control page with the same
payload left unescaped proves this browser does run scripts, so the negative
result means something.

`make test` installs chromium and the Noto fonts when missing (`make setup-chromium`,
`make setup-fonts`).
`make report-png` refreshes the README's screenshot (docs/report.png) from the demo store.

Then that a report in Urdu reads: every character of its titles and first lines
is in a font the page's own stack names (fonts: `make setup-fonts`), and at a
420 px phone width nothing makes the page scroll sideways.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import escape, unescape
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


def test_table_of_contents_links_to_collapsible_stories(report_page: tuple[Path, int], tmp_path: Path) -> None:
    """Every story is in a ``<details>`` (the first few open) and has a row in the table of
    contents whose link leads to it; following a link to a closed story opens it; the
    page's own script runs under its policy (it shows the filter box) while a planted one
    does not."""
    page, n_stories = report_page
    dom = _dom(tmp_path, page)
    assert not PWNED.search(dom)
    toc = re.search(r"<table id=\"toc\">(.*?)</table>", dom, re.S)
    assert toc is not None
    from dedup.report.html import OPEN_STORIES

    links = re.findall(r"<a href=\"#([^\"]+)\">", toc.group(1))
    stories = re.findall(r"<div class=\"story\" id=\"([^\"]+)\">", dom)
    assert len(links) == len(set(links)) == len(stories) == n_stories == 18
    assert links == stories  # each link resolves to a story, in the page's order
    wrappers = re.findall(r"<details class=\"st\" id=\"d-([^\"]+)\"( open=\"\")?>", dom)
    assert [w[0] for w in wrappers] == stories  # each story in its own details
    assert [bool(w[1]) for w in wrappers] == [n < OPEN_STORIES for n in range(n_stories)]
    assert re.search(r"<input type=\"search\" id=\"filter\"[^>]*>", dom) and not re.search(
        r"<input type=\"search\" id=\"filter\"[^>]*hidden", dom)  # shown by the (hashed) script
    last = stories[-1]
    opened = _chromium(tmp_path, "fragment", "--dump-dom", f"{page.as_uri()}#{last}")
    assert opened.returncode == 0, opened.stderr[-2000:]
    assert f"<details class=\"st\" id=\"d-{last}\" open=\"\">" in opened.stdout  # a link opens its story


def test_screenshot(report_page: tuple[Path, int], tmp_path: Path) -> None:
    page, _ = report_page
    shot = tmp_path / "report.png"
    result = _chromium(tmp_path, "shot", f"--screenshot={shot}", "--window-size=1280,2200", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a real page, not a blank one


# -- every script, every width ----------------------------------------------------

# Sentences of our own (not COUNTER's), with the letters that were boxes: ہ (U+06C1) and ے (U+06D2).
URDU = [
    "لاہور میں کل رات شدید بارش ہوئی جس سے شہر کی کئی سڑکیں پانی میں ڈوب گئیں۔",
    "محکمہ موسمیات کے مطابق اگلے دو دن تک بارش کا سلسلہ جاری رہے گا۔",
    "شہری انتظامیہ نے نشیبی علاقوں سے پانی نکالنے کے لیے اضافی عملہ تعینات کر دیا ہے۔",
    "اسکولوں میں آج چھٹی کا اعلان کیا گیا ہے تاکہ بچے محفوظ رہیں۔",
    "ٹریفک پولیس نے شہریوں سے درخواست کی ہے کہ وہ غیر ضروری سفر سے گریز کریں۔",
    "بجلی کی فراہمی کئی گھنٹے معطل رہی اور بعض علاقوں میں اب تک بحال نہیں ہو سکی۔",
    "وزیر اعلیٰ نے متاثرہ علاقوں کا دورہ کیا اور امدادی کاموں کا جائزہ لیا۔",
]
URDU_TITLE = "لاہور میں شدید بارش، سڑکیں زیر آب"
# The other scripts the stack must cover (checked against the body's stack, not a story).
OTHER_SCRIPTS = {"Devanagari": "दिल्ली में भारी बारिश से सड़कें डूबीं", "CJK": "北京暴雨导致道路积水，学校停课",
                 "Thai": "ฝนตกหนักในกรุงเทพฯ ถนนหลายสายน้ำท่วม"}
# The page with its Content-Security-Policy taken out and this probe put in: it
# reports, for every text node outside <style>/<title>, the family list Chromium
# computed for it, and the document's width against its viewport's.
PROBE = """<script>
const out = {fonts: [], body: getComputedStyle(document.body).fontFamily,
             scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth};
const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walk.nextNode(); n; n = walk.nextNode()) {
  if (!n.data.trim() || n.parentElement.closest('style,script')) continue;
  out.fonts.push([n.data, getComputedStyle(n.parentElement).fontFamily]);
}
out.boxes = [].map.call(document.querySelectorAll('.txt'), function (e) {  // the side-by-side view's columns
  const r = e.getBoundingClientRect();
  return {direction: getComputedStyle(e).direction, marks: e.querySelectorAll('mark').length,
          left: r.left, top: r.top, width: r.width};
});
const host = window.parent.document;  // the frame's page (same origin: srcdoc)
const pre = host.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(out);
host.body.appendChild(pre);
</script>"""
GENERIC = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "ui-sans-serif", "ui-serif"}


@pytest.fixture(scope="module")
def urdu_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of three Urdu articles (an original and two copies, one trimmed) and its HTML report."""
    from tests.conftest import make_row, write_jsonl

    tmp = tmp_path_factory.mktemp("urdu")
    body = "\n\n".join(URDU)
    rows = [
        make_row("ur-1", body, title=URDU_TITLE, outlet="jang.com.pk", published_at="2026-11-24T08:00:00+05:00"),
        make_row("ur-2", body, title=URDU_TITLE, outlet="express.pk", published_at="2026-11-24T10:00:00+05:00"),
        make_row("ur-3", "\n\n".join(URDU[1:]), title=URDU_TITLE + "۔", outlet="dawnnews.tv",
                 published_at="2026-11-24T11:30:00+05:00"),
    ]
    cfg = Config(store=tmp / "store", progress=False, workers=1)
    index_corpus([str(write_jsonl(tmp / "urdu.jsonl", rows))], cfg)
    rep = build_report(cfg, since="all", mark=False)
    assert rep.stories, "the Urdu fixture must make a story"
    page = tmp / "report.html"
    page.write_text(render(rep, "html"), encoding="utf-8")
    return page


def _probe(tmp_path: Path, page: Path, width: int) -> dict:  # type: ignore[type-arg]
    """What the probe saw with the page laid out in a viewport `width` px wide.

    Headless Chromium will not make its window narrower than 500 px, so the page is
    laid out in an iframe of that width (a srcdoc frame: same origin as its host,
    so the probe can write its findings there, and media queries see the frame)."""
    html = re.sub(r"<meta http-equiv='Content-Security-Policy'[^>]*>", "", page.read_text(encoding="utf-8"))
    assert "Content-Security-Policy" not in html
    probed = tmp_path / f"probe-{width}.html"
    probed.write_text("<!doctype html><html><head><meta charset='utf-8'></head><body style='margin:0'>"
                      f"<iframe style='width:{width}px;height:2000px;border:0' "
                      f"srcdoc='{escape(html.replace('</body>', PROBE + '</body>'), quote=True)}'></iframe>"
                      "</body></html>", encoding="utf-8")
    result = _chromium(tmp_path, f"probe-{width}", "--window-size=1280,2000", "--dump-dom", probed.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r"<pre id=\"probe\">(.*?)</pre>", result.stdout, re.S)
    assert found, "the probe did not run"
    return json.loads(unescape(found.group(1)))


def _families(css: str) -> list[str]:
    return [f.strip().strip('"\'') for f in css.split(",") if f.strip()]


def _covers(family: str, char: str) -> bool:
    """Whether `family` (a generic one as fontconfig resolves it, as Chromium does on
    Linux) is installed and has a glyph for `char`."""
    if family in GENERIC:
        name = "sans-serif" if family in ("system-ui", "ui-sans-serif") else family
        match = subprocess.run(["fc-match", "-f", "%{family[0]}", name], capture_output=True, text=True, check=True)
        family = match.stdout.strip()
    return subprocess.run(["fc-list", "-q", f":family={family}:charset={ord(char):x}"], check=False).returncode == 0


def _uncovered(text: str, stack: str) -> set[str]:
    families = _families(stack)
    return {c for c in set(text) if not c.isspace() and ord(c) > 0x7F and not any(_covers(f, c) for f in families)}


def _need_fonts(chars: str) -> None:
    """Skip (with the reason) where no installed font has these characters: there the
    check cannot tell a good stack from a bad one. `make test` installs the fonts."""
    missing = [c for c in chars if subprocess.run(["fc-list", "-q", f":charset={ord(c):x}"], check=False).returncode]
    if missing:
        pytest.skip(f"no installed font has {''.join(missing)!r}; `make setup-fonts` installs Debian's Noto fonts")


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig's fc-list is not installed")
def test_urdu_report_has_a_glyph_for_every_character(urdu_page: Path, tmp_path: Path) -> None:
    """No character of the Urdu report falls outside the fonts its own stack names.

    Why fontconfig rather than comparing screenshots: Chromium on Linux looks local
    families up through fontconfig and takes each character from the first family in
    the element's computed font-family list that has a glyph for it; only when none
    has it does it ask the system for any font (or draw a box). Whether that last
    resort exists differs from machine to machine (the tests' Chromium drew ہ and ے
    as boxes), so the page must not depend on it. The probe reads, in Chromium, the
    computed family list of every text node (so any rule of the cascade counts), and
    fontconfig says for each character whether one of those families is installed
    and has its glyph (``fc-list :family=F:charset=X``): exact, per character, and
    independent of screen pixels. The old stack (system-ui, sans-serif) resolves to
    a Latin font here and fails on ہ and ے.
    """
    _need_fonts("\u06c1\u06d2" + "".join(OTHER_SCRIPTS.values()).replace(" ", ""))
    seen = _probe(tmp_path, urdu_page, 1280)
    urdu = [(text, stack) for text, stack in seen["fonts"] if "\u06c1" in text or "\u06d2" in text]
    assert len(urdu) >= 3, seen["fonts"]  # the story's title, a member's title and a first line at least
    for text, stack in urdu:
        assert not _uncovered(text, stack), (text, stack, _uncovered(text, stack))
    for script, sample in OTHER_SCRIPTS.items():
        assert not _uncovered(sample, seen["body"]), (script, sample, _uncovered(sample, seen["body"]))


@pytest.mark.parametrize("which", ["urdu", "sample"])
def test_no_horizontal_overflow_at_420_px(which: str, urdu_page: Path, report_page: tuple[Path, int],
                                          tmp_path: Path) -> None:
    """At a phone's 420 px the page is no wider than the window: charts scale down,
    wide tables scroll inside their own box (the old fixed 540 px charts did not)."""
    page = urdu_page if which == "urdu" else report_page[0]
    seen = _probe(tmp_path, page, 420)
    assert seen["innerWidth"] == 420  # the viewport really is 420 px wide
    assert seen["scrollWidth"] <= 420, seen["scrollWidth"]


@pytest.mark.parametrize("width", [420, 1280])
def test_side_by_side_marks_the_reused_urdu_text_right_to_left(width: int, urdu_page: Path, tmp_path: Path) -> None:
    """Each copy opened beside its source (issue 14, item 7): the shared run marked in both
    columns, each column laid out right to left (dir='auto' on Urdu), the two columns side by
    side on a wide screen and stacked at a phone's 420 px, where nothing scrolls sideways."""
    opened = tmp_path / "opened.html"
    opened.write_text(urdu_page.read_text(encoding="utf-8").replace("<details class='cmp'", "<details open class='cmp'"),
                      encoding="utf-8")
    seen = _probe(tmp_path, opened, width)
    boxes = seen["boxes"]
    assert len(boxes) == 4  # two copies, each beside its source
    assert all(b["direction"] == "rtl" and b["marks"] >= 1 for b in boxes), boxes
    for copy, source in zip(boxes[::2], boxes[1::2]):
        if width == 420:
            assert copy["left"] == source["left"] and copy["top"] < source["top"]  # stacked
        else:
            assert copy["top"] == source["top"] and copy["left"] != source["left"]  # side by side
    assert seen["scrollWidth"] <= width, seen["scrollWidth"]
    dom = _dom(tmp_path, opened)
    # ur-3 is the original's last six sentences: all of its words are one marked run.
    trimmed = "\n\n".join(URDU[1:])
    assert f"<mark>{trimmed[:-1]}</mark>{trimmed[-1]}" in dom


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
