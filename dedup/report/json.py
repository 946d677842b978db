"""The report as JSON (the machine-readable contract).

Keys are only ever added. Story: ``credits`` [{"name", "in_corpus"}],
``confidence``, ``conflicts``, ``evidence``, ``origin_note``; member:
``credits``, ``credited``, ``first_line``, ``parent``. Top level: ``summary``,
``outlet_stats`` (the full outlet table; ``outlets`` keeps its four keys) and
``lag_distribution``. A member's ``relation`` may also be ``same_outlet`` or
``related``: no copies, so not in ``copies`` anywhere (see ``stats``).

Times: ``published_at`` is ISO 8601 with its offset: UTC for a time; for a bare
date (``time_precision`` "date") the local midnight of that day in the zone it
was read in ("2026-11-25T00:00:00+07:00"), never the previous day in UTC.
A member's ``lag`` is null when unknown, else {"min_seconds", "max_seconds",
"days", "date_only", "label"}: for two times min = max = ``lag_seconds`` and
``days`` null; when either is a bare date, ``lag_seconds`` is null (an hour-level
lag would be invented), ``days`` counts calendar days in the date's zone and
``label`` says "same day", "+1 day". Totals and ``summary`` count only stories
with copies (``has_copies`` on each story; groups without one are listed last).

The provenance tree: a member's ``parent`` is where it most likely came from:
{"id", "name", "in_corpus"} -- an earlier member ({"id": "kompas-0001", "name":
"kompas.com", "in_corpus": true}) or an agency it credits that is not in the
corpus ({"id": null, "name": "EFE", "in_corpus": false}); null for the root (the
first member when the origin is in the corpus) and an earlier related text. A
story's ``origin`` is {"name", "in_corpus", "evidence", "confidence"}: the first
member's outlet (``in_corpus`` true; evidence and confidence as the story's), or
the agency outside the corpus its members credit; then the first member is a
copy of it (``relation`` credited_copy or uncredited_copy, ``lag`` null) and
``confidence`` is the origin's.

The extent of reuse (measured on the stored texts when the report is built, for the
listed stories): a member whose ``parent`` is in the corpus has ``reused_share``
(the share of its text's shingles found in its parent's, 0-1), ``longest_passage_words``
(the longest verbatim passage they share, in words) and ``reused_passages`` (every
shared run of 8 or more words: {"words", "copy": [start, end], "source": [start, end]},
character offsets, in code points, end exclusive, into the member's and the parent's
stored text); all three are null for any other member.

A capped report (``limit``) lists its first ``limit`` stories; ``totals`` still count
every story, and ``totals["more"]`` is how many are not listed. With ``--source``:
top-level ``source`` {"name", "stories", "used_by", "crediting", "share_credited"}
and each story's ``source_use`` {"in_corpus", "used_by", "crediting",
"not_crediting", "share_credited"} (member ids; every member not published by the
source used it, but an earlier related text).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..model import IndexSummary, Match, Member, Rejected, Report, SourceUse, Story
from ..provenance import has_copies
from .stats import lag_distribution, origin_note, outlet_rows, source_totals, summary
from .text import json_text, lag_text


def _time(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def lag_dict(m: Member) -> dict[str, Any] | None:
    """A member's lag as a span (see the module doc); None when unknown."""
    if m.lag_span is not None:
        span = m.lag_span
        return {"min_seconds": span.min_seconds, "max_seconds": span.max_seconds, "days": span.days,
                "date_only": True, "label": span.label}
    if m.lag_seconds is None:
        return None
    return {"min_seconds": m.lag_seconds, "max_seconds": m.lag_seconds, "days": None, "date_only": False,
            "label": lag_text(m.lag_seconds)}


def member_dict(m: Member) -> dict[str, Any]:
    return {
        "id": m.id, "outlet": m.outlet, "url": m.url, "title": m.title,
        "published_at": _time(m.published_at), "time_precision": str(m.time_precision),
        "lag_seconds": m.lag_seconds, "lag": lag_dict(m), "similarity": m.similarity, "containment": m.containment,
        "relation": m.relation, "credits": list(m.credits), "credited": m.credited, "first_line": m.first_line,
        "parent": None if m.parent is None else {"id": m.parent.id, "name": m.parent.name, "in_corpus": m.parent.in_corpus},
        **reuse_dict(m),
    }


def reuse_dict(m: Member) -> dict[str, Any]:
    """How much of a member is its parent's (see the module doc); nulls when not measured."""
    r = m.reuse
    return {
        "reused_share": None if r is None else r.share,
        "longest_passage_words": None if r is None else r.longest_words,
        "reused_passages": None if r is None else [
            {"words": p.words, "copy": [p.start, p.end], "source": [p.source_start, p.source_end]} for p in r.passages
        ],
    }


def story_dict(s: Story) -> dict[str, Any]:
    f = s.first
    return {
        "story_id": s.story_id,
        "is_new": s.is_new,
        "has_copies": has_copies(s),
        "first": {"id": f.id, "outlet": f.outlet, "url": f.url, "published_at": _time(f.published_at)},
        "members": [member_dict(m) for m in s.members],
        "flags": list(s.flags),
        "credits": [{"name": c.name, "in_corpus": c.in_corpus} for c in s.credits],
        "confidence": s.confidence,
        "conflicts": list(s.conflicts),
        "evidence": list(s.evidence),
        "origin_note": origin_note(s),
        "origin": None if s.origin is None else {
            "name": s.origin.name, "in_corpus": s.origin.in_corpus,
            "evidence": list(s.origin.evidence), "confidence": s.origin.confidence,
        },
    }


def source_use_dict(u: SourceUse) -> dict[str, Any]:
    return {"in_corpus": u.in_corpus, "used_by": list(u.used_by), "crediting": list(u.crediting),
            "not_crediting": [i for i in u.used_by if i not in u.crediting],
            "share_credited": None if u.share_credited is None else round(u.share_credited, 4)}


def _source(r: Report) -> dict[str, Any]:
    used, crediting, share = source_totals(r)
    return {"name": r.source, "stories": len(r.source_use), "used_by": used, "crediting": crediting,
            "share_credited": None if share is None else round(share, 4)}


def report_dict(r: Report) -> dict[str, Any]:
    rows = outlet_rows(r)
    uses = {u.story_id: u for u in r.source_use}
    stories = []
    for s in r.listed:
        d = story_dict(s)
        if s.story_id in uses:
            d["source_use"] = source_use_dict(uses[s.story_id])
        stories.append(d)
    return {
        "generated_at": r.generated_at.isoformat(),
        "since": _time(r.since),
        "totals": {**r.totals, "more": r.more},
        "limit": r.limit,
        **({"source": _source(r)} if r.source else {}),
        "stories": stories,
        "outlets": [{"outlet": o.outlet, "articles": o.articles, "original": o.original, "copies": o.copies} for o in r.outlets],
        "summary": summary(r),
        "outlet_stats": [
            {
                "outlet": o.outlet, "articles": o.articles, "original": o.original,
                "share_original": round(o.share_original, 4), "copies": o.copies, "credited_copies": o.credited,
                "share_credited": None if o.share_credited is None else round(o.share_credited, 4),
                "partial_copies": o.partial, "copied_by_others": o.copied_by_others,
                "median_lag_seconds": o.median_lag_seconds,
            }
            for o in rows
        ],
        "lag_distribution": [{"bucket": label, "copies": n} for label, n in lag_distribution(r)],
    }


def query_dict(info: dict[str, object], matches: Sequence[Match]) -> dict[str, Any]:
    """A query's answer (``dedup query --json``, ``POST /query``): what was asked, then the matches."""
    results = [
        {
            "id": m.id, "outlet": m.outlet, "url": m.url, "published_at": _time(m.published_at),
            "title": m.title, "similarity": m.similarity, "containment": m.containment,
            "containment_reverse": m.containment_reverse, "story_id": m.story_id, "score": m.score,
        }
        for m in matches
    ]
    return {"query": info, "results": results}


def summary_dict(s: IndexSummary) -> dict[str, Any]:
    """What an index run did (``POST /articles``): the counts ``dedup index`` prints, by reason,
    and each rejected record or warning in input order, named ``source`` (``file:line``)."""
    return {
        "read": s.read, "added": s.added, "replaced": s.replaced, "unchanged": s.unchanged,
        "rejected": len(s.rejected), "warnings": len(s.warnings),
        "stories_new": s.stories_new, "stories_grown": s.stories_grown, "seconds": round(s.seconds, 3),
        "rejected_by_reason": dict(sorted(s.rejected_by_reason().items())),
        "warnings_by_reason": dict(sorted(s.warnings_by_reason().items())), "skipped_by_reason": dict(s.skipped),
        "problems": [
            {"kind": "rejected" if isinstance(p, Rejected) else "warning", "source": p.source, "reason": p.reason,
             "detail": p.detail, "message": p.message()}
            for p in s.problems
        ],
    }


def render(r: Report) -> str:
    return json_text(report_dict(r)) + "\n"
