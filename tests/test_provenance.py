from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from dedup.config import ClusterConfig
from dedup.model import TimePrecision
from dedup.provenance import build_story, first_line, order_key
from dedup.store import StoredArticle

UTC = timezone.utc


def _art(doc: int, ident: str, published: str | None, precision: str = "exact", raw: str | None = None, **kw: object) -> StoredArticle:
    base = dict(
        doc=doc, id=ident, url=f"https://www.{ident}.com/x", outlet=f"{ident}.com", title=f"Title {ident}",
        text=f"Title {ident}\nFirst real line of {ident}.\nSecond line.", published_at=published,
        time_precision=precision, published_raw=raw if raw is not None else published, record_hash="h",
        n_shingles=500, stripped=(), indexed_at="2026-11-25T00:00:00+00:00", story_id="s1",
    )
    base.update(kw)
    return StoredArticle(**base)  # type: ignore[arg-type]


def _build(arts: list[StoredArticle], sigs: np.ndarray | None = None, sizes: list[int] | None = None):  # type: ignore[no-untyped-def]
    if sigs is None:
        sigs = np.tile(np.arange(128, dtype=np.uint32), (len(arts), 1))
    sz = np.array(sizes if sizes is not None else [a.n_shingles for a in arts], dtype=np.int64)
    return build_story("s1", arts, sigs, sz, ClusterConfig())


def test_earliest_known_time_is_first_whatever_the_order() -> None:
    arts = [
        _art(1, "late", "2026-11-24T12:00:00+00:00"),
        _art(2, "early", "2026-11-24T08:00:00+00:00"),
        _art(3, "middle", "2026-11-24T09:30:00+00:00"),
    ]
    s = _build(arts)
    assert s.first.id == "early"
    assert [m.id for m in s.members] == ["early", "middle", "late"]
    assert s.members[0] is s.first
    assert s.first.relation == "original"
    assert s.flags == ()


def test_lag_seconds() -> None:
    arts = [
        _art(1, "orig", "2026-11-24T08:00:00+00:00"),
        _art(2, "copy", "2026-11-24T09:30:00+00:00"),
        _art(3, "nextday", "2026-11-25T08:00:05+00:00"),
    ]
    s = _build(arts)
    assert [m.lag_seconds for m in s.members] == [0.0, 5400.0, 86405.0]


def test_lag_across_time_zones() -> None:
    arts = [
        _art(1, "jakarta", datetime(2026, 11, 24, 3, 0, tzinfo=UTC).isoformat(), raw="2026-11-24T10:00:00+07:00"),
        _art(2, "london", datetime(2026, 11, 24, 4, 15, tzinfo=UTC).isoformat(), raw="2026-11-24T04:15:00+00:00"),
    ]
    s = _build(arts)
    assert s.first.id == "jakarta"
    assert s.members[1].lag_seconds == 4500.0


def test_unknown_time_is_never_first_and_is_flagged() -> None:
    arts = [
        _art(1, "nodate", None, "unknown"),  # indexed first, but time unknown
        _art(2, "dated", "2026-11-24T12:00:00+00:00"),
    ]
    s = _build(arts)
    assert s.first.id == "dated"
    assert [m.id for m in s.members] == ["dated", "nodate"]
    assert s.members[1].lag_seconds is None
    assert s.members[1].published_at is None
    assert s.members[1].time_precision is TimePrecision.UNKNOWN
    assert "unknown time: nodate" in s.flags


def test_all_unknown_is_flagged_and_first_indexed_wins() -> None:
    arts = [_art(5, "b", None, "unknown"), _art(3, "a", None, "unknown")]
    s = _build(arts)
    assert s.first.id == "a"  # lowest doc: first indexed
    assert any(f.startswith("all times unknown") for f in s.flags)
    assert all(m.lag_seconds is None for m in s.members)


def test_bare_date_counts_as_end_of_its_day() -> None:
    same_day = [
        _art(1, "dateonly", "2026-11-24T00:00:00+00:00", "date", raw="2026-11-24"),
        _art(2, "evening", "2026-11-24T20:00:00+00:00"),
    ]
    s = _build(same_day)
    assert s.first.id == "evening"  # a bare date cannot beat a timed article of that day
    next_day = [
        _art(1, "dateonly", "2026-11-24T00:00:00+00:00", "date", raw="2026-11-24"),
        _art(2, "after", "2026-11-25T00:30:00+00:00"),
    ]
    s = _build(next_day)
    assert s.first.id == "dateonly"
    assert any("first publisher's time is date (2026-11-24)" in f for f in s.flags)
    assert s.members[1].lag_seconds == pytest.approx(24.5 * 3600)


def test_naive_first_is_flagged() -> None:
    arts = [
        _art(1, "naive", "2026-11-24T02:00:00+00:00", "naive", raw="2026-11-24 09:00"),
        _art(2, "exact", "2026-11-24T03:00:00+00:00"),
    ]
    s = _build(arts)
    assert s.first.id == "naive"
    assert any("naive (2026-11-24 09:00)" in f for f in s.flags)


def test_same_time_as_first_is_flagged_and_tie_goes_to_first_indexed() -> None:
    arts = [_art(7, "later-doc", "2026-11-24T08:00:00+00:00"), _art(2, "earlier-doc", "2026-11-24T08:00:00+00:00")]
    s = _build(arts)
    assert s.first.id == "earlier-doc"
    assert "same time as first: later-doc" in s.flags


def test_relations_and_similarity_to_first() -> None:
    base = np.arange(128, dtype=np.uint32)
    copy = base.copy()
    copy[100:] += 1000  # similarity 100/128
    part = base.copy()
    part[40:] += 1000  # similarity 40/128
    arts = [
        _art(1, "orig", "2026-11-24T08:00:00+00:00"),
        _art(2, "copy", "2026-11-24T09:00:00+00:00"),
        _art(3, "part", "2026-11-24T10:00:00+00:00"),
    ]
    s = _build(arts, np.stack([base, copy, part]), sizes=[1500, 1500, 600])
    orig, cp, pt = s.members
    assert (orig.relation, cp.relation, pt.relation) == ("original", "copy", "partial_copy")
    assert orig.similarity == 1.0 and orig.containment == 1.0
    assert cp.similarity == round(100 / 128, 4)
    assert pt.similarity == round(40 / 128, 4)
    # |part ∩ first| = J (600 + 1500) / (1 + J) = 500 of part's 600 shingles
    assert pt.containment == pytest.approx(500 / 600, abs=1e-4)


def test_first_line_skips_title_and_stripped_lines() -> None:
    a = _art(1, "x", None, "unknown", title="Harga Beras Naik",
             text="Harga Beras Naik\nerror: Content is protected !!\n\nHarga beras medium naik lagi.\nLagi.",
             stripped=("error: Content is protected !!",))
    assert first_line(a) == "Harga beras medium naik lagi."
    long = _art(2, "y", None, "unknown", text="kata " * 100)
    out = first_line(long, limit=50)
    assert len(out) == 50 and out.endswith("…")


def test_order_key() -> None:
    t = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert order_key("exact", t) < order_key("date", datetime(2026, 11, 24, tzinfo=UTC))
    assert order_key("date", datetime(2026, 11, 24, tzinfo=UTC)) < order_key("exact", datetime(2026, 11, 25, tzinfo=UTC))
    assert order_key("unknown", None) > order_key("exact", datetime(9000, 1, 1, tzinfo=UTC))
