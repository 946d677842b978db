"""Publication times: ISO 8601 with offset, naive times (zone from --tz), bare dates.

A missing or unparseable time is UNKNOWN: never guessed. A time is returned in
UTC; a bare date is a whole day in its zone, so it is returned as that day's
local midnight with the zone's offset (its calendar day and zone kept, not the
previous day's 17:00 UTC).

>>> parse_time("2026-11-24T09:15:00+07:00", "UTC")
(datetime.datetime(2026, 11, 24, 2, 15, tzinfo=datetime.timezone.utc), <TimePrecision.EXACT: 'exact'>)
>>> parse_time("2026-11-24 09:15", "Asia/Jakarta")[1]
<TimePrecision.NAIVE: 'naive'>
>>> parse_time("2026-11-25", "Asia/Jakarta")[0].isoformat()
'2026-11-25T00:00:00+07:00'
>>> parse_time("kemarin sore", "UTC")
(None, <TimePrecision.UNKNOWN: 'unknown'>)
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from ..model import TimePrecision

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def bare_date(text: str | None) -> date | None:
    """The calendar day a bare date ("2026-11-25") names; None for anything else.

    >>> bare_date(" 2026-11-25 "), bare_date("2026-11-25T09:00")
    (datetime.date(2026, 11, 25), None)
    """
    text = (text or "").strip()
    if not _DATE_ONLY.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _local_day(day: date, tz: str) -> datetime:
    # A fixed offset, not the ZoneInfo: the stored text then carries the offset of that midnight.
    local = datetime(day.year, day.month, day.day, tzinfo=_zone(tz))
    return local.replace(tzinfo=timezone(local.utcoffset()))  # type: ignore[arg-type]


def parse_time(value: object, tz: str) -> tuple[datetime | None, TimePrecision]:
    """Parse a published time; returns (UTC datetime, or a bare date's local midnight; or None, precision)."""
    if value is None:
        return None, TimePrecision.UNKNOWN
    if isinstance(value, datetime):
        dt = value
        text = ""
    elif isinstance(value, date):
        return _local_day(value, tz), TimePrecision.DATE
    else:
        text = str(value).strip()
        if not text:
            return None, TimePrecision.UNKNOWN
        try:
            dt = datetime.fromisoformat(text.replace(" ", "T", 1) if " " in text[:11] else text)
        except ValueError:
            return None, TimePrecision.UNKNOWN
    try:
        if text and _DATE_ONLY.match(text):
            return _local_day(dt.date(), tz), TimePrecision.DATE
        if dt.tzinfo is None:
            return dt.replace(tzinfo=_zone(tz)).astimezone(timezone.utc), TimePrecision.NAIVE
        return dt.astimezone(timezone.utc), TimePrecision.EXACT
    except OverflowError:  # "9999-12-31T23:59:59-23:59": beyond year 9999 in UTC
        return None, TimePrecision.UNKNOWN
