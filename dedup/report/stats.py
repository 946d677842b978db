"""What every rendering of a report shows beyond its stories: the night's
summary, the outlet table and the data behind the charts.

Computed here once, from the report's stories, so that Markdown, JSON and HTML
carry the same numbers. A member that is no copy (``same_outlet``: the origin's
own outlet again; ``related``: an earlier related text) is in its story's member
list, but in no count of copies, credit share or lag statistic.

A story counts in "stories" only when it has a copy (``provenance.has_copies``).

A lag that involves a bare date is a span of calendar days, never an hour-level
figure: such a copy is counted in a "(date only)" bucket by its days ("same
day", "+1 day", "+2 days or more"), never in "< 15 min", and is left out of
the median lags (which are of copies with two times).

>>> lag_bucket(600), lag_bucket(7200), lag_bucket(None), lag_bucket(-60)
('< 15 min', '1–3 h', 'unknown', 'before origin')
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from ..model import Member, Report, Story
from ..provenance import has_copies
from ..provenance import is_copy as is_copy_relation

COPY_RELATIONS = ("credited_copy", "uncredited_copy", "partial_copy")
# Lag buckets for the distribution chart: (label, upper bound in seconds).
LAG_BUCKETS: tuple[tuple[str, float], ...] = (
    ("< 15 min", 15 * 60),
    ("15–60 min", 3600),
    ("1–3 h", 3 * 3600),
    ("3–6 h", 6 * 3600),
    ("6–24 h", 86400),
    ("1–3 days", 3 * 86400),
    ("> 3 days", float("inf")),
)
# Copies whose lag involves a bare date, by calendar days from the origin's day.
DATE_LAG_BUCKETS = ("same day (date only)", "+1 day (date only)", "+2 days or more (date only)")
LAG_LABELS = ("before origin", *(label for label, _ in LAG_BUCKETS), *DATE_LAG_BUCKETS, "unknown")


def is_copy(m: Member) -> bool:
    return is_copy_relation(m.relation)


def lag_bucket(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    if seconds < 0:
        return "before origin"
    for label, upper in LAG_BUCKETS:
        if seconds < upper:
            return label
    return LAG_BUCKETS[-1][0]


def member_lag_bucket(m: Member) -> str:
    """The lag bucket of a member: by its lag in seconds, or by calendar days when
    its lag involves a bare date.

    >>> from dedup.model import LagSpan, TimePrecision
    >>> m = Member("k1", "kabarsatu.net", "u", "t", None, TimePrecision.DATE, None, 0.9, 0.9, "uncredited_copy",
    ...            lag_span=LagSpan(0.0, 54000.0, 0))
    >>> member_lag_bucket(m)
    'same day (date only)'
    """
    if m.lag_span is None:
        return lag_bucket(m.lag_seconds)
    if m.lag_span.days < 0:
        return "before origin"
    return DATE_LAG_BUCKETS[min(m.lag_span.days, len(DATE_LAG_BUCKETS) - 1)]


@dataclass(frozen=True, slots=True)
class OutletRow:
    """One outlet's line in the outlet table."""

    outlet: str
    articles: int  # its articles in this report's stories
    original: int  # of which it published first
    copies: int  # copies it made (see provenance.NOT_COPIES)
    credited: int  # of its copies, those that name the source
    partial: int  # of its copies, partial ones
    partial_credited: int  # of its partial copies, those that name the source
    copied_by_others: int  # copies others made of its originals
    median_lag_seconds: float | None  # of its copies with a known lag
    # Its articles that are neither original nor a copy (in ``articles``, in nothing else):
    same_outlet: int = 0  # its own text again, in a story its outlet was first in
    related: int = 0  # earlier related texts

    @property
    def share_original(self) -> float:
        """Of the stories it took part in (first or copying), the share it was first in:
        its own re-posts and earlier related texts are neither, and count for nothing."""
        part = self.original + self.copies
        return self.original / part if part else 0.0

    @property
    def share_credited(self) -> float | None:
        return self.credited / self.copies if self.copies else None

    @property
    def whole_credited(self) -> int:
        return self.credited - self.partial_credited

    @property
    def whole_uncredited(self) -> int:
        return self.copies - self.partial - self.whole_credited


def outlet_rows(r: Report) -> list[OutletRow]:
    """The outlet table, in the report's outlet order (then any outlet only the stories name)."""
    acc: dict[str, dict[str, object]] = {}

    def row(outlet: str) -> dict[str, object]:
        return acc.setdefault(outlet, {"articles": 0, "original": 0, "copies": 0, "credited": 0, "partial": 0,
                                       "partial_credited": 0, "copied_by_others": 0, "lags": [],
                                       "same_outlet": 0, "related": 0})

    for s in r.stories:
        for m in s.members:
            a = row(m.outlet)
            a["articles"] += 1  # type: ignore[operator]
            if is_copy(m):
                a["copies"] += 1  # type: ignore[operator]
                a["credited"] += int(m.credited)  # type: ignore[operator]
                a["partial"] += int(m.relation == "partial_copy")  # type: ignore[operator]
                a["partial_credited"] += int(m.relation == "partial_copy" and m.credited)  # type: ignore[operator]
                if m.lag_seconds is not None:
                    a["lags"].append(m.lag_seconds)  # type: ignore[attr-defined]
                if m is not s.first:  # a first member copied an agency outside the corpus, not itself
                    row(s.first.outlet)["copied_by_others"] += 1  # type: ignore[operator]
            elif m.relation in ("same_outlet", "related"):
                a[m.relation] += 1  # type: ignore[operator]
            else:
                a["original"] += 1  # type: ignore[operator]
    order = [o.outlet for o in r.outlets] + sorted(set(acc) - {o.outlet for o in r.outlets})
    given = {o.outlet: o for o in r.outlets}
    out = []
    for name in order:
        a = acc.get(name) or row(name)
        g = given.get(name)
        lags = a["lags"]
        out.append(OutletRow(
            outlet=name,
            articles=g.articles if g else int(a["articles"]),  # type: ignore[arg-type]
            original=g.original if g else int(a["original"]),  # type: ignore[arg-type]
            copies=g.copies if g else int(a["copies"]),  # type: ignore[arg-type]
            credited=int(a["credited"]), partial=int(a["partial"]),  # type: ignore[arg-type]
            partial_credited=int(a["partial_credited"]),  # type: ignore[arg-type]
            copied_by_others=int(a["copied_by_others"]),  # type: ignore[arg-type]
            median_lag_seconds=float(median(lags)) if lags else None,  # type: ignore[arg-type]
            same_outlet=int(a["same_outlet"]), related=int(a["related"]),  # type: ignore[arg-type]
        ))
    return out


def lag_distribution(r: Report) -> list[tuple[str, int]]:
    """(bucket label, copies) for every bucket, in order."""
    counts = dict.fromkeys(LAG_LABELS, 0)
    for s in r.stories:
        for m in s.members[1:]:  # lags are from the first member; its own, from an agency outside the corpus, is unknown
            if is_copy(m):
                counts[member_lag_bucket(m)] += 1
    return list(counts.items())


def summary(r: Report) -> dict[str, object]:
    """The night in numbers; every count of stories is of stories with copies."""
    copies = [m for s in r.stories for m in s.members if is_copy(m)]
    lags = [m.lag_seconds for m in copies if m.lag_seconds is not None and m.lag_seconds >= 0]
    rel = {k: sum(m.relation == k for m in copies) for k in COPY_RELATIONS}
    with_copies = [s for s in r.stories if has_copies(s)]
    return {
        "stories": len(with_copies),  # stories with copies
        "new_stories": sum(s.is_new for s in with_copies),
        "stories_without_copies": len(r.stories) - len(with_copies),
        "copies": len(copies),
        "credited_copies": rel["credited_copy"],
        "uncredited_copies": rel["uncredited_copy"],
        "partial_copies": rel["partial_copy"],
        "share_credited": round(sum(m.credited for m in copies) / len(copies), 4) if copies else None,
        "median_lag_seconds": float(median(lags)) if lags else None,
        "copies_with_date_only_lag": sum(m.lag_span is not None for m in copies),
        "outlets": len({m.outlet for s in r.stories for m in s.members}),
        "origins_credit_a_source_not_in_corpus": sum(
            any(not c.in_corpus and c.name in s.first.credits for c in s.credits) for s in with_copies
        ),
        "low_confidence_stories": sum(s.confidence == "low" for s in with_copies),
        "stories_with_conflicts": sum(bool(s.conflicts) for s in with_copies),
    }


def origin_note(s: Story) -> str:
    """'first in corpus: detik.com; credits Reuters, AFP — not in corpus'.

    >>> from dedup.model import CreditRef, Member, Story, TimePrecision
    >>> m = Member("d1", "detik.com", "u", "t", None, TimePrecision.UNKNOWN, None, 1.0, 1.0, "original",
    ...            credits=("Reuters", "AFP"))
    >>> origin_note(Story("s", m, (m,), credits=(CreditRef("Reuters"), CreditRef("AFP"))))
    'first in corpus: detik.com; credits Reuters, AFP — not in corpus'
    """
    text = f"first in corpus: {s.first.outlet}"
    in_corpus = {c.name: c.in_corpus for c in s.credits}
    outside = [c for c in s.first.credits if not in_corpus.get(c, False)]
    inside = [c for c in s.first.credits if in_corpus.get(c, False)]
    if outside:
        text += f"; credits {', '.join(outside)} — not in corpus"
    if inside:
        text += f"; credits {', '.join(inside)} — in this story"
    return text


def member_tree(s: Story) -> list[tuple[int, Member]]:
    """The story's members in provenance-tree order (each under its parent, children in
    story order), each with its depth: 0 for the root (the first member, or a member whose
    parent is an agency outside the corpus, which a rendering shows as depth -1 above them).

    >>> from dedup.model import ParentRef, TimePrecision
    >>> a = Member("a", "a.com", "u", "t", None, TimePrecision.UNKNOWN, None, 1.0, 1.0, "original")
    >>> b = Member("b", "b.com", "u", "t", None, TimePrecision.UNKNOWN, None, 1.0, 1.0, "uncredited_copy",
    ...            parent=ParentRef("a", "a.com", True))
    >>> c = Member("c", "c.com", "u", "t", None, TimePrecision.UNKNOWN, None, 1.0, 1.0, "uncredited_copy",
    ...            parent=ParentRef("b", "b.com", True))
    >>> d = Member("d", "d.com", "u", "t", None, TimePrecision.UNKNOWN, None, 1.0, 1.0, "uncredited_copy",
    ...            parent=ParentRef("a", "a.com", True))
    >>> [(depth, m.id) for depth, m in member_tree(Story("s", a, (a, b, d, c)))]
    [(0, 'a'), (1, 'b'), (2, 'c'), (1, 'd')]
    """
    ids = {m.id for m in s.members}
    children: dict[str | None, list[Member]] = {}
    for m in s.members:
        up = m.parent.id if m.parent is not None and m.parent.id in ids else None
        children.setdefault(up, []).append(m)
    out: list[tuple[int, Member]] = []
    stack = [(0, m) for m in reversed(children.get(None, []))]
    while stack:  # depth first, without recursion (a story may be a long chain)
        depth, m = stack.pop()
        out.append((depth, m))
        stack += [(depth + 1, c) for c in reversed(children.get(m.id, []))]
    seen = {m.id for _, m in out}
    return out + [(0, m) for m in s.members if m.id not in seen]  # none, unless parents loop


def source_totals(r: Report) -> tuple[int, int, float | None]:
    """``--source`` over the report: (articles of other outlets that used it, those that
    credit it, the share that credits it)."""
    used = sum(len(u.used_by) for u in r.source_use)
    crediting = sum(len(u.crediting) for u in r.source_use)
    return used, crediting, crediting / used if used else None
