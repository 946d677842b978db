"""The report as one self-contained HTML file (no network needed to view it).

Every value that comes from an article is escaped.
"""

from __future__ import annotations

from html import escape

from ..model import Report
from .text import lag_text, time_text

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em} h2{margin-top:2em;font-size:1.15em}
table{border-collapse:collapse;width:100%;margin:.5em 0} td,th{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4} .original{font-weight:600} .flag{color:#a15c00} .muted{color:#666;font-size:.9em}
.story{border:1px solid #ddd;border-radius:6px;padding:.5em 1em;margin:1em 0}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def render(r: Report) -> str:
    t = r.totals
    since = time_text(r.since) if r.since else "the beginning"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>dedup report {_e(time_text(r.generated_at))}</title><style>{_CSS}</style></head><body>",
        "<h1>dedup report</h1>",
        f"<p class='muted'>Generated {_e(time_text(r.generated_at))}; changes since {_e(since)}.</p>",
        f"<p><b>{t.get('stories', 0)}</b> stories with copies ({t.get('new_stories', 0)} new), "
        f"<b>{t.get('copies', 0)}</b> copies; {t.get('articles_in_store', 0)} articles in the store.</p>",
    ]
    for s in r.stories:
        f = s.first
        parts.append(f"<div class='story' id='{_e(s.story_id)}'><h2>{_e(f.title or f.id)}</h2>")
        parts.append(f"<p class='muted'>Story {_e(s.story_id)} ({'new' if s.is_new else 'grew'}) · first: <b>{_e(f.outlet)}</b> at {_e(time_text(f.published_at))}</p>")
        parts.append("<table><tr><th>outlet</th><th>published</th><th>lag</th><th>similarity</th><th>relation</th><th>first line</th></tr>")
        for m in s.members:
            cls = " class='original'" if m.relation == "original" else ""
            parts.append(
                f"<tr{cls}><td><a href='{_e(m.url)}'>{_e(m.outlet)}</a></td><td>{_e(time_text(m.published_at))}</td>"
                f"<td>{_e(lag_text(m.lag_seconds))}</td><td>{m.similarity:.2f}</td><td>{_e(m.relation)}</td>"
                f"<td class='muted'>{_e(m.first_line)}</td></tr>"
            )
        parts.append("</table>")
        parts += [f"<p class='flag'>⚠ {_e(flag)}</p>" for flag in s.flags]
        parts.append("</div>")
    if r.outlets:
        parts.append("<h2>Outlets</h2><table><tr><th>outlet</th><th>articles</th><th>original</th><th>copies</th></tr>")
        parts += [f"<tr><td>{_e(o.outlet)}</td><td>{o.articles}</td><td>{o.original}</td><td>{o.copies}</td></tr>" for o in r.outlets]
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
