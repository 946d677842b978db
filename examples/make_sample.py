#!/usr/bin/env python3
"""Build the bundled sample corpus for dedup and its ground truth.

    python3 examples/make_sample.py

Reads the original articles in ``examples/sources/*.txt`` (written for this
project; see examples/README.md), derives the copies planted below (junk-wrapped,
abridged, lightly edited, retitled) and writes

    examples/sample/night1.jsonl   articles published 2026-11-24
    examples/sample/night2.jsonl   articles published 2026-11-25 (incremental demo)
    examples/truth.json            stories, must-not-merge groups, singletons, credits

Standard library only and deterministic (``random.Random(2026)``): running it
twice gives byte-identical files. It ends with a self-check and exits non-zero
if the corpus breaks one of its own rules.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
OUT = HERE / "sample"
TRUTH = HERE / "truth.json"
NIGHT_DATE = {1: "2026-11-24", 2: "2026-11-25"}
UTC = timezone.utc

# ---------------------------------------------------------------------------
# Outlets: id prefix and URL pattern. {host} {y} {m} {d} {n} {slug} are filled in.
# ---------------------------------------------------------------------------
OUTLETS = {
    # agencies
    "reuters.com": ("reuters", "www.reuters.com", "https://{host}/world/asia-pacific/{slug}-{y}-{m}-{d}/"),
    "afp.com": ("afp", "www.afp.com", "https://{host}/en/news/{n}/{slug}"),
    "apnews.com": ("ap", "apnews.com", "https://{host}/article/{slug}-{n}"),
    "antaranews.com": ("antara", "www.antaranews.com", "https://{host}/berita/{n}/{slug}"),
    "bernama.com": ("bernama", "www.bernama.com", "https://{host}/bm/news.php?id={n}"),
    # national and regional outlets
    "kompas.com": ("kompas", "www.kompas.com", "https://{host}/read/{y}/{m}/{d}/{n}/{slug}"),
    "detik.com": ("detik", "news.detik.com", "https://{host}/berita/d-{n}/{slug}"),
    "tempo.co": ("tempo", "www.tempo.co", "https://{host}/{slug}-{n}"),
    "cnnindonesia.com": ("cnnid", "www.cnnindonesia.com", "https://{host}/nasional/{y}{m}{d}{n}/{slug}"),
    "thejakartapost.com": ("jakpost", "www.thejakartapost.com", "https://{host}/indonesia/{y}/{m}/{d}/{slug}.html"),
    "straitstimes.com": ("st", "www.straitstimes.com", "https://{host}/singapore/{slug}"),
    "hmetro.com.my": ("hmetro", "www.hmetro.com.my", "https://{host}/mutakhir/{y}/{m}/{n}/{slug}"),
    "tribunnews.com": ("tribun", "www.tribunnews.com", "https://{host}/{y}/{m}/{d}/{slug}"),
    "radarbandung.id": ("radarbdg", "radarbandung.id", "https://{host}/{y}/{m}/{d}/{slug}/"),
    # aggregators / scrapers
    "korannews.com": ("korannews", "www.korannews.com", "https://{host}/{y}/{m}/{d}/{slug}/"),
    "beritaterkini.id": ("bterkini", "beritaterkini.id", "https://{host}/{slug}-{n}"),
    "infoviral.co": ("infoviral", "infoviral.co", "https://{host}/{y}/{m}/{slug}.html"),
    "kabarsatu.net": ("kabarsatu", "kabarsatu.net", "https://{host}/read/{n}/{slug}"),
    "warta24.net": ("warta24", "www.warta24.net", "https://{host}/{slug}/"),
    "newshub24.net": ("newshub24", "newshub24.net", "https://{host}/world/{slug}"),
    "dailyfeed.site": ("dailyfeed", "dailyfeed.site", "https://{host}/{slug}-{n}"),
    "asiawire.news": ("asiawire", "asiawire.news", "https://{host}/{y}/{m}/{d}/{slug}/"),
    "beritasemasa.my": ("bsemasa", "beritasemasa.my", "https://{host}/{slug}/"),
}

# Canonical names used in truth "credits": agencies by name, other outlets by domain.
AGENCY_NAME = {"reuters.com": "Reuters", "afp.com": "AFP", "apnews.com": "AP",
               "antaranews.com": "Antara", "bernama.com": "Bernama"}

# How a credit shows up in text (case-sensitive on purpose: "antara" is also an
# everyday Indonesian word, "tempo" too).
CREDIT_PATTERNS = {
    "Reuters": r"\bReuters\b",
    "AFP": r"\bAFP\b",
    "AP": r"\(AP\)|\bAssociated Press\b",
    "Antara": r"\bANTARA\b",
    "Bernama": r"\bBernama\b|\bBERNAMA\b",
    "kompas.com": r"\bKompas\.com\b|\bKOMPAS\.com\b",
    "detik.com": r"\bdetik(?:com|\.com|[A-Z][a-z]+)\b",
    "tempo.co": r"\bTempo\.co\b|\bTEMPO\.CO\b|\bTempo\b",
    "cnnindonesia.com": r"\bCNN ?Indonesia(?:\.com)?\b",
    "thejakartapost.com": r"\bThe Jakarta Post\b",
    "straitstimes.com": r"\bThe Straits Times\b",
}


def canonical(outlet: str) -> str:
    return AGENCY_NAME.get(outlet, outlet)


# ---------------------------------------------------------------------------
# Scraper furniture per copying site.
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Junk:
    titles: int = 0  # title repeated N times at the top
    protect: bool = False  # "error: Content is protected !!" at top
    dateline: str | None = None  # replaces the source's dateline
    read_also: int = 0  # "Baca juga: <other headline>" lines
    read_label: str = "Baca juga:"
    tail: tuple[str, ...] = ()


JUNK = {
    "korannews.com": Junk(3, True, "korannews.com –", 2, tail=(
        "Bagikan: Facebook Twitter WhatsApp", "Ikuti kami di Google News",
        "error: Content is protected !!", "© 2026 Korannews. All rights reserved.")),
    "beritaterkini.id": Junk(1, False, "BERITATERKINI.ID –", 1, tail=(
        "Ikuti kami di Google News", "Copyright © 2026 BeritaTerkini.id")),
    "infoviral.co": Junk(3, True, "infoviral.co –", 1, tail=(
        "Bagikan: Facebook Twitter WhatsApp", "Simak berita viral lainnya hanya di Infoviral.co",
        "© 2026 Infoviral.co")),
    "kabarsatu.net": Junk(1, False, "KABARSATU.NET –", 2, tail=(
        "Editor: Redaksi", "© 2026 Kabarsatu.net – All rights reserved")),
    "warta24.net": Junk(2, True, "Warta24.net –", 1, tail=(
        "Bagikan artikel ini:", "Facebook | Twitter | WhatsApp | Telegram", "Hak Cipta © 2026 Warta24.net")),
    "newshub24.net": Junk(0, False, None, 1, "Read more:", (
        "Share this article", "Subscribe to our newsletter", "© 2026 NewsHub24. All rights reserved.")),
    "dailyfeed.site": Junk(2, False, None, 2, "Read more:", (
        "Share this article: Facebook | X | WhatsApp | Email",
        "Subscribe to our newsletter for the day's top stories.", "Copyright 2026 Dailyfeed.site")),
    "asiawire.news": Junk(0, False, None, 1, "Also read:", ("Share on Facebook | Share on X", "© AsiaWire 2026")),
    "beritasemasa.my": Junk(1, False, None, 1, "Baca juga:", (
        "Kongsi: Facebook Twitter WhatsApp Telegram", "© 2026 BeritaSemasa.my. Hak cipta terpelihara.")),
    "tribunnews.com": Junk(0, False, None, 2),
    "radarbandung.id": Junk(tail=("Editor: Dadan Hermawan",)),
}

# Light edits: a few word substitutions per language (whole words, all occurrences).
SUBSTITUTIONS = {
    "id": {"mengatakan": "menuturkan", "Namun,": "Akan tetapi,", "sejumlah": "beberapa",
           "telah": "sudah", "hingga": "sampai", "Sementara itu,": "Di sisi lain,", "diperkirakan": "diprediksi",
           "warga": "penduduk", "meminta": "mengimbau", "terpaksa": "harus", "kini": "sekarang"},
    "en": {"about": "around", "more than": "over", "officials": "authorities", "residents": "locals",
           "expected": "anticipated", "However,": "But", "up to": "as many as", "said on": "announced on"},
    "ms": {"sehingga": "hingga", "orang ramai": "masyarakat", "kira-kira": "lebih kurang", "turut": "juga",
           "membantu": "menyokong", "segera": "dengan segera"},
}


# ---------------------------------------------------------------------------
# The planted stories: an original (a key in sources/) and how it was copied.
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Copy:
    outlet: str
    time: str | None  # published_at exactly as it will appear in the JSONL
    night: int | None = None  # needed when the time is missing or unparseable
    abridge: int | None = None  # keep only the first N paragraphs
    edit: bool = False  # substitutions + one sentence dropped + one pair swapped
    title: str | None = None  # new title
    dateline: str | None = None  # new dateline replacing the source's one
    keep_dateline: bool = False  # keep the source's (agency) dateline instead of the site's own
    credit_line: str | None = None  # appended, "{title}" = original title
    host: str | None = None


@dataclass(frozen=True)
class Story:
    name: str
    kind: str
    original: str
    copies: tuple[Copy, ...]


C = Copy
STORIES = [
    # --- Indonesian rewrites of wire copy, then scraped by aggregators ----------------
    Story("nickel-quota-id", "wire_rewrite", "k_nickel", (
        C("korannews.com", "2026-11-24T10:55:00+07:00"),
        C("beritaterkini.id", "2026-11-24 11:20:00"),
        C("infoviral.co", "2026-11-24T05:02:11Z"),
        C("kabarsatu.net", "2026-11-25"))),  # a day later, bare date (night 2)
    Story("thai-floods-id", "wire_rewrite", "d_hatyai", (
        C("korannews.com", "2026-11-24T13:02:00+07:00"),
        C("infoviral.co", "2 jam yang lalu", night=1),
        C("beritaterkini.id", "2026-11-24 15:47:00", abridge=3),
        C("kabarsatu.net", "2026-11-25T07:20:00+07:00"))),
    Story("south-china-sea-id", "wire_rewrite", "cnn_coc", (
        C("korannews.com", "2026-11-24T15:00:00+07:00"),
        C("infoviral.co", "2026-11-24 16:30:00"),
        C("kabarsatu.net", "2026-11-24T09:45:00Z"),
        C("beritaterkini.id", "2026-11-24T17:10:00+07:00", abridge=3),
        C("warta24.net", None, night=2))),  # a copy with no time at all
    Story("opec-oil-id", "wire_rewrite", "tempo_opec", (
        C("korannews.com", "2026-11-24T08:45:00+07:00"),
        C("beritaterkini.id", "2026-11-24 09:30:00"),
        C("kabarsatu.net", "2026-11-24T03:10:00Z"),
        C("warta24.net", "2026-11-24T11:00:00+07:00", edit=True))),
    Story("png-quake-id", "wire_rewrite", "k_png", (  # wholly in night 2
        C("korannews.com", "2026-11-25T11:05:00+07:00"),
        C("infoviral.co", "2026-11-25 12:40:00"),
        C("beritaterkini.id", "2026-11-25T13:15:00+07:00"))),
    Story("typhoon-nakri-id", "wire_rewrite", "d_typhoon", (
        C("korannews.com", "2026-11-24T17:20:00+07:00"),
        C("beritaterkini.id", "2026-11-24 18:05:00"),
        C("infoviral.co", "2026-11-25T07:30:00+07:00"),
        C("kabarsatu.net", "2026-11-25", abridge=3))),
    # --- English wire copy syndicated verbatim -------------------------------------
    Story("nickel-quota-en", "syndication", "r_nickel", (
        C("newshub24.net", "2026-11-24T02:05:00Z"),
        C("dailyfeed.site", "2026-11-24T10:30:00+07:00"),
        C("asiawire.news", "2026-11-25T08:15:00+08:00"))),
    Story("bali-plastic-en", "syndication", "afp_bali", (
        C("newshub24.net", "2026-11-24T03:20:00Z"),
        C("dailyfeed.site", "2026-11-24T05:50:00Z", title="Tourist island slaps ban on plastic cups, food boxes",
          dateline="DENPASAR -"),  # retitled, agency dateline removed
        C("asiawire.news", "2026-11-24T13:40:00+08:00", edit=True))),
    Story("bulog-rice-en", "syndication", "ant_en_rice", (  # wholly in night 2
        C("newshub24.net", "2026-11-25T03:00:00Z"),
        C("dailyfeed.site", "2026-11-25 14:20:00", edit=True))),
    # --- national/agency originals copied with edits, cuts and new titles ---------
    Story("pekalongan-tidal-flood", "edited_copies", "k_rob", (
        C("tribunnews.com", "2026-11-24T08:15:00+07:00", host="jateng.tribunnews.com", edit=True,
          dateline="TRIBUNJATENG.COM, PEKALONGAN -",
          credit_line='Artikel ini telah tayang di Kompas.com dengan judul "{title}".'),
        C("beritaterkini.id", "2026-11-24 10:00:00", abridge=3),
        C("kabarsatu.net", "2026-11-25T06:00:00+07:00"))),
    Story("west-java-dengue", "edited_copies", "ant_dbd", (
        C("radarbandung.id", "2026-11-24T09:30:00+07:00", edit=True, keep_dateline=True, credit_line="Sumber: ANTARA"),
        C("kabarsatu.net", "kemarin sore", night=2, keep_dateline=True),
        C("infoviral.co", "2026-11-24T13:25:00+07:00", title="Waspada! Kasus DBD di Jabar Melonjak, 96 Orang Meninggal Dunia",
          dateline="Bandung, infoviral.co –"))),  # retitled, ANTARA dateline removed
    Story("jakarta-erp", "edited_copies", "jp_erp", (
        C("newshub24.net", "2026-11-24T05:30:00Z", abridge=3, credit_line="Read the full story at The Jakarta Post."),
        C("dailyfeed.site", "2026-11-24 13:40:00"),
        C("asiawire.news", "2026-11-25T10:00:00+08:00", credit_line="Source: The Jakarta Post"))),
    Story("rts-link-preview", "edited_copies", "st_rts", (
        C("asiawire.news", "2026-11-24T03:10:00Z", edit=True, credit_line="Source: The Straits Times"),
        C("newshub24.net", "2026-11-25T01:00:00Z", credit_line="This article first appeared in The Straits Times."))),
    Story("bandung-parking-attendant", "edited_copies", "d_dompet", (
        C("beritaterkini.id", "2026-11-24T21:30:00+07:00"),
        C("infoviral.co", "2026-11-25T08:10:00+07:00", edit=True),
        C("korannews.com", "2026-11-25 09:00:00", abridge=3))),
    Story("kelantan-floods-ms", "edited_copies", "bern_banjir", (
        C("beritasemasa.my", "2026-11-24T12:05:00+08:00", edit=True, keep_dateline=True),)),
    # --- national originals scraped whole, no credit --------------------------------
    Story("sim-biometrics", "aggregator_copies", "cnn_sim", (
        C("korannews.com", "2026-11-24T11:00:00+07:00"),
        C("warta24.net", "2026-11-24 12:30:00"),
        C("infoviral.co", "2026-11-24T14:45:00+07:00"))),
    Story("antam-gold-price", "aggregator_copies", "tempo_emas", (  # wholly in night 2
        C("korannews.com", "2026-11-25T07:40:00+07:00"),
        C("beritaterkini.id", "2026-11-25 08:15:00", edit=True),
        C("tribunnews.com", "2026-11-25T09:05:00+07:00", dateline="TRIBUNNEWS.COM, JAKARTA -",
          credit_line="Sumber: Tempo.co"))),
]


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------
@dataclass
class Source:
    key: str
    outlet: str
    host: str
    lang: str
    time: str | None
    night: int
    title: str
    paras: list[str]
    dateline: str | None = None
    group: str | None = None


def night_of(time: str | None, explicit: int | None) -> int:
    if explicit:
        return explicit
    if time and time.startswith(NIGHT_DATE[2]):
        return 2
    if time and time.startswith(NIGHT_DATE[1]):
        return 1
    raise ValueError(f"time {time!r} needs an explicit night")


def load_sources() -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for path in sorted(SOURCES.glob("*.txt")):
        for block in re.split(r"^=== ", path.read_text(encoding="utf-8"), flags=re.M)[1:]:
            key, rest = block.split("\n", 1)
            head, body = rest.split("\n\n", 1)
            meta = dict(line.split(": ", 1) for line in head.splitlines())
            time = None if meta["time"] == "null" else meta["time"]
            src = Source(key=key.strip(), outlet=meta["outlet"], host=meta["host"], lang=meta["lang"], time=time,
                         night=night_of(time, int(meta["night"]) if "night" in meta else None), title=meta["title"],
                         paras=[p.strip() for p in body.strip().split("\n\n")], dateline=meta.get("dateline"),
                         group=meta.get("group"))
            if src.dateline and not src.paras[0].startswith(src.dateline):
                raise ValueError(f"{key}: first paragraph does not start with its dateline")
            if src.key in sources:
                raise ValueError(f"duplicate source key {src.key}")
            sources[src.key] = src
    return sources


# ---------------------------------------------------------------------------
# Text transforms
# ---------------------------------------------------------------------------
_SPLIT = re.compile(r"[.!?][\"”]?(?=\s+[\"“A-Z])")
_ABBREV = re.compile(r"(?:\b(?:dr|Dr|Capt|Kol|No|St|Mr|Mrs|Jl)\.)$")
_PROTECTED = re.compile("|".join(CREDIT_PATTERNS.values()) + r"|^\(Reporting")


def sentences(para: str) -> list[str]:
    out, start = [], 0
    for m in _SPLIT.finditer(para):
        if _ABBREV.search(para[start:m.end()]) or para[:m.end()].count('"') % 2:
            continue  # an abbreviation, or inside a quotation
        out.append(para[start:m.end()].strip())
        start = m.end()
    tail = para[start:].strip()
    return out + [tail] if tail else out


def replace_dateline(paras: list[str], old: str | None, new: str) -> list[str]:
    first = paras[0][len(old):].lstrip() if old else paras[0]
    return [f"{new} {first}"] + paras[1:]


# A sentence that leans on the one before it ("Namun, ...", "They said ...") must not be
# moved in front of it; the edits below only move self-contained sentences.
_LEANS = re.compile(r"^[\"“]?(?:Namun|Artinya|Adapun|Sementara|Meski|Akan|Di sisi|Hal|Keduanya|However|But|This)\b"
                    r"|\b(?:they|them|he|she|it|its|their|ia|dia|mereka|beliau|tersebut|itu|ujarnya|katanya)\b",
                    re.IGNORECASE)


def light_edit(paras: list[str], lang: str, rng: random.Random) -> list[str]:
    """A few word substitutions, one sentence dropped, two adjacent sentences swapped."""
    subs = SUBSTITUTIONS[lang]
    present = [k for k in subs if re.search(rf"(?<!\w){re.escape(k)}(?!\w)", " ".join(paras))]
    for k in sorted(rng.sample(present, min(3, len(present)))):
        paras = [re.sub(rf"(?<!\w){re.escape(k)}(?!\w)", subs[k], p) for p in paras]
    split = [sentences(p) for p in paras]
    # drop the last sentence of a later paragraph (nothing after it can refer back to it)
    droppable = [i for i in range(1, len(split)) if len(split[i]) >= 2 and not _PROTECTED.search(split[i][-1])]
    drop_p = rng.choice(droppable)
    split[drop_p].pop()
    # swap a pair of adjacent sentences when the second one stands on its own
    pairs = [(i, j) for i in range(1, len(split)) if i != drop_p for j in range(len(split[i]) - 1)
             if not _LEANS.search(split[i][j + 1])]
    if pairs:
        i, j = rng.choice(pairs)
        split[i][j], split[i][j + 1] = split[i][j + 1], split[i][j]
    else:  # no movable sentence: swap two adjacent later paragraphs instead
        j = rng.randrange(1, len(split) - 2)
        split[j], split[j + 1] = split[j + 1], split[j]
    return [" ".join(s) for s in split if s]


def wrap_junk(title: str, paras: list[str], junk: Junk, headlines: list[str]) -> list[str]:
    top = [title] * junk.titles + (["error: Content is protected !!"] if junk.protect else [])
    body = list(paras)
    slots = [1, 3][: junk.read_also]
    for n, slot in enumerate(reversed(slots)):
        body.insert(min(slot, len(body)), f"{junk.read_label} {headlines[len(slots) - 1 - n]}")
    return top + body + list(junk.tail)


def find_credits(text: str, own: str) -> list[str]:
    return sorted(name for name, pat in CREDIT_PATTERNS.items() if name != own and re.search(pat, text))


def slugify(title: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", title.lower()).split()
    return "-".join(words[:9])


# ---------------------------------------------------------------------------
# Times: what the self-check accepts as "unambiguously earlier"
# ---------------------------------------------------------------------------
def time_bounds(raw: str | None) -> tuple[datetime, datetime] | None:
    """Earliest and latest UTC instant a published_at can mean; None when unknown.

    Naive times are read as anything between WIB (+07:00) and UTC; bare dates as
    anywhere in that calendar day in any zone (+14:00 .. -12:00).
    """
    if raw is None:
        return None
    try:
        dt = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if len(raw) == 10:
        lo = dt.replace(tzinfo=timezone(timedelta(hours=14)))
        return lo.astimezone(UTC), (dt + timedelta(days=1)).replace(tzinfo=timezone(timedelta(hours=-12))).astimezone(UTC)
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone(timedelta(hours=7))).astimezone(UTC), dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC), dt.astimezone(UTC)


# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------
@dataclass
class Article:
    outlet: str
    host: str
    time: str | None
    night: int
    title: str
    paras: list[str]
    lang: str
    id: str = ""
    url: str = ""
    credits: list[str] = field(default_factory=list)
    how: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paras)


def make_copy(src: Source, spec: Copy, rng: random.Random, headlines: list[str]) -> Article:
    junk = JUNK[spec.outlet]
    paras, how = list(src.paras), []
    if spec.dateline:
        paras, how = replace_dateline(paras, src.dateline, spec.dateline), how + ["new_dateline"]
    elif junk.dateline and not spec.keep_dateline:
        paras = replace_dateline(paras, src.dateline, junk.dateline)
    if spec.edit:
        paras, how = light_edit(paras, src.lang, rng), how + ["light_edit"]
    if spec.abridge:
        paras, how = paras[: spec.abridge], how + [f"abridged_{spec.abridge}_paragraphs"]
    title = spec.title or src.title
    if spec.title:
        how.append("new_title")
    if spec.credit_line:
        paras.append(spec.credit_line.format(title=src.title))
        how.append("credit_line")
    if junk.titles or junk.protect or junk.read_also or junk.tail:
        picks = rng.sample(headlines, junk.read_also)
        paras = wrap_junk(title, paras, junk, picks)
        how.append("scraper_junk")
    return Article(outlet=spec.outlet, host=spec.host or OUTLETS[spec.outlet][1], time=spec.time,
                   night=night_of(spec.time, spec.night), title=title, paras=paras, lang=src.lang,
                   how=how or ["verbatim"])


def from_source(src: Source) -> Article:
    return Article(outlet=src.outlet, host=src.host, time=src.time, night=src.night, title=src.title,
                   paras=list(src.paras), lang=src.lang)


def finish(arts: list[Article], rng: random.Random) -> None:
    """Give every article its id, URL and credits."""
    counters: Counter[str] = Counter()
    for a in arts:
        prefix, _, pattern = OUTLETS[a.outlet]
        counters[prefix] += 1
        a.id = f"{prefix}-{counters[prefix]:04d}"
        bounds = time_bounds(a.time)
        day = (datetime.fromisoformat(a.time) if bounds and len(a.time) > 10 else
               datetime.fromisoformat(a.time if bounds else NIGHT_DATE[a.night]))
        a.url = pattern.format(host=a.host, y=f"{day.year}", m=f"{day.month:02d}", d=f"{day.day:02d}",
                               n=rng.randrange(10**6, 10**7), slug=slugify(a.title))
        a.credits = find_credits(a.text, canonical(a.outlet))


def build(rng: random.Random) -> tuple[list[Article], dict]:
    sources = load_sources()
    by_key: dict[str, Article] = {}
    arts: list[Article] = []
    story_arts: list[tuple[Story, Article, list[Article]]] = []
    used = {s.original for s in STORIES}
    for story in STORIES:
        src = sources[story.original]
        orig = from_source(src)
        arts.append(orig)
        by_key[src.key] = orig
        pool = sorted(s.title for s in sources.values() if s.lang == src.lang and s.key != src.key)
        copies = [make_copy(src, spec, rng, pool) for spec in story.copies]
        arts.extend(copies)
        story_arts.append((story, orig, copies))
    for key, src in sources.items():  # same-event groups and unrelated singletons
        if key not in used:
            by_key[key] = from_source(src)
            arts.append(by_key[key])
    finish(arts, rng)

    truth_stories = []
    for story, orig, copies in story_arts:
        members = [orig] + copies
        # A national rewrite of a wire that is not in the sample is a credited copy of that
        # wire (the story's origin), and a copy that credits the wire its parent derives
        # from is credited too (issue #12: the provenance tree).
        wires = set(orig.credits) if story.kind == "wire_rewrite" else set()
        relations = {orig.id: "credited_copy" if wires else "original"}
        for c, spec in zip(copies, story.copies):
            if spec.abridge:
                relations[c.id] = "partial_copy"
            elif canonical(orig.outlet) in c.credits or wires & set(c.credits):
                relations[c.id] = "credited_copy"
            else:
                relations[c.id] = "uncredited_copy"
        truth_stories.append({
            "name": story.name, "kind": story.kind, "first": orig.id,
            "members": [m.id for m in members], "relations": relations,
            "credits": {m.id: m.credits for m in members if m.credits},
            "transforms": {c.id: c.how for c in copies},
        })
    groups: dict[str, list[str]] = {}
    for key, src in sources.items():
        if src.group:
            groups.setdefault(src.group, []).append(by_key[key].id)
    in_story = {i for s in truth_stories for i in s["members"]}
    truth = {
        "about": "Ground truth for examples/sample/*.jsonl; generated by examples/make_sample.py.",
        "stories": truth_stories,
        "must_not_merge": list(groups.values()),
        "singletons": [a.id for a in arts if a.id not in in_story],
        "credits": {a.id: a.credits for a in arts if a.credits},
    }
    return arts, truth


def record(a: Article, rng: random.Random) -> dict:
    rec: dict = {"id": a.id, "url": a.url}
    if rng.random() >= 1 / 3:  # about a third of records leave outlet to be derived from the URL
        rec["outlet"] = a.outlet
    rec.update(published_at=a.time, title=a.title, text=a.text)
    return rec


# ---------------------------------------------------------------------------
# Self-check
# ---------------------------------------------------------------------------
def check(arts: list[Article], truth: dict) -> list[str]:
    problems: list[str] = []
    ids = [a.id for a in arts]
    by_id = {a.id: a for a in arts}
    if len(set(ids)) != len(ids):
        problems.append("duplicate ids")
    if len({a.url for a in arts}) != len(arts):
        problems.append("duplicate urls")
    if not 120 <= len(arts) <= 200:
        problems.append(f"{len(arts)} articles, want 120-200")
    if len({a.outlet for a in arts}) < 8:
        problems.append("fewer than 8 outlets")
    for a in arts:
        n = len(a.text.split())
        if not 150 <= n <= 600:
            problems.append(f"{a.id}: {n} words")
    mentioned = [i for s in truth["stories"] for i in s["members"]] + truth["singletons"]
    mentioned += [i for g in truth["must_not_merge"] for i in g] + list(truth["credits"])
    problems += [f"truth names unknown id {i}" for i in mentioned if i not in by_id]
    if sorted([i for s in truth["stories"] for i in s["members"]] + truth["singletons"]) != sorted(ids):
        problems.append("stories + singletons do not partition the corpus")
    for s in truth["stories"]:
        first = time_bounds(by_id[s["first"]].time)
        if first is None or first[0] != first[1]:
            problems.append(f"{s['name']}: first publisher needs an exact time")
            continue
        if any(by_id[m].night < by_id[s["first"]].night for m in s["members"]):
            problems.append(f"{s['name']}: a copy is in an earlier night than the original")
        langs = {by_id[m].lang for m in s["members"]}
        if len(langs) != 1:
            problems.append(f"{s['name']}: mixed languages {langs}")
        for m in s["members"][1:]:
            b = time_bounds(by_id[m].time)
            if b and b[0] < first[1] + timedelta(minutes=10):
                problems.append(f"{s['name']}: {m} ({by_id[m].time}) not clearly after the first")
    for g in truth["must_not_merge"]:
        if any(i in {j for s in truth["stories"] for j in s["members"]} for i in g):
            problems.append(f"must_not_merge group {g} overlaps a story")
    return problems


def main() -> int:
    rng = random.Random(2026)
    arts, truth = build(rng)
    OUT.mkdir(exist_ok=True)
    for night in (1, 2):
        recs = [record(a, rng) for a in arts if a.night == night]
        rng.shuffle(recs)
        with open(OUT / f"night{night}.jsonl", "w", encoding="utf-8") as fh:
            for rec in recs:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    TRUTH.write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    nights = Counter(a.night for a in arts)
    kinds = Counter(s["kind"] for s in truth["stories"])
    rel = Counter(r for s in truth["stories"] for r in s["relations"].values())
    print(f"{len(arts)} articles (night1 {nights[1]}, night2 {nights[2]}), "
          f"{len({a.outlet for a in arts})} outlets, langs {dict(Counter(a.lang for a in arts))}")
    print(f"{len(truth['stories'])} stories {dict(kinds)}; relations {dict(rel)}")
    print(f"{len(truth['must_not_merge'])} must-not-merge groups, {len(truth['singletons'])} singletons, "
          f"{len(truth['credits'])} crediting articles")
    problems = check(arts, truth)
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
