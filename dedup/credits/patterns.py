"""Phrasing patterns: the credit phrases of each language, compiled for the names a text has.

The phrases are data (``[[pattern]]``, ``[parts]`` and ``[syntax]`` in
``dedup/data/credits.toml``). A pattern's ``{names}`` becomes a list of names ("Reuters dan
AFP") and ``{paren}`` a dateline's "(...)"; each is compiled, when first needed, with only
the names a text contains: a short alternation is many times faster than every name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from .names import KINDS, NOTHING, NameTable
from .script import fold_script


@dataclass(frozen=True, slots=True)
class Syntax:
    """How names are listed and written in every pattern: the ``[syntax]`` table of credits.toml.

    >>> s = Syntax(list_marks=(",",), list_words=("dan",), domain_suffixes=("co.id", "com"))
    >>> re.fullmatch(s.separator, " dan ") is not None, re.fullmatch(s.domain, "detik.co.id") is not None
    (True, True)
    """

    list_marks: tuple[str, ...] = ()  # "Reuters/AFP"
    list_words: tuple[str, ...] = ()  # "Reuters dan AFP"
    desk_words: tuple[str, ...] = ()  # "(بی بی سی رپورٹ)"
    domain_suffixes: tuple[str, ...] = ()  # "co.id", "com"
    glued_words: tuple[str, ...] = ()  # "سنہواکے مطابق"

    @property
    def separator(self) -> str:
        """Between two names in a list."""
        alts = [*map(re.escape, self.list_marks), *(rf"\b{re.escape(w)}\b" for w in self.list_words)]
        return rf"[ \t]*(?:{'|'.join(alts)})[ \t]*" if alts else NOTHING

    @property
    def item_split(self) -> re.Pattern[str]:
        """Splits a dateline's "(...)" into its items."""
        words = "|".join(map(re.escape, self.list_words))
        alts = [*map(re.escape, self.list_marks), *([rf"\s(?:{words})\s"] if words else [])]
        return re.compile("|".join(alts) or NOTHING)

    @property
    def item_suffix(self) -> str:
        """A desk word that may follow a name in a dateline item."""
        return rf"(?:[ \t]+(?:{'|'.join(map(re.escape, self.desk_words))}))?" if self.desk_words else ""

    @property
    def domain(self) -> str:
        """A bare domain (only where a pattern allows them)."""
        if not self.domain_suffixes:
            return NOTHING
        return (r"(?i:(?<![\w.@/-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
                rf"(?:{'|'.join(map(re.escape, self.domain_suffixes))})"
                r"(?![\w-]|\.\w))")


@dataclass(frozen=True, slots=True)
class Template:
    """One ``[[pattern]]``, checked, its regex still with ``{names}`` or ``{paren}``."""

    regex: str  # folded: matched against the folded text
    lang: str = "any"
    dateline: bool = False
    domains: bool = False
    example: str = ""
    trigger: tuple[str, ...] = ()  # one must occur in the case-folded text
    fuzzy: bool = False  # a strong credit position: a misspelt Urdu agency name still counts
    kinds: tuple[str, ...] = KINDS  # the kinds of source it can credit
    described: bool = False  # the phrase says the name is a news organisation: media aliases count

    @classmethod
    def check(cls, p: Mapping[str, Any], origin: str) -> Template:
        """The template of a ``[[pattern]]`` table, or a ConfigError naming what is wrong."""
        template = p.get("regex")
        if not isinstance(template, str) or ("{names}" not in template and "{paren}" not in template):
            raise ConfigError(f"{origin}: pattern {template!r} must use {{names}} or {{paren}}")
        trigger = p.get("trigger", [])
        if not isinstance(trigger, list) or not all(isinstance(t, str) and t for t in trigger):
            raise ConfigError(f"{origin}: pattern {template!r}: trigger must be a list of strings")
        kinds = p.get("kinds", list(KINDS))
        if not isinstance(kinds, list) or not kinds or not all(k in KINDS for k in kinds):
            raise ConfigError(f"{origin}: pattern {template!r}: kinds must be a list of {', '.join(KINDS)}")
        return cls(regex=fold_script(template), lang=str(p.get("lang", "any")),
                   dateline=bool(p.get("dateline", False)), domains=bool(p.get("domains", False)),
                   example=str(p.get("example", "")), trigger=tuple(fold_script(t).casefold() for t in trigger),
                   fuzzy=bool(p.get("fuzzy", False)), kinds=tuple(kinds), described=bool(p.get("described", False)))


@dataclass(frozen=True, slots=True)
class Pattern:
    """A template compiled for some names (``regex``), with the template's settings."""

    regex: re.Pattern[str]
    lang: str
    dateline: bool
    domains: bool
    example: str
    trigger: tuple[str, ...] = ()
    fuzzy: bool = False
    kinds: tuple[str, ...] = KINDS
    described: bool = False


@dataclass(slots=True)
class Compiled:
    """The patterns for one set of names, each compiled when first needed (a text in one
    language needs few of them)."""

    present: frozenset[str]
    patterns: list[Pattern | None | bool]  # aligned with the templates; None: cannot match; False: not yet
    # By (dateline, described): the names a pattern of that kind accepts, as a regex, as a
    # finder (names and domains) and as a dateline item (a name and a desk word).
    names: dict[tuple[bool, bool], str] = field(default_factory=dict)
    find: dict[tuple[bool, bool], re.Pattern[str]] = field(default_factory=dict)
    item: dict[tuple[bool, bool], re.Pattern[str]] = field(default_factory=dict)


class PatternSet:
    """The templates, compiled per set of names present in a text (cached)."""

    def __init__(self, templates: tuple[Template, ...], names: NameTable, syntax: Syntax, name_suffix: str = "",
                 origin: str = "") -> None:
        self.templates = templates
        self._names = names
        self._origin = origin
        self._name_suffix = name_suffix
        self._separator, self.item_split = syntax.separator, syntax.item_split
        self._item_suffix, self._domain = syntax.item_suffix, syntax.domain
        self._cache: dict[frozenset[str], Compiled] = {}
        restricted = names.dateline_only | names.media_only
        self._every = frozenset(names.aliases) | {"\0" + a for a in restricted}
        # A bad pattern is a ConfigError now, not in the middle of a run (compiled with a name or
        # two: with every name it takes seconds).
        some = frozenset(names.aliases[:1]) | {"\0" + a for a in sorted(restricted)[:1]}
        for i in range(len(templates)):
            self.pattern(Compiled(some, [False] * len(templates)), i)

    def every(self) -> tuple[Pattern, ...]:
        """Every pattern, compiled with every name."""
        comp = self.compiled(self._every)
        return tuple(p for i in range(len(self.templates)) if (p := self.pattern(comp, i)) is not None)

    def active(self, lowered: str, arabic: bool) -> list[int]:
        """The templates worth trying on a text (case-folded): a trigger of theirs occurs, and
        Urdu ones only on Arabic-script text."""
        return [i for i, t in enumerate(self.templates)
                if (not t.trigger or any(w in lowered for w in t.trigger)) and (arabic or t.lang != "ur")]

    def compiled(self, present: frozenset[str]) -> Compiled:
        """The patterns with only the names ``present`` in a text: a short alternation is
        many times faster than all of them at every position, and most texts name few."""
        got = self._cache.get(present)
        if got is not None:
            return got
        got = Compiled(present, [False] * len(self.templates))
        if len(self._cache) >= 1024:
            self._cache.clear()
        self._cache[present] = got
        return got

    def name_regex(self, comp: Compiled, key: tuple[bool, bool]) -> str:
        got = comp.names.get(key)
        if got is None:
            got = comp.names[key] = self._names.regex(comp.present, *key)
        return got

    def finder(self, comp: Compiled, key: tuple[bool, bool]) -> re.Pattern[str]:
        """Finds each name (or domain) in a matched list of names."""
        got = comp.find.get(key)
        if got is None:
            got = comp.find[key] = re.compile(f"{self.name_regex(comp, key)}|{self._domain}")
        return got

    def item(self, comp: Compiled, key: tuple[bool, bool]) -> re.Pattern[str]:
        """Matches a whole item of a dateline's "(...)": a name and perhaps a desk word."""
        got = comp.item.get(key)
        if got is None:
            got = comp.item[key] = re.compile(f"(?:{self.name_regex(comp, key)}){self._item_suffix}")
        return got

    def token(self, item: str, comp: Compiled) -> str:
        """The name in a dateline item, without a trailing desk word ("بی بی سی رپورٹ" → "بی بی سی")."""
        m = re.match(self.name_regex(comp, (True, True)), item)
        return m.group(0) if m else item

    def pattern(self, comp: Compiled, i: int) -> Pattern | None:
        """Template ``i`` compiled for the names of ``comp`` (None: it cannot credit any)."""
        got = comp.patterns[i]
        if got is not False:
            return got  # type: ignore[return-value]
        t = self.templates[i]
        if not comp.present and not t.domains and not ("{paren}" in t.regex and (t.fuzzy or t.lang == "ur")):
            comp.patterns[i] = None  # nothing it could credit (a "(...)" may hold a misspelt name)
            return None
        name = self.name_regex(comp, (t.dateline, t.described))
        one = f"(?:{name}|{self._domain})" if t.domains else name
        if self._name_suffix and t.lang == "ur":
            one = f"{one}(?:{self._name_suffix})?"  # "الجزیرہ ٹی وی", "زی میڈیا بیورو"
        source = t.regex.replace("{names}", f"(?P<names>{one}(?:{self._separator}{one})*)")
        source = source.replace("{paren}", r"\((?P<inner>[^()\n]{1,80})\)")
        try:
            regex = re.compile(source, re.IGNORECASE | re.MULTILINE)
        except re.error as exc:
            raise ConfigError(f"{self._origin}: pattern {t.regex!r}: {exc}") from exc
        got = comp.patterns[i] = Pattern(regex, t.lang, t.dateline, t.domains, t.example, t.trigger, t.fuzzy,
                                         t.kinds, t.described)
        return got
