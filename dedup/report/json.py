"""The report as JSON (the machine-readable contract)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..model import Member, Report, Story


def _time(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def member_dict(m: Member) -> dict[str, Any]:
    return {
        "id": m.id, "outlet": m.outlet, "url": m.url, "title": m.title,
        "published_at": _time(m.published_at), "time_precision": str(m.time_precision),
        "lag_seconds": m.lag_seconds, "similarity": m.similarity, "containment": m.containment,
        "relation": m.relation,
    }


def story_dict(s: Story) -> dict[str, Any]:
    f = s.first
    return {
        "story_id": s.story_id,
        "is_new": s.is_new,
        "first": {"id": f.id, "outlet": f.outlet, "url": f.url, "published_at": _time(f.published_at)},
        "members": [member_dict(m) for m in s.members],
        "flags": list(s.flags),
    }


def report_dict(r: Report) -> dict[str, Any]:
    return {
        "generated_at": r.generated_at.isoformat(),
        "since": _time(r.since),
        "totals": r.totals,
        "stories": [story_dict(s) for s in r.stories],
        "outlets": [{"outlet": o.outlet, "articles": o.articles, "original": o.original, "copies": o.copies} for o in r.outlets],
    }


def render(r: Report) -> str:
    return json.dumps(report_dict(r), ensure_ascii=False, indent=2) + "\n"
