"""The report as Markdown (reads well in a terminal, a mail or a wiki).

Same content as the HTML report: the night's summary, each story's timeline
with credits, the outlet table, and the charts drawn as text bars.
"""

from __future__ import annotations

from ..model import Report
from ..provenance import has_copies
from .stats import lag_distribution, member_tree, origin_note, outlet_rows, source_totals, summary
from .text import lag_text, member_lag, member_time, more_text, pct_text, plural, reuse_text, since_text, time_text, visible

_BAR = 30  # characters of the longest text bar


def _cell(s: str, text: bool = False) -> str:
    # Scraped text is untrusted: Markdown viewers render inline HTML, links and
    # character references, so a title like "<script>…", "[x](javascript:…)" or
    # "&#x202e;" is shown, never run or decoded; a backslash is escaped first, or it
    # would escape the escape. Then control and bidi characters are made visible:
    # a CR ends a Markdown line as a newline does. A name (the default) is an id,
    # outlet, url or what is made of them; ``text`` a title or a first line.
    return visible(s.translate(_CELL), text)


_CELL = str.maketrans({"\\": "\\\\", "|": "\\|", "<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]", "&": "\\&"})


def _code(s: str) -> str:
    # Inside a fenced block only a line ending (a CR too) or a backtick run could break out.
    return visible(s).replace("`", "'")


def _bar(n: float, top: float) -> str:
    return "█" * max(1 if n else 0, round(_BAR * n / top)) if top else ""


def _source_table(r: Report) -> list[str]:
    """Who used the source's copy (``--source``): each story, who used it, who credits it."""
    used, crediting, share = source_totals(r)
    name = _cell(r.source or "")
    out = [
        f"## Who used {name}'s copy", "",
        f"{plural(len(r.source_use), 'story derives', 'stories derive')} from {name} (it is a member, or a member credits it): "
        f"{plural(used, 'article', 'articles')} of other outlets used it, {crediting:,} credit it ({pct_text(share)}).", "",
        "| story | first | in corpus | used by | credit it | share | not crediting |",
        "|---|---|---|---|---|---|---|",
    ]
    stories = {s.story_id: s for s in r.stories}
    listed = {s.story_id for s in r.listed}
    for u in r.source_use:
        if u.story_id not in listed:
            continue
        s = stories[u.story_id]
        outlet = {m.id: m.outlet for m in s.members}
        missing = [f"{outlet[i]} ({i})" for i in u.used_by if i not in u.crediting]
        out.append(
            f"| {_cell(s.first.title or s.first.id, text=True)} | {_cell(s.first.outlet)} | {'yes' if u.in_corpus else 'no'} | "
            f"{len(u.used_by)} | {len(u.crediting)} | {pct_text(u.share_credited)} | {_cell(', '.join(missing)) or '—'} |"
        )
    return out + [""]


def render(r: Report) -> str:
    t = r.totals
    since = since_text(r.since)
    sm = summary(r)
    out = [
        "# dedup report",
        "",
        f"Generated {time_text(r.generated_at)}; changes since {since}.",
        "",
        f"**{plural(t.get('stories', 0), 'story', 'stories')}** with copies ({t.get('new_stories', 0):,} new), "
        f"**{plural(t.get('copies', 0), 'copy', 'copies')}**; {plural(t.get('articles_in_store', 0), 'article', 'articles')} in the store."
        + (f" {plural(sm['stories_without_copies'], 'group', 'groups')} without a copy listed last."  # type: ignore[arg-type]
           if sm["stories_without_copies"] else ""),
        "",
    ]
    if r.stories:
        out += [
            f"- Copies: {sm['credited_copies']} credited, {sm['uncredited_copies']} uncredited, "
            f"{sm['partial_copies']} partial; {pct_text(sm['share_credited'])} name their source "  # type: ignore[arg-type]
            f"(share credited counts partial copies that credit too).",
            f"- Median lag from the origin: {lag_text(sm['median_lag_seconds'])}"  # type: ignore[arg-type]
            + (f" (of copies with two times; {sm['copies_with_date_only_lag']} more with a bare date, counted in days)."
               if sm["copies_with_date_only_lag"] else "."),
            f"- Origins that credit a source not in the corpus: {sm['origins_credit_a_source_not_in_corpus']}.",
            f"- Low-confidence origins: {sm['low_confidence_stories']}; stories with conflicts: {sm['stories_with_conflicts']}.",
            "",
        ]
    if r.source:
        out += _source_table(r)
    apart = False
    for s in r.listed:
        f = s.first
        if not apart and not has_copies(s):
            apart = True
            out += ["---", "", "*Grouped without a copy (the origin's own outlet again, or earlier related texts):*", ""]
        out += [
            f"## {_cell(f.title, text=True) if f.title else _cell(f.id)}",
            "",
            f"Story `{_code(s.story_id)}` ({'new' if s.is_new else 'grew'}) · first: **{_cell(f.outlet)}** at {member_time(f)}",
            "",
            _cell(origin_note(s)) + ".",
            "",
        ]
        if s.confidence:
            why = "; ".join(s.evidence)
            out += [f"Confidence: **{s.confidence}**" + (f" ({_cell(why)})" if why else "") + ".", ""]
        out += [
            "| # | outlet | published | lag | similarity | relation | credits | url | first line | reused from parent |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        if s.origin is not None and not s.origin.in_corpus:
            out.insert(len(out) - 2, f"Origin: **{_cell(s.origin.name)}** (not in corpus, {s.origin.confidence} confidence); "
                       "each member below its parent (↳).\n")
        # The provenance tree: each member under its parent, indented by its depth.
        outside = s.origin is not None and not s.origin.in_corpus
        for i, (depth, m) in enumerate(member_tree(s), 1):
            tree = "&nbsp;&nbsp;" * (depth + outside - 1) + "↳ " if depth + outside else ""
            out.append(
                f"| {i} | {tree}{_cell(m.outlet)} | {member_time(m)} | {member_lag(m)} | "
                f"{m.similarity:.2f} | {m.relation} | {_cell(', '.join(m.credits)) or '—'} | {_cell(m.url)} | "
                f"{_cell(m.first_line, text=True)} | {reuse_text(m.reuse)} |"
            )
        if s.flags:
            out += ["", *(f"- ⚠ {_cell(flag)}" for flag in s.flags)]
        out.append("")
    if r.more:
        out += [f"**{more_text(r.more)}**", ""]
    rows = outlet_rows(r)
    if rows:
        out += [
            "## Outlets",
            "",
            "| outlet | articles | original | copies | share original | copied by others | copies credited | median lag |",
            "|---|---|---|---|---|---|---|---|",
        ]
        out += [
            f"| {_cell(o.outlet)} | {o.articles} | {o.original} | {o.copies} | {pct_text(o.share_original)} | "
            f"{o.copied_by_others} | {pct_text(o.share_credited)} | {lag_text(o.median_lag_seconds)} |"
            for o in rows
        ]
        out.append("")
        copiers = sorted((o for o in rows if o.copies), key=lambda o: (-o.copies, o.outlet))
        if copiers:
            width = max(len(_code(o.outlet)) for o in copiers)
            out += ["### Copies per outlet", "", "█ copies made (of which credited / partial)", "", "```"]
            out += [f"{_code(o.outlet):<{width}}  {_bar(o.copies, copiers[0].copies)} {o.copies} "
                    f"({o.credited} credited, {o.partial} partial)" for o in copiers]
            out += ["```", ""]
        dist = lag_distribution(r)
        top = max(n for _, n in dist)
        if top:
            out += ["### Lag distribution", "", "copies by time from the origin", "", "```"]
            width = max(len(label) for label, _ in dist)
            out += [f"{label:<{width}}  {_bar(n, top)} {n}" for label, n in dist]
            out += ["```", ""]
        width = max(len(_code(o.outlet)) for o in rows)
        out += ["### Originality by outlet", "", "of the stories an outlet took part in (first or copying), the share it was first in",
                "", "```"]
        out += [f"{_code(o.outlet):<{width}}  {_bar(o.share_original, 1.0):<{_BAR}} {pct_text(o.share_original)}"
                for o in sorted(rows, key=lambda o: (-o.share_original, -o.articles, o.outlet))]
        out += ["```", ""]
    return "\n".join(out)
