"""Pair evidence beyond overlap (dedup/evidence.py): recurring templates and credits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dedup.credits import load_rules
from dedup.evidence import (
    CREDIT_BAR_FACTOR,
    FIGURE_BAR_FACTOR,
    MIN_KEPT_FIGURE_SHARE,
    Dated,
    agencies_credited,
    credit_mask,
    credit_picks,
    credit_to,
    credits_of,
    credits_outlet,
    elsewhere_mask,
    figure_share,
    figure_shift,
    figures_mask,
    is_recurring_template,
    link_bar,
    publication_day,
    template_mask,
)
from dedup.store import StoredArticle

RULES = load_rules()
COUNTER = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "counter"

# A daily market report: the frame is fixed, the figures are the day's.
MARKET = ("KARACHI, Sep {day} (APP) - Trading at the Karachi Stock Exchange closed {way} on {weekday}, the KSE-100 "
          "index moving {move} points to close at {close} points. The KSE-30 index closed at {k30} points and "
          "{volume} million shares changed hands, against {prev} million the previous day.")
MON = dict(day=16, way="higher", weekday="Tuesday", move="110.17", close="30,180.30", k30="20,817.12", volume=210, prev=195)
TUE = dict(day=17, way="lower", weekday="Wednesday", move="43.73", close="30,136.57", k30="20,766.24", volume=185, prev=210)


def art(outlet: str, text: str, day: str | None, title: str = "") -> Dated:
    return Dated(outlet, title, text, day, "date" if day else "unknown", day)


# -- recurring templates ---------------------------------------------------------------

def test_one_outlets_daily_report_on_two_days_is_a_template() -> None:
    mon = art("APP", MARKET.format(**MON), "2014-09-16")
    tue = art("APP", MARKET.format(**TUE), "2014-09-17")
    assert is_recurring_template(tue, mon, RULES)
    assert is_recurring_template(mon, tue, RULES)  # either order: the days say which is later


@pytest.mark.parametrize(
    ("why", "mon", "tue"),
    [
        ("another outlet's copy with new figures", art("APP", MARKET.format(**MON), "2014-09-16"),
         art("express", MARKET.format(**TUE), "2014-09-17")),
        ("the same day", art("APP", MARKET.format(**MON), "2014-09-17"), art("APP", MARKET.format(**TUE), "2014-09-17")),
        ("a day unknown", art("APP", MARKET.format(**MON), None), art("APP", MARKET.format(**TUE), "2014-09-17")),
        ("re-run with its figures", art("APP", MARKET.format(**MON), "2014-09-16"),
         art("APP", MARKET.format(**MON), "2014-09-17")),
        # The dateline's day and one corrected figure: a dated copy, not a new day's report.
        ("a changed number or two", art("APP", MARKET.format(**MON), "2014-09-16"),
         art("APP", MARKET.format(**{**MON, "day": 17, "volume": 212}), "2014-09-17")),
    ],
)
def test_a_copy_is_no_template(why: str, mon: Dated, tue: Dated) -> None:
    assert not is_recurring_template(tue, mon, RULES), why


def test_differences_in_words_are_no_template() -> None:
    # The outlet's follow-up: a paragraph of new words, a few new figures among them. Its figures
    # moved, but they are not what changed.
    first = "The central bank kept its policy rate at 10 percent on Monday, the governor said in Karachi."
    follow = (first.replace("Monday", "Tuesday") + " Analysts at three brokerages had expected the hold after inflation "
              "eased in August, and said the bank was likely to wait for the next fiscal review before cutting, "
              "with the currency steady against the dollar and reserves rising for a 4th week to 9.1 billion, "
              "up from 8.7 billion, while exporters asked for cheaper credit lines and the finance ministry "
              "repeated its growth forecast for the year ahead in a statement issued late in the evening.")
    shift = figure_shift(follow, first)
    assert shift.new_figures >= 3 and shift.new_share >= 0.5 and shift.gain < 0.1
    assert not is_recurring_template(art("APP", follow, "2014-09-17"), art("APP", first, "2014-09-16"), RULES)


def test_same_outlet_follows_case_and_the_stores_aliases() -> None:
    mon = art("APP", MARKET.format(**MON), "2014-09-16")
    tue = art("app.com.pk", MARKET.format(**TUE), "2014-09-17")
    assert is_recurring_template(art("app", tue.text, "2014-09-17"), mon, RULES)
    assert not is_recurring_template(tue, mon, RULES)  # a sister site is another outlet ...
    assert is_recurring_template(tue, mon, RULES.with_outlet_aliases({"app.com.pk": "APP"}))  # ... unless aliased


def test_figures_are_compared_across_digit_scripts_and_thousands_marks() -> None:
    same = figure_shift("انڈیکس ۳۰٬۱۸۰٫۳۰ پوائنٹس اور ۱۱۰ پوائنٹس", "انڈیکس 30,180.30 پوائنٹس اور 110 پوائنٹس")
    assert same.new_figures == 0 and same.gain == 0.0


def test_stored_rows_are_read_as_they_are() -> None:
    def row(text: str, when: str, raw: str) -> StoredArticle:
        return StoredArticle(doc=1, id="x", url="", outlet="APP", title="", text=text, published_at=when,
                             time_precision="date", published_raw=raw, record_hash="", n_shingles=0, stripped=(),
                             indexed_at="", story_id=None)

    # A bare date stored as its local midnight in UTC (an older store) is still its own day.
    mon = row(MARKET.format(**MON), "2014-09-15T19:00:00+00:00", "2014-09-16")
    tue = row(MARKET.format(**TUE), "2014-09-16T19:00:00+00:00", "2014-09-17")
    assert str(publication_day(mon)) == "2014-09-16"
    assert is_recurring_template(tue, mon, RULES)


def _counter() -> tuple[dict[str, dict], list[dict]]:
    if not (COUNTER / "documents.jsonl").exists():
        pytest.skip(f"COUNTER not present at {COUNTER} (evaluation data, never in the repository)")
    docs = {d["doc_id"]: d for d in map(json.loads, (COUNTER / "documents.jsonl").open(encoding="utf-8"))}
    return docs, [json.loads(line) for line in (COUNTER / "pairs.jsonl").open(encoding="utf-8")]


def _dated(d: dict) -> Dated:
    return art(d["outlet"], d["body"], d["date"], d["headline"])


def test_counter_templates_of_issue_14_are_vetoed_and_no_labelled_pair_is() -> None:
    docs, pairs = _counter()
    for group in (("0309", "0213", "0218"), ("0310", "0212", "0219"), ("0556", "0565")):
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                assert is_recurring_template(_dated(docs[a]), _dated(docs[b]), RULES), (a, b)
    vetoed = [p["pair_id"] for p in pairs
              if is_recurring_template(_dated(docs[p["derived_doc_id"]]), _dated(docs[p["source_doc_id"]]), RULES)]
    assert vetoed == []
    # APP's byte-identical texts filed twice, weeks apart, are no template (same figures).
    assert not is_recurring_template(_dated(docs["0566"]), _dated(docs["0589"]), RULES)


# -- credits ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("earlier_outlet", "later_outlet", "text"),
    [
        # COUNTER's agencies as its files name them, credited as Urdu papers write them.
        ("APP", "express", "اسلام آباد (اے پی پی) وزیراعظم نے کہا کہ بجٹ متوازن ہوگا۔"),
        ("NNI", "daily_dunya", "لاہور (این این آئی) وزیر اعلیٰ نے کہا کہ منصوبہ مکمل ہوگا۔"),
        ("INN", "nawa-e-waqt", "کراچی (آئی این این) شہر میں بارش کا امکان ہے۔"),
        ("INP", "jang", "پشاور (آئی این پی) صوبائی حکومت نے اعلان کیا۔"),
        ("SANA", "daily_islam", "اسلام آباد (ثناء نیوز) وفاقی کابینہ کا اجلاس ہوا۔"),
        # Its closing paragraph alone (the rule added with this module).
        ("APP", "express", "وزیراعظم نے کہا کہ ترقیاتی منصوبوں پر کام جاری رہے گا۔\n(اے پی پی)"),
        ("reuters.com", "korannews.com", "JAKARTA, Nov 24 (Reuters) - Indonesia plans to cut nickel ore quotas."),
        ("efe.com", "elmundo.es", "Por Agencia EFE\n\nBogotá - El Gobierno aprobó el presupuesto."),
    ],
)
def test_a_credit_to_the_earlier_outlet(earlier_outlet: str, later_outlet: str, text: str) -> None:
    assert credits_outlet(credits_of(text, later_outlet, RULES), later_outlet, earlier_outlet, RULES)
    found = credit_to(text, later_outlet, earlier_outlet, RULES)
    assert found is not None and found.phrase


def test_no_credit_to_another_or_the_same_outlet() -> None:
    urdu = credits_of("اسلام آباد (اے پی پی) وزیراعظم نے کہا", "express", RULES)
    assert not credits_outlet(urdu, "express", "NNI", RULES)  # credits APP, not NNI
    assert not credits_outlet(urdu, "APP", "app", RULES)  # an outlet never credits itself
    assert not credits_outlet(frozenset(), "express", "APP", RULES)
    assert credit_to("اسلام آباد (اے پی پی) وزیراعظم نے کہا", "express", "NNI", RULES) is None


def test_credits_follow_the_stores_outlet_aliases() -> None:
    text = "Hal tersebut dikutip dari detik.com, Rabu (25/11/2026)."
    names = credits_of(text, "korannews.com", RULES)
    assert not credits_outlet(names, "korannews.com", "detikcom", RULES)  # an outlet named as the store has it ...
    aliased = RULES.with_outlet_aliases({"detikcom": "detik.com"})
    assert credits_outlet(credits_of(text, "korannews.com", aliased), "korannews.com", "detikcom", aliased)  # ... aliased


def test_a_credit_picks_its_outlets_best_candidate_only() -> None:
    names = frozenset({"APP"})
    candidates = [("APP", 0.21), ("NNI", 0.6), ("app", 0.28), ("APP", 0.28), ("express", 0.9)]
    assert credit_picks(names, "daily_dunya", candidates, RULES) == [False, False, True, True, False]
    assert credit_picks(frozenset(), "daily_dunya", candidates, RULES) == [False] * 5
    assert credit_picks(names, "APP", candidates, RULES) == [False] * 5  # its own outlet
    assert credit_picks(names, "daily_dunya", [], RULES) == []


def test_a_picked_pair_needs_less_overlap() -> None:
    assert 0.5 <= CREDIT_BAR_FACTOR < 1.0
    assert link_bar(0.42, False) == 0.42
    assert link_bar(0.42, True) == pytest.approx(0.42 * CREDIT_BAR_FACTOR)


# -- over candidate arrays -------------------------------------------------------------

ROWS = {
    1: art("APP", MARKET.format(**MON), "2014-09-16"),
    2: art("APP", MARKET.format(**TUE), "2014-09-17"),
    3: art("express", "اسلام آباد (اے پی پی) وزیراعظم نے کہا کہ بجٹ متوازن ہوگا۔", "2014-09-17"),
    4: art("NNI", "لاہور (این این آئی) وزیر اعلیٰ نے کہا", "2014-09-16"),
}


def test_template_mask_reads_only_the_pairs_asked() -> None:
    read: list[int] = []

    def row(doc: int) -> Dated:
        read.append(doc)
        return ROWS[doc]

    a, b = np.array([2, 3, 2]), np.array([1, 1, 2])
    assert template_mask(a, b, row, RULES).tolist() == [True, False, False]
    read.clear()
    assert template_mask(a, b, row, RULES, only=np.array([False, True, False])).tolist() == [False, False, False]
    assert sorted(read) == [1, 3]


def test_credit_mask_lowers_the_bar_in_the_grey_band_only() -> None:
    later, earlier = np.array([3, 3, 3]), np.array([1, 2, 4])
    bar = np.full(3, 0.32)
    # Doc 3 credits APP: of APP's texts 1 and 2 it picks the better one (2), and only where the
    # score is below the bar but within CREDIT_BAR_FACTOR of it.
    inside = 0.32 * (1 + CREDIT_BAR_FACTOR) / 2
    assert credit_mask(later, earlier, np.array([0.1, inside, inside]), bar, ROWS.__getitem__, RULES).tolist() == \
        [False, True, False]
    assert credit_mask(later, earlier, np.array([0.1, 0.5, 0.1]), bar, ROWS.__getitem__, RULES).tolist() == \
        [False, False, False]  # above the bar: nothing to decide
    below = 0.32 * CREDIT_BAR_FACTOR * 0.9
    assert credit_mask(later, earlier, np.array([0.0, below, 0.0]), bar, ROWS.__getitem__, RULES).tolist() == \
        [False, False, False]
    # A better APP candidate above the bar is the one the credit picks: not the grey one.
    assert credit_mask(later, earlier, np.array([0.6, inside, 0.0]), bar, ROWS.__getitem__, RULES).tolist() == \
        [False, False, False]


# -- kept figures ------------------------------------------------------------------------

SCORE = "Bangladesh beat Zimbabwe by 5 wickets: Zimbabwe 128 all out in 24.3 overs, Taijul 4 for 11."


def test_figure_share_is_the_later_texts_figures_found_in_the_earlier() -> None:
    assert figure_share("Zimbabwe made 128 in 24.3 overs; Taijul took 4 wickets for 11 runs.", SCORE) == 1.0
    assert figure_share("Zimbabwe made 128; Bangladesh won with 52 balls and 7 overs to spare.", SCORE) == pytest.approx(1 / 3)
    assert figure_share("Zimbabwe ۱۲۸ all out; Taijul ۴ for ۱۱.", SCORE) == 1.0  # Urdu digits are the same figures
    assert figure_share("Zimbabwe were bowled out for 128.", SCORE) == 0.0  # one figure proves nothing
    assert figure_share("No figures here at all.", SCORE) == 0.0


def test_figures_pick_the_earlier_text_that_keeps_them_best_in_the_grey_band_only() -> None:
    rows = {
        1: art("express", "Zimbabwe 128 all out in 24.3 overs; Taijul 4 for 11.", "2014-12-02"),
        2: art("APP", SCORE, "2014-12-01"),
        3: art("APP", "Zimbabwe 128 all out in the first ODI, Shakib 3 for 20.", "2014-12-01"),
        4: art("APP", "Pakistan 287 for 6 against Australia in 50 overs.", "2014-12-01"),
    }
    bar = np.full(3, 0.32)
    later, earlier = np.array([1, 1, 1]), np.array([2, 3, 4])
    grey = 0.32 * (1 + FIGURE_BAR_FACTOR) / 2
    # Text 2 keeps all of text 1's figures, text 3 one of four, text 4 none: only text 2 is picked.
    assert figures_mask(later, earlier, np.full(3, grey), bar, rows.__getitem__).tolist() == [True, False, False]
    # Only where the figures decide: above the bar, or below the figures' bar, nothing is picked.
    assert figures_mask(later, earlier, np.array([0.5, grey, grey]), bar, rows.__getitem__).tolist() == [False, False, False]
    below = 0.32 * FIGURE_BAR_FACTOR * 0.9
    assert figures_mask(later, earlier, np.array([below, grey, grey]), bar, rows.__getitem__).tolist() == [False, False, False]
    # A best share under MIN_KEPT_FIGURE_SHARE picks nothing.
    assert figure_share(rows[1].text, rows[3].text) < MIN_KEPT_FIGURE_SHARE
    assert figures_mask(later[1:], earlier[1:], np.full(2, grey), bar[1:], rows.__getitem__).tolist() == [False, False]


# -- credits elsewhere ----------------------------------------------------------------------

def test_agencies_credited_leave_out_outlets_quoted() -> None:
    assert agencies_credited("لاہور (این این آئی + آن لائن) وزیر اعلیٰ نے کہا", "express", RULES) == {"NNI", "Online"}
    # A quote's source is not where the text came from (COUNTER 0142p: "according to Al Arabiya").
    assert agencies_credited("العربیہ کے مطابق وزیر خارجہ نے کہا", "daily_waqt", RULES) == frozenset()
    assert agencies_credited("اسلام آباد (اے پی پی) وزیراعظم نے کہا", "APP", RULES) == frozenset()  # its own outlet


def test_elsewhere_mask_holds_for_a_text_crediting_other_wires_only() -> None:
    rows = {
        1: art("nawa-e-waqt", "اسلام آباد (این این آئی + آن لائن) وزیراعظم نے کہا", "2014-08-24"),
        2: art("INN", "وزیراعظم نے کہا", "2014-08-23"),
        3: art("NNI", "وزیراعظم نے کہا", "2014-08-23"),
        4: art("jang", "وزیراعظم نے کہا", "2014-08-24"),
    }
    later, earlier = np.array([1, 1, 4]), np.array([2, 3, 2])
    everywhere = np.ones(3, dtype=bool)
    # 1 credits NNI and Online: not INN's text (True), NNI's is what it names (False); 4 credits nobody.
    assert elsewhere_mask(later, earlier, everywhere, rows.__getitem__, RULES).tolist() == [True, False, False]
    assert elsewhere_mask(later, earlier, np.zeros(3, dtype=bool), rows.__getitem__, RULES).tolist() == [False] * 3
