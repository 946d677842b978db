"""Small shared formatters for human-readable renderings."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from ..model import Member, Reuse, TimePrecision


def plural(n: int, one: str, many: str) -> str:
    """A count and its noun, thousands grouped.

    >>> plural(1, "story", "stories"), plural(12345, "story", "stories")
    ('1 story', '12,345 stories')
    """
    return f"{n:,} {one if n == 1 else many}"


def time_text(t: datetime | None, precision: str = "") -> str:
    """A time in UTC with its zone named; a bare date (``precision`` "date") as its own day.

    >>> from datetime import timedelta
    >>> wib = timezone(timedelta(hours=7))
    >>> time_text(datetime(2026, 11, 25, 9, tzinfo=wib)), time_text(datetime(2026, 11, 25, tzinfo=wib), "date")
    ('2026-11-25 02:00 UTC', '2026-11-25')
    """
    if t is None:
        return "unknown"
    if precision == TimePrecision.DATE:
        return t.strftime("%Y-%m-%d")  # its local midnight: the day it names, in its zone
    return (t if t.tzinfo is None else t.astimezone(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")


def member_time(m: Member) -> str:
    """When a member was published: a time in UTC, or a bare date as that date."""
    return time_text(m.published_at, m.time_precision)


def member_lag(m: Member) -> str:
    """A member's lag from the origin: '+2h 05m', or for a bare date 'same day' / '+1 day'."""
    return m.lag_span.label if m.lag_span is not None else lag_text(m.lag_seconds)


def lag_text(seconds: float | None) -> str:
    """'+2h 05m', '+3d 4h', '—' when unknown.

    >>> lag_text(7500), lag_text(0), lag_text(None)
    ('+2h 05m', '0', '—')
    """
    if seconds is None:
        return "—"
    if seconds == 0:
        return "0"
    sign = "+" if seconds > 0 else "-"
    s = int(abs(seconds))
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m = s // 60
    if d:
        return f"{sign}{d}d {h}h"
    if h:
        return f"{sign}{h}h {m:02d}m"
    return f"{sign}{m}m"


def reuse_text(r: Reuse | None) -> str:
    """A copy's extent of reuse in a few words, or '—' when it was not measured.

    >>> reuse_text(Reuse(share=0.834, longest_words=41)), reuse_text(None)
    ('83% · 41 words', '—')
    """
    return "—" if r is None else f"{r.share:.0%} · {r.longest_words} word{'s' if r.longest_words != 1 else ''}"


def pct_text(x: float | None) -> str:
    """'30%', or '—' when there is nothing to divide.

    >>> pct_text(0.3), pct_text(None)
    ('30%', '—')
    """
    return "—" if x is None else f"{x:.0%}"


def since_text(since: datetime | None) -> str:
    """What a report covers: changes since this."""
    return time_text(since) if since else "the beginning"


# -- untrusted text on a screen ------------------------------------------------
#
# What an article carries (id, outlet, url, title) is shown in a terminal, a Markdown
# viewer or a browser, where some characters act instead of showing: a carriage return
# or an escape sequence rewrites the terminal line, a CR ends a Markdown line (and so a
# code fence), a bidi override displays "\u202emoc.elgoog" as "google.com". Each is
# shown as an escape instead, so that an analyst sees the trick, not its effect.

def _escape(cp: int) -> str:
    return {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}.get(cp) or (f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}")


_CONTROLS = [*range(0x00, 0x20), *range(0x7F, 0xA0)]  # C0, DEL, C1
_LINE_BREAKS = [0x2028, 0x2029]  # Unicode's line and paragraph separators
# Embeddings, overrides and isolates reorder whole runs of what follows them, and
# run on to the end of the line when not closed: never needed in a name, and a
# disguise in any text.
_BIDI_RUNS = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
# Direction marks (LRM, RLM, ALM) only nudge the neutral characters beside them:
# legitimate in Urdu or Arabic text, never in a name.
_BIDI_MARKS = [0x200E, 0x200F, 0x061C]

# What visible() escapes in a name (html.py percent-encodes them in a link instead).
ACTING: frozenset[int] = frozenset((*_CONTROLS, *_LINE_BREAKS, *_BIDI_RUNS, *_BIDI_MARKS))
_NAME = str.maketrans({cp: _escape(cp) for cp in ACTING})
_TEXT = str.maketrans({**{cp: _escape(cp) for cp in (*_CONTROLS, *_BIDI_RUNS)},
                       **dict.fromkeys((0x09, 0x0A, 0x0D, *_LINE_BREAKS), " ")})


def visible(value: str, text: bool = False) -> str:
    r"""``value`` safe to show: control characters (C0, DEL, C1) and bidi embeddings,
    overrides and isolates written as escapes (``\r``, ``\x1b``, ``\u202e``).

    A name (id, outlet, url; the default) has its bidi marks and line breaks escaped
    too; a ``text`` (a title, a first line, a boilerplate line) keeps its bidi marks
    and has its line breaks and tabs as spaces.

    >>> print(visible("\u202emoc.elgoog"), visible("a\rb\x1b[2K\x07"))
    \u202emoc.elgoog a\rb\x1b[2K\x07
    >>> visible("line one\nline two \u200f", text=True) == "line one line two \u200f"
    True
    """
    return value.translate(_TEXT if text else _NAME)


# json.dumps escapes C0 itself (and a newline between tokens must stay one).
_JSON = str.maketrans({cp: f"\\u{cp:04x}" for cp in ACTING if cp >= 0x20})


def json_text(value: object) -> str:
    r"""``value`` as indented JSON, non-ASCII kept (Urdu stays readable), but what
    visible() shows written as \u escapes: the same data, shown on a terminal.

    >>> print(json_text({"outlet": "\u202emoc.elgoog", "title": "ab\x1b"}))
    {
      "outlet": "\u202emoc.elgoog",
      "title": "ab\u001b"
    }
    """
    return json.dumps(value, ensure_ascii=False, indent=2).translate(_JSON)


def more_text(n: int) -> str:
    """The line a capped report ends its stories with.

    >>> more_text(27)
    '27 more stories not shown (--limit 0 for all)'
    """
    return f"{plural(n, 'more story', 'more stories')} not shown (--limit 0 for all)"
