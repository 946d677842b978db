"""The views a desk asks for: which stories a :class:`~dedup.config.ReportFilter`
keeps, and how a story used a source (``dedup report --source``).

>>> from dedup.config import ReportFilter
>>> from dedup.model import Member, Story, TimePrecision
>>> o = Member("d1", "detik.com", "u", "t", None, TimePrecision.UNKNOWN, None, 1.0, 1.0, "original", credits=("AFP",))
>>> c = Member("k1", "kompas.com", "u", "t", None, TimePrecision.UNKNOWN, None, 0.9, 0.9, "uncredited_copy")
>>> s = Story("s", o, (o, c))
>>> keeps(s, ReportFilter(outlets=("KOMPAS.com",), relations=("uncredited_copy",)))
True
>>> keeps(s, ReportFilter(outlets=("detik.com",), relations=("uncredited_copy",)))  # one member must meet both
False
>>> use = source_use(s, "afp.com")
>>> use.used_by, use.crediting
(('d1', 'k1'), ('d1',))
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from .config import ReportFilter
from .credits import CreditRules, load_rules
from .model import Member, SourceUse, Story, TimePrecision
from .provenance import is_copy


def _rules(rules: CreditRules | None) -> CreditRules:
    return rules if rules is not None else load_rules()


def time_span(published: datetime | None, precision: str) -> tuple[datetime, datetime] | None:
    """The instants a published time may mean: a bare date its whole day in its zone
    (end exclusive), a time itself; None when unknown."""
    if published is None or precision == TimePrecision.UNKNOWN:
        return None
    if precision == TimePrecision.DATE:
        return published, published + timedelta(days=1)
    return published, published


def in_window(published: datetime | None, precision: str, f: ReportFilter) -> bool:
    """Whether a published time falls within the filter's window (a bare date: overlaps it)."""
    if f.published_from is None and f.published_to is None:
        return True
    span = time_span(published, precision)
    if span is None:
        return False
    lo, hi = span
    if f.published_from is not None and (hi <= f.published_from if hi > lo else hi < f.published_from):
        return False
    return f.published_to is None or lo <= f.published_to


class _Names:
    """Outlet and source names compared as a desk means them: case-insensitively, and
    by the name they are credited by ('reuters.com' and 'Reuters' are one)."""

    def __init__(self, names: tuple[str, ...], rules: CreditRules) -> None:
        self.rules = rules
        self.keys = {n.casefold() for n in names} | {rules.canonical(n).casefold() for n in names}

    def __contains__(self, outlet: str) -> bool:
        return outlet.casefold() in self.keys or self.rules.canonical(outlet).casefold() in self.keys


def member_matches(m: Member, f: ReportFilter, outlets: _Names | None = None, rules: CreditRules | None = None) -> bool:
    """Whether a member meets every member filter (time, outlet, relation)."""
    if f.relations and m.relation not in f.relations:
        return False
    if f.outlets and m.outlet not in (outlets or _Names(f.outlets, _rules(rules))):
        return False
    return in_window(m.published_at, m.time_precision, f)


def copies(s: Story) -> int:
    return sum(is_copy(m.relation) for m in s.members)


def keeps(s: Story, f: ReportFilter, rules: CreditRules | None = None) -> bool:
    """Whether the filter keeps a story (see :class:`~dedup.config.ReportFilter`)."""
    if copies(s) < f.min_copies:
        return False
    if f.member_level:
        outlets = _Names(f.outlets, _rules(rules)) if f.outlets else None
        if not any(member_matches(m, f, outlets) for m in s.members):
            return False
    return f.source is None or source_use(s, f.source, rules) is not None


def source_use(s: Story, source: str, rules: CreditRules | None = None) -> SourceUse | None:
    """How a story used ``source`` (an outlet or agency name, a domain); None when it does not
    derive from it: the source is no member and no member credits it.

    Every member not published by the source used it, except an earlier related text (it
    precedes the story); those whose credits name the source credit it."""
    rules = _rules(rules)
    name = source_name(source, rules).casefold()
    own = [rules.canonical(m.outlet).casefold() == name for m in s.members]
    credit = [any(rules.canonical(c).casefold() == name for c in m.credits) for m in s.members]
    if not any(own) and not any(credit):
        return None
    users = [(m.id, c) for m, o, c in zip(s.members, own, credit, strict=True) if not o and m.relation != "related"]
    return SourceUse(story_id=s.story_id, in_corpus=any(own), used_by=tuple(i for i, _ in users),
                     crediting=tuple(i for i, c in users if c))


def source_name(source: str, rules: CreditRules | None = None) -> str:
    """The name a source is credited by: 'afp.com', 'Agence France-Presse' → 'AFP'.

    >>> source_name("Agence France-Presse"), source_name("www.reuters.com"), source_name("Warta24.net")
    ('AFP', 'Reuters', 'warta24.net')
    """
    rules = _rules(rules)
    return _aliases(rules).get(source.strip().casefold()) or rules.canonical(source)


@lru_cache(maxsize=8)
def _aliases(rules: CreditRules) -> dict[str, str]:
    """Each known source's aliases (what a text credits it by), to the name it is credited by."""
    return {a.casefold(): s.name for s in rules.sources for a in s.aliases}
