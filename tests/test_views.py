"""ReportFilter and the story views (dedup/views.py), on stories built by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dedup.config import ReportFilter
from dedup.errors import ConfigError
from dedup.model import Member, Story, TimePrecision
from dedup.views import in_window, keeps, source_use

WIB = timezone(timedelta(hours=7))
UTC = timezone.utc


def _m(ident: str, outlet: str, relation: str, t: datetime | None = None, precision: str = "exact",
       credits: tuple[str, ...] = ()) -> Member:
    return Member(ident, outlet, "u", "t", t, TimePrecision(precision if t else "unknown"), None, 0.9, 0.9, relation,
                  credits=credits)


def test_a_bare_date_is_in_a_window_that_touches_its_day() -> None:
    day = datetime(2026, 11, 25, tzinfo=WIB)  # "2026-11-25" read in Asia/Jakarta
    late = ReportFilter(published_from=datetime(2026, 11, 25, 16, 59, tzinfo=UTC))  # 23:59 in Jakarta
    assert in_window(day, "date", late)
    assert not in_window(day, "date", ReportFilter(published_from=datetime(2026, 11, 25, 17, tzinfo=UTC)))
    assert not in_window(day, "exact", late)  # a time is that instant
    assert not in_window(None, "unknown", late)  # an unknown time is in no window
    assert in_window(None, "unknown", ReportFilter())


def test_window_bounds_read_a_date_as_its_whole_day() -> None:
    start = ReportFilter.window("2026-11-25", "Asia/Jakarta")
    end = ReportFilter.window("2026-11-25", "Asia/Jakarta", end=True)
    assert start == datetime(2026, 11, 25, tzinfo=WIB)
    assert end is not None and end.date().isoformat() == "2026-11-25" and end.hour == 23
    assert ReportFilter.window("2026-11-25T09:00+07:00", end=True) == datetime(2026, 11, 25, 9, tzinfo=WIB)
    with pytest.raises(ConfigError, match="--published-to"):
        ReportFilter.window("yesterday", flag="--published-to")


def test_filter_refuses_what_it_cannot_mean() -> None:
    with pytest.raises(ConfigError, match="unknown"):
        ReportFilter(relations=("copied",))
    with pytest.raises(ConfigError, match="after"):
        ReportFilter(published_from=datetime(2026, 11, 26, tzinfo=UTC), published_to=datetime(2026, 11, 25, tzinfo=UTC))
    with pytest.raises(ConfigError, match="zone"):
        ReportFilter(published_from=datetime(2026, 11, 26))
    with pytest.raises(ConfigError, match="min-copies"):
        ReportFilter(min_copies=-1)


def test_keeps_needs_one_member_to_meet_every_member_filter() -> None:
    t = datetime(2026, 11, 24, 8, tzinfo=UTC)
    first = _m("d1", "detik.com", "original", t)
    copy = _m("k1", "kompas.com", "uncredited_copy", t + timedelta(days=2))
    s = Story("s", first, (first, copy))
    assert keeps(s, ReportFilter(outlets=("Kompas.com",)))
    assert not keeps(s, ReportFilter(outlets=("kompas.com",), published_to=t + timedelta(hours=1)))
    assert keeps(s, ReportFilter(outlets=("detik.com",), published_to=t + timedelta(hours=1)))
    assert not keeps(s, ReportFilter(min_copies=2)) and keeps(s, ReportFilter(min_copies=1))


def test_source_use_counts_every_other_member_and_who_credits() -> None:
    wire = _m("a1", "afp.com", "original")
    credited = _m("n1", "newshub24.net", "credited_copy", credits=("AFP",))
    silent = _m("x1", "dailyfeed.net", "uncredited_copy")
    older = _m("o1", "old.net", "related")
    use = source_use(Story("s", wire, (wire, credited, silent, older)), "AFP")
    assert use is not None and use.in_corpus and use.used_by == ("n1", "x1") and use.crediting == ("n1",)
    assert use.share_credited == 0.5
    assert source_use(Story("s", credited, (credited, silent)), "reuters.com") is None
    assert source_use(Story("s", credited, (credited, silent)), "afp.com").in_corpus is False  # type: ignore[union-attr]
