"""The compiled rules and the search: names ∩ patterns, then misspellings."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from .names import FoundCredit, NameTable, Source
from .patterns import Compiled, Pattern, PatternSet, Syntax, Template
from .script import ARABIC, fold_script, matches
from .spelling import Misspellings


class CreditRules:
    """Compiled credit rules. Use :func:`dedup.credits.load_rules`, not the constructor.

    >>> from dedup.credits import load_rules
    >>> rules = load_rules()
    >>> [c.name for c in rules.find("WASHINGTON (AP) — The Senate voted on Tuesday.")]
    ['AP']
    """

    def __init__(self, sources: Iterable[Source], patterns: Iterable[Mapping[str, Any]], origin: str = "",
                 not_names: Iterable[str] = (), descriptors: Mapping[str, Iterable[str]] | None = None,
                 name_suffix: str = "", syntax: Syntax | None = None) -> None:
        if syntax is None:
            from .load import shipped_syntax  # (load builds rules: imported here, not at the top)
            syntax = shipped_syntax()
        self.origin = origin
        self._names = NameTable(sources, descriptors, syntax.glued_words)
        self.sources = self._names.sources
        templates = tuple(Template.check(p, origin) for p in patterns)
        self._patterns = PatternSet(templates, self._names, syntax, name_suffix, origin)
        self._misspellings = Misspellings(self._names, not_names, templates)
        self._outlet_aliases: dict[str, str] = {}

    def with_outlet_aliases(self, aliases: Mapping[str, str]) -> CreditRules:
        """These rules with outlet aliases (folded name → outlet or source name, from the
        store's ``dedup outlets --alias``) followed by :meth:`canonical`, :meth:`source_of`
        and the names :meth:`find` returns. The compiled rules are shared, not copied."""
        if not aliases:
            return self
        other = copy.copy(self)
        other._outlet_aliases = {k.strip().casefold(): v for k, v in aliases.items()}
        return other

    def aliased(self, outlet: str) -> str:
        """The outlet an alias names (``outlet`` itself when it is no alias)."""
        # One step only: "a=b" and "b=c" do not make a = c (an alias table is no graph to walk).
        return self._outlet_aliases.get(outlet.strip().casefold(), outlet) if self._outlet_aliases else outlet

    @property
    def patterns(self) -> tuple[Pattern, ...]:
        """Every pattern, compiled with every name."""
        return self._patterns.every()

    # -- names ------------------------------------------------------------------
    def source_of(self, outlet: str) -> Source | None:
        """The source an outlet name or credit name is, if known (case-insensitive)."""
        return self._names.source_of(self.aliased(outlet))

    def canonical(self, outlet: str) -> str:
        """The name an outlet is credited by: 'reuters.com' → 'Reuters', 'APP' → 'APP',
        'www.detik.com' → 'detik.com'; unknown outlets are returned lower-cased.

        >>> from dedup.credits import load_rules
        >>> rules = load_rules()
        >>> rules.canonical("reuters.com"), rules.canonical("app"), rules.canonical("korannews.com")
        ('Reuters', 'APP', 'korannews.com')
        """
        return self._names.canonical(self.aliased(outlet))

    def is_agency(self, outlet_or_name: str) -> bool:
        """Whether an outlet or credit name is a known agency ("reuters.com", "APP")."""
        s = self.source_of(outlet_or_name)
        return s is not None and s.kind == "agency"

    # -- detection --------------------------------------------------------------
    def find(self, text: str, outlet: str = "") -> tuple[FoundCredit, ...]:
        """Credits in ``text`` (unique, in order of first appearance), the outlet's own name excluded."""
        names, pats = self._names, self._patterns
        own = self.canonical(outlet) if outlet else None
        text = fold_script(text)
        arabic = ARABIC.search(text) is not None
        active = pats.active(text.casefold(), arabic)
        if not active:
            return ()
        comp = pats.compiled(names.present(text, arabic))
        hits: list[tuple[int, str, str, str]] = []
        for p in (pats.pattern(comp, i) for i in active):
            if p is None:
                continue
            key = (p.dateline, p.described)
            finder = pats.finder(comp, key)
            for m in matches(p.regex, text, finder):
                groups = m.groupdict()
                if groups.get("inner") is not None:
                    tokens = self._items(groups["inner"], p, comp)
                else:
                    tokens = [t.group(0) for t in finder.finditer(groups["names"])]
                    if not p.domains:
                        tokens = [t for t in tokens if names.bare(t) in names.by_alias]
                for token in tokens:
                    name, kind = names.resolve(token)
                    if self._outlet_aliases and name.casefold() in self._outlet_aliases:
                        name = self.canonical(name)
                        kind = s.kind if (s := self.source_of(name)) is not None else "outlet"
                    if name and name != own and kind in p.kinds:
                        hits.append((m.start(), name, kind, m.group(0).strip()))
        if arabic:
            hits += self._misspellings.hits(text, active, own)
        seen: dict[str, FoundCredit] = {}
        for _, name, kind, phrase in sorted(hits, key=lambda h: h[0]):
            if name not in seen:
                seen[name] = FoundCredit(name, kind, phrase)
        return tuple(seen.values())

    def _items(self, inner: str, p: Pattern, comp: Compiled) -> list[str]:
        """The names in a dateline's "(...)": each item a name (perhaps with a desk word) or,
        in Urdu, a misspelt one."""
        item_re = self._patterns.item(comp, (p.dateline, p.described))
        tokens = []
        for item in self._patterns.item_split.split(inner):
            im = item_re.fullmatch(item.strip())
            if im is not None:
                tokens.append(self._patterns.token(im.group(0), comp))
            elif near := self._misspellings.misspelt(item, p.dateline, strong=p.fuzzy):
                tokens.append(near)
        return tokens
