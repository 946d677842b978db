"""Who an article credits: agencies and outlets named in credit phrases.

A provenance-side stage. The rules (sources with their aliases per language,
and the phrase patterns) are data, in ``dedup/data/credits.toml``; this module
only compiles and applies them. It runs on the RAW text: credits often sit in
datelines ("JAKARTA, Nov 24 (Reuters) -") that the clean stage strips.

Precision first: a name counts only inside a credit phrase, never on its own.
A story about Reuters, or a quote from an AFP photographer, credits nobody; an
article never credits its own outlet ("told Reuters" in a Reuters story).

>>> [c.name for c in find_credits("JAKARTA, Nov 24 (Reuters) - Indonesia plans ...", outlet="newshub24.net")]
['Reuters']
>>> [c.name for c in find_credits("Seperti dilansir Reuters dan AFP, Selasa (24/11), ...")]
['Reuters', 'AFP']
>>> [c.name for c in find_credits("Berita ini dikutip dari detik.com dan Sumber: warta24.net")]
['detik.com', 'warta24.net']
>>> find_credits("Thomson Reuters reported higher revenue.  \\"Chaos,\\" an AFP photographer said.")
()
>>> find_credits("KUALA LUMPUR, Nov 24 (Reuters) - ...", outlet="reuters.com")  # its own dateline
()
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .read.outlet import outlet_from_url

KINDS = ("agency", "outlet")
_NOTHING = "(?!)"  # a regex that matches nothing


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
        return rf"[ \t]*(?:{'|'.join(alts)})[ \t]*" if alts else _NOTHING

    @property
    def item_split(self) -> re.Pattern[str]:
        """Splits a dateline's "(...)" into its items."""
        words = "|".join(map(re.escape, self.list_words))
        alts = [*map(re.escape, self.list_marks), *([rf"\s(?:{words})\s"] if words else [])]
        return re.compile("|".join(alts) or _NOTHING)

    @property
    def item_suffix(self) -> str:
        """A desk word that may follow a name in a dateline item."""
        return rf"(?:[ \t]+(?:{'|'.join(map(re.escape, self.desk_words))}))?" if self.desk_words else ""

    @property
    def domain(self) -> str:
        """A bare domain (only where a pattern allows them)."""
        if not self.domain_suffixes:
            return _NOTHING
        return (r"(?i:(?<![\w.@/-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
                rf"(?:{'|'.join(map(re.escape, self.domain_suffixes))})"
                r"(?![\w-]|\.\w))")

# Urdu text mixes Arabic and Urdu code points for the same letter (ي/ی, ك/ک) and
# writes "آ" both precomposed and as ا + madda; NFKC composes the latter, this
# table folds the former. Zero-width joiners and tatweel only change the look.
_SCRIPT_FOLD = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9",
                              "\u200c": None, "\u200d": None, "\u0640": None})


_NEEDS_FOLD = re.compile("[\u064a\u0649\u0643\u200c\u200d\u0640]")


def fold_script(text: str) -> str:
    """NFKC plus the Arabic-script folds above (matching only; reports show the raw text).

    >>> fold_script("\u0627\u0653\u0646") == "\u0622\u0646"  # ا + madda → آ
    True
    """
    # Both steps are skipped when they would change nothing (most texts): NFKC costs
    # ~0.2 ms on a news article, the quick check a few microseconds.
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.translate(_SCRIPT_FOLD) if _NEEDS_FOLD.search(text) else text


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


@dataclass(frozen=True, slots=True)
class _Pattern:
    regex: re.Pattern[str]
    lang: str
    dateline: bool
    domains: bool
    example: str
    trigger: tuple[str, ...] = ()  # one must occur in the case-folded text
    fuzzy: bool = False  # a strong credit position: a misspelt Urdu agency name still counts
    kinds: tuple[str, ...] = KINDS  # the kinds of source it can credit
    described: bool = False  # the phrase says the name is a news organisation: media aliases count


# Misspelt names (see [misspellings] in credits.toml). Only Urdu-script agency names
# with at least 5 letters and a word of at least 4 qualify: "سنہوا", "آن لائن", but not
# letter-by-letter acronyms such as "اے پی پی" or "آئی این پی", where one changed letter
# is another agency ("آئی این این") or a party.
_FUZZY_MIN_LETTERS = 5
_FUZZY_MIN_WORD = 4
# Long Urdu names (at least 12 letters, spaces aside: "انڈو ایشین نیوز سروس", "پریس ٹرسٹ
# آف انڈیا") still count in ANY Urdu credit position when one letter is off, two
# neighbours are swapped ("سرسو" for "سروس") or a word is split or joined by a space
# ("سر وس"): no person's name or ordinary phrase is that close to one. Short names stay
# exact outside the strong positions ("سنہوا" is one letter from "سنہرا", golden).
_LONG_MIN_LETTERS = 12
# The words next to a credit phrase that a misspelt name may span: up to five
# letter-only words (the longest names have five: "ایسوسی ایٹڈ پریس آف پاکستان").
_FUZZY_WINDOW = r"(?P<names>[^\W\d_]+(?:[ \t]+[^\W\d_]+){0,4})"
# The same window just before a phrase ("... سے انٹرویو"), read backwards from it.
_WINDOW_BEFORE = re.compile(r"(?<![^\W\d_])(?P<names>[^\W\d_]+(?:[ \t]+[^\W\d_]+){0,4})[ \t]*\Z")


def _one_edit_apart(a: str, b: str) -> bool:
    """At most one letter inserted, deleted or replaced (Levenshtein distance <= 1).

    >>> _one_edit_apart("عنہوا", "سنہوا"), _one_edit_apart("سنہوا", "سنہوا"), _one_edit_apart("abc", "cab")
    (True, True, False)
    """
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    # Past the first difference the rest must agree: replaced (same length) or inserted.
    return a[i + 1:] == b[i + 1:] if len(a) == len(b) else a[i:] == b[i + 1:]


def _transposed(a: str, b: str) -> bool:
    """Two neighbouring letters swapped: "سرسو" for "سروس"."""
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _nisba(a: str, b: str) -> bool:
    """The two differ only by a word-final "ی", the Urdu suffix that makes a place an
    adjective: "قطری نیوز ایجنسی" (a Qatari news agency, a description) is not "قطر نیوز
    ایجنسی" (QNA, a name) misspelt, nor "پاکستانی ٹیلی ویژن" "پاکستان ٹیلیویژن".

    >>> _nisba("قطری نیوز ایجنسی", "قطر نیوز ایجنسی"), _nisba("سروسی", "سروس"), _nisba("قطرینیوز", "قطرنیوز")
    (True, True, False)
    """
    sa, sb = _squeeze(a), _squeeze(b)
    if len(sa) == len(sb) + 1:
        longer, words, shorter = sa, a.split(), sb
    elif len(sb) == len(sa) + 1:
        longer, words, shorter = sb, b.split(), sa
    else:
        return False
    ends, k = [], -1
    for w in words:
        k += len(w)
        ends.append(k)
    return any(longer[j] == "ی" and longer[:j] + longer[j + 1:] == shorter for j in ends)


def _slip_in_a_long_word(item: str, alias: str) -> bool:
    """Where ``item`` (one slip from ``alias``, spaces aside) differs, the alias's word is
    long (5 letters or more) or its last: a slip in a short word makes another name, often
    another place ("مصر نیوز ایجنسی", Egypt's, is not "مہر نیوز ایجنسی" misspelt), while
    "انڈو ایشین نیوز سرسو" is IANS.

    >>> _slip_in_a_long_word("مصر نیوز ایجنسی", "مہر نیوز ایجنسی"), _slip_in_a_long_word("مہر نیوز ایجنسے", "مہر نیوز ایجنسی")
    (False, True)
    """
    a, b = _squeeze(item), _squeeze(alias)
    if a == b:
        return True
    i, n, m = 0, len(a), len(b)
    while i < min(n, m) and a[i] == b[i]:
        i += 1
    j = 0
    while j < min(n, m) - i and a[n - 1 - j] == b[m - 1 - j]:
        j += 1
    start, end = min(i, m - 1), max(m - j, min(i, m - 1) + 1)  # the slip's letters in the alias
    words = alias.split()
    pos = 0
    for k, w in enumerate(words):
        if pos < end and start < pos + len(w) and len(w) < 5 and k != len(words) - 1:
            return False
        pos += len(w)
    return True


def _long_candidate(alias: str) -> bool:
    return _ARABIC.search(alias) is not None and len(_squeeze(alias)) >= _LONG_MIN_LETTERS


def _fuzzy_candidate(alias: str) -> bool:
    words = alias.split()
    return (_ARABIC.search(alias) is not None and sum(map(len, words)) >= _FUZZY_MIN_LETTERS
            and max(map(len, words)) >= _FUZZY_MIN_WORD)


def _variants(alias: str) -> list[str]:
    # "Reuters" is also written "REUTERS" in datelines and sign-offs; an Urdu name with a space
    # after a letter that does not join the next is also written without it ("ثناءنیوز",
    # "ریڈیوپاکستان"): the two look the same.
    up = alias.upper()
    if alias.isascii():
        return [alias] if up == alias else [alias, up]
    out = [""]
    for i, c in enumerate(alias):
        if c == " " and i and alias[i - 1] in _NON_JOINING:
            out = [o + s for o in out for s in (" ", "")]
        else:
            out = [o + c for o in out]
    return out[:8]  # (the first is the name as written)


# Urdu letters that never join the letter after them. After one of them a missing space
# does not show, and Urdu papers often leave it out: "برطانوی اخبارفنانشل ٹائمزکے مطابق"
# reads as "اخبار فنانشل ٹائمز کے مطابق". An Urdu name of at least 5 letters (spaces aside)
# still counts glued to the word before it when that word ends in one of these letters, or
# glued to the word after it when the name itself ends in one; shorter names never do
# ("انسا" is also the start of "انسان", human; "وام" the end of "عوام", the public).
_NON_JOINING = "\u0627\u0622\u0623\u0625\u062f\u0688\u0630\u0631\u0691\u0632\u0698\u0648\u0624\u06d2\u06d3\u0621"
_GLUE_MIN_LETTERS = 5
# After a name: not a letter, a digit, "@" or ".x", except an Urdu letter after a non-joining
# one (a glued word; find() keeps it only after a name that may be glued).
_END = rf"(?:(?![\w@]|\.\w)|(?<=[{_NON_JOINING}])(?=[\u0600-\u06ff]))"


def _glues(alias: str) -> bool:
    """An Urdu name long enough to be found glued to a neighbouring word."""
    return _ARABIC.search(alias) is not None and len(_squeeze(alias)) >= _GLUE_MIN_LETTERS


def _alternation(aliases: Iterable[str]) -> str:
    # Longest first, so "The Jakarta Post" wins over "Jakarta Post" and "اے پی پی" over "اے پی".
    folded = {fold_script(a) for a in aliases}
    if not folded:
        return "(?!)"  # matches nothing
    alts = "|".join(re.escape(a) for a in sorted(folded, key=lambda a: (-len(a), a)))
    # No look-behind in front: it would stop the regex engine from skipping ahead to
    # the names' first letters (5-10x slower). find() checks the character before instead.
    return rf"(?-i:(?:{alts}){_END})"


_NON_JOINING_SET = frozenset(_NON_JOINING)
# The rest of a word after each non-joining letter in it: "اخبارفنانشل" → …, "فنانشل".
_AFTER_NON_JOINING = re.compile(f"[{_NON_JOINING}](?=([^\\W\\d_]{{2,}}))")


@dataclass(slots=True)
class _Compiled:
    """The patterns for one set of names, each compiled when first needed (a text in one
    language needs few of them)."""

    present: frozenset[str]
    patterns: list[_Pattern | None | bool]  # aligned with the templates; None: cannot match; False: not yet
    # By (dateline, described): the names a pattern of that kind accepts, as a regex, as a
    # finder (names and domains) and as a dateline item (a name and a desk word).
    names: dict[tuple[bool, bool], str] = field(default_factory=dict)
    find: dict[tuple[bool, bool], re.Pattern[str]] = field(default_factory=dict)
    item: dict[tuple[bool, bool], re.Pattern[str]] = field(default_factory=dict)


_ARABIC = re.compile("[\u0600-\u06ff]")
_GLUED = re.compile(r"[\w.@/-]")
_LETTER = re.compile(r"[^\W\d_]")  # (after a name, only an Urdu one glued to the next word: see _END)


def _last(finder: re.Pattern[str], names: str) -> str | None:
    """The last name in a matched list of names, if the list ends with it."""
    last = None
    for last in finder.finditer(names):
        pass
    return last.group(0) if last is not None and last.end() == len(names) else None


# ASCII punctuation → space, on UTF-8 bytes: splitting a text into words this way is
# ~10x faster than a regex, and multi-byte letters (Urdu) are never touched.
_PUNCT = bytes.maketrans(b"!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~", b" " * 31)
# Urdu papers glue sentences with no space after the full stop ("ہیں۔زی میڈیا کے مطابق"):
# Arabic punctuation (، ؛ ؟ ۔) separates words too, or the name after it is never looked for.
# (str.replace, not str.translate: a translate table is ~50x slower on non-ASCII text.)
_ARABIC_PUNCT = ("\u060c", "\u061b", "\u061f", "\u06d4")


class CreditRules:
    """Compiled credit rules. Use :func:`load_rules`, not the constructor."""

    def __init__(self, sources: Iterable[Source], patterns: Iterable[Mapping[str, Any]], origin: str = "",
                 not_names: Iterable[str] = (), descriptors: Mapping[str, Iterable[str]] | None = None,
                 name_suffix: str = "", syntax: Syntax | None = None) -> None:
        self.origin = origin
        syntax = syntax if syntax is not None else _shipped_syntax()
        self._separator, self._item_split = syntax.separator, syntax.item_split
        self._item_suffix, self._domain = syntax.item_suffix, syntax.domain
        self.sources = tuple(sources)
        self._by_alias: dict[str, Source] = {}
        self._by_outlet: dict[str, Source] = {}
        self._by_name: dict[str, Source] = {}
        self._dateline_only: set[str] = set()
        self._media_only: set[str] = set()
        for s in self.sources:
            self._by_name[s.name.casefold()] = s
            for o in (*s.outlets, s.name):
                self._by_outlet.setdefault(o.casefold(), s)
            for a in s.aliases:
                for v in _variants(fold_script(a)):
                    self._by_alias.setdefault(v, s)
        for s in self.sources:
            # (A name that is also one of the source's running-text aliases stays unrestricted.)
            plain = {v for a in s.aliases for v in _variants(fold_script(a))}
            for restricted, aliases in ((self._dateline_only, s.dateline_aliases), (self._media_only, s.media_aliases)):
                for a in aliases:
                    for v in _variants(fold_script(a)):
                        if self._by_alias.setdefault(v, s) is s and v not in plain:
                            restricted.add(v)
        # "<descriptor> <name>" ("اخبار ڈان", "خبر رساں ادارے پی ٹی آئی", "broadcaster CCTV"): a
        # dateline or media name counts anywhere after a descriptor of its source's kind.
        self._descriptor: dict[str, str] = {}
        for kind, words in (descriptors or {}).items():
            folded = sorted({fold_script(w) for w in words}, key=lambda w: (-len(w), w))
            urdu = "|".join(re.escape(w) for w in folded if _ARABIC.search(w))
            latin = "|".join(re.escape(w) for w in folded if not _ARABIC.search(w))
            alts = ([rf"(?:{urdu})[ \t]*"] if urdu else []) + ([rf"(?i:{latin})[ \t]+"] if latin else [])
            if alts:
                self._descriptor[kind] = "(?:" + "|".join(alts) + ")"
        self._strip_descriptor = re.compile("|".join(self._descriptor.values()) or "(?!)")
        self._find_descriptor = {k: re.compile(d, re.MULTILINE) for k, d in self._descriptor.items()}
        self._aliases = tuple(self._by_alias)
        # Names a misspelling may stand for (agencies only), and real words that are one
        # letter away from one of them but mean something else ("کیوٹو" Kyoto, not Kyodo).
        # (By length: a name one letter off is at most one letter longer or shorter.) Media
        # aliases are never matched this way (a slip there is a word), nor names as written
        # without a space ("مہرنیوز ایجنسی"): the guards look at the words as written.
        written = [fold_script(a) for s in self.sources for a in (*s.aliases, *s.dateline_aliases, *s.media_aliases)]
        joined = {v for a in written if not a.isascii() for v in _variants(a)[1:]} - set(written)
        exact_only = self._media_only | joined
        self._fuzzy_names: dict[int, list[str]] = {}
        for a, s in self._by_alias.items():
            if s.kind == "agency" and _fuzzy_candidate(a) and a not in exact_only:
                self._fuzzy_names.setdefault(len(a), []).append(a)
        # Long names (agencies and outlets), spaces removed: near-misses count anywhere in Urdu.
        # One edit (or swap) leaves the first or the last four letters of a long name as they
        # are, so the names are indexed by both: a window of words is compared with a few.
        self._long_names: dict[str, list[tuple[str, str]]] = {}
        for a in self._by_alias:
            if _long_candidate(a) and a not in exact_only:
                sq = _squeeze(a)
                self._long_names.setdefault("^" + sq[:4], []).append((a, sq))
                self._long_names.setdefault("$" + sq[-4:], []).append((a, sq))
        self._not_names = frozenset(fold_script(w) for w in not_names)
        # Aliases by their first word: a text's words say which aliases it may contain.
        self._by_first_word: dict[bytes, list[str]] = {}
        for a in self._aliases:
            first = a.encode("utf-8", "surrogatepass").translate(_PUNCT).split()
            self._by_first_word.setdefault(first[0] if first else a.encode(), []).append(a)
        # Urdu names that may be glued to the word before them, by their first word (dateline
        # and media names of any length: their descriptor is what glues, "اخبارڈان"); one-word
        # names glued to the word after them are looked up as that word ("سنہواکے").
        self._glued_first: dict[str, list[str]] = {}
        for a in self._aliases:
            if _ARABIC.search(a) is None:
                continue
            if _glues(a) or a in self._dateline_only or a in self._media_only:
                self._glued_first.setdefault(a.split()[0], []).append(a)
            if _glues(a) and " " not in a and a[-1] in _NON_JOINING_SET:
                for w in syntax.glued_words:
                    self._by_first_word.setdefault((a + w).encode(), []).append(a)
        self._name_suffix = name_suffix
        self._templates = tuple(self._check(p) for p in patterns)
        # An Urdu {names} pattern also runs with a window of words in place of the names,
        # for misspelt ones: it does not depend on the names a text contains. A pattern
        # that starts with the names ("{names} کے مطابق") looks for the rest of the phrase
        # and reads the window backwards from it (a regex starting with a window of words
        # would be tried at every letter); the others have the window in place.
        self._fuzzy_regex: dict[int, tuple[re.Pattern[str], bool]] = {}
        for i, t in enumerate(self._templates):
            if "{names}" not in t["regex"] or not (t["fuzzy"] or t["lang"] == "ur"):
                continue
            before = t["regex"].startswith("{names}")
            # (The window takes the spaces before the phrase: a phrase that starts with a
            # word, not "[ \t]*", is looked for many times faster.)
            source = (t["regex"].removeprefix("{names}").removeprefix(r"[ \t]*") if before
                      else t["regex"].replace("{names}", _FUZZY_WINDOW))
            self._fuzzy_regex[i] = (re.compile(source, re.IGNORECASE | re.MULTILINE), before)
        self._cache: dict[frozenset[str], _Compiled] = {}
        self._every = frozenset(self._aliases) | {"\0" + a for a in self._dateline_only | self._media_only}
        # A bad pattern is a ConfigError now, not in the middle of a run (compiled with a name or
        # two: with every name it takes seconds).
        some = frozenset(self._aliases[:1]) | {"\0" + a for a in sorted(self._dateline_only | self._media_only)[:1]}
        for i in range(len(self._templates)):
            self._pattern(_Compiled(some, [False] * len(self._templates)), i)

    @property
    def patterns(self) -> tuple[_Pattern, ...]:
        """Every pattern, compiled with every name."""
        comp = self._compiled(self._every)
        return tuple(p for i in range(len(self._templates)) if (p := self._pattern(comp, i)) is not None)

    def _accepts(self, alias: str, dateline: bool, described: bool) -> bool:
        """Whether a pattern of that kind accepts the name: dateline-only names in datelines,
        media names where the phrase says the name is a news organisation."""
        if alias in self._dateline_only and dateline:
            return True
        if alias in self._media_only and described:
            return True
        return alias not in self._dateline_only and alias not in self._media_only

    def _names(self, present: frozenset[str], dateline: bool, described: bool) -> str:
        """The regex of the names ``present`` that a pattern of that kind accepts: bare, or
        (those marked "\0" in ``present``: a dateline or media name that the text has after
        a descriptor of its kind) after a descriptor."""
        alts = []
        for kind, descriptor in self._descriptor.items():
            restricted = [a[1:] for a in present if a[0] == "\0" and self._by_alias[a[1:]].kind == kind]
            if restricted:
                alts.append(descriptor + _alternation(restricted))
        plain = _alternation(a for a in present if a[0] != "\0" and self._accepts(a, dateline, described))
        return f"(?:{'|'.join([*alts, plain])})" if alts else plain

    def _after_descriptor(self, text: str, names: Iterable[str]) -> set[str]:
        """The dateline and media ``names`` that ``text`` has right after a descriptor of
        their kind ("خبر رساں ادارے پی ٹی آئی"), each marked "\0"."""
        out: set[str] = set()
        ends: dict[str, list[int]] = {}
        for a in names:
            kind = self._by_alias[a].kind
            if kind not in self._find_descriptor:
                continue
            if kind not in ends:
                ends[kind] = [m.end() for m in self._find_descriptor[kind].finditer(text)]
            if any(text.startswith(a, e) for e in ends[kind]):
                out.add("\0" + a)
        return out

    def _check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        template = p.get("regex")
        if not isinstance(template, str) or ("{names}" not in template and "{paren}" not in template):
            raise ConfigError(f"{self.origin}: pattern {template!r} must use {{names}} or {{paren}}")
        trigger = p.get("trigger", [])
        if not isinstance(trigger, list) or not all(isinstance(t, str) and t for t in trigger):
            raise ConfigError(f"{self.origin}: pattern {template!r}: trigger must be a list of strings")
        kinds = p.get("kinds", list(KINDS))
        if not isinstance(kinds, list) or not kinds or not all(k in KINDS for k in kinds):
            raise ConfigError(f"{self.origin}: pattern {template!r}: kinds must be a list of {', '.join(KINDS)}")
        return {"regex": fold_script(template),  # matched against the folded text
                "dateline": bool(p.get("dateline", False)), "domains": bool(p.get("domains", False)),
                "lang": str(p.get("lang", "any")), "example": str(p.get("example", "")),
                "trigger": tuple(fold_script(t).casefold() for t in trigger), "fuzzy": bool(p.get("fuzzy", False)),
                "kinds": tuple(kinds), "described": bool(p.get("described", False))}

    def _compiled(self, present: frozenset[str]) -> _Compiled:
        """The patterns with only the names ``present`` in a text: a short alternation is
        many times faster than all of them at every position, and most texts name few."""
        got = self._cache.get(present)
        if got is not None:
            return got
        got = _Compiled(present, [False] * len(self._templates))
        if len(self._cache) >= 1024:
            self._cache.clear()
        self._cache[present] = got
        return got

    def _name_regex(self, comp: _Compiled, key: tuple[bool, bool]) -> str:
        got = comp.names.get(key)
        if got is None:
            got = comp.names[key] = self._names(comp.present, *key)
        return got

    def _finder(self, comp: _Compiled, key: tuple[bool, bool]) -> re.Pattern[str]:
        got = comp.find.get(key)
        if got is None:
            got = comp.find[key] = re.compile(f"{self._name_regex(comp, key)}|{self._domain}")
        return got

    def _item(self, comp: _Compiled, key: tuple[bool, bool]) -> re.Pattern[str]:
        got = comp.item.get(key)
        if got is None:
            got = comp.item[key] = re.compile(f"(?:{self._name_regex(comp, key)}){self._item_suffix}")
        return got

    def _pattern(self, comp: _Compiled, i: int) -> _Pattern | None:
        """Template ``i`` compiled for the names of ``comp`` (None: it cannot credit any)."""
        got = comp.patterns[i]
        if got is not False:
            return got  # type: ignore[return-value]
        t = self._templates[i]
        if not comp.present and not t["domains"] and not (
                "{paren}" in t["regex"] and (t["fuzzy"] or t["lang"] == "ur")):
            comp.patterns[i] = None  # nothing it could credit (a "(...)" may hold a misspelt name)
            return None
        name = self._name_regex(comp, (t["dateline"], t["described"]))
        one = f"(?:{name}|{self._domain})" if t["domains"] else name
        if self._name_suffix and t["lang"] == "ur":
            one = f"{one}(?:{self._name_suffix})?"  # "الجزیرہ ٹی وی", "زی میڈیا بیورو"
        source = t["regex"].replace("{names}", f"(?P<names>{one}(?:{self._separator}{one})*)")
        source = source.replace("{paren}", r"\((?P<inner>[^()\n]{1,80})\)")
        try:
            regex = re.compile(source, re.IGNORECASE | re.MULTILINE)
        except re.error as exc:
            raise ConfigError(f"{self.origin}: pattern {t['regex']!r}: {exc}") from exc
        got = comp.patterns[i] = _Pattern(regex, t["lang"], t["dateline"], t["domains"], t["example"], t["trigger"],
                                          t["fuzzy"], t["kinds"], t["described"])
        return got

    # -- names ------------------------------------------------------------------
    def source_of(self, outlet: str) -> Source | None:
        """The source an outlet name or credit name is, if known (case-insensitive)."""
        key = outlet.strip().casefold()
        return self._by_outlet.get(key) or self._by_name.get(key)

    def canonical(self, outlet: str) -> str:
        """The name an outlet is credited by: 'reuters.com' → 'Reuters', 'APP' → 'APP',
        'www.detik.com' → 'detik.com'; unknown outlets are returned lower-cased.

        >>> rules = load_rules()
        >>> rules.canonical("reuters.com"), rules.canonical("app"), rules.canonical("korannews.com")
        ('Reuters', 'APP', 'korannews.com')
        """
        s = self.source_of(outlet)
        if s is not None:
            return s.name
        key = outlet.strip().casefold()
        if "." in key:
            domain = outlet_from_url(key)
            s = self.source_of(domain)
            return s.name if s is not None else (domain or key)
        return key

    def is_agency(self, outlet_or_name: str) -> bool:
        s = self.source_of(outlet_or_name)
        return s is not None and s.kind == "agency"

    def _resolve(self, token: str) -> tuple[str, str]:
        token = self._bare(token)
        s = self._by_alias.get(token)
        if s is not None:
            return s.name, s.kind
        name = self.canonical(token)
        s = self.source_of(name)
        return name, (s.kind if s is not None else "outlet")

    # -- detection --------------------------------------------------------------
    def find(self, text: str, outlet: str = "") -> tuple[FoundCredit, ...]:
        """Credits in ``text`` (unique, in order of first appearance), the outlet's own name excluded."""
        own = self.canonical(outlet) if outlet else None
        text = fold_script(text)
        lowered = text.casefold()
        arabic = _ARABIC.search(text) is not None
        active = [
            i for i, t in enumerate(self._templates)
            if (not t["trigger"] or any(w in lowered for w in t["trigger"])) and (arabic or t["lang"] != "ur")
        ]
        if not active:
            return ()
        # The regexes only look for the names the text contains: a short alternation is
        # many times faster than all of them tried at every position.
        spaced = text
        for mark in _ARABIC_PUNCT if arabic else ():
            spaced = spaced.replace(mark, " ")
        words = set(spaced.encode("utf-8", "surrogatepass").translate(_PUNCT).split())
        found = {a for w in words & self._by_first_word.keys() for a in self._by_first_word[w] if a in text}
        if arabic:  # names glued to the word before ("اخبارفنانشل ٹائمز")
            glued = set(_AFTER_NON_JOINING.findall(spaced))
            found.update(a for w in glued & self._glued_first.keys() for a in self._glued_first[w] if a in text)
        restricted = [a for a in found if a in self._dateline_only or a in self._media_only]
        present = frozenset(found | self._after_descriptor(text, restricted)) if restricted else frozenset(found)
        comp = self._compiled(present)
        hits: list[tuple[int, FoundCredit]] = []
        for p in (self._pattern(comp, i) for i in active):
            if p is None:
                continue
            key = (p.dateline, p.described)
            finder = self._finder(comp, key)
            for m in self._matches(p.regex, text, finder):
                phrase = m.group(0).strip()
                groups = m.groupdict()
                if groups.get("inner") is not None:
                    item_re = self._item(comp, key)
                    tokens = []
                    for item in self._item_split.split(groups["inner"]):
                        im = item_re.fullmatch(item.strip())
                        if im is not None:
                            tokens.append(self._token(im.group(0), comp))
                        elif near := self._misspelt(item, p.dateline, strong=p.fuzzy):
                            tokens.append(near)
                else:
                    tokens = [t.group(0) for t in finder.finditer(groups["names"])]
                    if not p.domains:
                        tokens = [t for t in tokens if self._bare(t) in self._by_alias]
                for token in tokens:
                    name, kind = self._resolve(token)
                    if name and name != own and kind in p.kinds:
                        hits.append((m.start(), FoundCredit(name, kind, phrase)))
        for i in active:
            got = self._fuzzy_regex.get(i)
            if got is None or not arabic:
                continue
            fuzzy, before = got
            t = self._templates[i]
            for m in self._matches(fuzzy, text):
                if before:
                    w = _WINDOW_BEFORE.search(text, max(0, m.start() - 160), m.start())
                    if w is None:
                        continue
                    start, words = w.start(), w.group("names").split()
                    # The name is the last one to five words: "اس بارے میں عامر خان نے انڈوایشین
                    # نیوز سرسو سے انٹرویو" → "انڈوایشین نیوز سرسو".
                    spans = [" ".join(words[-k:]) for k in range(1, len(words) + 1)]
                else:
                    start, words = m.start(), m.group("names").split()
                    # The name is the first one to five words: "سنہوا نے کہا" → "سنہوا".
                    spans = [" ".join(words[:k]) for k in range(1, len(words) + 1)]
                if any(s in self._by_alias for s in spans):
                    continue  # a name spelt right: the exact patterns have it (or rightly not)
                near = {a for s in spans if (a := self._misspelt(s, t["dateline"], strong=t["fuzzy"]))}
                if len({self._by_alias[a].name for a in near}) == 1:
                    name, kind = self._resolve(near.pop())
                    if name != own and kind in t["kinds"]:
                        hits.append((start, FoundCredit(name, kind, text[start:m.end()].strip())))
        seen: dict[str, FoundCredit] = {}
        for _, c in sorted(hits, key=lambda h: h[0]):
            seen.setdefault(c.name, c)
        return tuple(seen.values())

    @staticmethod
    def _matches(regex: re.Pattern[str], text: str, finder: re.Pattern[str] | None = None) -> Iterator[re.Match[str]]:
        """Like ``regex.finditer(text)``, but a name glued to a word, a dot or a path
        ("xReuters", "a.AFP", "/AP") does not start a match, except an Urdu name of 5 letters
        or more (as ``finder`` reads it) after a letter that does not join the next."""
        has_names = "names" in regex.groupindex
        pos = 0
        while pos <= len(text):
            m = regex.search(text, pos)
            if m is None:
                return
            start = m.start("names") if has_names else -1
            if start > 0 and _GLUED.match(text, start - 1) and not (
                    finder is not None and text[start - 1] in _NON_JOINING
                    and (f := finder.match(text, start)) is not None and _glues(f.group(0))):
                pos = m.start() + 1
                continue
            end = m.end("names") if has_names else -1
            if 0 < end < len(text) and _LETTER.match(text, end) and not (
                    finder is not None and (last := _last(finder, m.group("names"))) is not None
                    and last[-1] in _NON_JOINING and _glues(last)):
                pos = m.start() + 1  # a name glued to the next word, but short or not glued there
                continue
            yield m
            pos = m.end() if m.end() > m.start() else m.start() + 1

    def _misspelt(self, item: str, dateline: bool, strong: bool = True) -> str | None:
        """The one name ``item`` is a misspelling of, if any: in a strong position an agency
        name one letter off; anywhere, a long name one letter off, with two neighbouring
        letters swapped, or with its words split or joined differently.

        >>> [c.name for c in find_credits("سیلاب آیا، خبر رساں ایجنسی عنہوا کے مطابق")]  # "سنہوا", misspelt
        ['Xinhua']
        >>> find_credits("جاپان کی خبر رساں ایجنسی کیوٹو میں")  # Kyoto: a word, not Kyodo misspelt
        ()
        >>> [c.name for c in find_credits("انہوں نے انڈوایشین نیوز سر وس سے انٹرو یو میں کہا")]  # split words
        ['IANS']
        """
        item = " ".join(item.split())
        if item in self._not_names or _ARABIC.search(item) is None:
            return None
        near = [a for n in (len(item) - 1, len(item), len(item) + 1) for a in self._fuzzy_names.get(n, ())
                if (dateline or a not in self._dateline_only) and _one_edit_apart(item, a)] if strong else []
        squeezed = _squeeze(item)
        if len(squeezed) >= _LONG_MIN_LETTERS - 1:
            for a, sq in {*self._long_names.get("^" + squeezed[:4], ()), *self._long_names.get("$" + squeezed[-4:], ())}:
                if ((dateline or a not in self._dateline_only) and abs(len(sq) - len(squeezed)) <= 1
                        and (_one_edit_apart(squeezed, sq) or _transposed(squeezed, sq)) and not _nisba(item, a)
                        and _slip_in_a_long_word(item, a)):
                    near.append(a)
        # Two agencies one letter away: no way to tell which was meant.
        return near[0] if near and len({self._by_alias[a].name for a in near}) == 1 else None

    def _bare(self, token: str) -> str:
        """The name without a descriptor before it: "اخبار ڈان" → "ڈان"."""
        if token in self._by_alias:
            return token
        m = self._strip_descriptor.match(token)
        return token[m.end():] if m else token

    def _token(self, item: str, comp: _Compiled) -> str:
        # Drop a trailing desk word ("بی بی سی رپورٹ" → "بی بی سی").
        m = re.match(self._name_regex(comp, (True, True)), item)
        return m.group(0) if m else item


def _sources(data: Mapping[str, Any], origin: str) -> list[Source]:
    out = []
    for i, s in enumerate(data.get("source", [])):
        where = f"{origin}: source #{i + 1}"
        name, kind = s.get("name"), s.get("kind")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}: needs a name")
        if kind not in KINDS:
            raise ConfigError(f"{where} ({name}): kind must be one of {', '.join(KINDS)}, not {kind!r}")

        def langs(key: str) -> tuple[str, ...]:
            table = s.get(key, {})
            if not isinstance(table, dict) or not all(isinstance(v, list) for v in table.values()):
                raise ConfigError(f"{where} ({name}): {key} must map languages to lists of names")
            return tuple(a for v in table.values() for a in v if isinstance(a, str) and a.strip())

        aliases, dateline, media = langs("aliases"), langs("dateline_aliases"), langs("media_aliases")
        if not aliases and not dateline and not media:
            raise ConfigError(f"{where} ({name}): needs aliases, dateline_aliases or media_aliases")
        outlets = tuple(o.casefold() for o in s.get("outlets", []))
        out.append(Source(name=name, kind=kind, outlets=outlets, aliases=aliases, dateline_aliases=dateline,
                          media_aliases=media))
    if not out:
        raise ConfigError(f"{origin}: no [[source]] entries")
    return out


def rules_from_toml(text: str, origin: str = "credits.toml") -> CreditRules:
    """Compile rules from TOML text (see dedup/data/credits.toml for the format)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML ({exc})") from exc
    misspellings = data.get("misspellings", {})
    not_names = misspellings.get("not_names", {}) if isinstance(misspellings, dict) else None
    if not isinstance(not_names, dict) or not all(isinstance(v, list) for v in not_names.values()):
        raise ConfigError(f"{origin}: misspellings.not_names must map languages to lists of words")
    words = [w for v in not_names.values() for w in v if isinstance(w, str) and w.strip()]
    descriptors = data.get("descriptors", {})
    if not isinstance(descriptors, dict) or not set(descriptors) <= set(KINDS) or not all(
            isinstance(t, dict) and all(isinstance(v, list) for v in t.values()) for t in descriptors.values()):
        raise ConfigError(f"{origin}: descriptors must map {' / '.join(KINDS)} to languages to lists of words")
    descriptor_words = {k: [d for v in t.values() for d in v if isinstance(d, str) and d.strip()]
                        for k, t in descriptors.items()}
    parts = data.get("parts", {})
    patterns = _expand_parts(data.get("pattern", []), parts, origin)
    suffix = ""
    if isinstance(parts, dict) and isinstance(parts.get("name_suffix"), str):
        suffix = _expand_parts([{"regex": "{name_suffix}"}], parts, origin)[0]["regex"]
    syntax = _syntax(data["syntax"], origin) if "syntax" in data else _shipped_syntax()
    return CreditRules(_sources(data, origin), patterns, origin, words, descriptor_words, suffix, syntax)


def _by_language(value: Any, where: str) -> tuple[str, ...]:
    """The words of a ``<lang> = [...]`` table, in order ("" and non-strings skipped)."""
    if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
        raise ConfigError(f"{where} must map languages to lists of words")
    return tuple(w for v in value.values() for w in v if isinstance(w, str) and w.strip())


def _syntax(table: Any, origin: str) -> Syntax:
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: [syntax] must be a table")

    def flat(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{origin}: syntax.{key} must be a list of strings")
        return tuple(value)

    def words(key: str) -> tuple[str, ...]:
        return tuple(fold_script(w) for w in _by_language(table.get(key, {}), f"{origin}: syntax.{key}"))

    return Syntax(list_marks=flat("list_marks"), list_words=words("list_words"), desk_words=words("desk_words"),
                  domain_suffixes=flat("domain_suffixes"), glued_words=words("glued_words"))


@lru_cache(maxsize=1)
def _shipped_syntax() -> Syntax:
    """The shipped ``[syntax]``: a rules file that leaves the table out lists and writes names as it does."""
    origin = "dedup/data/credits.toml"
    data = tomllib.loads(resources.files("dedup").joinpath("data/credits.toml").read_text(encoding="utf-8"))
    if "syntax" not in data:
        raise ConfigError(f"{origin}: no [syntax] table")
    return _syntax(data["syntax"], origin)


_PART = re.compile(r"\{([a-z_]+)\}")


def _expand_parts(patterns: Any, parts: Any, origin: str) -> Any:
    """The patterns with each ``{part}`` replaced by the ``[parts]`` regex of that name
    (parts may use parts); ``{names}`` and ``{paren}`` are left for the compiler."""
    if not isinstance(parts, dict) or not all(isinstance(v, str) for v in parts.values()):
        raise ConfigError(f"{origin}: [parts] must map names to regular expressions")
    if {"names", "paren"} & parts.keys():
        raise ConfigError(f"{origin}: [parts] cannot define names or paren")

    def expand(text: str, depth: int = 0) -> str:
        def one(m: re.Match[str]) -> str:
            key = m.group(1)
            if key in ("names", "paren"):
                return m.group(0)
            if key not in parts:
                raise ConfigError(f"{origin}: unknown part {{{key}}} in {text!r}")
            if depth > 8:
                raise ConfigError(f"{origin}: parts nest too deep at {{{key}}}")
            return f"(?:{expand(fold_script(parts[key]), depth + 1)})"
        return _PART.sub(one, text)

    if not isinstance(patterns, list):
        return patterns
    return [{**p, "regex": expand(p["regex"])} if isinstance(p, dict) and isinstance(p.get("regex"), str) else p
            for p in patterns]


@lru_cache(maxsize=8)
def load_rules(path: Path | None = None) -> CreditRules:
    """The credit rules from ``path``, or the ones shipped with dedup."""
    if path is None:
        ref = resources.files("dedup").joinpath("data/credits.toml")
        return rules_from_toml(ref.read_text(encoding="utf-8"), "dedup/data/credits.toml")
    try:
        return rules_from_toml(Path(path).read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read credit rules ({exc})") from exc


def find_credits(text: str, outlet: str = "", rules: CreditRules | None = None) -> tuple[FoundCredit, ...]:
    """Who ``text`` credits (see the module docstring); ``outlet`` is the article's own."""
    return (rules or load_rules()).find(text, outlet)
