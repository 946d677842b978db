"""Raw HTML pages → Articles: main text, title, publication time, language, outlet.

A :class:`Page` is what a crawler stored (an HTML file, a WARC record, a row
with an ``html`` field); :func:`extract_page` turns one into an
:class:`~dedup.model.Article`, or a :class:`~dedup.model.Rejected` with the
reason when the page holds no article (a bot wall, a listing page, an empty or
too-short extraction). It is a pure, top-level function so that a process pool
can run it: extraction is by far the slowest part of reading pages.

Libraries, chosen by measurement on newshtml (benchmarks/HTML.md):
trafilatura (main text, title, metadata; precision-first, with the balanced
default as a fallback for short pages), htmldate through trafilatura
(publication date with time and zone),
py3langid (language; its model ships inside the package, nothing is
downloaded), tldextract's bundled public-suffix list (outlet).

>>> html = (b"<html lang='en'><head><title>Tram fares rise - River Post</title>"
...         b"<meta property='og:site_name' content='River Post'>"
...         b"<meta property='article:published_time' content='2026-11-24T09:15:00+01:00'></head>"
...         b"<body><article><h1>Tram fares rise</h1>"
...         b"<p>The city council voted on Tuesday to raise tram fares by ten percent from January, "
...         b"citing higher energy costs and the need to renew the ageing fleet of trams.</p>"
...         b"<p>Passenger groups said the rise would hit shift workers hardest, since night services "
...         b"have already been cut twice this year and no cheaper season ticket is offered.</p>"
...         b"<p>The operator expects the new fares to bring in four million a year.</p>"
...         b"</article></body></html>")
>>> a = extract_page(Page(source="p.html", html=html, url="https://www.riverpost.com/a/1"))[-1]
>>> a.id, a.outlet, a.title, a.language
('https://www.riverpost.com/a/1', 'riverpost.com', 'Tram fares rise', 'en')
>>> a.published_at.isoformat(), str(a.time_precision)
('2026-11-24T08:15:00+00:00', 'exact')
>>> extract_page(Page(source="empty.html", html=b"<html><body><p>Hi</p></body></html>"))[-1].reason
'text too short'
"""

from __future__ import annotations

import logging
import re
import os
import signal
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import xxhash

from ..config import DEFAULT_MAX_BYTES, DEFAULT_PAGE_SECONDS
from ..model import Article, Notice, Rejected, TimePrecision, Unchanged
from .outlet import outlet_from_url
from .timeparse import parse_time
from .watchdog import exit_with_parent

Item = Article | Rejected | Notice

__all__ = ["Page", "extract_page", "extract_in_order", "page_digest", "page_key", "clean_title", "MIN_TEXT_CHARS"]

# Larger pages than ReadConfig.max_bytes are not news articles (or are
# archives of many); they also make lxml slow. trafilatura's own cap is 20 MB.
# Shorter extractions are captions, cookie notices or error messages, not
# articles. Kept low on purpose: a wire flash (dateline and one sentence) is
# ~150 characters and is exactly what gets syndicated. No-space scripts pack
# about three times as much into a character.
MIN_TEXT_CHARS = 150
MIN_TEXT_CHARS_NO_SPACE = 50
# Language is identified on at most this much text: enough for py3langid, and
# bounded time on very long pages.
_LANGID_CHARS = 3000
_LANGID_MIN_CHARS = 40

# The whole date, with time and zone when the page gives them (htmldate
# formats whatever it parsed; a bare date comes out as midnight, naive).
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"

# Bot walls and challenge pages from the common anti-bot vendors. Looked for
# only when the extraction is empty or too short: article pages embed
# reCAPTCHA in comment forms too.
_BOT_WALL = re.compile(
    rb"Incapsula incident ID|_Incapsula_Resource|Request unsuccessful\. Incapsula"
    rb"|cf-browser-verification|cf_chl_opt|challenge-platform|Checking your browser before accessing"
    rb"|<title>\s*Just a moment\.\.\.|Attention Required! \| Cloudflare"
    rb"|px-captcha|_pxCaptcha|Access to this page has been denied"
    rb"|Pardon Our Interruption|distil_r_captcha"
    rb"|<title>\s*(?:Access Denied|Are you a robot|Robot Check|Bot Verification|Security Check|Attention Required)"
    rb"|g-recaptcha|h-captcha|hcaptcha\.com|captcha-delivery\.com|Please enable (?:JS|JavaScript) and disable any ad blocker",
    re.IGNORECASE,
)
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—·•»:]\s+|\s*[|｜]\s*|\s*(?<=[^\x00-\u2fff])[-–—_]\s*")
_WS = re.compile(r"\s+")
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_WORD = re.compile(r"\w+")

# trafilatura and htmldate log every page they discard at WARNING/ERROR; the
# reason reaches the user as a Rejected record instead.
for _name in ("trafilatura", "htmldate", "charset_normalizer"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


@dataclass(frozen=True, slots=True)
class Page:
    """A raw page, before extraction.

    ``url`` is where the page was fetched (a WARC record's target URI, a row's
    ``url`` field); when empty, the page's canonical link is used. Fields
    given in ``given`` (a row's ``title``, ``published_at``, ``outlet``, ``id``)
    win over what extraction finds.
    """

    source: str
    html: bytes
    url: str = ""
    given: tuple[tuple[str, str], ...] = ()
    tz: str = "UTC"
    # The id of a page that names no URL (no canonical link): a file's absolute
    # path, so that the same file typed another way is the same article.
    fallback_id: str = ""
    # The run's limits (ReadConfig.max_bytes, page_seconds), taken along to
    # the worker that extracts the page.
    max_bytes: int = DEFAULT_MAX_BYTES
    seconds: float = DEFAULT_PAGE_SECONDS


def page_digest(html: bytes) -> str:
    """xxh3-128 of the raw page bytes: equal digests, equal pages.

    >>> page_digest(b"<html></html>") == page_digest(b"<html></html>")
    True
    """
    return xxhash.xxh3_128_hexdigest(html)


def page_key(page: Page) -> str:
    """xxh3-128 of what a page's article is made from: its raw bytes and what it was given
    (URL, fields, the id of a page without one). Equal keys, the same article, without
    extracting it; the zone is left out, as record_hash leaves the parsed time out.

    >>> p = Page(source="a.html", html=b"<html></html>", url="https://x.com/a")
    >>> page_key(p) == page_key(Page(source="b.html", html=b"<html></html>", url="https://x.com/a"))
    True
    >>> page_key(p) == page_key(Page(source="a.html", html=b"<html></html>", url="https://x.com/b"))
    False
    """
    h = xxhash.xxh3_128(page.html)
    # Each part ends in NUL: ("ab", "") and ("a", "b") differ.
    for part in (page.url, page.fallback_id, *(x for kv in page.given for x in kv)):
        h.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    return h.hexdigest()


def clean_title(title: str, site_names: tuple[str, ...] = ()) -> str:
    """Drop site-name segments ("Headline - River Post", "SITE | Headline | Section").

    A segment is dropped only when it names the site (``site_names``: the
    og:site_name, the registered domain…) or is a bare date; the headline
    itself is never cut elsewhere.

    >>> clean_title("Tram fares rise - River Post", ("River Post", "riverpost.com"))
    'Tram fares rise'
    >>> clean_title("riverpost.com | Tram fares rise | 24.11.2026", ("riverpost.com",))
    'Tram fares rise'
    >>> clean_title("NEWS WEB EASY|子どもへの体罰を禁止", ("NEWS WEB EASY",))
    '子どもへの体罰を禁止'
    >>> clean_title("Coronavirus: New York ramps up burials", ("BBC News",))
    'Coronavirus: New York ramps up burials'
    """
    title = _WS.sub(" ", title).strip()
    names = {_key(n) for n in site_names if n and _key(n)}
    if not title or not names:
        return title
    parts: list[str] = []
    seps: list[str] = []
    pos = 0
    for m in _TITLE_SEPARATORS.finditer(title):
        parts.append(title[pos : m.start()])
        seps.append(m.group(0))
        pos = m.end()
    parts.append(title[pos:])
    if len(parts) < 2:
        return title

    def is_site(seg: str) -> bool:
        k = _key(seg)
        if not k:
            return True
        if _DATE_SEGMENT.fullmatch(seg.strip()):
            return True
        return any(k == n or (len(k) >= 3 and (k in n or n in k) and len(k) <= 2 * len(n) + 4) for n in names)

    # Strip from both ends only: a site name in the middle is part of the headline.
    start, end = 0, len(parts)
    while end - start > 1 and is_site(parts[end - 1]):
        end -= 1
    while end - start > 1 and is_site(parts[start]):
        start += 1
    if (start, end) == (0, len(parts)):
        return title
    out = parts[start]
    for i in range(start + 1, end):
        out += seps[i - 1] + parts[i]
    return out.strip() or title


_DATE_SEGMENT = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")


def _key(text: str) -> str:
    return "".join(_WORD.findall(text.casefold())).replace("_", "")


@lru_cache(maxsize=1)
def _libs() -> tuple[Any, Any, Any]:
    # Imported on first use: trafilatura takes ~0.5 s to import, and a run
    # that reads only JSONL should not pay for it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import py3langid
        import trafilatura
        from trafilatura.utils import load_html
    return trafilatura, load_html, py3langid


def _date_params() -> dict[str, Any]:
    # original_date: the publication, not the last update. deferred_url_extractor:
    # a full timestamp in the page's metadata beats a bare date in the URL
    # (measured: one more exact date on newshtml, and many more with a time).
    return {
        "original_date": True,
        "extensive_search": True,
        "outputformat": _DATE_FORMAT,
        "deferred_url_extractor": True,
        "max_date": datetime.now().astimezone().strftime("%Y-%m-%d"),
    }


def _canonical(tree: Any, base: str) -> str:
    """The page's own URL: canonical link, else og:url; absolute, http(s) only."""
    for xpath in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content', '//meta[@name="og:url"]/@content'):
        for href in tree.xpath(xpath):
            # As a browser reads a link: tabs and newlines inside it are dropped (WHATWG URL).
            href = _TAB_OR_NEWLINE.sub("", str(href)).strip()
            if not href:
                continue
            try:
                if href.startswith("//"):
                    href = "https:" + href
                elif base and not urlsplit(href).scheme:
                    href = urljoin(base, href)
                parts = urlsplit(href)
                if parts.scheme in ("http", "https") and parts.hostname:
                    return href
            except ValueError:  # "http://[oops": no URL, as if absent
                continue
    return ""


# Hosts whose URLs only lead to the article (news aggregators' redirects, feed
# proxies): the page's own canonical link names it better.
_REDIRECTORS = frozenset({"news.google.com", "feedproxy.google.com", "feeds.feedburner.com", "www.bing.com", "t.co"})


def _page_url(given: str, tree: Any) -> str:
    """The URL we were given (WARC record, ``url`` field), else the canonical link."""
    if given:
        try:
            host = (urlsplit(given).hostname or "").lower()
        except ValueError:  # "http://[::1": no host to read; the URL is kept as given
            host = ""
        if host in _REDIRECTORS:
            return _canonical(tree, given) or given
        return given
    return _canonical(tree, "")


def _html_lang(tree: Any) -> str:
    """The primary subtag of <html lang> (or xml:lang, or a content-language meta): "en-US" → "en"."""
    values = [tree.get("lang"), tree.get("xml:lang"), *tree.xpath('//meta[@http-equiv="content-language"]/@content')]
    for value in values:
        code = str(value or "").strip().lower().replace("_", "-").split("-")[0]
        if 2 <= len(code) <= 3 and code.isalpha():
            return code
    return ""


def _language(text: str, tree: Any, langid: Any) -> str:
    return language_of(text, langid) or _html_lang(tree)


def language_of(text: str, langid: Any = None) -> str:
    """The ISO 639-1 code py3langid gives ``text`` (its model ships in the package), or ""
    when there is too little text to tell.

    >>> language_of("Pemerintah akan memangkas kuota bijih nikel tahun depan hingga lima belas persen.")
    'id'
    """
    sample = text[:_LANGID_CHARS]
    if len(sample.strip()) < _LANGID_MIN_CHARS:
        return ""
    code, _score = (langid or _libs()[2]).classify(sample)
    return str(code)


def _is_listing(tree: Any, text: str) -> bool:
    """Most of the extracted text is link text: a section front or a list of teasers."""
    anchors = set()
    for a in tree.iter("a"):
        t = _WS.sub(" ", a.text_content()).strip()
        if len(t) >= 20:
            anchors.add(t)
    if not anchors:
        return False
    lines = [_WS.sub(" ", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    total = sum(len(line) for line in lines)
    linked = sum(len(line) for line in lines if line in anchors)
    n_linked = sum(1 for line in lines if line in anchors)
    # Several linked lines, not one: an article may end in a linked promo block.
    return n_linked >= 5 and total > 0 and linked / total > 0.5


def _is_no_space(text: str) -> bool:
    sample = text[:2000]
    return len(sample) > 20 and sample.count(" ") < 0.05 * len(sample)


def _time(raw: str | None, tz: str) -> tuple[datetime | None, TimePrecision, str | None]:
    """htmldate's ISO output → (UTC time, precision, raw); naive midnight means a bare date."""
    if not raw:
        return None, TimePrecision.UNKNOWN, None
    if len(raw) == 19 and raw.endswith("T00:00:00"):
        raw = raw[:10]
    elif len(raw) > 19 and raw[19] in "+-" and len(raw) == 24:
        raw = raw[:22] + ":" + raw[22:]  # +0100 → +01:00, the form parse_time reads
    when, precision = parse_time(raw, tz)
    return when, precision, raw


def _local_form(raw: str | None, html: bytes) -> str | None:
    """A UTC time that the page also states in its own zone → the local form.

    Many CMSs give article:published_time in UTC and a <time datetime> or
    JSON-LD date with the newsroom's offset; the reader's (and the
    annotator's) publication date is the local one.
    """
    if not raw or len(raw) < 24 or raw[19:] not in ("+0000", "-0000"):
        return raw
    try:
        utc = datetime.fromisoformat(raw[:19] + "+00:00")
    except ValueError:
        return raw
    for m in _ISO_WITH_OFFSET.finditer(html, 0, 2_000_000):
        text = m.group(0).decode("ascii")
        try:
            other = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            continue
        offset = other.utcoffset()
        if offset and other == utc:
            sign = "+" if offset.total_seconds() >= 0 else "-"
            minutes = abs(int(offset.total_seconds())) // 60
            return other.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
    return raw


_ISO_WITH_OFFSET = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?[+-]\d{2}:?\d{2}")


def _too_short(text: str) -> bool:
    return len(text) < (MIN_TEXT_CHARS_NO_SPACE if _is_no_space(text) else MIN_TEXT_CHARS)


def _trafilatura(trafilatura: Any, tree: Any, url: str, **options: bool) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dateutil on odd zone names: noise, not news
        return trafilatura.bare_extraction(
            tree, url=url or None, with_metadata=True, include_comments=False,
            date_extraction_params=_date_params(), **options,
        )


def extract_page(page: Page) -> list[Item]:
    """One page → ``[Article]`` (maybe after Notices), or ``[Rejected]`` with the reason.

    Extraction is stopped after ``page.seconds`` (a pathological page can
    keep lxml and trafilatura busy for minutes) when this runs on a process's
    main thread, as pool workers do; a page pool also stops a worker that does
    not return (:class:`_PagePool`)."""
    if len(page.html) > page.max_bytes:
        return [Rejected(page.source, "page too large", f"{len(page.html):,} bytes (limit {page.max_bytes:,}, --max-bytes)")]
    if not page.html.strip():
        return [Rejected(page.source, "empty page")]
    try:
        with _time_limit(page.seconds):
            return _extract(page)
    except _TooSlow:
        return [_too_slow(page)]
    except Exception as exc:  # noqa: BLE001 -- one bad page never stops the run
        return [Rejected(page.source, "extraction failed", f"{type(exc).__name__}: {exc}"[:300])]


def _too_slow(page: Page) -> Rejected:
    return Rejected(page.source, "extraction timed out", f"extraction took longer than {page.seconds:g} s")


class _TooSlow(BaseException):
    """Raised into an extraction by its timer. Not an Exception: the libraries'
    own ``except Exception`` blocks must not swallow it."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`_TooSlow` in the block after ``seconds`` (SIGALRM: the main thread only;
    elsewhere the block is not limited)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(_signum: int, _frame: object) -> None:
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _extract(page: Page) -> list[Item]:
    trafilatura, load_html, langid = _libs()
    given = dict(page.given)
    tree = load_html(page.html)
    if tree is None:
        return [Rejected(page.source, "not HTML", "no HTML document could be parsed")]
    url = _page_url(page.url.strip(), tree)
    # The page is parsed once: bare_extraction works on its own copy of the
    # tree (a copy is ~4x cheaper than a parse), ours keeps the canonical
    # link, the anchors and the lang attribute. favor_precision first (body
    # F1 0.961 → 0.966 on newshtml), the balanced default when that leaves
    # too little text (it drops whole short articles): benchmarks/HTML.md.
    doc = _trafilatura(trafilatura, tree, url, favor_precision=True)
    text = (doc.text or "").strip() if doc is not None else ""
    if _too_short(text):
        doc = _trafilatura(trafilatura, tree, url)
        text = (doc.text or "").strip() if doc is not None else ""
    short = _too_short(text)
    if not text or short:
        if _BOT_WALL.search(page.html[:200_000]):
            return [Rejected(page.source, "bot wall", "a challenge or captcha page, not the article")]
        if not text:
            return [Rejected(page.source, "no article text", "the extractor found no main text")]
        return [Rejected(page.source, "text too short", f"{len(text)} characters of main text")]
    if _is_listing(tree, text):
        return [Rejected(page.source, "listing page", "most of the main text is links to other pages")]
    if not url and doc is not None and doc.url:
        url = doc.url
    digest = page_digest(page.html)
    outlet = given.get("outlet", "").strip() or outlet_from_url(url)
    site_names = tuple(n for n in (doc.sitename if doc else None, outlet, outlet.split(".")[0] if outlet else "") if n)
    title = given.get("title", "").strip() or clean_title((doc.title or "") if doc else "", site_names)
    out: list[Item] = []
    if "published_at" in given and given["published_at"]:
        raw_time: str | None = given["published_at"]
        published, precision = parse_time(raw_time, page.tz)
        if precision is TimePrecision.UNKNOWN:
            out.append(Notice(page.source, "unparseable time", f"{raw_time!r} stored as unknown"))
    else:
        published, precision, raw_time = _time(_local_form(doc.date if doc else None, page.html), page.tz)
    ident = given.get("id", "").strip() or url or page.fallback_id or page.source
    out.append(
        Article(
            id=ident,
            url=url,
            outlet=outlet,  # "" when unknown: read_paths gives it --outlet or one of its own
            title=title,
            text=text,
            published_at=published,
            time_precision=precision,
            published_raw=raw_time,
            source=page.source,
            language=_language(text, tree, langid),
            digest=digest,
            page_key=page_key(page),
        )
    )
    return out


# -- many pages, in order, on a process pool ------------------------------------

# Pages in flight per worker: enough to keep every worker busy while the reader
# waits on a slow page at the head of the queue, few enough that memory stays
# bounded (a page is at most ReadConfig.max_bytes, typically ~200 KB).
_IN_FLIGHT_PER_WORKER = 16
# A worker whose page has not come back this long after its own time limit
# is stuck where the timer cannot reach (inside a C library): it is killed.
_GRACE_SECONDS = 5.0


StoredPages = Callable[[str], "str | None"]
"""page key → id of the article stored from that page (None: none): see Store.stored_pages."""


def _unchanged(page: Page, stored: StoredPages | None) -> Unchanged | None:
    """The page as :class:`Unchanged` when the store holds its article from these very bytes."""
    if stored is None:
        return None
    ident = stored(page_key(page))
    return None if ident is None else Unchanged(page.source, ident, page_digest(page.html), page)


def extract_in_order(
    items: Iterable[Item | Page], workers: int = 1, progress: Callable[[int], None] | None = None,
    stored: StoredPages | None = None,
) -> Iterator[Item | Unchanged]:
    """Records pass through; each :class:`Page` is replaced by what :func:`extract_page` makes of it.

    Input order is kept. With ``workers > 1`` pages are extracted on a process
    pool with at most ``workers * 16`` pages in flight, so an archive of any
    size streams in bounded memory. A worker that dies (a crash in a C
    library) costs only the page it was on: that page is retried alone and
    rejected if it crashes again; one that does not finish a page in twice its
    time limit is killed, the page rejected. ``progress(1)`` is called per page.
    When the caller stops early (an error downstream), the workers are killed,
    not waited for. A page ``stored`` knows (by :func:`page_key`) is not extracted:
    it becomes an :class:`~dedup.model.Unchanged`.

    >>> out = list(extract_in_order([Rejected("a", "x"), Page("p", b"<html><body></body></html>")]))
    >>> [(r.source, r.reason) for r in out]
    [('a', 'x'), ('p', 'no article text')]
    """
    if workers <= 1:
        for item in items:
            if isinstance(item, Page):
                same = _unchanged(item, stored)
                yield from [same] if same else extract_page(item)
                if progress:
                    progress(1)
            else:
                yield item
        return
    yield from _PagePool(workers, progress, stored).run(items)


class _PagePool:
    def __init__(self, workers: int, progress: Callable[[int], None] | None, stored: StoredPages | None = None) -> None:
        self.workers = workers
        self.progress = progress
        self.stored = stored
        self.pool: Any = None

    def _new_pool(self, workers: int) -> Any:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        _libs()[2].classify("warm up")  # import and load the language model once: forked workers inherit them
        # fork: workers start in milliseconds and need only extract_page.
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        # Workers end with the process that made them, even one killed with SIGKILL.
        return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=exit_with_parent, initargs=(os.getpid(),))

    def run(self, items: Iterable[Item | Page]) -> Iterator[Item | Unchanged]:
        pending: deque[list[Any]] = deque()  # [future, page] or [None, item]
        window = self.workers * _IN_FLIGHT_PER_WORKER
        finished = False
        try:
            for given in items:
                # A page the store holds unchanged passes in its place, as a record does.
                item = self._known(given) if isinstance(given, Page) else given
                if isinstance(item, Page):
                    if self.pool is None:
                        self.pool = self._new_pool(self.workers)
                    pending.append([self.pool.submit(extract_page, item), item])
                elif pending:
                    pending.append([None, item])
                else:
                    yield item
                while len(pending) >= window:
                    yield from self._resolve(pending)
            while pending:
                yield from self._resolve(pending)
            finished = True
        finally:
            if self.pool is not None:
                if not finished:  # an error, or the consumer stopped: nobody waits for these pages
                    _kill(self.pool)
                self.pool.shutdown(wait=True, cancel_futures=True)

    def _known(self, page: Page) -> Page | Unchanged:
        same = _unchanged(page, self.stored)
        if same is None:
            return page
        if self.progress:
            self.progress(1)
        return same

    def _resolve(self, pending: deque[list[Any]]) -> Iterator[Item]:
        from concurrent.futures.process import BrokenProcessPool

        future, item = pending.popleft()
        if future is None:
            yield item
            return
        try:
            # The page at the head started before all those behind it.
            result = future.result(timeout=_hard_limit(item))
        except TimeoutError:
            result = [_too_slow(item)]
            self._restart(pending, kill=True)
        except BrokenProcessPool:
            result = self._isolated(item)
            self._restart(pending)
        yield from result
        if self.progress:
            self.progress(1)

    def _restart(self, pending: deque[list[Any]], *, kill: bool = False) -> None:
        """A new pool, with every page in flight submitted again (they died with the old one, or are killed now)."""
        if kill:
            _kill(self.pool)
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new_pool(self.workers)
        for entry in pending:
            if entry[0] is not None:
                entry[0] = self.pool.submit(extract_page, entry[1])

    def _isolated(self, page: Page) -> list[Item]:
        from concurrent.futures.process import BrokenProcessPool

        solo = self._new_pool(1)
        try:
            return solo.submit(extract_page, page).result(timeout=_hard_limit(page))
        except TimeoutError:
            _kill(solo)
            return [_too_slow(page)]
        except BrokenProcessPool:
            return [Rejected(page.source, "extraction crashed", "the extractor's process died on this page (twice)")]
        finally:
            solo.shutdown(wait=False, cancel_futures=True)


def _hard_limit(page: Page) -> float:
    return 2 * page.seconds + _GRACE_SECONDS


def _kill(pool: Any) -> None:
    """End a pool's workers now, whatever they are doing. ProcessPoolExecutor
    has no public way before Python 3.14 (``kill_workers``)."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        proc.kill()
