"""Raw HTML pages: extraction, rejection, detection, ids, and the pipeline over pages.

The pages in ``tests/fixtures/html/`` were written for these tests (made-up
outlets and stories): two captures of one English story on two outlets, an
Indonesian and a Chinese article, a Cloudflare-style challenge, a section
front (a listing of teasers) and an empty JavaScript app shell.
"""

from __future__ import annotations

import gzip
import json
import shutil
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from dedup.config import Config, ReadConfig, ShingleConfig
from dedup.model import Article, Rejected, TimePrecision, Unchanged
from dedup.pipeline import index_corpus, record_hash
from dedup.read import detect_format, read_paths
from dedup.read.html import Page, clean_title, extract_in_order, extract_page
from dedup.shingle import shingle

HTML = Path(__file__).parent.parent / "fixtures" / "html"
RIVERPOST_URL = "https://www.riverpost.com/local/2026/11/24/tram-fares-rise"


def _page(name: str, **kw: object) -> Page:
    return Page(source=name, html=(HTML / name).read_bytes(), **kw)  # type: ignore[arg-type]


def _one(page: Page) -> Article | Rejected:
    items = extract_page(page)
    assert len(items) == 1, items
    return items[0]  # type: ignore[return-value]


def _split(items):  # type: ignore[no-untyped-def]
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Rejected)]


# -- extraction -----------------------------------------------------------------

def test_article_fields_from_a_full_page() -> None:
    a = _one(_page("riverpost-tram.html"))
    assert isinstance(a, Article)
    assert a.url == RIVERPOST_URL and a.id == RIVERPOST_URL  # the canonical link
    assert a.outlet == "riverpost.com"
    assert a.title == "Tram fares to rise by ten percent in January"  # " | River Post" dropped
    assert "raise tram fares by ten percent" in a.text and "northern line" in a.text
    # site furniture is not article text
    for junk in ("Old Mill bridge", "All rights reserved", "Privacy", "Opinion"):
        assert junk not in a.text
    assert a.published_at == datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)
    assert a.time_precision is TimePrecision.EXACT
    assert a.published_raw == "2026-11-24T08:00:00+00:00"  # the publication, not the modification
    assert a.language == "en"
    assert len(a.digest) == 32 and a.source == "riverpost-tram.html"


def test_zone_offset_is_kept_and_converted_to_utc() -> None:
    a = _one(_page("korannews-tram-copy.html"))
    assert isinstance(a, Article)
    assert a.published_raw == "2026-11-24T16:30:00+07:00"
    assert a.published_at == datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)
    assert a.title == "Tram fares to rise by ten percent in January"  # " - Koran News" dropped


def test_indonesian_page_without_url_or_time_of_day() -> None:
    a = _one(_page("kabarkota-banjir.html", tz="Asia/Jakarta"))
    assert isinstance(a, Article)
    assert a.language == "id"
    assert a.url == "" and a.id == "kabarkota-banjir.html" and a.outlet == ""  # read_paths names it
    assert a.time_precision is TimePrecision.NAIVE  # a time without zone: --tz says where
    assert a.published_raw == "2026-11-23T07:45:00"
    assert a.published_at == datetime(2026, 11, 23, 0, 45, tzinfo=timezone.utc)


def test_bare_date_is_date_precision() -> None:
    body = "".join(f"<p>Sentence {i} about the regional election results that were announced today in the city.</p>" for i in range(4))
    html = f"<html><head><meta name='date' content='2026-11-20'></head><body><article>{body}</article></body></html>"
    a = _one(Page("d.html", html.encode(), tz="Asia/Jakarta"))
    assert isinstance(a, Article)
    assert a.time_precision is TimePrecision.DATE  # the time of day is not guessed
    assert a.published_raw == "2026-11-20"
    assert a.published_at == datetime(2026, 11, 19, 17, 0, tzinfo=timezone.utc)  # midnight in Jakarta


def test_chinese_page_is_a_no_space_language_and_gets_character_shingles() -> None:
    a = _one(_page("xinwen-zh.html"))
    assert isinstance(a, Article)
    assert a.language == "zh" and a.outlet == "example.cn"
    assert a.published_raw == "2026-11-22T10:30:00+08:00"
    # word shingles on Chinese would be whole clauses; the language forces characters
    text = "城市地铁新线路今日开通运营 Metro Line 6 opens with 24 stations and 32 km of track"
    words = shingle(text, ShingleConfig(kind="word", size=3))
    assert shingle(text, ShingleConfig(kind="word", size=3), "zh").size > words.size


def test_given_url_wins_over_canonical_but_not_over_a_redirector() -> None:
    crawled = "https://www.riverpost.com/local/2026/11/24/tram-fares-rise?utm_source=feed"
    assert _one(_page("riverpost-tram.html", url=crawled)).url == crawled  # type: ignore[union-attr]
    via_news = "https://news.google.com/__i/rss/rd/articles/CBMiXYZ?oc=5"
    assert _one(_page("riverpost-tram.html", url=via_news)).url == RIVERPOST_URL  # type: ignore[union-attr]


def test_utc_time_stated_again_in_the_newsroom_zone_keeps_the_local_date() -> None:
    body = "".join(f"<p>Paragraph {i} of a report on the late council vote about the harbour budget, "
                   f"which ran well past midnight UTC but not local time.</p>" for i in range(4))
    html = (
        "<html><head><meta property='article:published_time' content='2026-11-24T02:30:00+00:00'></head>"
        f"<body><article><h1>Late vote</h1><time datetime='2026-11-23T21:30:00-05:00'>Nov 23</time>{body}</article></body></html>"
    ).encode()
    a = _one(Page("late.html", html))
    assert isinstance(a, Article)
    assert a.published_raw == "2026-11-23T21:30:00-05:00"
    assert a.published_at == datetime(2026, 11, 24, 2, 30, tzinfo=timezone.utc)  # the same instant


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("challenge.html", "bot wall"),
        ("section-front.html", "listing page"),
        ("app-shell.html", "text too short"),
    ],
)
def test_pages_without_an_article_are_rejected_with_the_reason(name: str, reason: str) -> None:
    r = _one(_page(name))
    assert isinstance(r, Rejected) and r.reason == reason and r.source == name


def test_degenerate_pages() -> None:
    assert _one(Page("empty.html", b"   \n")).reason == "empty page"  # type: ignore[union-attr]
    assert _one(Page("nothing.html", b"<html><body></body></html>")).reason == "no article text"  # type: ignore[union-attr]
    assert _one(Page("bin.html", bytes(range(256)) * 40)).reason in ("no article text", "text too short", "not HTML")  # type: ignore[union-attr]


def test_too_large_page_is_rejected() -> None:
    r = _one(replace(_page("riverpost-tram.html"), max_bytes=1000))
    assert isinstance(r, Rejected) and r.reason == "page too large"


def test_an_extractor_exception_is_a_rejected_page(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(page: Page) -> list[object]:
        raise RuntimeError("lxml fell over")

    monkeypatch.setattr("dedup.read.html._extract", boom)
    r = _one(_page("riverpost-tram.html"))
    assert isinstance(r, Rejected) and r.reason == "extraction failed" and "lxml fell over" in r.detail


def test_clean_title_only_drops_site_segments_at_the_ends() -> None:
    assert clean_title("Coronavirus: New York ramps up burials", ("BBC News",)) == "Coronavirus: New York ramps up burials"
    assert clean_title("Darán bendición | Diario HOY", ("Diario HOY",)) == "Darán bendición"
    assert clean_title("Irme Stetter-Karp ist neue ZdK-Präsidentin | DOMRADIO.DE", ("domradio.de",)) == "Irme Stetter-Karp ist neue ZdK-Präsidentin"
    assert clean_title("La perte des terres | DW | 23.05.2011", ("DW.COM", "dw.com", "dw")) == "La perte des terres"
    assert clean_title("武汉的声音：有英勇的你-新华网", ("新华网",)) == "武汉的声音：有英勇的你"
    assert clean_title("Post-Brexit trade - what changes", ("riverpost.com",)) == "Post-Brexit trade - what changes"
    assert clean_title("River Post", ("River Post",)) == "River Post"  # never emptied


def test_unchanged_article_in_changed_html_has_the_same_record_hash() -> None:
    raw = (HTML / "riverpost-tram.html").read_bytes()
    rotated = raw.replace(b"Ten gadgets", b"Nine gadgets").replace(b"</footer>", b"<!-- ad slot 7f3a --></footer>")
    a, b = _one(Page("a", raw)), _one(Page("b", rotated))
    assert isinstance(a, Article) and isinstance(b, Article)
    assert a.digest != b.digest
    assert record_hash(a) == record_hash(b)


# -- many pages: order, pool, progress --------------------------------------------

def test_pool_keeps_input_order_and_reports_progress() -> None:
    pages = [_page(f.name) for f in sorted(HTML.glob("*.html"))] * 2
    passthrough = Rejected("row", "x")
    done: list[int] = []
    serial = list(extract_in_order([passthrough, *pages], workers=1))
    pooled = list(extract_in_order([passthrough, *pages], workers=2, progress=done.append))
    assert pooled == serial
    assert pooled[0] is passthrough
    assert sum(done) == len(pages)


def test_a_crashing_worker_costs_only_its_page(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from dedup.read import html as html_mod

    real = html_mod._extract

    def crash_on_challenge(page: Page):  # type: ignore[no-untyped-def]
        if page.source == "challenge.html":
            os._exit(1)  # a segfault in lxml, as far as the pool can tell
        return real(page)

    monkeypatch.setattr(html_mod, "_extract", crash_on_challenge)
    pages = [_page(f.name) for f in sorted(HTML.glob("*.html"))]
    out = list(extract_in_order(pages, workers=2))
    assert [i.source for i in out] == [p.source for p in pages]
    crashed = [i for i in out if isinstance(i, Rejected) and i.reason == "extraction crashed"]
    assert [c.source for c in crashed] == ["challenge.html"]
    assert sum(isinstance(i, Article) for i in out) == 4


# -- read_paths: detection, forcing, rows with html, duplicate captures ---------------

def test_directory_of_pages(tmp_path: Path) -> None:
    arts, rej = _split(list(read_paths([str(HTML)], ReadConfig())))
    assert sorted(a.outlet for a in arts) == [
        "example.cn", "korannews.com", "riverpost.com", f"unknown:{HTML / 'kabarkota-banjir.html'}"]
    assert sorted((Path(r.source).name, r.reason) for r in rej) == [
        ("app-shell.html", "text too short"), ("challenge.html", "bot wall"), ("section-front.html", "listing page"),
    ]


def test_kind_by_name_by_content_and_forced(tmp_path: Path) -> None:
    raw = (HTML / "riverpost-tram.html").read_bytes()
    (tmp_path / "page.htm").write_bytes(raw)
    (tmp_path / "page2.html.gz").write_bytes(gzip.compress(raw.replace(b"tram-fares-rise", b"tram-fares-2")))
    (tmp_path / "a1b2c3d4").write_bytes(raw.replace(b"tram-fares-rise", b"tram-fares-3"))  # crawler output, no suffix
    (tmp_path / "notes.txt").write_text("not a page")
    assert detect_format(tmp_path / "page.htm") == "html"
    assert detect_format(tmp_path / "a1b2c3d4") == "html"
    assert detect_format(tmp_path / "notes.txt") is None
    arts, rej = _split(list(read_paths([str(tmp_path)], ReadConfig())))
    assert rej == [] and len(arts) == 3
    assert {a.url.rsplit("/", 1)[1] for a in arts} == {"tram-fares-rise", "tram-fares-2", "tram-fares-3"}
    # forced: every file of the directory is a page, whatever its name
    arts, rej = _split(list(read_paths([str(tmp_path)], ReadConfig(fmt="html"))))
    assert len(arts) == 3 and [Path(r.source).name for r in rej] == ["notes.txt"]


def test_rows_with_an_html_field(tmp_path: Path) -> None:
    page = (HTML / "riverpost-tram.html").read_text(encoding="utf-8")
    rows = [
        {"id": "rp-1", "url": "https://www.riverpost.com/x/1", "html": page},
        {"id": "rp-2", "html": page.replace("tram-fares-rise", "tram-2"), "title": "Given title", "published_at": "2026-11-24T10:00:00+01:00"},
        {"id": "rp-3", "text": "Given text wins over html.", "html": "<html></html>"},
        {"id": "rp-4", "html": "<html><body></body></html>"},
    ]
    path = tmp_path / "pages.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    arts, rej = _split(list(read_paths([str(path)], ReadConfig(), workers=2)))
    a, b, c = arts
    assert (a.id, a.url, a.outlet, a.title) == ("rp-1", "https://www.riverpost.com/x/1", "riverpost.com", "Tram fares to rise by ten percent in January")
    assert (b.id, b.title, b.published_raw) == ("rp-2", "Given title", "2026-11-24T10:00:00+01:00")
    assert b.published_at == datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
    assert (c.id, c.text, c.digest) == ("rp-3", "Given text wins over html.", "")
    assert [(r.source, r.reason) for r in rej] == [(f"{path}:4", "no article text")]
    # Parquet, with the html column under another name
    pq = tmp_path / "pages.parquet"
    pl.DataFrame({"key": ["p1"], "raw": [page]}).write_parquet(pq)
    (art,) = list(read_paths([str(pq)], ReadConfig(field_map=(("id", "key"), ("html", "raw")))))
    assert isinstance(art, Article) and art.id == "p1" and art.outlet == "riverpost.com"


def test_two_captures_of_one_url(tmp_path: Path) -> None:
    raw = (HTML / "riverpost-tram.html").read_bytes()
    (tmp_path / "a.html").write_bytes(raw)
    (tmp_path / "b.html").write_bytes(raw.replace(b"four million", b"four and a half million"))  # updated later
    (tmp_path / "c.html").write_bytes(raw)  # the very same bytes again
    arts, rej = _split(list(read_paths([str(tmp_path)], ReadConfig())))
    assert [a.id for a in arts] == [RIVERPOST_URL, f"{RIVERPOST_URL}#{arts[1].digest[:12]}"]
    assert [(Path(r.source).name, r.reason) for r in rej] == [("c.html", "duplicate page")]


# -- the whole pipeline over pages ---------------------------------------------------

def test_index_pages_then_recrawl_is_a_no_op(tmp_path: Path, cfg: Config) -> None:
    crawl = tmp_path / "crawl"
    shutil.copytree(HTML, crawl)
    seen: dict[str, int] = {}

    def progress(phase: str, n: int) -> None:
        seen[phase] = seen.get(phase, 0) + n

    first = index_corpus([str(crawl)], cfg, progress=progress)
    assert (first.read, first.added) == (4, 4)
    assert first.rejected_by_reason() == {"bot wall": 1, "listing page": 1, "text too short": 1}
    assert seen["pages"] == 7
    # the two captures of the tram story are one story
    assert first.stories_new == 1
    # tonight's crawl: same pages, one with a rotated ad
    page = crawl / "riverpost-tram.html"
    page.write_bytes(page.read_bytes().replace(b"</footer>", b"<!-- ad 91 --></footer>"))
    again = index_corpus([str(crawl)], cfg)
    assert (again.added, again.replaced, again.unchanged) == (0, 0, 4)
    assert (again.stories_new, again.stories_grown) == (0, 0)


def _extractions(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    """Append each page extracted to ``log`` (a file: page workers are other processes)."""
    import dedup.read.html as html

    real = html._extract

    def logged(page: Page):  # type: ignore[no-untyped-def]
        with log.open("a", encoding="utf-8") as fh:
            fh.write(Path(page.source).name + "\n")
        return real(page)

    monkeypatch.setattr(html, "_extract", logged)


def _extracted(log: Path) -> list[str]:
    names = sorted(log.read_text(encoding="utf-8").split()) if log.exists() else []
    log.unlink(missing_ok=True)
    return names


@pytest.mark.parametrize("workers", [1, 2])
def test_an_unchanged_page_is_not_extracted_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    crawl = tmp_path / "crawl"
    shutil.copytree(HTML, crawl)
    cfg = Config(store=tmp_path / "store", progress=False, workers=workers)
    log = tmp_path / "extracted.log"
    _extractions(monkeypatch, log)
    index_corpus([str(crawl)], cfg)
    assert len(_extracted(log)) == 7
    again = index_corpus([str(crawl)], cfg)
    assert (again.read, again.added, again.replaced, again.unchanged) == (4, 0, 0, 4)
    # Only the pages that gave no article are read again (nothing of them is stored).
    assert _extracted(log) == ["app-shell.html", "challenge.html", "section-front.html"]
    # A rotated ad: the page is extracted, its article is unchanged, and its new bytes are
    # remembered, so that the next run skips it too.
    page = crawl / "riverpost-tram.html"
    page.write_bytes(page.read_bytes().replace(b"</footer>", b"<!-- ad 91 --></footer>"))
    third = index_corpus([str(crawl)], cfg)
    assert (third.added, third.replaced, third.unchanged) == (0, 0, 4)
    assert "riverpost-tram.html" in _extracted(log)
    index_corpus([str(crawl)], cfg)
    assert "riverpost-tram.html" not in _extracted(log)
    # A changed article is extracted and replaced as before.
    page.write_bytes(page.read_bytes().replace(b"four million", b"five million"))
    fourth = index_corpus([str(crawl)], cfg)
    assert (fourth.replaced, fourth.unchanged) == (1, 3)


def test_an_unchanged_capture_after_another_of_its_url_is_extracted_as_before(tmp_path: Path) -> None:
    from dedup.read.html import page_key

    raw = (HTML / "riverpost-tram.html").read_bytes()
    (tmp_path / "a.html").write_bytes(raw.replace(b"four million", b"four and a half million"))  # read first, changed
    (tmp_path / "b.html").write_bytes(raw)  # the capture stored before
    stored_key = page_key(Page(source="", html=raw, fallback_id=(tmp_path / "b.html").resolve().as_uri()))
    stored = {stored_key: RIVERPOST_URL}.get
    arts, rej = _split(list(read_paths([str(tmp_path)], ReadConfig(), stored=stored)))
    # as without a store: the second capture of the URL keeps its own id
    assert [a.id for a in arts] == [RIVERPOST_URL, f"{RIVERPOST_URL}#{arts[1].digest[:12]}"] and not rej
    # read alone, it is unchanged
    (tmp_path / "a.html").unlink()
    (item,) = list(read_paths([str(tmp_path)], ReadConfig(), stored=stored))
    assert isinstance(item, Unchanged) and item.id == RIVERPOST_URL and item.page is None


# -- real pages: near-duplicates found, same-event stories kept apart ------------------
# newshtml is evaluation data in ../shared/data (see its README.txt); absent in
# some checkouts, where these tests skip.

NEWSHTML = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "newshtml"
needs_newshtml = pytest.mark.skipif(
    not (NEWSHTML / "truth.jsonl").exists(), reason=f"newshtml evaluation data not found at {NEWSHTML}"
)

# Same event, written independently by different outlets (README.txt: "useful hard negatives").
SAME_EVENT = {
    "bubonic plague": ("aeb-045-express.co.uk", "aeb-084-nypost.com", "aeb-107-smithsonianmag.com", "aeb-125-thesun.co.uk"),
    "WeWork": ("aeb-017-businessinsider.com", "aeb-115-techcrunch.com", "aeb-122-therealdeal.com", "aeb-132-venturebeat.com"),
    "Doobie Brothers": ("aeb-016-billboard.com", "aeb-028-cleveland.com", "aeb-097-rollingstone.com"),
    "feather duvet lung": ("aeb-048-forbes.com", "aeb-052-gizmodo.com", "aeb-067-livescience.com"),
    "Meth. We're on it.": ("aeb-083-nj.com", "aeb-112-spokesman.com", "aeb-130-usatoday.com"),
    "lunar landers": ("aeb-110-space.com", "aeb-111-spacenews.com", "aeb-124-thespacereview.com"),
    "Fort Worth kidnapping": ("aeb-022-cbsnews.com", "aeb-077-nbcdfw.com"),
    "hibernating astronauts": ("aeb-036-ctvnews.ca", "aeb-076-nationalreview.com", "aeb-090-phys.org"),
}


@pytest.fixture(scope="module")
def newshtml_stories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str | None]:
    """Page id → story id after indexing all 294 pages (by file, as a crawler's directory)."""
    import sqlite3

    import dedup.pipeline

    if not (NEWSHTML / "truth.jsonl").exists():
        pytest.skip(f"newshtml evaluation data not found at {NEWSHTML}")
    store = tmp_path_factory.mktemp("newshtml") / "store"
    source_of: dict[str, str] = {}  # article id → page file, watched on the way into the index
    real = dedup.pipeline.read_paths

    def watch(*args, **kwargs):  # type: ignore[no-untyped-def]
        for item in real(*args, **kwargs):
            if isinstance(item, Article):
                source_of[item.id] = Path(item.source).stem
            yield item

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dedup.pipeline, "read_paths", watch)
        mp.setattr(dedup.pipeline, "can_read_in_background", lambda paths: False)  # watch in this process
        summary = index_corpus([str(NEWSHTML / "pages")], Config(store=store, progress=False, workers=2))
    assert summary.read == 294 and summary.rejected == ()
    con = sqlite3.connect(store / "dedup.sqlite")
    stories = {source_of[ident]: story for ident, story in con.execute("SELECT a.id, m.story_id FROM articles a JOIN memberships m ON m.doc = a.doc")}
    con.close()
    return stories


@needs_newshtml
def test_newshtml_near_duplicates_are_found(newshtml_stories: dict[str, str | None]) -> None:
    s = newshtml_stories
    # two captures of the same Reuters article (same URL: the second is kept as url#digest)
    assert s["bbaw-074-reuters.com"] is not None and s["bbaw-074-reuters.com"] == s["bbaw-075-reuters.com"]
    # 24horas.cl and cooperativa.cl on the same presidential trip (containment ~0.64)
    assert s["bbaw-001-24horas.cl"] is not None and s["bbaw-001-24horas.cl"] == s["bbaw-031-cooperativa.cl"]


@needs_newshtml
@pytest.mark.parametrize("event", sorted(SAME_EVENT))
def test_newshtml_same_event_stories_are_not_merged(newshtml_stories: dict[str, str | None], event: str) -> None:
    stories = [newshtml_stories[p] for p in SAME_EVENT[event]]
    assert len(set(s for s in stories if s is not None)) == sum(s is not None for s in stories), (event, stories)
    # and none of them joined a story with another page of the group's event under a different id
    for page, story in zip(SAME_EVENT[event], stories, strict=True):
        if story is not None:
            mates = [p for p, st in newshtml_stories.items() if st == story and p != page]
            assert not set(mates) & set(SAME_EVENT[event]), (page, mates)


@needs_newshtml
def test_newshtml_nothing_else_merges(newshtml_stories: dict[str, str | None]) -> None:
    groups: dict[str, set[str]] = {}
    for page, story in newshtml_stories.items():
        if story is not None:
            groups.setdefault(story, set()).add(page)
    merged = sorted(sorted(g) for g in groups.values() if len(g) > 1)
    assert merged == [["bbaw-001-24horas.cl", "bbaw-031-cooperativa.cl"], ["bbaw-074-reuters.com", "bbaw-075-reuters.com"]]


def test_a_page_without_url_is_the_same_article_however_its_path_is_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    shutil.copy(HTML / "kabarkota-banjir.html", crawl / "banjir.html")  # no canonical link, no og:url
    cfg = Config(store=tmp_path / "store", progress=False, workers=1)
    monkeypatch.chdir(tmp_path)
    first = index_corpus(["crawl/banjir.html"], cfg)
    again = index_corpus([str(crawl), "./crawl/../crawl/banjir.html"], cfg)
    assert (first.added, again.added, again.unchanged) == (1, 0, 1)
    (article,) = [i for i in read_paths(["crawl/banjir.html"], ReadConfig()) if isinstance(i, Article)]
    assert article.id == (crawl / "banjir.html").resolve().as_uri() and article.source == "crawl/banjir.html"
