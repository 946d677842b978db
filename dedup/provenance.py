"""Who published first, who copied, how fast (first cut: time-based).

The member with the earliest known ``published_at`` is first. Unknown times
never win over known ones and are flagged; so are bare dates and naive times,
which make "first" less certain.

>>> from datetime import datetime, timezone
>>> order_key("exact", datetime(2026, 11, 24, tzinfo=timezone.utc)) < order_key("unknown", None)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np

from .cluster import containment_both
from .config import ClusterConfig
from .model import Member, Story, TimePrecision
from .store import StoredArticle

_FAR_FUTURE = datetime.max.replace(tzinfo=None)


def parse_stored_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def order_key(precision: str, published: datetime | None) -> tuple[int, datetime]:
    """Sort key: known times by time, a bare date counted as the END of its day
    (it cannot claim to be first over a timed article of the same day), unknown last."""
    if published is None or precision == TimePrecision.UNKNOWN:
        return (1, _FAR_FUTURE)
    naive_utc = published.replace(tzinfo=None)
    if precision == TimePrecision.DATE:
        naive_utc += timedelta(days=1) - timedelta(seconds=1)
    return (0, naive_utc)


def first_line(article: StoredArticle, limit: int = 200) -> str:
    stripped = set(article.stripped)
    for line in article.text.splitlines():
        line = line.strip()
        if line and line not in stripped and line != article.title.strip():
            return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
    return ""


def build_story(
    story_id: str,
    articles: Sequence[StoredArticle],
    sigs: np.ndarray,
    sizes: np.ndarray,
    cfg: ClusterConfig,
    is_new: bool = False,
) -> Story:
    """A Story from its members' rows and signatures (aligned with ``articles``)."""
    times = [parse_stored_time(a.published_at) for a in articles]
    order = sorted(range(len(articles)), key=lambda i: (order_key(articles[i].time_precision, times[i]), articles[i].doc))
    f = order[0]
    sim = (sigs == sigs[f]).mean(axis=1)
    c_in_first, _ = containment_both(sim, sizes.astype(np.float64), np.full(len(sizes), float(sizes[f])))
    flags: list[str] = []
    if times[f] is None:
        flags.append("all times unknown: first is the first indexed")
    elif articles[f].time_precision in (TimePrecision.DATE, TimePrecision.NAIVE):
        flags.append(f"first publisher's time is {articles[f].time_precision} ({articles[f].published_raw})")
    members: list[Member] = []
    for i in order:
        a = articles[i]
        if times[i] is None and i != f:
            flags.append(f"unknown time: {a.id}")
        lag = (times[i] - times[f]).total_seconds() if times[i] is not None and times[f] is not None else None
        if i == f:
            relation = "original"
        elif sim[i] >= cfg.min_similarity:
            relation = "copy"
        else:
            relation = "partial_copy"
        members.append(
            Member(
                id=a.id, outlet=a.outlet, url=a.url, title=a.title, published_at=times[i],
                time_precision=TimePrecision(a.time_precision), lag_seconds=lag,
                similarity=round(float(sim[i]), 4), containment=round(float(c_in_first[i]), 4),
                relation=relation, first_line=first_line(a),
            )
        )
    same_time = [m.id for m in members[1:] if m.lag_seconds == 0]
    if same_time:
        flags.append(f"same time as first: {', '.join(same_time)}")
    return Story(story_id=story_id, first=members[0], members=tuple(members), flags=tuple(flags), is_new=is_new)
