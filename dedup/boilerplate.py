"""Outlet boilerplate learned from the corpus (part of the clean stage).

The clean stage's patterns catch furniture that any site may print ("Baca
juga:", "© 2026 …"); this catches what only one outlet repeats on page after
page: a footer, an anti-copy notice, a newsletter pitch, a fixed "Baca juga"
block ("Simak berita viral lainnya hanya di Infoviral.co"). Such lines make an
outlet's unrelated articles look alike, and a copy look less like its source.

How. The short lines (at most ``max_line`` characters) of newly indexed
articles are counted per outlet in the store, once per article: all of an
outlet's first ``warmup`` articles, then one in ``sample_every`` (chosen by
id), which keeps the cost to a few microseconds per article on a large corpus
while a line on a fifth of an outlet's pages is still seen. A line that occurs
in at least ``min_articles`` and ``min_share`` of an outlet's counted articles
is that outlet's boilerplate, and is stripped from its articles
before shingling (``clean_text(boilerplate=...)``; stripped lines are kept in
the article's ``stripped`` for audit). ``dedup outlets`` shows what was learned.

When it applies. A batch is counted before it is cleaned, so a night's load
learns from itself: what is boilerplate is judged on the stored counts plus the
batch's. The batch's counts are stored with its articles, in the same
transaction (``Store.write_articles``), and only those of the articles written:
a crash in between cannot count a batch twice, and an article rejected after
cleaning (no text left) is not counted, so no rerun that reads it again counts
it twice. Articles already stored keep the signatures they were given: learning
a line does not re-sign them, because that would silently change tonight's
stories and cost a full re-index. An article is cleaned with
what was known when it was indexed; a replaced article (same id, new content)
is re-cleaned with what is known then. Boilerplate is per outlet, so the
difference only touches how an outlet's older articles compare with others;
to apply everything learned to every article, re-index into a new store.

>>> sorted(line_keys("Harga beras naik.\\n\\nSimak berita lainnya\\nSimak berita lainnya", 200).values())
['Harga beras naik.', 'Simak berita lainnya']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import xxhash

from .clean import normalise
from .config import BoilerplateConfig
from .model import Article, BoilerplateLine, OutletInfo
from .outlets import outlet_key
from .store import LineCounts, Store

_MIN_LINE = 3
_SIGN = 1 << 63


def line_key(line: str) -> int:
    """A signed 64-bit key of a (stripped) line: SQLite integers are signed."""
    h = xxhash.xxh3_64_intdigest(line.encode("utf-8", "surrogatepass"))
    return h - (1 << 64) if h >= _SIGN else h


def line_keys(text: str, max_line: int) -> dict[int, str]:
    """key → line for the distinct short lines of ``text`` (stripped, non-empty)."""
    out: dict[int, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if _MIN_LINE <= len(line) <= max_line:
            out.setdefault(line_key(line), line)
    return out


def learn(
    store: Store, new: Sequence[Article], outlets: Iterable[str], cfg: BoilerplateConfig, now: str
) -> tuple[dict[str, frozenset[str]], LineCounts | None]:
    """The learned boilerplate (normalised lines, as ``clean_text`` wants them) of each of
    ``outlets``, judged on the stored counts plus those of the ``new`` articles; and those
    counts (:func:`tally`), for ``Store.write_articles`` to store with the articles."""
    if not cfg.enabled:
        return {}, None
    counts = tally(store, new, cfg, now)
    found = store.outlet_lines(set(outlets), cfg.min_articles, cfg.min_share, counts)
    learned: dict[str, frozenset[str]] = {}
    for outlet, (_, lines) in found.items():
        norm = frozenset(n for n in (normalise(line) for line, _, _ in lines) if n)
        if norm:
            learned[outlet] = norm
    return learned, counts


def tally(store: Store, new: Sequence[Article], cfg: BoilerplateConfig, now: str) -> LineCounts | None:
    """The line counts of ``new`` articles (an outlet's first ``warmup``, then a sample),
    not stored; None when none is counted."""
    if not cfg.enabled:
        return None
    # Keyed by the case-folded outlet: "APP" and "app" are one outlet (stores written before
    # names kept their case hold lower-cased keys, which fold to themselves).
    counted = store.outlet_articles({outlet_key(a.outlet) for a in new})
    per_outlet: Counter[str] = Counter()
    sightings: Counter[tuple[str, int]] = Counter()
    text_of: dict[int, str] = {}
    bodies: set[tuple[str, int]] = set()
    for a in new:
        key = outlet_key(a.outlet)
        # A repost of one article (AMP and print copies, a re-crawl under a new URL)
        # is one article here: its paragraphs must not become its outlet's furniture.
        body = (key, line_key(a.text))
        if body in bodies:
            continue
        bodies.add(body)
        seen = counted.get(key, 0) + per_outlet[key]
        # Sampled by id, not by position: the same articles are counted whatever the batch size.
        if seen >= cfg.warmup and line_key(a.id) % cfg.sample_every:
            continue
        per_outlet[key] += 1
        for k, line in line_keys(a.text, cfg.max_line).items():
            sightings[(key, k)] += 1
            text_of.setdefault(k, line)
    if not per_outlet:
        return None
    return LineCounts(now, dict(per_outlet), tuple((o, k, text_of[k], n) for (o, k), n in sightings.items()))


def outlets(store: Store, cfg: BoilerplateConfig, only: Iterable[str] | None = None) -> list[OutletInfo]:
    """What was learned per outlet, most articles first."""
    found = store.outlet_lines(None if only is None else list(only), cfg.min_articles, cfg.min_share)
    infos = [
        OutletInfo(
            outlet=o,
            articles=total,
            boilerplate=tuple(BoilerplateLine(line, n, round(n / total, 4) if total else 0.0, first) for line, n, first in lines),
        )
        for o, (total, lines) in found.items()
    ]
    return sorted(infos, key=lambda i: (-i.articles, i.outlet))
