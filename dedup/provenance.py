"""Who published first, who copied, how fast, and who credited whom.

The origin of a story is chosen from three kinds of evidence, in this order:

1. **Credits between members.** If B credits A (names A's outlet), A precedes
   B whatever their timestamps say, so B cannot be the origin.
2. **Earliest known time.** Unknown times never win over known ones; a bare
   date is the whole day in the zone it was read in, and counts as the end of
   that day. A naive time (zone assumed) or a bare date is uncertain by up to a
   day, so members whose times could overlap the earliest one's are "too close
   to call".
3. **Wire-agency status.** Among members too close to call, an agency (or a
   member credited by others) is preferred: its copy is made to be republished.

Conflicts are flagged, never hidden: a copy timestamped before the outlet it
credits, equal times, an origin whose time has no zone, all times unknown, and
members that are no copy of the origin (they joined through another member).

Each copy's relation: ``partial_copy`` (an abridged copy, reproducing less
than ``ClusterConfig.min_coverage`` of the origin, or one whose similarity is
below ``min_similarity`` because the origin is a small part of it), else ``credited_copy`` when it names the origin's
outlet (a wire's name when the origin is the wire; or an earlier member it is a
copy of; or its parent in the tree, or what that parent derives from), else
``uncredited_copy``.

The provenance tree (issue #12): each member's ``parent`` is where it most likely
came from -- an earlier member it credits; else, when it credits an agency that is
not in the corpus, the closest strictly earlier member carrying that credit or the
agency itself; else the closest earlier text (similarity or containment). When
members credit an agency not in the corpus, that agency is the story's ``origin``
and the first member a (credited or uncredited) copy of it. A member that credits
its parent, or what its parent derives from, is never an ``uncredited_copy``: an
aggregator that took a national rewrite's text and repeats its wire credit ("Seperti
dilansir Reuters") is a credited copy.

Two relations are no copies at all, and the report counts neither as one:
``same_outlet`` for a member published by the origin's own outlet (outlet names
compared exactly as stored: a re-post, an AMP or print copy, a second capture, an
agency filing the same text twice), and ``related`` for an earlier related text
(see ``STALE_GAP``), which precedes the origin and so cannot have copied it. An
earlier related text of the origin's own outlet is ``related``: it is an older,
different text, not the origin published again.

A lag between two times is in seconds (``lag_seconds``). A lag that involves a
bare date is an interval (``lag_span``): calendar days in the date's zone ("same
day", "+1 day"), never an hour-level figure and never below zero for a copy
dated on or after its origin's day.

>>> is_copy("same_outlet"), is_copy("partial_copy")
(False, True)
>>> from datetime import datetime, timezone
>>> order_key("exact", datetime(2026, 11, 24, tzinfo=timezone.utc)) < order_key("unknown", None)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta, timezone

import numpy as np

from .verify import containment_both
from .config import ClusterConfig
from .credits import CreditRules, load_rules
from .model import CreditRef, LagSpan, Member, Origin, ParentRef, Story, TimePrecision
from .outlets import same_outlet
from .read.timeparse import bare_date
from .store import StoredArticle

_FAR_FUTURE = datetime.max.replace(tzinfo=None)
# How far a naive time or a bare date may be from the truth: the assumed zone
# can be wrong by up to UTC-12..UTC+14, and a date says nothing of the hour.
_NAIVE_SLACK = timedelta(hours=14)
# A member published this long before every other member of its story, and only
# loosely like them (below STRONG_LINK similarity, contained in none, containing
# none), is an earlier related text -- a recurring template or background the
# story reused -- not the origin of the story: copies of news appear within days.
STALE_GAP = timedelta(days=7)
STRONG_LINK = 0.5


# Members of a story that are no copy of its origin; every other relation is a copy
# (so that a relation added later is counted, not silently dropped).
NOT_COPIES = frozenset({"original", "same_outlet", "related"})


def is_copy(relation: str) -> bool:
    """Whether a member with this relation is a copy of the story's origin."""
    return relation not in NOT_COPIES


def has_copies(story: Story) -> bool:
    """Whether a story has a copy at all: one whose other members are all its origin's
    own outlet again or earlier related texts is no story with copies, and no total counts it."""
    return any(is_copy(m.relation) for m in story.members)


def parse_stored_time(value: str | None, precision: str = "", raw: str | None = None) -> datetime | None:
    """A stored time, timezone-aware (a naive one is UTC); a bare date (``precision``
    "date") as its local midnight in the zone it was read in.

    Stores written before bare dates kept their zone hold the local midnight
    converted to UTC ("2026-11-24T17:00:00+00:00" for "2026-11-25" read in
    Asia/Jakarta): the raw text gives the day back, and the difference the offset.

    >>> parse_stored_time("2026-11-24T17:00:00+00:00", "date", "2026-11-25").isoformat()
    '2026-11-25T00:00:00+07:00'
    >>> parse_stored_time("2026-11-25T00:00:00+07:00", "date", "2026-11-25").isoformat()
    '2026-11-25T00:00:00+07:00'
    """
    if value is None:
        return None
    t = datetime.fromisoformat(value)
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    if precision != TimePrecision.DATE:
        return t
    day = bare_date(raw)
    if day is None:  # no raw date to read the day from: what is stored is taken as the day's start
        return t
    offset = datetime.combine(day, time()) - _utc(t)
    if abs(offset) >= timedelta(days=1):  # not that day's midnight in any zone: keep what is stored
        return t
    return datetime.combine(day, time(), timezone(offset))


def _utc(t: datetime) -> datetime:
    """Naive UTC, for keys and bounds that mix zones."""
    return t if t.tzinfo is None else t.astimezone(timezone.utc).replace(tzinfo=None)


def order_key(precision: str, published: datetime | None) -> tuple[int, datetime]:
    """Sort key: known times by time, a bare date counted as the END of its day in
    its zone (it cannot claim to be first over a timed article of the same day),
    unknown last."""
    if published is None or precision == TimePrecision.UNKNOWN:
        return (1, _FAR_FUTURE)
    naive_utc = _utc(published)
    if precision == TimePrecision.DATE:
        naive_utc += timedelta(days=1) - timedelta(seconds=1)
    return (0, naive_utc)


def time_bounds(precision: str, published: datetime | None) -> tuple[datetime, datetime] | None:
    """Earliest and latest (naive UTC) instant a stored time can mean; None when unknown.

    >>> from datetime import datetime, timezone
    >>> lo, hi = time_bounds("naive", datetime(2026, 11, 24, 12, tzinfo=timezone.utc))
    >>> (hi - lo).total_seconds() / 3600
    28.0
    """
    if published is None or precision == TimePrecision.UNKNOWN:
        return None
    t = _utc(published)
    if precision == TimePrecision.EXACT:
        return t, t
    if precision == TimePrecision.DATE:
        return t - _NAIVE_SLACK, t + timedelta(days=1) + _NAIVE_SLACK
    return t - _NAIVE_SLACK, t + _NAIVE_SLACK


def lag_between(
    t: datetime | None, precision: str, t0: datetime | None, precision0: str
) -> tuple[float | None, LagSpan | None]:
    """The lag from the first publisher (at ``t0``): (seconds, None) between two
    times; (None, span) when either is a bare date (a whole day in its zone: its
    time of day is unknown, so an hour-level lag would be invented); (None, None)
    when either is unknown.

    >>> from datetime import datetime, timedelta, timezone
    >>> wib = timezone(timedelta(hours=7))
    >>> lag_between(datetime(2026, 11, 25, tzinfo=wib), "date", datetime(2026, 11, 25, 9, tzinfo=wib), "exact")
    (None, LagSpan(min_seconds=0.0, max_seconds=54000.0, days=0))
    """
    if t is None or t0 is None:
        return None, None
    date_m, date_0 = precision == TimePrecision.DATE, precision0 == TimePrecision.DATE
    if not (date_m or date_0):
        return (t - t0).total_seconds(), None
    day = timedelta(days=1)
    if date_m and date_0:
        days = (t.date() - t0.date()).days  # each in its own zone
    else:
        zone = (t if date_m else t0).tzinfo
        days = (t.astimezone(zone).date() - t0.astimezone(zone).date()).days
    lo = (t - (t0 + day if date_0 else t0)).total_seconds()
    hi = ((t + day if date_m else t) - t0).total_seconds()
    # Within the days the dates allow, a copy follows its origin: its lag is not below 0.
    return None, LagSpan(max(lo, 0.0) if days >= 0 else lo, hi, days)


def first_line(article: StoredArticle, limit: int = 200) -> str:
    stripped = set(article.stripped)
    for line in article.text.splitlines():
        line = line.strip()
        if line and line not in stripped and line != article.title.strip():
            return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
    return ""


def _when(a: StoredArticle, t: datetime | None) -> str:
    if t is None:
        return "unknown time"
    # A bare date is its own day (in its zone); a time is told in UTC.
    text = t.strftime("%Y-%m-%d") if a.time_precision == TimePrecision.DATE else _utc(t).strftime("%Y-%m-%d %H:%M UTC")
    return text if a.time_precision == TimePrecision.EXACT else f"{text}, {a.time_precision}"


def _earlier_related(times: Sequence[datetime | None], sigs: np.ndarray, sizes: np.ndarray, cfg: ClusterConfig) -> set[int]:
    """Members that are an earlier related text, not a possible origin (see STALE_GAP)."""
    known = [i for i, t in enumerate(times) if t is not None]
    if len(known) < 3:  # a pair is a pair: its earlier member stays the origin
        return set()
    out: set[int] = set()
    for i in known:
        others = [j for j in known if j != i]
        if min(times[j] for j in others) - times[i] <= STALE_GAP:  # type: ignore[operator]
            continue
        sim = (sigs[others] == sigs[i]).mean(axis=1)
        c_i, c_j = containment_both(sim, np.full(len(others), float(sizes[i])), sizes[others].astype(np.float64))
        if sim.max() < STRONG_LINK and c_i.max() < cfg.min_containment and c_j.max() < cfg.min_containment:
            out.add(i)
    return out


def _external_origin(
    f: int, order: Sequence[int], stale: set[int], outside: Sequence[Sequence[str]], agency: Sequence[bool],
) -> str | None:
    """The agency outside the corpus a story derives from, or None: the one its first
    member credits, else the one most members credit (the earliest credit breaks a tie).
    A first member that is itself an agency and credits none is the origin."""
    if outside[f]:
        return outside[f][0]
    if agency[f]:
        return None
    count: dict[str, int] = {}
    for i in order:
        if i not in stale:
            for c in outside[i]:
                count[c] = count.get(c, 0) + 1
    return max(count, key=lambda c: count[c]) if count else None  # max keeps the first of equals


def _origin_record(
    name: str, f: int, order: Sequence[int], stale: set[int], outside: Sequence[Sequence[str]],
    articles: Sequence[StoredArticle],
) -> Origin:
    crediting = [articles[i].id for i in order if i not in stale and name in outside[i]]
    evidence = [f"credited by {len(crediting)} of {len(order)} members ({', '.join(crediting)})", "not in corpus"]
    if name in outside[f]:
        evidence.append(f"the first member in the corpus, {articles[f].id}, credits it")
        confidence = "high"
    else:
        evidence.append(f"the first member in the corpus, {articles[f].id} ({articles[f].outlet}), does not credit it")
        confidence = "medium"
    return Origin(name=name, in_corpus=False, evidence=tuple(evidence), confidence=confidence)


def _parents(
    order: Sequence[int], stale: set[int], credits: Sequence[Sequence[str]], credits_member: Sequence[set[int]],
    outside: Sequence[Sequence[str]], origin: str | None, sigs: np.ndarray, sizes: np.ndarray, cfg: ClusterConfig,
    keys: Sequence[tuple[int, datetime]],
) -> dict[int, int | str | None]:
    """Each member's parent in the provenance tree: an earlier member (index) or an agency
    outside the corpus (its name); None for the root and earlier related texts.

    An earlier member it credits comes first; then, for a member that credits an agency
    outside the corpus, the closest strictly earlier member that carries the same credit (it
    copied that member's text; two of one time or one day took the agency's each) or else the
    agency itself; otherwise the closest earlier text
    (highest similarity or share of it contained in the other)."""
    f = order[0]
    out: dict[int, int | str | None] = {f: origin}
    for pos, i in enumerate(order[1:], start=1):
        if i in stale:
            out[i] = None
            continue
        earlier = [j for j in order[:pos] if j not in stale]
        if not earlier:
            out[i] = origin
            continue
        sim = (sigs[earlier] == sigs[i]).mean(axis=1)
        c_i, _ = containment_both(sim, np.full(len(earlier), float(sizes[i])), sizes[earlier].astype(np.float64))
        score = {j: max(float(s), float(c)) for j, s, c in zip(earlier, sim, c_i)}

        def closest(pool: Sequence[int]) -> int:
            return max(pool, key=lambda j: score[j])  # max keeps the earliest of equals

        credited = [j for j in earlier if j in credits_member[i]]
        if credited:
            out[i] = closest(credited)
        elif outside[i]:
            agency = origin if origin in outside[i] else outside[i][0]
            carriers = [j for j in earlier if agency in credits[j] and score[j] >= cfg.min_similarity and keys[j] < keys[i]]
            out[i] = closest(carriers) if carriers else agency
        else:
            out[i] = closest(earlier)
    return out


def build_story(
    story_id: str,
    articles: Sequence[StoredArticle],
    sigs: np.ndarray,
    sizes: np.ndarray,
    cfg: ClusterConfig,
    is_new: bool = False,
    rules: CreditRules | None = None,
) -> Story:
    """A Story from its members' rows and signatures (aligned with ``articles``)."""
    rules = rules or load_rules()
    n = len(articles)
    times = [parse_stored_time(a.published_at, a.time_precision, a.published_raw) for a in articles]
    keys = [order_key(a.time_precision, times[i]) for i, a in enumerate(articles)]
    names = [rules.canonical(a.outlet) for a in articles]
    credits = [tuple(c.name for c in rules.find(a.text, a.outlet)) for a in articles]
    # i credits j: i names j's outlet (and they are different outlets).
    by_name: dict[str, list[int]] = {}
    for j, name in enumerate(names):
        by_name.setdefault(name, []).append(j)
    credits_member = [{j for c in credits[i] if c != names[i] for j in by_name.get(c, ())} for i in range(n)]
    credited_by: list[set[int]] = [set() for _ in range(n)]
    for i in range(n):
        for j in credits_member[i]:
            credited_by[j].add(i)
    agency = [rules.is_agency(a.outlet) for a in articles]

    by_time = sorted(range(n), key=lambda i: (keys[i], articles[i].doc))
    stale = _earlier_related(times, sigs, sizes, cfg)
    # A member that credits another member copied it: it cannot be the origin.
    candidates = [i for i in by_time if not credits_member[i] and i not in stale] or by_time
    c0 = candidates[0]
    bounds = [time_bounds(a.time_precision, times[i]) for i, a in enumerate(articles)]
    if bounds[c0] is None:  # every candidate's time is unknown
        window = candidates
    else:
        latest = bounds[c0][1]  # type: ignore[index]
        window = [i for i in candidates if bounds[i] is not None and bounds[i][0] <= latest]  # type: ignore[index]
    f = min(window, key=lambda i: (not agency[i], -len(credited_by[i]), keys[i], articles[i].doc))

    evidence: list[str] = []
    conflicts: list[str] = []
    flags: list[str] = []
    all_unknown = times[f] is None
    if all_unknown:
        how = ("wire-agency status" if agency[f] else "credits" if credited_by[f] else None)
        conflicts.append(f"all times unknown: first chosen by {how}" if how else "all times unknown: first is the first indexed")
    else:
        earliest = f == by_time[0]
        evidence.append(f"{'earliest known time' if earliest else 'time'}: {_when(articles[f], times[f])}")
        if articles[f].time_precision in (TimePrecision.DATE, TimePrecision.NAIVE):
            # A vague time only matters when another member may fall within its span: a
            # wire dated the 10th is first of copies dated the 11th. Two bare dates were
            # read in one zone (--tz), so only the same calendar day overlaps; otherwise the
            # span allows for any zone.
            latest = bounds[f][1]  # type: ignore[index]
            both_dates = lambda i: articles[i].time_precision == TimePrecision.DATE == articles[f].time_precision  # noqa: E731
            overlaps = any(
                times[i].date() == times[f].date()  # type: ignore[union-attr]
                if both_dates(i) else (bounds[i] is not None and bounds[i][0] <= latest)  # type: ignore[index]
                for i in range(n) if i != f and i not in stale
            )
            vague = f"first publisher's time is {articles[f].time_precision} ({articles[f].published_raw})"
            if overlaps:
                conflicts.append(vague)
            else:
                evidence.append(vague + ", still before every other member's")
    if credited_by[f]:
        evidence.append("credited by " + ", ".join(sorted({articles[i].outlet for i in credited_by[f]})))
    if agency[f]:
        evidence.append("wire agency")
    if f != c0 and bounds[c0] is not None:
        conflicts.append(
            f"times too close to call: {articles[c0].id} ({articles[c0].outlet}, {_when(articles[c0], times[c0])}) "
            f"is timestamped before {articles[f].outlet}"
        )
    for i in range(n):
        for j in sorted(credits_member[i]):
            if keys[i][0] == 0 and keys[j][0] == 0 and keys[i] < keys[j]:
                conflicts.append(
                    f"copy timestamped before the outlet it credits: {articles[i].id} ({articles[i].outlet}, "
                    f"{_when(articles[i], times[i])}) credits {articles[j].outlet} ({_when(articles[j], times[j])})"
                )

    sim = (sigs == sigs[f]).mean(axis=1)
    c_in_first, coverage = containment_both(sim, sizes.astype(np.float64), np.full(len(sizes), float(sizes[f])))
    order = [f] + sorted((i for i in range(n) if i != f), key=lambda i: (keys[i], articles[i].doc))
    in_story = set(names)
    outside = [[c for c in credits[i] if c not in in_story and rules.is_agency(c)] for i in range(n)]
    origin = _external_origin(f, order, stale, outside, agency)
    parents = _parents(order, stale, credits, credits_member, outside, origin, sigs, sizes, cfg, keys)
    # What each member derives from: its own name, what it credits, and its parent's line.
    derives: dict[int, set[str]] = {}
    for i in order:
        p = parents[i]
        line = derives.get(p, set()) if isinstance(p, int) else ({p} if isinstance(p, str) else set())
        derives[i] = {names[i], *credits[i]} | line
    members: list[Member] = []
    for i in order:
        a = articles[i]
        if times[i] is None and i != f:
            flags.append(f"unknown time: {a.id}")
        lag, span = lag_between(times[i], articles[i].time_precision, times[f], articles[f].time_precision)
        if i == f and origin is not None:  # its lag from the agency outside the corpus is unknown
            lag = span = None
        p = parents[i]
        # A member that credits its parent, or a name its parent derives from, is a credited copy.
        credits_parent = (
            p in credits[i] if isinstance(p, str)
            else isinstance(p, int) and any(c in credits[i] for c in derives[p])
        )
        credited = (i != f or origin is not None) and (
            credits_parent
            or (i != f and names[f] in credits[i])
            or any((sigs[i] == sigs[j]).mean() >= cfg.min_similarity and keys[j] <= keys[i] for j in credits_member[i])
        )
        if i == f:
            # The first member of a story whose origin is an agency outside the corpus is a copy of it.
            relation = "original" if origin is None else "credited_copy" if credited else "uncredited_copy"
        elif i in stale:
            relation = "related"  # published long before the origin: it cannot be a copy of it
        elif same_outlet(a.outlet, articles[f].outlet, rules):
            relation = "same_outlet"  # the outlet's own text again: no copy, whatever the similarity
        elif sim[i] < cfg.min_similarity or coverage[i] < cfg.min_coverage:
            relation = "partial_copy"  # abridged, or the origin is a small part of it
        else:
            relation = "credited_copy" if credited else "uncredited_copy"
        parent = (
            None if p is None
            else ParentRef(id=None, name=p, in_corpus=False) if isinstance(p, str)
            else ParentRef(id=articles[p].id, name=articles[p].outlet, in_corpus=True)
        )
        members.append(
            Member(
                id=a.id, outlet=a.outlet, url=a.url, title=a.title, published_at=times[i],
                time_precision=TimePrecision(a.time_precision), lag_seconds=lag,
                similarity=round(float(sim[i]), 4), containment=round(float(c_in_first[i]), 4),
                relation=relation, first_line=first_line(a), credits=credits[i], credited=credited, lag_span=span,
                parent=parent,
            )
        )
    # A member that is neither similar to the origin nor contained in it joined the story
    # through another member (a chain, e.g. one paper's recurring template weeks apart):
    # the origin is first in the story, but not the source of that member.
    chained = [
        articles[i].id for i in order[1:]
        if sim[i] < cfg.min_similarity and c_in_first[i] < cfg.min_containment and coverage[i] < cfg.min_containment
    ]
    if chained:
        conflicts.append(f"not a copy of the origin, linked through another member: {', '.join(chained)}")
    for i in sorted(stale, key=lambda i: keys[i]):
        if i != f:
            conflicts.append(
                f"earlier related text, not the origin: {articles[i].id} ({articles[i].outlet}, {_when(articles[i], times[i])}) "
                f"precedes the rest by more than {STALE_GAP.days} days and is only loosely like them"
            )
    # Two times that are equal, or two bare dates of one day, are a tie; a bare date on
    # a timed first's day is not (the date is a whole day).
    first_date = members[0].time_precision == TimePrecision.DATE
    same_time = [
        m.id for m in members[1:]
        if m.lag_seconds == 0
        or (first_date and m.time_precision == TimePrecision.DATE and m.lag_span is not None and m.lag_span.days == 0)
    ]
    if same_time:
        conflicts.append(f"same time as first: {', '.join(same_time)}")

    story_credits: dict[str, CreditRef] = {}
    for i in order:
        for c in credits[i]:
            story_credits.setdefault(c, CreditRef(name=c, in_corpus=c in in_story))

    support = bool(credited_by[f]) or agency[f]
    tie = bool(same_time) or (f != c0 and bounds[c0] is not None)
    credit_conflict = any(c.startswith("copy timestamped before") for c in conflicts)
    if all_unknown or tie:
        confidence = "medium" if support else "low"
    elif credit_conflict:
        confidence = "medium"
    elif conflicts or any(t is None for t in times):
        confidence = "high" if support else "medium"
    else:
        confidence = "high"
    if origin is None:
        story_origin = Origin(name=articles[f].outlet, in_corpus=True, evidence=tuple(evidence), confidence=confidence)
    else:
        story_origin = _origin_record(origin, f, order, stale, outside, articles)
        confidence = story_origin.confidence
    return Story(
        story_id=story_id, origin=story_origin, first=members[0], members=tuple(members), flags=tuple(conflicts + flags), is_new=is_new,
        credits=tuple(story_credits.values()), confidence=confidence, conflicts=tuple(conflicts),
        evidence=tuple(evidence),
    )
