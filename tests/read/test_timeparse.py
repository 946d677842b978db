from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from dedup.model import TimePrecision
from dedup.read.timeparse import parse_time

UTC = timezone.utc


@pytest.mark.parametrize(
    ("value", "tz", "expected", "precision"),
    [
        ("2026-11-24T09:15:00+07:00", "UTC", datetime(2026, 11, 24, 2, 15, tzinfo=UTC), TimePrecision.EXACT),
        ("2026-11-24T02:15:00Z", "Asia/Jakarta", datetime(2026, 11, 24, 2, 15, tzinfo=UTC), TimePrecision.EXACT),
        ("2026-11-24 09:15:00-05:00", "UTC", datetime(2026, 11, 24, 14, 15, tzinfo=UTC), TimePrecision.EXACT),
        ("2026-11-24T09:15:00", "UTC", datetime(2026, 11, 24, 9, 15, tzinfo=UTC), TimePrecision.NAIVE),
        ("2026-11-24 09:15", "Asia/Jakarta", datetime(2026, 11, 24, 2, 15, tzinfo=UTC), TimePrecision.NAIVE),
        # Europe/London is on GMT in November, BST in July
        ("2026-07-01 12:00", "Europe/London", datetime(2026, 7, 1, 11, 0, tzinfo=UTC), TimePrecision.NAIVE),
    ],
)
def test_parse(value: str, tz: str, expected: datetime, precision: TimePrecision) -> None:
    got, prec = parse_time(value, tz)
    assert got == expected
    assert got is not None and got.utcoffset() == timedelta(0)
    assert prec is precision


@pytest.mark.parametrize(
    ("value", "tz", "stored"),
    [
        ("2026-11-24", "UTC", "2026-11-24T00:00:00+00:00"),
        # the day in its zone: not the previous day's 17:00 UTC
        ("2026-11-25", "Asia/Jakarta", "2026-11-25T00:00:00+07:00"),
        ("  2026-11-24  ", "UTC", "2026-11-24T00:00:00+00:00"),
        ("2026-07-01", "Europe/London", "2026-07-01T00:00:00+01:00"),  # BST in July
        ("2026-11-25", "America/Sao_Paulo", "2026-11-25T00:00:00-03:00"),
    ],
)
def test_bare_date_is_its_local_day_with_its_offset(value: str, tz: str, stored: str) -> None:
    got, prec = parse_time(value, tz)
    assert prec is TimePrecision.DATE
    assert got is not None and got.isoformat() == stored
    assert got.date() == date.fromisoformat(value.strip())


@pytest.mark.parametrize("value", [None, "", "   ", "kemarin sore", "24/11/2026 09:15", "2026-13-45", "Tuesday"])
def test_unknown_is_never_guessed(value: object) -> None:
    assert parse_time(value, "UTC") == (None, TimePrecision.UNKNOWN)


def test_datetime_and_date_objects() -> None:
    aware = datetime(2026, 11, 24, 9, 0, tzinfo=timezone(timedelta(hours=7)))
    assert parse_time(aware, "UTC") == (datetime(2026, 11, 24, 2, 0, tzinfo=UTC), TimePrecision.EXACT)
    naive = datetime(2026, 11, 24, 9, 0)
    assert parse_time(naive, "Asia/Jakarta") == (datetime(2026, 11, 24, 2, 0, tzinfo=UTC), TimePrecision.NAIVE)
    assert parse_time(date(2026, 11, 24), "UTC") == (datetime(2026, 11, 24, tzinfo=UTC), TimePrecision.DATE)
    got, _ = parse_time(date(2026, 11, 25), "Asia/Jakarta")
    assert got is not None and got.isoformat() == "2026-11-25T00:00:00+07:00"
