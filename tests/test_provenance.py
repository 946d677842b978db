from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from dedup.config import ClusterConfig
from dedup.model import LagSpan, ParentRef, TimePrecision
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
    # a bare date's time of day is unknown: the lag is an interval, counted in calendar days
    assert s.members[1].lag_seconds is None
    assert s.members[1].lag_span == LagSpan(min_seconds=1800.0, max_seconds=88200.0, days=1)


def test_a_vague_first_time_is_no_conflict_when_nothing_else_can_fall_in_its_span() -> None:
    # dated feeds (COUNTER's are): a wire dated the 10th is first of papers dated the 11th
    arts = [
        _art(1, "wire", "2014-12-10T00:00:00+00:00", "date", raw="2014-12-10"),
        _art(2, "paper", "2014-12-11T00:00:00+00:00", "date", raw="2014-12-11"),
    ]
    s = _build(arts)
    assert s.first.id == "wire" and s.conflicts == ()
    assert "first publisher's time is date (2014-12-10), still before every other member's" in s.evidence
    # the same date cannot be ordered: a conflict
    same = [arts[0], _art(2, "paper", "2014-12-10T00:00:00+00:00", "date", raw="2014-12-10")]
    assert any("first publisher's time is date (2014-12-10)" in c for c in _build(same).conflicts)
    # an exact time early the next day may be earlier in the date's own zone: a conflict too
    timed = [arts[0], _art(2, "paper", "2014-12-11T03:00:00+00:00")]
    assert any("first publisher's time is date (2014-12-10)" in c for c in _build(timed).conflicts)


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
    assert (orig.relation, cp.relation, pt.relation) == ("original", "uncredited_copy", "partial_copy")
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


# -- origin with evidence, credits and relations (issue 4) ---------------------------

def _sig(share_of_base: int) -> np.ndarray:
    """A signature agreeing with the base signature on the first ``share_of_base`` of 128 slots."""
    s = np.arange(128, dtype=np.uint32)
    s[share_of_base:] += 1000
    return s


def test_credit_beats_an_earlier_timestamp_and_is_flagged() -> None:
    # The copy claims an earlier time, but it credits kompas.com: kompas.com came first.
    arts = [
        _art(1, "copy", "2026-11-24T07:00:00+00:00", outlet="korannews.com", text="Seperti dilansir Kompas.com, harga naik."),
        _art(2, "orig", "2026-11-24T08:00:00+00:00", outlet="kompas.com", text="JAKARTA, KOMPAS.com - Harga naik."),
    ]
    s = _build(arts)
    assert s.first.id == "orig"
    assert s.members[1].relation == "credited_copy" and s.members[1].credited
    assert s.members[1].lag_seconds == -3600.0
    assert any(c.startswith("copy timestamped before the outlet it credits: copy") for c in s.conflicts)
    assert s.confidence == "medium"
    assert "credited by korannews.com" in s.evidence


def test_wire_agency_wins_when_times_are_too_close_to_call() -> None:
    # Same bare date for the agency and the newspaper (as in COUNTER): the agency is the origin.
    day = "2014-12-01T00:00:00+00:00"
    arts = [
        _art(1, "paper", day, "date", raw="2014-12-01", outlet="nawa-e-waqt", text="لاہور (سپورٹس ڈیسک) پاکستان جیت گیا"),
        _art(2, "wire", day, "date", raw="2014-12-01", outlet="app", text="لاہور ۔ یکم دسمبر (اے پی پی) پاکستان جیت گیا"),
    ]
    s = _build(arts)
    assert s.first.id == "wire"
    assert "wire agency" in s.evidence
    assert "same time as first: paper" in s.conflicts
    assert s.confidence == "medium"


def test_exact_earlier_time_beats_wire_status() -> None:
    arts = [
        _art(1, "paper", "2026-11-24T08:00:00+00:00", outlet="kompas.com"),
        _art(2, "wire", "2026-11-24T09:00:00+00:00", outlet="reuters.com"),
    ]
    s = _build(arts)
    assert s.first.id == "paper"
    assert s.confidence == "high" and s.conflicts == ()


def test_relations_credited_uncredited_partial() -> None:
    orig = _art(1, "orig", "2026-11-24T08:00:00+00:00", outlet="kompas.com",
                text="JAKARTA, KOMPAS.com - Harga beras naik. Hal itu dikutip dari Reuters.")
    credited = _art(2, "cred", "2026-11-24T09:00:00+00:00", outlet="tribunnews.com",
                    text="Harga beras naik.\nArtikel ini telah tayang di Kompas.com.")
    wire_only = _art(3, "wire-only", "2026-11-24T10:00:00+00:00", outlet="korannews.com",
                     text="Harga beras naik. Hal itu dikutip dari Reuters.")
    abridged = _art(4, "abr", "2026-11-24T11:00:00+00:00", outlet="infoviral.co", text="Sumber: Kompas.com")
    sigs = np.stack([_sig(128), _sig(120), _sig(128), _sig(64)])
    s = _build([orig, credited, wire_only, abridged], sigs, sizes=[1500, 1500, 1500, 700])
    rel = {m.id: m.relation for m in s.members}
    # kompas.com rewrote Reuters (not in the corpus): Reuters is the origin and kompas a credited
    # copy of it. The aggregator took kompas's text but credits Reuters, the agency its parent
    # derives from: a credited copy (issue #12: never an uncredited copy).
    assert rel == {"orig": "credited_copy", "cred": "credited_copy", "wire-only": "credited_copy", "abr": "partial_copy"}
    by_id = {m.id: m for m in s.members}
    assert by_id["abr"].credited and by_id["abr"].credits == ("kompas.com",)
    assert by_id["wire-only"].credits == ("Reuters",) and by_id["wire-only"].credited
    assert by_id["wire-only"].parent == ParentRef(id="orig", name="kompas.com", in_corpus=True)
    assert by_id["orig"].parent == ParentRef(id=None, name="Reuters", in_corpus=False)
    assert s.origin is not None and (s.origin.name, s.origin.in_corpus, s.origin.confidence) == ("Reuters", False, "high")
    assert [(c.name, c.in_corpus) for c in s.credits] == [("Reuters", False), ("kompas.com", True)]


def test_abridged_copy_with_high_similarity_is_still_partial() -> None:
    # Half the origin: similarity can exceed min_similarity while coverage of the origin stays low.
    arts = [_art(1, "orig", "2026-11-24T08:00:00+00:00"), _art(2, "half", "2026-11-24T09:00:00+00:00")]
    s = _build(arts, np.stack([_sig(128), _sig(70)]), sizes=[1500, 800])
    assert s.members[1].similarity > 0.5
    assert s.members[1].relation == "partial_copy"


def test_crediting_the_member_it_copied_counts() -> None:
    # A copy of a copy that names the copy it took the text from is credited.
    arts = [
        _art(1, "orig", "2026-11-24T08:00:00+00:00", outlet="detik.com"),
        _art(2, "mid", "2026-11-24T09:00:00+00:00", outlet="korannews.com"),
        _art(3, "late", "2026-11-24T10:00:00+00:00", outlet="warta24.net", text="Sumber: korannews.com"),
    ]
    s = _build(arts)
    assert [m.relation for m in s.members] == ["original", "uncredited_copy", "credited_copy"]


def test_wire_origin_credited_by_copies() -> None:
    arts = [
        _art(1, "wire", "2026-11-24T01:00:00+00:00", outlet="reuters.com", text="JAKARTA, Nov 24 (Reuters) - Nickel."),
        _art(2, "copy", "2026-11-24T02:00:00+00:00", outlet="newshub24.net", text="JAKARTA, Nov 24 (Reuters) - Nickel."),
    ]
    s = _build(arts)
    assert s.first.credits == ()  # a wire's own dateline is not a credit
    assert s.members[1].relation == "credited_copy"
    assert [(c.name, c.in_corpus) for c in s.credits] == [("Reuters", True)]
    assert s.confidence == "high" and "wire agency" in s.evidence


def test_all_unknown_times_decided_by_credits() -> None:
    arts = [
        _art(1, "copy", None, "unknown", outlet="korannews.com", text="Dikutip dari detik.com, Selasa."),
        _art(2, "orig", None, "unknown", outlet="detik.com"),
    ]
    s = _build(arts)
    assert s.first.id == "orig"
    assert "all times unknown: first chosen by credits" in s.conflicts
    assert s.confidence == "medium"


def test_origin_note() -> None:
    from dedup.report.stats import origin_note

    arts = [
        _art(1, "orig", "2026-11-24T05:00:00+00:00", outlet="detik.com", text="Seperti dilansir Reuters dan AFP, banjir."),
        _art(2, "copy", "2026-11-24T06:00:00+00:00", outlet="korannews.com", text="Seperti dilansir Reuters dan AFP, banjir."),
    ]
    s = _build(arts)
    assert origin_note(s) == "first in corpus: detik.com; credits Reuters, AFP — not in corpus"


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from pathlib import Path

    from dedup.config import Config, ReadConfig
    from dedup.pipeline import build_report, index_corpus

    root = Path(__file__).resolve().parents[1]
    cfg = Config(store=tmp_path_factory.mktemp("sample-prov") / "store", read=ReadConfig(tz="Asia/Jakarta"),
                 progress=False, workers=1)
    for night in ("night1.jsonl", "night2.jsonl"):
        index_corpus([str(root / "examples" / "sample" / night)], cfg)
    truth = __import__("json").loads((root / "examples" / "truth.json").read_text(encoding="utf-8"))
    return build_report(cfg, since="all", mark=False), truth


def test_sample_relations_and_credits_match_truth(sample_report) -> None:  # type: ignore[no-untyped-def]
    rep, truth = sample_report
    relations = {i: r for s in truth["stories"] for i, r in s["relations"].items()}
    got = {m.id: m.relation for s in rep.stories for m in s.members}
    assert got == relations
    credits = {m.id: sorted(m.credits) for s in rep.stories for m in s.members if m.credits}
    assert credits == {i: sorted(c) for i, c in truth["credits"].items()}


def test_sample_national_outlet_first_with_wire_credits_not_in_corpus(sample_report) -> None:  # type: ignore[no-untyped-def]
    from dedup.report.stats import origin_note

    rep, truth = sample_report
    by_first = {s.first.id: s for s in rep.stories}
    for story in truth["stories"]:
        if story["kind"] != "wire_rewrite":
            continue
        s = by_first[story["first"]]
        wires = sorted(truth["credits"][story["first"]])
        assert sorted(c.name for c in s.credits if not c.in_corpus) == wires
        assert origin_note(s).startswith(f"first in corpus: {s.first.outlet}; credits ")
        assert origin_note(s).endswith("— not in corpus")
        assert s.confidence in ("high", "medium")


def test_member_linked_only_through_another_is_flagged() -> None:
    # One paper's recurring template weeks apart can chain two stories: say so.
    arts = [
        _art(1, "old-template", "2014-10-11T00:00:00+00:00", "date", raw="2014-10-11"),
        _art(2, "wire", "2014-11-28T00:00:00+00:00", "date", raw="2014-11-28"),
        _art(3, "paper", "2014-11-29T00:00:00+00:00", "date", raw="2014-11-29"),
    ]
    s = _build(arts, np.stack([_sig(128), _sig(20), _sig(70)]), sizes=[900, 900, 900])
    assert s.first.id == "old-template"
    assert "not a copy of the origin, linked through another member: wire" in s.conflicts
    assert s.confidence == "medium"


def _linked(sim_old_to_wire: float) -> np.ndarray:
    """Signatures: wire and paper alike (0.8); the old text shares ``sim_old_to_wire`` of the wire's slots."""
    base = np.arange(128, dtype=np.uint32)
    paper = base.copy()
    paper[: int(0.2 * 128)] += 1000
    old = base.copy()
    old[int(sim_old_to_wire * 128) :] += 2000
    return np.stack([old, base, paper])


def test_an_old_loosely_related_text_is_not_the_origin() -> None:
    # A paper's recurring template of six weeks earlier, linked to the wire story at Jaccard ~0.32.
    arts = [_art(1, "template", "2014-10-11", "date"), _art(2, "app", "2014-11-28", "date"), _art(3, "paper", "2014-11-29", "date")]
    story = _build(arts, _linked(0.32))
    assert story.first.id == "app"
    assert any(c.startswith("earlier related text, not the origin: template") for c in story.conflicts)
    assert [m.id for m in story.members] == ["app", "template", "paper"]


def test_an_old_text_closely_like_the_rest_stays_the_origin() -> None:
    arts = [_art(1, "old", "2014-10-11", "date"), _art(2, "app", "2014-11-28", "date"), _art(3, "paper", "2014-11-29", "date")]
    story = _build(arts, _linked(0.6))  # a real copy weeks later: the old text is the source
    assert story.first.id == "old"
    assert not any(c.startswith("earlier related text") for c in story.conflicts)


def test_a_pair_weeks_apart_keeps_its_earlier_member_first() -> None:
    arts = [_art(1, "old", "2014-10-11", "date"), _art(2, "app", "2014-11-28", "date")]
    sigs = _linked(0.32)[:2]
    story = _build(arts, sigs)
    assert story.first.id == "old"


def test_an_old_loosely_related_text_within_a_week_stays_the_origin() -> None:
    arts = [_art(1, "wire", "2014-11-22", "date"), _art(2, "rewrite", "2014-11-28", "date"), _art(3, "copy", "2014-11-29", "date")]
    story = _build(arts, _linked(0.32))  # six days: still news time, the earliest is first
    assert story.first.id == "wire"


# -- members that are no copy: the origin's own outlet again, an earlier related text -----------

def test_the_origins_own_outlet_again_is_same_outlet_not_a_copy() -> None:
    # Two captures of one Reuters page, an abridged AMP version of it, and a real copy elsewhere.
    arts = [
        _art(1, "capture-1", "2026-11-24T08:00:00+00:00", outlet="reuters.com"),
        _art(2, "capture-2", "2026-11-24T08:40:00+00:00", outlet="reuters.com"),
        _art(3, "amp", "2026-11-24T09:00:00+00:00", outlet="reuters.com"),
        _art(4, "copy", "2026-11-24T10:00:00+00:00", outlet="newshub24.net"),
    ]
    s = _build(arts, np.stack([_sig(128), _sig(128), _sig(40), _sig(128)]), sizes=[1500, 1500, 600, 1500])
    rel = {m.id: m.relation for m in s.members}
    assert rel == {"capture-1": "original", "capture-2": "same_outlet", "amp": "same_outlet", "copy": "uncredited_copy"}
    by_id = {m.id: m for m in s.members}
    assert by_id["capture-2"].lag_seconds == 2400.0  # still in the story, with its lag
    assert [m.id for m in s.members] == ["capture-1", "capture-2", "amp", "copy"]


def test_same_outlet_compares_the_stored_names_case_insensitively() -> None:
    # An agency filing twice is the same outlet, however its name is cased (#12 item 4);
    # a sister site with another stored name is not.
    arts = [
        _art(1, "filing-1", "2014-12-01T00:00:00+00:00", "date", raw="2014-12-01", outlet="app"),
        _art(2, "filing-2", "2014-12-02T00:00:00+00:00", "date", raw="2014-12-02", outlet="app"),
        _art(3, "sister", "2014-12-02T00:00:00+00:00", "date", raw="2014-12-02", outlet="app.com.pk"),
        _art(4, "upper", "2014-12-03T00:00:00+00:00", "date", raw="2014-12-03", outlet="APP"),
    ]
    s = _build(arts)
    rel = {m.id: m.relation for m in s.members}
    assert rel == {"filing-1": "original", "filing-2": "same_outlet", "sister": "uncredited_copy", "upper": "same_outlet"}


def test_an_earlier_related_text_is_related_not_a_partial_copy() -> None:
    arts = [_art(1, "template", "2014-10-11", "date"), _art(2, "app", "2014-11-28", "date"), _art(3, "paper", "2014-11-29", "date")]
    story = _build(arts, _linked(0.32))
    rel = {m.id: m.relation for m in story.members}
    assert rel == {"app": "original", "template": "related", "paper": "uncredited_copy"}
    template = next(m for m in story.members if m.id == "template")
    assert template.lag_seconds is None and template.lag_span is not None
    assert template.lag_span.days == -48  # shown as it is: 48 days before the origin
    assert any(c.startswith("earlier related text, not the origin: template") for c in story.conflicts)


def test_an_earlier_related_text_of_the_origins_outlet_is_related() -> None:
    # Older and only loosely like the origin: not the origin published again.
    arts = [_art(1, "template", "2014-10-11", "date", outlet="app"), _art(2, "app", "2014-11-28", "date", outlet="app"),
            _art(3, "paper", "2014-11-29", "date")]
    story = _build(arts, _linked(0.32))
    assert [m.relation for m in story.members] == ["original", "related", "uncredited_copy"]


# -- times as spans: a bare date is the whole day in the zone it was read in ------------------

# "2026-11-25" read with --tz Asia/Jakarta, as stores hold it now and as stores written before
# bare dates kept their zone hold it (that day's local midnight converted to UTC).
JAKARTA_DATE = {"now": "2026-11-25T00:00:00+07:00", "before": "2026-11-24T17:00:00+00:00"}


@pytest.mark.parametrize("stored", sorted(JAKARTA_DATE))
def test_a_jakarta_bare_date_copy_of_a_morning_original_is_same_day(stored: str) -> None:
    arts = [
        _art(1, "copy", JAKARTA_DATE[stored], "date", raw="2026-11-25"),
        _art(2, "orig", "2026-11-25T02:00:00+00:00", raw="2026-11-25T09:00:00+07:00"),
    ]
    s = _build(arts)
    assert s.first.id == "orig"
    copy = s.members[1]
    assert copy.published_at is not None and copy.published_at.date().isoformat() == "2026-11-25"
    assert copy.published_at.utcoffset() == timedelta(hours=7)
    # the whole of the 25th in Jakarta, from 09:00 that day: never negative, never an hour-level figure
    assert copy.lag_seconds is None
    assert copy.lag_span == LagSpan(min_seconds=0.0, max_seconds=15 * 3600.0, days=0)
    assert copy.lag_span.label == "same day"
    assert not any(c.startswith("same time as first") for c in s.conflicts)


def test_a_jakarta_bare_date_first_is_named_by_its_own_day() -> None:
    arts = [
        _art(1, "wire", "2026-11-23T17:00:00+00:00", "date", raw="2026-11-24"),  # the 24th in Jakarta
        _art(2, "paper", "2026-11-25T03:00:00+00:00", raw="2026-11-25T10:00:00+07:00"),
    ]
    s = _build(arts)
    assert s.first.id == "wire"
    assert "earliest known time: 2026-11-24, date" in s.evidence
    assert s.members[1].lag_span is not None and s.members[1].lag_span.label == "+1 day"
    assert s.members[1].lag_span.min_seconds == 10 * 3600.0  # from the end of the 24th to 10:00 on the 25th


def test_two_bare_dates_of_one_day_are_a_tie_whichever_way_they_were_stored() -> None:
    arts = [
        _art(1, "paper", JAKARTA_DATE["before"], "date", raw="2026-11-25", outlet="kompas.com"),
        _art(2, "wire", JAKARTA_DATE["now"], "date", raw="2026-11-25", outlet="antaranews.com"),
    ]
    s = _build(arts)
    assert s.members[1].lag_span == LagSpan(min_seconds=0.0, max_seconds=86400.0, days=0)
    assert any(c.startswith("same time as first") for c in s.conflicts)


def test_sample_bare_dates_are_their_jakarta_day(sample_report) -> None:  # type: ignore[no-untyped-def]
    from dedup.report.stats import lag_distribution, member_lag_bucket

    rep, _ = sample_report
    dated = {m.id: m for s in rep.stories for m in s.members if m.time_precision == TimePrecision.DATE}
    assert {"kabarsatu-0001", "kabarsatu-0005"} <= set(dated)
    for ident in ("kabarsatu-0001", "kabarsatu-0005"):
        m = dated[ident]
        assert m.published_at is not None and m.published_at.date().isoformat() == "2026-11-25"
        # copies of originals timed on the 24th in Jakarta (09:40 and 16:30 WIB): the next day
        assert m.lag_seconds is None and m.lag_span is not None
        assert m.lag_span.days == 1 and m.lag_span.min_seconds > 0
    assert all(member_lag_bucket(m) != "< 15 min" for m in dated.values())
    dist = dict(lag_distribution(rep))
    timed_quick = sum(1 for s in rep.stories for m in s.members[1:]
                      if m.lag_seconds is not None and 0 <= m.lag_seconds < 15 * 60 and m.relation.endswith("copy"))
    assert dist["< 15 min"] == timed_quick  # no date-only copy in it
    assert dist["+1 day (date only)"] == 2


# --- the provenance tree (issue #12 item 1) -------------------------------------------------


def _efe_story():  # type: ignore[no-untyped-def]
    """The newshtml case: cooperativa.cl rewrote an EFE story without credit and came first;
    24horas.cl, later, opens "Por Agencia EFE"; EFE itself is not in the corpus."""
    body = ("El Gobierno de Chile anunció este martes un plan de reconstrucción para las zonas afectadas "
            "por los incendios forestales en la región de Valparaíso.")
    rewrite = _art(1, "cooperativa", "2026-11-24T12:00:00+00:00", outlet="cooperativa.cl", text=body)
    credited = _art(2, "24horas", "2026-11-24T13:00:00+00:00", outlet="24horas.cl",
                    text="Por Agencia EFE\n" + body)
    return _build([rewrite, credited])


def test_efe_crediting_copy_is_a_credited_copy_of_efe_not_of_the_uncredited_rewrite() -> None:
    s = _efe_story()
    by_id = {m.id: m for m in s.members}
    assert by_id["24horas"].credits == ("EFE",)
    assert by_id["24horas"].relation == "credited_copy"
    assert by_id["24horas"].parent == ParentRef(id=None, name="EFE", in_corpus=False)


def test_efe_uncredited_rewrite_is_an_uncredited_copy_of_efe_the_origin() -> None:
    s = _efe_story()
    assert s.first.id == "cooperativa"  # still the first in the corpus
    assert s.first.relation == "uncredited_copy" and not s.first.credited
    assert s.first.parent == ParentRef(id=None, name="EFE", in_corpus=False)
    assert s.origin is not None
    assert (s.origin.name, s.origin.in_corpus) == ("EFE", False)
    assert s.origin.confidence != "high"  # the first member does not credit it: only a later one does
    assert any("24horas" in e for e in s.origin.evidence)
    assert s.first.lag_seconds is None and s.first.lag_span is None  # EFE's own time is unknown


def test_origin_in_corpus_is_the_first_member_and_the_root_of_the_tree() -> None:
    arts = [_art(1, "orig", "2026-11-24T08:00:00+00:00"), _art(2, "copy", "2026-11-24T09:00:00+00:00")]
    s = _build(arts)
    assert s.origin is not None and (s.origin.name, s.origin.in_corpus) == ("orig.com", True)
    assert s.origin.evidence == s.evidence and s.origin.confidence == s.confidence
    assert s.first.parent is None
    assert s.members[1].parent == ParentRef(id="orig", name="orig.com", in_corpus=True)


def test_parent_is_the_closest_earlier_text_not_always_the_first() -> None:
    # b edited a's text; c copied b's edit (identical to b, less like a): c's parent is b.
    a_sig, b_sig = _sig(128), _sig(100)
    arts = [_art(1, "a", "2026-11-24T08:00:00+00:00"), _art(2, "b", "2026-11-24T09:00:00+00:00"),
            _art(3, "c", "2026-11-24T10:00:00+00:00")]
    s = _build(arts, np.stack([a_sig, b_sig, b_sig]))
    by_id = {m.id: m for m in s.members}
    assert by_id["b"].parent is not None and by_id["b"].parent.id == "a"
    assert by_id["c"].parent == ParentRef(id="b", name="b.com", in_corpus=True)
