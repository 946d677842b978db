"""Writing-system facts the credit rules rely on: folding, Urdu letters, glued words.

These are facts about scripts, not rule data (that is in ``dedup/data/credits.toml``).
Every text and every name is folded with :func:`fold_script` before they are compared.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

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


ARABIC = re.compile("[\u0600-\u06ff]")
GLUED = re.compile(r"[\w.@/-]")
LETTER = re.compile(r"[^\W\d_]")  # (after a name, only an Urdu one glued to the next word: see END)


def squeeze(text: str) -> str:
    """The text without its spaces."""
    return "".join(text.split())


# Urdu letters that never join the letter after them. After one of them a missing space
# does not show, and Urdu papers often leave it out: "برطانوی اخبارفنانشل ٹائمزکے مطابق"
# reads as "اخبار فنانشل ٹائمز کے مطابق". An Urdu name of at least 5 letters (spaces aside)
# still counts glued to the word before it when that word ends in one of these letters, or
# glued to the word after it when the name itself ends in one; shorter names never do
# ("انسا" is also the start of "انسان", human; "وام" the end of "عوام", the public).
NON_JOINING = "\u0627\u0622\u0623\u0625\u062f\u0688\u0630\u0631\u0691\u0632\u0698\u0648\u0624\u06d2\u06d3\u0621"
GLUE_MIN_LETTERS = 5
# After a name: not a letter, a digit, "@" or ".x", except an Urdu letter after a non-joining
# one (a glued word; find() keeps it only after a name that may be glued).
END = rf"(?:(?![\w@]|\.\w)|(?<=[{NON_JOINING}])(?=[\u0600-\u06ff]))"
NON_JOINING_SET = frozenset(NON_JOINING)
# The rest of a word after each non-joining letter in it: "اخبارفنانشل" → …, "فنانشل".
AFTER_NON_JOINING = re.compile(f"[{NON_JOINING}](?=([^\\W\\d_]{{2,}}))")

# ASCII punctuation → space, on UTF-8 bytes: splitting a text into words this way is
# ~10x faster than a regex, and multi-byte letters (Urdu) are never touched.
PUNCT = bytes.maketrans(b"!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~", b" " * 31)
# Urdu papers glue sentences with no space after the full stop ("ہیں۔زی میڈیا کے مطابق"):
# Arabic punctuation (، ؛ ؟ ۔) separates words too, or the name after it is never looked for.
# (str.replace, not str.translate: a translate table is ~50x slower on non-ASCII text.)
ARABIC_PUNCT = ("\u060c", "\u061b", "\u061f", "\u06d4")


def glues(alias: str) -> bool:
    """An Urdu name long enough to be found glued to a neighbouring word.

    >>> glues("اے ایف پی"), glues("ارنا")
    (True, False)
    """
    return ARABIC.search(alias) is not None and len(squeeze(alias)) >= GLUE_MIN_LETTERS


def _last(finder: re.Pattern[str], names: str) -> str | None:
    """The last name in a matched list of names, if the list ends with it."""
    last = None
    for last in finder.finditer(names):
        pass
    return last.group(0) if last is not None and last.end() == len(names) else None


def matches(regex: re.Pattern[str], text: str, finder: re.Pattern[str] | None = None) -> Iterator[re.Match[str]]:
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
        if start > 0 and GLUED.match(text, start - 1) and not (
                finder is not None and text[start - 1] in NON_JOINING
                and (f := finder.match(text, start)) is not None and glues(f.group(0))):
            pos = m.start() + 1
            continue
        end = m.end("names") if has_names else -1
        if 0 < end < len(text) and LETTER.match(text, end) and not (
                finder is not None and (last := _last(finder, m.group("names"))) is not None
                and last[-1] in NON_JOINING and glues(last)):
            pos = m.start() + 1  # a name glued to the next word, but short or not glued there
            continue
        yield m
        pos = m.end() if m.end() > m.start() else m.start() + 1
