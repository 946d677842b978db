"""The nightly report as one self-contained HTML file.

No web fonts, no images to fetch, one script of its own: the charts are inline SVG
drawn here, and a Content-Security-Policy forbids the page from loading anything and
runs no script but that one (allowed by its hash; it filters and sorts the table of
contents). Every value that comes from an article (titles, outlets, URLs, first lines,
credits) is escaped; a URL is only made a link when it is http(s).

Sections: the night's summary, charts (copies per outlet, lag distribution,
originality by outlet), a table of contents of the listed stories (linking to each),
each story in a ``<details>`` (the first few open) as a timeline and a table, then, for
each copy measured against its parent (``Member.reuse``), a closed ``<details>`` with the
copy and its source side by side and their shared passages in ``<mark>``; the outlet table.

The page is English (lang='en'), but titles and first lines are scraped text in
any script: each sits in its own element with dir='auto', so that an Urdu or
Arabic line is laid out right to left, and each member's title and first line
carry the lang py3langid reads in them (the reader's identifier), when there is
enough text to tell. The font stack names local Noto fonts for Arabic/Urdu, Devanagari, CJK
and Thai. The layout holds at a 420 px phone width: charts scale to their box
(viewBox, width 100%), wide tables scroll inside their own box.
"""

from __future__ import annotations

from collections.abc import Sequence
import base64
import hashlib
from functools import lru_cache
from html import escape
from urllib.parse import quote

from ..model import Member, Report, Story
from ..provenance import has_copies, is_copy
from ..read.html import language_of
from .stats import DATE_LAG_BUCKETS, OutletRow, lag_distribution, member_tree, origin_note, outlet_rows, summary
from .text import ACTING, lag_text, member_lag, member_time, more_text, pct_text, reuse_text, since_text, time_text, visible

_COLORS = {"original": "#1f6feb", "credited_copy": "#2da44e", "uncredited_copy": "#cf222e", "partial_copy": "#bf8700",
           "same_outlet": "#6e7781", "related": "#8250df"}
_LABELS = {"original": "original", "credited_copy": "credited copy", "uncredited_copy": "uncredited copy",
           "partial_copy": "partial copy", "same_outlet": "same outlet", "related": "earlier related text"}

# Bucket labels short enough for the chart's x axis (the tooltip has the long one).
_SHORT_LAG = {"before origin": "before", "< 15 min": "<15m", "15–60 min": "15–60m", "1–3 h": "1–3h", "3–6 h": "3–6h",
              "6–24 h": "6–24h", "1–3 days": "1–3d", "> 3 days": ">3d", "unknown": "unknown",
              "same day (date only)": "same d", "+1 day (date only)": "+1 d", "+2 days or more (date only)": "≥2 d"}
_DATE_COLOR = "#1b7c83"  # the lag chart's bars of copies dated only by day

# Local fonts only (the CSP forbids web fonts): Noto for Latin, Arabic/Urdu, Devanagari,
# CJK and Thai (`make setup-fonts` installs Debian's), then the platform's own. Chromium
# takes each character from the first family here that has it, so the stack itself
# must cover every script a title may be in, not the system's fallback.
# Charts scale down to their box (each svg is 100% wide, and at most as wide as drawn: an
# inline max-width, so that a timeline's text is not blown up on a wide screen).
_FONTS = ('"Noto Sans","Noto Naskh Arabic","Noto Nastaliq Urdu","Noto Sans Devanagari","Noto Sans CJK SC",'
          '"Noto Sans Thai",system-ui,-apple-system,"Segoe UI","Segoe UI Historic",Tahoma,"Microsoft YaHei",'
          '"PingFang SC","Nirmala UI","Leelawadee UI","Geeza Pro",sans-serif')

# At 10k stories: a story off screen is not laid out (content-visibility), and the table of
# contents scrolls in its own box, so the stories are not 10k rows down the page.
_CSS = """
*,*::before,*::after{box-sizing:border-box}
body{font:15px/1.45 FONTS;max-width:1120px;margin:2em auto;padding:0 1em;color:#1f2328;background:#fff;overflow-wrap:anywhere}
h1{margin-bottom:.2em} h2{margin-top:1.6em;font-size:1.2em} h3{font-size:1em;margin:.2em 0 .4em}
table{display:block;overflow-x:auto;max-width:100%;border-collapse:collapse;margin:.5em 0;overflow-wrap:normal}
tbody{display:table;width:100%;min-width:36em;border-collapse:collapse}
td,th{border-bottom:1px solid #d8dee4;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600} td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.original{font-weight:600} .flag{color:#9a6700;margin:.2em 0} .muted{color:#59636e;font-size:.9em}
.story{border:1px solid #d8dee4;border-radius:8px;padding:.4em 1.1em .8em;margin:1.2em 0;min-width:0}
.story h2{margin-top:.5em} .origin{font-weight:600;margin:.3em 0}
.cards{display:flex;flex-wrap:wrap;gap:.6em;margin:1em 0} .card{border:1px solid #d8dee4;border-radius:8px;padding:.5em .9em;min-width:8.5em;flex:1 1 8.5em}
.card b{display:block;font-size:1.5em} .charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,500px),1fr));gap:1em}
.chart{border:1px solid #d8dee4;border-radius:8px;padding:.6em;min-width:0}
svg{display:block;width:100%;height:auto;font:12px FONTS}
.rel{display:inline-block;border-radius:1em;padding:0 .55em;color:#fff;font-size:.85em;white-space:nowrap}
.conf-high{color:#1a7f37} .conf-medium{color:#9a6700} .conf-low{color:#cf222e}
.legend span{display:inline-block;margin-right:1em} .legend i{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.3em}
td.first{color:#59636e;font-size:.9em;min-width:16em;max-width:28em} a{color:#0969da}
details.st{margin:.6em 0;content-visibility:auto;contain-intrinsic-size:auto 2.4em} details.st>summary{cursor:pointer;padding:.35em .2em;border-bottom:1px solid #eaeef2}
details.st[open]>summary{border-bottom:0} details.st>.story{margin-top:.3em} details.st>.story>h2:first-child{display:none}
#toc{max-height:70vh;overflow:auto} #toc td:first-child{min-width:14em} #toc th[tabindex]{cursor:pointer;white-space:nowrap}
#toc th[data-dir=asc]::after{content:" ▲"} #toc th[data-dir=desc]::after{content:" ▼"}
.filter{font:inherit;padding:.3em .5em;width:min(100%,24em);margin:.3em 0}
details.cmp{margin:.4em 0} details.cmp>summary{cursor:pointer}
.sbs{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,20em),1fr));gap:.8em;margin:.4em 0}
.sbs h4{margin:.2em 0;font-size:.9em} mark{background:#fff0a8;color:inherit}
.txt{white-space:pre-line;border:1px solid #d8dee4;border-radius:6px;padding:.4em .7em;max-height:30em;overflow:auto;font-size:.92em}
@media (max-width:600px){body{margin:1em auto;padding:0 .6em} .story{padding:.3em .6em .6em}}
""".replace("FONTS", _FONTS)


def _e(value: object) -> str:
    """Escaped, with control and bidi characters shown (see text.visible): what an
    article names (id, outlet, url, credit) and all but its prose."""
    return escape(visible(str(value)), quote=True)


def _prose(value: str) -> str:
    """A title or a first line: in an element of its own with dir='auto', so its bidi
    marks stay (an Urdu line needs them); controls and overrides are still shown."""
    return escape(visible(value, text=True), quote=True)


@lru_cache(maxsize=65536)
def _lang(text: str) -> str:
    """`` lang='xx'`` for a scraped text, as py3langid reads it (the reader's own
    identifier), or nothing when the text is too short to tell: the page is English,
    and without its own lang an Urdu line is shaped and hyphenated as English."""
    code = language_of(text)
    return f" lang='{_e(code)}'" if code else ""


def _member_lang(m: Member) -> str:
    return _lang(f"{m.title}\n{m.first_line}")


# In an href, what visible() would show is percent-encoded instead: the link still
# leads where the article said, but the status bar cannot be reversed by an override.
_HREF = str.maketrans({cp: quote(chr(cp)) for cp in ACTING})


def _link(url: str, text: str) -> str:
    # Only http(s) becomes a link: "javascript:" survives escaping, so it must never be an href.
    if url.strip().lower().startswith(("http://", "https://")):
        return f"<a href='{escape(url.strip().translate(_HREF), quote=True)}' rel='noreferrer noopener'>{_e(text)}</a>"
    return _e(text)


def _relation(m: Member) -> str:
    label = _LABELS.get(m.relation, m.relation)
    extra = " (credits source)" if m.relation == "partial_copy" and m.credited else ""
    return f"<span class='rel' style='background:{_COLORS.get(m.relation, '#59636e')}'>{_e(label)}</span>{_e(extra)}"


def _legend() -> str:
    items = "".join(f"<span><i style='background:{c}'></i>{_e(_LABELS[k])}</span>" for k, c in _COLORS.items())
    return f"<p class='legend muted'>{items}</p>"


# -- charts (inline SVG) ---------------------------------------------------------

def _hbars(rows: Sequence[tuple[str, Sequence[tuple[float, str, str]], str]], scale: float, label_w: int = 150) -> str:
    """Horizontal stacked bars: (label, [(value, colour, tooltip)], text at the end)."""
    width, row_h = 540, 22
    bar_w = width - label_w - 120
    height = row_h * len(rows) + 6
    parts = [f"<svg viewBox='0 0 {width} {height}' style='max-width:{width}px' role='img'>"]
    for n, (label, segments, end) in enumerate(rows):
        y = 3 + n * row_h
        short = label if len(label) <= 22 else label[:21] + "…"
        parts.append(f"<text x='{label_w - 6}' y='{y + 15}' text-anchor='end'><title>{_e(label)}</title>{_e(short)}</text>")
        x = float(label_w)
        for value, colour, tip in segments:
            w = bar_w * value / scale if scale else 0.0
            if w > 0:
                parts.append(f"<rect x='{x:.1f}' y='{y + 3}' width='{w:.1f}' height='{row_h - 6}' fill='{colour}'>"
                             f"<title>{_e(tip)}</title></rect>")
            x += w
        parts.append(f"<text x='{x + 5:.1f}' y='{y + 15}'>{_e(end)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _copies_chart(rows: list[OutletRow]) -> str:
    copiers = sorted((o for o in rows if o.copies), key=lambda o: (-o.copies, o.outlet))[:20]
    if not copiers:
        return "<p class='muted'>No copies.</p>"
    top = max(o.copies for o in copiers)
    data = []
    for o in copiers:
        # A partial copy is drawn as partial whether or not it credits.
        segments = [
            (float(o.whole_credited), _COLORS["credited_copy"], f"{o.outlet}: {o.whole_credited} credited"),
            (float(o.whole_uncredited), _COLORS["uncredited_copy"], f"{o.outlet}: {o.whole_uncredited} uncredited"),
            (float(o.partial), _COLORS["partial_copy"], f"{o.outlet}: {o.partial} partial"),
        ]
        data.append((o.outlet, segments, f"{o.copies} ({pct_text(o.share_credited)} credited)"))
    return _hbars(data, float(top))


def _lag_chart(dist: list[tuple[str, int]]) -> str:
    top = max((n for _, n in dist), default=0)
    if not top:
        return "<p class='muted'>No copies with a known time.</p>"
    width, height, base, left = max(540, 52 * len(dist)), 230, 190, 6
    slot = (width - 2 * left) / len(dist)
    parts = [f"<svg viewBox='0 0 {width} {height}' style='max-width:{width}px' role='img'>",
             f"<line x1='{left}' y1='{base}' x2='{width - left}' y2='{base}' stroke='#8c959f'/>"]
    for i, (label, n) in enumerate(dist):
        h = 160 * n / top
        x = left + i * slot + 6
        colour = "#8c959f" if label in ("unknown", "before origin") else _DATE_COLOR if label in DATE_LAG_BUCKETS else "#1f6feb"
        parts.append(f"<rect x='{x:.1f}' y='{base - h:.1f}' width='{slot - 12:.1f}' height='{h:.1f}' fill='{colour}'>"
                     f"<title>{_e(label)}: {n} copies</title></rect>")
        parts.append(f"<text x='{x + (slot - 12) / 2:.1f}' y='{base - h - 4:.1f}' text-anchor='middle'>{n}</text>")
        parts.append(f"<text x='{x + (slot - 12) / 2:.1f}' y='{base + 16}' text-anchor='middle'>{_e(_SHORT_LAG.get(label, label))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _originality_chart(rows: list[OutletRow]) -> str:
    ranked = sorted((o for o in rows if o.original + o.copies), key=lambda o: (-o.share_original, -o.articles, o.outlet))[:25]
    if not ranked:
        return "<p class='muted'>No outlets.</p>"
    data = []
    for o in ranked:
        # Its original and copying articles (its own re-posts and earlier related texts are neither).
        a = float(o.original + o.copies)  # not 0: ranked keeps outlets that took part
        data.append((o.outlet, [
            (o.original / a, _COLORS["original"], f"{o.outlet}: first in {o.original} of {o.original + o.copies}"),
            (o.whole_credited / a, _COLORS["credited_copy"], f"{o.outlet}: {o.whole_credited} credited copies"),
            (o.whole_uncredited / a, _COLORS["uncredited_copy"], f"{o.outlet}: {o.whole_uncredited} uncredited copies"),
            (o.partial / a, _COLORS["partial_copy"], f"{o.outlet}: {o.partial} partial copies"),
        ], pct_text(o.share_original)))
    return _hbars(data, 1.0)


def _timeline(s: Story) -> str:
    """One row per member: its outlet, then a dot at its lag from the origin (a bar
    over the span of lags a bare date allows)."""
    known = [m.lag_seconds for m in s.members if m.lag_seconds is not None]
    known += [x for m in s.members if m.lag_span is not None for x in (m.lag_span.min_seconds, m.lag_span.max_seconds)]
    lo, hi = min(known + [0.0]), max(known + [0.0])
    span = (hi - lo) or 1.0
    width, row_h, label_w, right = 640, 20, 170, 90
    plot_w = width - label_w - right
    height = row_h * len(s.members) + 24
    parts = [f"<svg viewBox='0 0 {width} {height}' style='max-width:{width}px' role='img'>",
             f"<line x1='{label_w}' y1='{height - 18}' x2='{label_w + plot_w}' y2='{height - 18}' stroke='#8c959f'/>",
             f"<text x='{label_w}' y='{height - 4}'>{_e(lag_text(lo) if lo < 0 else '0')}</text>",
             f"<text x='{label_w + plot_w}' y='{height - 4}' text-anchor='end'>{_e(lag_text(hi))}</text>"]
    for n, m in enumerate(s.members):
        y = 4 + n * row_h
        short = m.outlet if len(m.outlet) <= 24 else m.outlet[:23] + "…"
        parts.append(f"<text x='{label_w - 6}' y='{y + 13}' text-anchor='end'>{_e(short)}</text>")
        parts.append(f"<line x1='{label_w}' y1='{y + 9}' x2='{label_w + plot_w}' y2='{y + 9}' stroke='#eaeef2'/>")
        colour = _COLORS.get(m.relation, "#59636e")
        tip = f"{m.outlet}: {_LABELS.get(m.relation, m.relation)}, {member_time(m)}"
        if m.lag_span is not None:
            x0 = label_w + plot_w * (m.lag_span.min_seconds - lo) / span
            x1 = label_w + plot_w * (m.lag_span.max_seconds - lo) / span
            parts.append(f"<rect x='{x0:.1f}' y='{y + 4}' width='{max(x1 - x0, 2.0):.1f}' height='10' rx='5' fill='{colour}' "
                         f"opacity='0.6'><title>{_e(tip)} (date only: {_e(m.lag_span.label)})</title></rect>")
            parts.append(f"<text x='{label_w + plot_w + 6}' y='{y + 13}'>{_e(m.lag_span.label)}</text>")
            continue
        if m.lag_seconds is None:
            parts.append(f"<text x='{label_w + plot_w + 6}' y='{y + 13}' fill='{colour}'><title>{_e(tip)}</title>"
                         f"time unknown</text>")
            continue
        x = label_w + plot_w * (m.lag_seconds - lo) / span
        parts.append(f"<circle cx='{x:.1f}' cy='{y + 9}' r='6' fill='{colour}'><title>{_e(tip)}</title></circle>")
        parts.append(f"<text x='{label_w + plot_w + 6}' y='{y + 13}'>{_e(lag_text(m.lag_seconds))}</text>")
    parts.append("</svg>")
    return "".join(parts)


# -- page ------------------------------------------------------------------------

def _summary_cards(r: Report) -> str:
    sm = summary(r)
    cards = [
        (sm["stories"], f"stories with copies ({sm['new_stories']} new)"),
        (sm["copies"], "copies"),
        (pct_text(sm["share_credited"]), "of copies name their source"),  # type: ignore[arg-type]
        (sm["uncredited_copies"], "uncredited copies"),
        (sm["partial_copies"], "partial copies"),
        (lag_text(sm["median_lag_seconds"]), "median lag"),  # type: ignore[arg-type]
        (sm["outlets"], "outlets"),
        (sm["low_confidence_stories"], "low-confidence origins"),
    ]
    return "<div class='cards'>" + "".join(f"<div class='card'><b>{_e(v)}</b>{_e(k)}</div>" for v, k in cards) + "</div>"


def _story(s: Story) -> list[str]:
    f = s.first
    parts = [
        f"<div class='story' id='{_e(s.story_id)}'><h2 dir='auto'{_member_lang(f)}>{_prose(f.title) if f.title else _e(f.id)}</h2>",
        f"<p class='muted'>Story {_e(s.story_id)} ({'new' if s.is_new else 'grew'}) · first: <b>{_e(f.outlet)}</b> "
        f"at {_e(member_time(f))}</p>",
        f"<p class='origin'>{_e(origin_note(s))}</p>",
    ]
    if s.confidence:
        why = "; ".join(s.evidence)
        parts.append(f"<p>Confidence: <b class='conf-{_e(s.confidence)}'>{_e(s.confidence)}</b>"
                     + (f" <span class='muted'>({_e(why)})</span>" if why else "") + "</p>")
    parts.append(_timeline(s))
    parts.append("<table><tr><th>outlet</th><th>published</th><th class='num'>lag</th><th class='num'>similarity</th>"
                 "<th class='num'>reused from parent</th><th>relation</th><th>credits</th><th>title and first line</th></tr>")
    # The provenance tree as an indented list: each member under its parent, below the
    # agency outside the corpus when that is the origin.
    outside = s.origin is not None and not s.origin.in_corpus
    if outside:
        parts.append(f"<tr class='origin-row'><td colspan='8'><b>{_e(s.origin.name)}</b> "  # type: ignore[union-attr]
                     f"<span class='muted'>(not in corpus; origin, {_e(s.origin.confidence)} confidence)</span></td></tr>")  # type: ignore[union-attr]
    for depth, m in member_tree(s):
        cls = " class='original'" if m.relation == "original" else ""
        level = depth + outside
        indent = f" class='tree' style='padding-left:{0.5 + 1.4 * level:.1f}em'" if level else ""
        arrow = "↳ " if level else ""
        parts.append(
            f"<tr{cls}><td{indent}>{arrow}{_link(m.url, m.outlet)}</td><td>{_e(member_time(m))}</td>"
            f"<td class='num'>{_e(member_lag(m))}</td><td class='num'>{m.similarity:.2f}</td>"
            f"<td class='num'>{_e(reuse_text(m.reuse))}</td><td>{_relation(m)}</td><td>{_e(', '.join(m.credits)) or '—'}</td>"
            f"<td class='first'{_member_lang(m)}><div dir='auto'><b>{_prose(m.title)}</b></div><div dir='auto'>{_prose(m.first_line)}</div></td></tr>"
        )
    parts.append("</table>")
    parts += _side_by_side(s)
    parts += [f"<p class='flag'>⚠ {_e(flag)}</p>" for flag in s.flags]
    parts.append("</div>")
    return parts


MAX_SHOWN_CHARS = 20_000  # of each text in a side-by-side view: a pathological page stays a page


def _body(value: str) -> str:
    """Article text as prose (:func:`_prose`), its line breaks kept (the box is ``pre-line``)."""
    return "\n".join(_prose(line) for line in value.split("\n"))


ELIDE_CONTEXT = 15  # words kept each side of a mark where the source's unreused text is cut


def _elided(text: str, first: bool, last: bool) -> str:
    """Unreused source text between marks (``first``: before the first, ``last``: after the
    last), escaped: a stretch longer than twice :data:`ELIDE_CONTEXT` words keeps that many
    words next to each mark and says how many it leaves out."""
    words = text.split()
    keep_head, keep_tail = (0 if first else ELIDE_CONTEXT), (0 if last else ELIDE_CONTEXT)
    cut = len(words) - keep_head - keep_tail
    if cut <= ELIDE_CONTEXT:  # not worth a note
        return _body(text)
    # Cut at word boundaries of the text itself, so its line breaks near the marks stay.
    head = text[: _word_end(text, keep_head)] if keep_head else ""
    tail = text[len(text) - _word_end(text[::-1], keep_tail):] if keep_tail else ""
    sep = " " if head else ""
    return f"{_body(head)}{sep}<span class='muted'>[… {cut:,} words not reused …]</span>{' ' if tail else ''}{_body(tail)}"


def _word_end(text: str, n: int) -> int:
    """Where the ``n``-th white-space separated word of ``text`` ends."""
    at = 0
    for _ in range(n):
        while at < len(text) and text[at].isspace():
            at += 1
        while at < len(text) and not text[at].isspace():
            at += 1
    return at


def _marked(text: str, spans: Sequence[tuple[int, int]], elide: bool = False) -> str:
    """``text`` escaped as prose, each span (merged where they overlap or touch) in a
    ``<mark>``; cut at :data:`MAX_SHOWN_CHARS`. With ``elide``, long unmarked stretches
    are cut to the words next to the marks (:func:`_elided`)."""
    shown = text[:MAX_SHOWN_CHARS]
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        end = min(end, len(shown))
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    gap = (lambda a, b, first, last: _elided(shown[a:b], first, last)) if elide else (lambda a, b, *_: _body(shown[a:b]))
    out: list[str] = []
    at = 0
    for n, (start, end) in enumerate(merged):
        out.append(f"{gap(at, start, n == 0, False)}<mark>{_body(shown[start:end])}</mark>")
        at = end
    out.append(gap(at, len(shown), not merged, True))
    if len(text) > len(shown):
        out.append(f"<span class='muted'> … ({len(text) - len(shown):,} more characters)</span>")
    return "".join(out)


def _side_by_side(s: Story) -> list[str]:
    """Each copy measured against its parent (Member.reuse), closed: its share found in the
    parent and longest shared passage as the summary, then the copy and the parent side by
    side (stacked on a narrow screen), the shared passages marked in both. Only copies get a
    view: an original's text shows as the source column of its copies."""
    by_id = {m.id: m for m in s.members}
    out: list[str] = []
    for _, m in member_tree(s):
        r, p = m.reuse, m.parent
        if r is None or p is None or not r.text:
            continue
        source = by_id.get(p.id or "")
        n = len(r.passages)
        summary = (f"<summary><b>{_e(m.outlet)}</b> from <b>{_e(p.name)}</b>: {pct_text(r.share)} of its text found "
                   f"in the source; longest shared passage {r.longest_words} words; {n} shared passage{'s' if n != 1 else ''} "
                   "marked</summary>")
        lang_src = _member_lang(source) if source is not None else ""
        out.append(
            f"<details class='cmp' id='cmp-{_e(m.id)}'>{summary}<div class='sbs'>"
            f"<div><h4>copy: {_link(m.url, m.outlet)}</h4><div class='txt' dir='auto'{_member_lang(m)}>"
            f"{_marked(r.text, [(x.start, x.end) for x in r.passages])}</div></div>"
            f"<div><h4>source: {_link(source.url, p.name) if source is not None else _e(p.name)}</h4>"
            f"<div class='txt' dir='auto'{lang_src}>{_marked(r.source_text, [(x.source_start, x.source_end) for x in r.passages], elide=True)}"
            "</div></div></div></details>"
        )
    return out


def _outlet_table(rows: list[OutletRow]) -> list[str]:
    head = ("<table><tr><th>outlet</th><th class='num'>articles</th><th class='num'>original</th>"
            "<th class='num'>copies</th><th class='num'>share original</th><th class='num'>copied by others</th>"
            "<th class='num'>copies credited</th><th class='num'>median lag</th></tr>")
    body = [
        f"<tr><td>{_e(o.outlet)}</td><td class='num'>{o.articles}</td><td class='num'>{o.original}</td>"
        f"<td class='num'>{o.copies}</td><td class='num'>{pct_text(o.share_original)}</td>"
        f"<td class='num'>{o.copied_by_others}</td><td class='num'>{pct_text(o.share_credited)}</td>"
        f"<td class='num'>{_e(lag_text(o.median_lag_seconds))}</td></tr>"
        for o in rows
    ]
    return [head, *body, "</table>"]


# The one script the page runs, allowed by its hash in the Content-Security-Policy (no
# other script can run, inline or fetched): it shows the filter box (hidden without it)
# and makes the table of contents' columns sortable. Without it the page still works: the
# table of contents links to every story and each story opens on its own.
_SCRIPT = """(function(){
var toc=document.getElementById('toc');if(!toc)return;
var body=toc.tBodies[0],head=body.rows[0],rows=[].slice.call(body.rows,1);
var box=document.getElementById('filter'),shown=document.getElementById('shown');
rows.forEach(function(r){r.k=r.textContent.toLowerCase();});
box.hidden=false;
box.addEventListener('input',function(){
var q=box.value.toLowerCase().trim(),n=0;
rows.forEach(function(r){var on=!q||r.k.indexOf(q)>=0,d=document.getElementById('d-'+r.dataset.story);
r.hidden=!on;if(d)d.hidden=!on;if(on)n++;});
shown.textContent=q?n+' of '+rows.length+' shown':'';});
[].forEach.call(head.cells,function(th,c){
th.tabIndex=0;th.title='sort';
function sort(){var d=th.dataset.dir==='desc'?1:-1;
[].forEach.call(head.cells,function(h){delete h.dataset.dir;});th.dataset.dir=d>0?'asc':'desc';
rows.sort(function(x,y){var a=x.cells[c].dataset.v,b=y.cells[c].dataset.v;
return d*(a!==undefined?a-b:x.cells[c].textContent.localeCompare(y.cells[c].textContent));});
rows.forEach(function(r){body.appendChild(r);});}
th.addEventListener('click',sort);
th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sort();}});});
})();"""
_CSP = ("default-src 'none'; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()}'")
OPEN_STORIES = 5  # stories shown open; the others open from the table of contents or their summary
_CONFIDENCE_RANK = {"high": 3, "medium": 2, "low": 1}


def _copies(s: Story) -> int:
    return sum(is_copy(m.relation) for m in s.members)


def _toc(stories: Sequence[Story]) -> list[str]:
    """The table of contents: a row per listed story linking to it, with a filter box
    and sortable columns when the page's script runs."""
    rows = [
        "<h2>Stories</h2>",
        "<p><input type='search' id='filter' class='filter' placeholder='Filter stories: title, outlet, confidence' "
        "aria-label='Filter stories' hidden> <span id='shown' class='muted'></span></p>",
        "<table id='toc'><tr><th>story</th><th class='num'>members</th><th class='num'>copies</th>"
        "<th>first outlet</th><th>confidence</th></tr>",
    ]
    for s in stories:
        f = s.first
        title = f"<span dir='auto'{_member_lang(f)}>{_prose(f.title)}</span>" if f.title else _e(f.id)
        rank = _CONFIDENCE_RANK.get(s.confidence, 0)
        rows.append(
            f"<tr data-story='{_e(s.story_id)}'><td><a href='#{_e(s.story_id)}'>{title}</a></td>"
            f"<td class='num' data-v='{len(s.members)}'>{len(s.members)}</td><td class='num' data-v='{_copies(s)}'>{_copies(s)}</td>"
            f"<td>{_e(f.outlet)}</td><td data-v='{rank}'>{_e(s.confidence) or '—'}</td></tr>"
        )
    rows.append("</table>")
    return rows


def _collapsible(s: Story, n: int) -> list[str]:
    """A story inside a ``<details>``, its summary one line (title, copies, first outlet,
    confidence): the first :data:`OPEN_STORIES` open. A link to the story opens it."""
    f = s.first
    title = f"<b dir='auto'{_member_lang(f)}>{_prose(f.title)}</b>" if f.title else f"<b>{_e(f.id)}</b>"
    conf = f" · <span class='conf-{_e(s.confidence)}'>{_e(s.confidence)}</span> confidence" if s.confidence else ""
    summary = (f"<summary>{title} <span class='muted'>· {len(s.members)} members, {_copies(s)} copies · first "
               f"{_e(f.outlet)}{conf}</span></summary>")
    return [f"<details class='st' id='d-{_e(s.story_id)}'{' open' if n < OPEN_STORIES else ''}>{summary}",
            *_story(s), "</details>"]


def render(r: Report) -> str:
    t = r.totals
    sm = summary(r)
    since = since_text(r.since)
    rows = outlet_rows(r)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">",
        f"<title>dedup report {_e(time_text(r.generated_at))}</title><style>{_CSS}</style></head><body>",
        "<h1>dedup report</h1>",
        f"<p class='muted'>Generated {_e(time_text(r.generated_at))}; changes since {_e(since)}.</p>",
        f"<p><b>{t.get('stories', 0)}</b> stories with copies ({t.get('new_stories', 0)} new), "
        f"<b>{t.get('copies', 0)}</b> copies; {t.get('articles_in_store', 0)} articles in the store"
        + (f"; {sm['stories_without_copies']} groups without a copy listed last" if sm["stories_without_copies"] else "")
        + ".</p>",
    ]
    if r.stories:
        parts.append(_summary_cards(r))
        parts.append(_legend())
        parts.append("<div class='charts'>")
        parts.append(f"<div class='chart'><h3>Copies per outlet</h3>{_copies_chart(rows)}</div>")
        parts.append(f"<div class='chart'><h3>Lag distribution (copies by time from the origin)</h3>{_lag_chart(lag_distribution(r))}"
                     "<p class='muted'>Teal: copies whose lag involves a bare date, counted in calendar days.</p></div>")
        parts.append(f"<div class='chart'><h3>Originality by outlet</h3>{_originality_chart(rows)}</div>")
        parts.append("</div>")
    if r.listed:
        parts += _toc(r.listed)
        if r.more:
            parts.append(f"<p class='more muted'>{_e(more_text(r.more))}</p>")
    apart = False
    for n, s in enumerate(r.listed):
        if not apart and not has_copies(s):
            apart = True
            parts.append("<h2>Grouped without a copy</h2><p class='muted'>The origin's own outlet again, or earlier "
                         "related texts: no story with copies, in no total.</p>")
        parts += _collapsible(s, n)
    if r.more:
        parts.append(f"<p class='more'><b>{_e(more_text(r.more))}</b></p>")
    if rows:
        parts.append("<h2>Outlets</h2>")
        parts += _outlet_table(rows)
    if r.listed:
        parts.append(f"<script>{_SCRIPT}</script>")
    parts.append("</body></html>\n")
    return "\n".join(parts)

