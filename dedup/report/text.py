"""Small shared formatters for human-readable renderings."""

from __future__ import annotations

from datetime import datetime


def plural(n: int, one: str, many: str) -> str:
    """A count and its noun, thousands grouped.

    >>> plural(1, "story", "stories"), plural(12345, "story", "stories")
    ('1 story', '12,345 stories')
    """
    return f"{n:,} {one if n == 1 else many}"


def time_text(t: datetime | None) -> str:
    return "unknown" if t is None else t.strftime("%Y-%m-%d %H:%M UTC")


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


def pct_text(x: float | None) -> str:
    """'30%', or '—' when there is nothing to divide.

    >>> pct_text(0.3), pct_text(None)
    ('30%', '—')
    """
    return "—" if x is None else f"{x:.0%}"


def since_text(since: datetime | None) -> str:
    """What a report covers: changes since this."""
    return time_text(since) if since else "the beginning"
