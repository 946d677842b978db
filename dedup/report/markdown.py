"""The report as Markdown (reads well in a terminal, a mail or a wiki)."""

from __future__ import annotations

from ..model import Report
from .text import lag_text, time_text


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def render(r: Report) -> str:
    t = r.totals
    since = time_text(r.since) if r.since else "the beginning"
    out = [
        "# dedup report",
        "",
        f"Generated {time_text(r.generated_at)}; changes since {since}.",
        "",
        f"**{t.get('stories', 0)} stories** with copies ({t.get('new_stories', 0)} new), "
        f"**{t.get('copies', 0)} copies**; {t.get('articles_in_store', 0)} articles in the store.",
        "",
    ]
    for s in r.stories:
        f = s.first
        out += [
            f"## {_cell(f.title) or f.id}",
            "",
            f"Story `{s.story_id}` ({'new' if s.is_new else 'grew'}) · first: **{f.outlet}** at {time_text(f.published_at)}",
            "",
            "| # | outlet | published | lag | similarity | relation | url |",
            "|---|---|---|---|---|---|---|",
        ]
        for i, m in enumerate(s.members, 1):
            out.append(
                f"| {i} | {_cell(m.outlet)} | {time_text(m.published_at)} | {lag_text(m.lag_seconds)} | "
                f"{m.similarity:.2f} | {m.relation} | {_cell(m.url)} |"
            )
        if s.flags:
            out += ["", *(f"- ⚠ {_cell(flag)}" for flag in s.flags)]
        out.append("")
    if r.outlets:
        out += ["## Outlets", "", "| outlet | articles | original | copies |", "|---|---|---|---|"]
        out += [f"| {_cell(o.outlet)} | {o.articles} | {o.original} | {o.copies} |" for o in r.outlets]
        out.append("")
    return "\n".join(out)
