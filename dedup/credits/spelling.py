"""How else a name is written: spelling variants, and misspellings that still count.

Variants are found for every name: "REUTERS" for "Reuters", an Urdu name without the space
after a letter that does not join the next ("ثناءنیوز" for "ثناء نیوز"). Misspellings are
looked for only in Urdu and only near a credit phrase (see ``[misspellings]`` and ``fuzzy``
in ``dedup/data/credits.toml``); the real words one letter from a name are data there
(``not_names``), the thresholds below are how far a slip may go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from .script import ARABIC, NON_JOINING, fold_script, matches, squeeze

if TYPE_CHECKING:
    from .names import NameTable
    from .patterns import Template

# Misspelt names. Only Urdu-script agency names with at least 5 letters and a word of at
# least 4 qualify: "سنہوا", "آن لائن", but not letter-by-letter acronyms such as "اے پی پی"
# or "آئی این پی", where one changed letter is another agency ("آئی این این") or a party.
FUZZY_MIN_LETTERS = 5
FUZZY_MIN_WORD = 4
# Long Urdu names (at least 12 letters, spaces aside: "انڈو ایشین نیوز سروس", "پریس ٹرسٹ
# آف انڈیا") still count in ANY Urdu credit position when one letter is off, two
# neighbours are swapped ("سرسو" for "سروس") or a word is split or joined by a space
# ("سر وس"): no person's name or ordinary phrase is that close to one. Short names stay
# exact outside the strong positions ("سنہوا" is one letter from "سنہرا", golden).
LONG_MIN_LETTERS = 12
# The words next to a credit phrase that a misspelt name may span: up to five
# letter-only words (the longest names have five: "ایسوسی ایٹڈ پریس آف پاکستان").
FUZZY_WINDOW = r"(?P<names>[^\W\d_]+(?:[ \t]+[^\W\d_]+){0,4})"
# The same window just before a phrase ("... سے انٹرویو"), read backwards from it.
_WINDOW_BEFORE = re.compile(r"(?<![^\W\d_])(?P<names>[^\W\d_]+(?:[ \t]+[^\W\d_]+){0,4})[ \t]*\Z")


def variants(alias: str) -> list[str]:
    """The ways a (folded) name is written, the name as written first.

    >>> variants("Reuters"), variants("ثناء نیوز")
    (['Reuters', 'REUTERS'], ['ثناء نیوز', 'ثناءنیوز'])
    """
    # "Reuters" is also written "REUTERS" in datelines and sign-offs; an Urdu name with a space
    # after a letter that does not join the next is also written without it ("ثناءنیوز",
    # "ریڈیوپاکستان"): the two look the same.
    up = alias.upper()
    if alias.isascii():
        return [alias] if up == alias else [alias, up]
    out = [""]
    for i, c in enumerate(alias):
        if c == " " and i and alias[i - 1] in NON_JOINING:
            out = [o + s for o in out for s in (" ", "")]
        else:
            out = [o + c for o in out]
    return out[:8]  # (the first is the name as written)


def one_edit_apart(a: str, b: str) -> bool:
    """At most one letter inserted, deleted or replaced (Levenshtein distance <= 1).

    >>> one_edit_apart("عنہوا", "سنہوا"), one_edit_apart("سنہوا", "سنہوا"), one_edit_apart("abc", "cab")
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


def transposed(a: str, b: str) -> bool:
    """Two neighbouring letters swapped: "سرسو" for "سروس"."""
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def nisba(a: str, b: str) -> bool:
    """The two differ only by a word-final "ی", the Urdu suffix that makes a place an
    adjective: "قطری نیوز ایجنسی" (a Qatari news agency, a description) is not "قطر نیوز
    ایجنسی" (QNA, a name) misspelt, nor "پاکستانی ٹیلی ویژن" "پاکستان ٹیلیویژن".

    >>> nisba("قطری نیوز ایجنسی", "قطر نیوز ایجنسی"), nisba("سروسی", "سروس"), nisba("قطرینیوز", "قطرنیوز")
    (True, True, False)
    """
    sa, sb = squeeze(a), squeeze(b)
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


def slip_in_a_long_word(item: str, alias: str) -> bool:
    """Where ``item`` (one slip from ``alias``, spaces aside) differs, the alias's word is
    long (5 letters or more) or its last: a slip in a short word makes another name, often
    another place ("مصر نیوز ایجنسی", Egypt's, is not "مہر نیوز ایجنسی" misspelt), while
    "انڈو ایشین نیوز سرسو" is IANS.

    >>> slip_in_a_long_word("مصر نیوز ایجنسی", "مہر نیوز ایجنسی"), slip_in_a_long_word("مہر نیوز ایجنسے", "مہر نیوز ایجنسی")
    (False, True)
    """
    a, b = squeeze(item), squeeze(alias)
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
    return ARABIC.search(alias) is not None and len(squeeze(alias)) >= LONG_MIN_LETTERS


def _fuzzy_candidate(alias: str) -> bool:
    words = alias.split()
    return (ARABIC.search(alias) is not None and sum(map(len, words)) >= FUZZY_MIN_LETTERS
            and max(map(len, words)) >= FUZZY_MIN_WORD)


class Misspellings:
    """The names a slip may stand for, and the Urdu patterns that look for slips."""

    def __init__(self, names: NameTable, not_names: Iterable[str], templates: Sequence[Template]) -> None:
        self._names = names
        self._templates = templates
        by_alias = names.by_alias
        # Names a misspelling may stand for (agencies only), and real words that are one
        # letter away from one of them but mean something else ("کیوٹو" Kyoto, not Kyodo).
        # (By length: a name one letter off is at most one letter longer or shorter.) Media
        # aliases are never matched this way (a slip there is a word), nor names as written
        # without a space ("مہرنیوز ایجنسی"): the guards look at the words as written.
        written = [fold_script(a) for s in names.sources for a in (*s.aliases, *s.dateline_aliases, *s.media_aliases)]
        joined = {v for a in written if not a.isascii() for v in variants(a)[1:]} - set(written)
        exact_only = names.media_only | joined
        self._fuzzy_names: dict[int, list[str]] = {}
        for a, s in by_alias.items():
            if s.kind == "agency" and _fuzzy_candidate(a) and a not in exact_only:
                self._fuzzy_names.setdefault(len(a), []).append(a)
        # Long names (agencies and outlets), spaces removed: near-misses count anywhere in Urdu.
        # One edit (or swap) leaves the first or the last four letters of a long name as they
        # are, so the names are indexed by both: a window of words is compared with a few.
        self._long_names: dict[str, list[tuple[str, str]]] = {}
        for a in by_alias:
            if _long_candidate(a) and a not in exact_only:
                sq = squeeze(a)
                self._long_names.setdefault("^" + sq[:4], []).append((a, sq))
                self._long_names.setdefault("$" + sq[-4:], []).append((a, sq))
        self._not_names = frozenset(fold_script(w) for w in not_names)
        # An Urdu {names} pattern also runs with a window of words in place of the names,
        # for misspelt ones: it does not depend on the names a text contains. A pattern
        # that starts with the names ("{names} کے مطابق") looks for the rest of the phrase
        # and reads the window backwards from it (a regex starting with a window of words
        # would be tried at every letter); the others have the window in place.
        self._regex: dict[int, tuple[re.Pattern[str], bool]] = {}
        for i, t in enumerate(templates):
            if "{names}" not in t.regex or not (t.fuzzy or t.lang == "ur"):
                continue
            before = t.regex.startswith("{names}")
            # (The window takes the spaces before the phrase: a phrase that starts with a
            # word, not "[ \t]*", is looked for many times faster.)
            source = (t.regex.removeprefix("{names}").removeprefix(r"[ \t]*") if before
                      else t.regex.replace("{names}", FUZZY_WINDOW))
            self._regex[i] = (re.compile(source, re.IGNORECASE | re.MULTILINE), before)

    def misspelt(self, item: str, dateline: bool, strong: bool = True) -> str | None:
        """The one name ``item`` is a misspelling of, if any: in a strong position an agency
        name one letter off; anywhere, a long name one letter off, with two neighbouring
        letters swapped, or with its words split or joined differently.

        >>> from dedup.credits import find_credits
        >>> [c.name for c in find_credits("سیلاب آیا، خبر رساں ایجنسی عنہوا کے مطابق")]  # "سنہوا", misspelt
        ['Xinhua']
        >>> find_credits("جاپان کی خبر رساں ایجنسی کیوٹو میں")  # Kyoto: a word, not Kyodo misspelt
        ()
        >>> [c.name for c in find_credits("انہوں نے انڈوایشین نیوز سر وس سے انٹرو یو میں کہا")]  # split words
        ['IANS']
        """
        item = " ".join(item.split())
        if item in self._not_names or ARABIC.search(item) is None:
            return None
        dateline_only = self._names.dateline_only
        near = [a for n in (len(item) - 1, len(item), len(item) + 1) for a in self._fuzzy_names.get(n, ())
                if (dateline or a not in dateline_only) and one_edit_apart(item, a)] if strong else []
        squeezed = squeeze(item)
        if len(squeezed) >= LONG_MIN_LETTERS - 1:
            for a, sq in {*self._long_names.get("^" + squeezed[:4], ()), *self._long_names.get("$" + squeezed[-4:], ())}:
                if ((dateline or a not in dateline_only) and abs(len(sq) - len(squeezed)) <= 1
                        and (one_edit_apart(squeezed, sq) or transposed(squeezed, sq)) and not nisba(item, a)
                        and slip_in_a_long_word(item, a)):
                    near.append(a)
        # Two agencies one letter away: no way to tell which was meant.
        by_alias = self._names.by_alias
        return near[0] if near and len({by_alias[a].name for a in near}) == 1 else None

    def hits(self, text: str, active: Iterable[int], own: str | None) -> list[tuple[int, str, str, str]]:
        """Credits of misspelt names in the (folded, Arabic-script) ``text`` by the ``active``
        patterns: (where the phrase starts, name, kind, phrase), ``own`` (the article's
        outlet) excluded."""
        by_alias, out = self._names.by_alias, []
        for i in active:
            got = self._regex.get(i)
            if got is None:
                continue
            fuzzy, before = got
            t = self._templates[i]
            for m in matches(fuzzy, text):
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
                if any(s in by_alias for s in spans):
                    continue  # a name spelt right: the exact patterns have it (or rightly not)
                near = {a for s in spans if (a := self.misspelt(s, t.dateline, strong=t.fuzzy))}
                if len({by_alias[a].name for a in near}) == 1:
                    name, kind = self._names.resolve(near.pop())
                    if name != own and kind in t.kinds:
                        out.append((start, name, kind, text[start:m.end()].strip()))
        return out
