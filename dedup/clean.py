"""Text normalisation and scraper-junk stripping (pure functions, no I/O).

Copies of one story look different because scrapers wrap them in junk (the
title three times, "error: Content is protected !!", a "korannews.com –"
dateline, "Baca juga:" lines, share bars, copyright footers); unrelated
articles look alike because of the same junk. Both are stripped here, and what
was stripped is kept for audit.

>>> c = clean_text("error: Content is protected !!\\nkorannews.com – Harga beras naik.", title="Harga Beras")
>>> c.text
'harga beras naik.'
>>> c.stripped
('error: Content is protected !!', 'korannews.com –')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .model import Cleaned

_WS = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w\s]+")

# Whole lines that are scraper or site furniture. Anchored at line start and kept
# short (the length cap in _is_junk_line) so that a real paragraph that happens
# to begin with "Share" is never dropped.
_JUNK_LINE = re.compile(
    r"""^(?:
        error\s*:\s*content\s+is\s+protected
      | content\s+is\s+protected
      | (?:baca|lihat|simak)\s+(?:juga|selengkapnya|berita\s+lainnya)\b
      | read\s+(?:more|also|next)\b | also\s+read\b | related(?:\s+(?:news|stories|articles))?\s*:
      | (?:share|bagikan|sebarkan)                      # a share bar, not "Share prices fell..."
        (?:\s*[:|]|\s*$|\s+(?:this|artikel|berita|ini|on|via|to|facebook|twitter|whatsapp|telegram|email)\b)
      | (?:ikuti|follow)\s+(?:kami|us)\b
      | (?:subscribe|sign\s+up)\b
      # Indonesian furniture words are also ordinary sentence starters ("Iklan rokok
      # akan dilarang"): only their furniture forms count.
      | (?:langganan|berlangganan|daftar)(?:\s*[:|]|\s*$|\s+(?:sekarang|newsletter|gratis|di\s+sini|disini|untuk\s+mendapatkan)\b)
      | (?:download|unduh)\s+(?:aplikasi|our\s+app|the\s+app)\b
      | (?:©|\(c\)|copyright\b|hak\s+cipta\b)
      | all\s+rights\s+reserved
      | (?:advertisement|scroll\s+to\s+continue)\b
      | iklan(?:\s*[:|]|\s*$)
      | (?:editor|penulis|reporter|pewarta|editing\s+by|reporting\s+by|writing\s+by)\s*:
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_JUNK_LINE_MAX = 200

# Datelines at the start of the first paragraphs: "korannews.com –",
# "JAKARTA, KOMPAS.com -", "BRUSSELS, Oct 12 (Reuters) -", "(ANTARA) -",
# "ڈھاکہ ۔ یکم دسمبر (اے پی پی)" is left alone: it carries the credit and is short.
_DATELINE = re.compile(
    r"""^(?:
        (?:[A-Z][\w.'-]*(?:[ /][A-Z][\w.'-]*){0,3}\s*,\s*)?   # PLACE,
        (?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}\s*)?                # Oct 12
        (?:\(\s*[\w .]{2,30}\)|[\w-]+(?:\.[\w-]+)+)           # (Reuters) | site.com
        \s*[-–—:]+\s+
    )""",
    re.VERBOSE,
)


def normalise(text: str) -> str:
    """NFKC, case-fold, drop punctuation, collapse white space.

    >>> normalise("  Ｈｅｌｌｏ,\\n  WORLD!  ")
    'hello world'
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _NON_WORD.sub(" ", text)
    return _WS.sub(" ", text).strip()


def fold(text: str) -> str:
    """NFKC and case-folding only (cheap); see :func:`normalise` for the full form.

    >>> fold("Ｈｅｌｌｏ, WORLD")
    'hello, world'
    """
    return unicodedata.normalize("NFKC", text).casefold()


_WORD = re.compile(r"\w+")  # as in normalise(): underscores are word characters


def _first_word(line: str) -> str:
    """The first word of ``normalise(line)``, without normalising the whole line."""
    m = _WORD.search(line)
    return "" if m is None else unicodedata.normalize("NFKC", m.group(0)).casefold()


def _is_junk_line(line: str) -> bool:
    return len(line) <= _JUNK_LINE_MAX and _JUNK_LINE.match(line) is not None


def _is_title_line(norm_line: str, norm_title: str) -> bool:
    if not norm_title or not norm_line:
        return False
    if norm_line == norm_title:
        return True
    # "Title Title Title" on one line
    reps, rest = divmod(len(norm_line) + 1, len(norm_title) + 1)
    return reps > 1 and rest == 0 and norm_line == " ".join([norm_title] * reps)


def clean_text(text: str, title: str = "", boilerplate: Iterable[str] = ()) -> Cleaned:
    """Strip junk lines, repeated titles and datelines; return the normalised text.

    ``boilerplate`` holds normalised lines known to recur in one outlet's pages;
    they are stripped too.
    """
    title = title.strip()
    norm_title = normalise(title) if title else ""
    folded_title = title.casefold()
    learned = frozenset(boilerplate)
    # First words of the learned lines: a line whose first word is not among
    # them cannot be one, and is never normalised (3x cheaper on a typical page).
    learned_first = frozenset(n.split(" ", 1)[0] for n in learned)
    kept: list[str] = []
    stripped: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if _is_junk_line(line):
            stripped.append(line)
            continue
        # Normalising every line is the slow part of cleaning: only lines that
        # could be a (repeated) title or a learned boilerplate line pay for it.
        if (norm_title and len(line) <= 4 * len(title) + 8) or (learned and len(line) <= _JUNK_LINE_MAX):
            folded = line.casefold()
            if folded == folded_title or folded.startswith(folded_title):
                norm = normalise(line)
                if _is_title_line(norm, norm_title):
                    stripped.append(line)
                    continue
            if learned and _first_word(line) in learned_first and normalise(line) in learned:
                stripped.append(line)
                continue
        if len(kept) < 2:
            m = _DATELINE.match(line)
            if m and len(m.group(0)) < 60:
                stripped.append(m.group(0).strip())
                line = line[m.end():]
        kept.append(line)
    # Punctuation and white space runs are folded later, per token, by the
    # shingle stage (array lookups there are ~10x cheaper than a regex here).
    return Cleaned(text=fold("\n".join(kept)), stripped=tuple(stripped))


def split_lines(text: str) -> list[str]:
    """Normalised non-empty lines of a text (used to learn outlet boilerplate)."""
    return [n for n in (normalise(line) for line in text.splitlines()) if n]
