"""Names and aliases: who can be credited, how they are written, and which outlets they are.

The sources themselves are data (``[[source]]`` in ``dedup/data/credits.toml``); this module
indexes them: every alias and its spelling variants, the outlets that ARE a source, the
names restricted to datelines or to where a descriptor says what they are ("اخبار ڈان").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..read.outlet import outlet_from_url
from .script import AFTER_NON_JOINING, ARABIC, ARABIC_PUNCT, END, NON_JOINING_SET, PUNCT, fold_script, glues
from .spelling import variants

KINDS = ("agency", "outlet")
NOTHING = "(?!)"  # a regex that matches nothing


@dataclass(frozen=True, slots=True)
class Source:
    """An agency or outlet that articles can credit."""

    name: str
    kind: str  # "agency" | "outlet"
    outlets: tuple[str, ...]  # lower-cased outlet names that ARE this source
    aliases: tuple[str, ...]  # as written in running text (all languages)
    dateline_aliases: tuple[str, ...] = ()  # only in datelines
    # Only where the text says what the name is: after a descriptor ("چینی ٹی وی سی سی ٹی وی",
    # "the newspaper Dawn") or in a pattern marked ``described`` ("سی سی ٹی وی نے اپنی ویب سائٹ پر").
    media_aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FoundCredit:
    """One credit found in a text."""

    name: str  # Source.name, or a registered domain for an unknown outlet
    kind: str  # "agency" | "outlet"
    phrase: str  # the matched text, as evidence


def alternation(aliases: Iterable[str]) -> str:
    """A regex of the names, longest first, each ending where a name may end.

    >>> re.match(alternation(["Jakarta Post", "The Jakarta Post"]), "The Jakarta Post said").group(0)
    'The Jakarta Post'
    """
    # Longest first, so "The Jakarta Post" wins over "Jakarta Post" and "اے پی پی" over "اے پی".
    folded = {fold_script(a) for a in aliases}
    if not folded:
        return NOTHING
    alts = "|".join(re.escape(a) for a in sorted(folded, key=lambda a: (-len(a), a)))
    # No look-behind in front: it would stop the regex engine from skipping ahead to
    # the names' first letters (5-10x slower). matches() checks the character before instead.
    return rf"(?-i:(?:{alts}){END})"


class NameTable:
    """The sources, indexed by alias (folded, with its variants), outlet and name."""

    def __init__(self, sources: Iterable[Source], descriptors: Mapping[str, Iterable[str]] | None = None,
                 glued_words: Iterable[str] = ()) -> None:
        self.sources = tuple(sources)
        self.by_alias: dict[str, Source] = {}
        self._by_outlet: dict[str, Source] = {}
        self._canonical: dict[str, str] = {}  # (memo: a domain's parse costs ~15 us, asked per pair)
        self._by_name: dict[str, Source] = {}
        self.dateline_only: set[str] = set()
        self.media_only: set[str] = set()
        for s in self.sources:
            self._by_name[s.name.casefold()] = s
            for o in (*s.outlets, s.name):
                self._by_outlet.setdefault(o.casefold(), s)
            for a in s.aliases:
                for v in variants(fold_script(a)):
                    self.by_alias.setdefault(v, s)
        for s in self.sources:
            # (A name that is also one of the source's running-text aliases stays unrestricted.)
            plain = {v for a in s.aliases for v in variants(fold_script(a))}
            for restricted, aliases in ((self.dateline_only, s.dateline_aliases), (self.media_only, s.media_aliases)):
                for a in aliases:
                    for v in variants(fold_script(a)):
                        if self.by_alias.setdefault(v, s) is s and v not in plain:
                            restricted.add(v)
        # "<descriptor> <name>" ("اخبار ڈان", "خبر رساں ادارے پی ٹی آئی", "broadcaster CCTV"): a
        # dateline or media name counts anywhere after a descriptor of its source's kind.
        self._descriptor: dict[str, str] = {}
        for kind, words in (descriptors or {}).items():
            folded = sorted({fold_script(w) for w in words}, key=lambda w: (-len(w), w))
            urdu = "|".join(re.escape(w) for w in folded if ARABIC.search(w))
            latin = "|".join(re.escape(w) for w in folded if not ARABIC.search(w))
            alts = ([rf"(?:{urdu})[ \t]*"] if urdu else []) + ([rf"(?i:{latin})[ \t]+"] if latin else [])
            if alts:
                self._descriptor[kind] = "(?:" + "|".join(alts) + ")"
        self._strip_descriptor = re.compile("|".join(self._descriptor.values()) or NOTHING)
        self._find_descriptor = {k: re.compile(d, re.MULTILINE) for k, d in self._descriptor.items()}
        self.aliases = tuple(self.by_alias)
        # Aliases by their first word: a text's words say which aliases it may contain.
        self._by_first_word: dict[bytes, list[str]] = {}
        for a in self.aliases:
            first = a.encode("utf-8", "surrogatepass").translate(PUNCT).split()
            self._by_first_word.setdefault(first[0] if first else a.encode(), []).append(a)
        # Urdu names that may be glued to the word before them, by their first word (dateline
        # and media names of any length: their descriptor is what glues, "اخبارڈان"); one-word
        # names glued to the word after them are looked up as that word ("سنہواکے").
        self._glued_first: dict[str, list[str]] = {}
        for a in self.aliases:
            if ARABIC.search(a) is None:
                continue
            if glues(a) or a in self.dateline_only or a in self.media_only:
                self._glued_first.setdefault(a.split()[0], []).append(a)
            if glues(a) and " " not in a and a[-1] in NON_JOINING_SET:
                for w in glued_words:
                    self._by_first_word.setdefault((a + w).encode(), []).append(a)

    # -- outlets and canonical names --------------------------------------------------
    def source_of(self, outlet: str) -> Source | None:
        """The source an outlet name or credit name is, if known (case-insensitive)."""
        key = outlet.strip().casefold()
        return self._by_outlet.get(key) or self._by_name.get(key)

    def canonical(self, outlet: str) -> str:
        """The name an outlet is credited by (see :meth:`CreditRules.canonical`)."""
        known = self._canonical.get(outlet)
        if known is None:
            known = self._canonical[outlet] = self._canonical_of(outlet)
        return known

    def _canonical_of(self, outlet: str) -> str:
        s = self.source_of(outlet)
        if s is not None:
            return s.name
        key = outlet.strip().casefold()
        if "." in key:
            domain = outlet_from_url(key)
            s = self.source_of(domain)
            return s.name if s is not None else (domain or key)
        return key

    def resolve(self, token: str) -> tuple[str, str]:
        """The name and kind a matched name or domain credits."""
        token = self.bare(token)
        s = self.by_alias.get(token)
        if s is not None:
            return s.name, s.kind
        name = self.canonical(token)
        s = self.source_of(name)
        return name, (s.kind if s is not None else "outlet")

    def bare(self, token: str) -> str:
        """The name without a descriptor before it: "اخبار ڈان" → "ڈان"."""
        if token in self.by_alias:
            return token
        m = self._strip_descriptor.match(token)
        return token[m.end():] if m else token

    # -- names in a text --------------------------------------------------------------
    def present(self, text: str, arabic: bool) -> frozenset[str]:
        """The aliases the (folded) ``text`` contains as words, the dateline and media ones
        that follow a descriptor of their kind also marked "\0" (see :meth:`regex`)."""
        # The patterns only look for the names the text contains: a short alternation is
        # many times faster than all of them tried at every position.
        spaced = text
        for mark in ARABIC_PUNCT if arabic else ():
            spaced = spaced.replace(mark, " ")
        words = set(spaced.encode("utf-8", "surrogatepass").translate(PUNCT).split())
        found = {a for w in words & self._by_first_word.keys() for a in self._by_first_word[w] if a in text}
        if arabic:  # names glued to the word before ("اخبارفنانشل ٹائمز")
            glued = set(AFTER_NON_JOINING.findall(spaced))
            found.update(a for w in glued & self._glued_first.keys() for a in self._glued_first[w] if a in text)
        restricted = [a for a in found if a in self.dateline_only or a in self.media_only]
        return frozenset(found | self._after_descriptor(text, restricted)) if restricted else frozenset(found)

    def _after_descriptor(self, text: str, names: Iterable[str]) -> set[str]:
        """The dateline and media ``names`` that ``text`` has right after a descriptor of
        their kind ("خبر رساں ادارے پی ٹی آئی"), each marked "\0"."""
        out: set[str] = set()
        ends: dict[str, list[int]] = {}
        for a in names:
            kind = self.by_alias[a].kind
            if kind not in self._find_descriptor:
                continue
            if kind not in ends:
                ends[kind] = [m.end() for m in self._find_descriptor[kind].finditer(text)]
            if any(text.startswith(a, e) for e in ends[kind]):
                out.add("\0" + a)
        return out

    def _accepts(self, alias: str, dateline: bool, described: bool) -> bool:
        """Whether a pattern of that kind accepts the name: dateline-only names in datelines,
        media names where the phrase says the name is a news organisation."""
        if alias in self.dateline_only and dateline:
            return True
        if alias in self.media_only and described:
            return True
        return alias not in self.dateline_only and alias not in self.media_only

    def regex(self, present: frozenset[str], dateline: bool, described: bool) -> str:
        """The regex of the names ``present`` that a pattern of that kind accepts: bare, or
        (those marked "\0" in ``present``: a dateline or media name that the text has after
        a descriptor of its kind) after a descriptor."""
        alts = []
        for kind, descriptor in self._descriptor.items():
            restricted = [a[1:] for a in present if a[0] == "\0" and self.by_alias[a[1:]].kind == kind]
            if restricted:
                alts.append(descriptor + alternation(restricted))
        plain = alternation(a for a in present if a[0] != "\0" and self._accepts(a, dateline, described))
        return f"(?:{'|'.join([*alts, plain])})" if alts else plain
