"""The exact "derived from" verifier (dedup/verify.py): directed, per script, on stored texts."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from dedup.config import ClusterConfig, Config, ShingleConfig
from dedup.index import store_settings
from dedup.pipeline import index_corpus
from dedup.store import open_store
from dedup.verify import containment, intersections, judge, script_of, sets_of_texts, text_shingles

CFG = ShingleConfig()
EARLY, LATE = "2026-11-24T08:00:00+00:00", "2026-11-24T15:00:00+00:00"
# No strict arm: the Jaccard and smaller-in-larger rule never fires, so what passes is the directed arm.
DIRECTED_ONLY = ClusterConfig(min_similarity=1.0, min_containment=1.0, derived=(("latin", 0.6),))


def _judge(texts: list[str], times: list[str | None], cfg: ClusterConfig, precisions: list[str] | None = None):  # type: ignore[no-untyped-def]
    sets = sets_of_texts([(t, "") for t in texts], times, precisions or ["exact"] * len(texts), CFG)
    return judge(sets, np.array([0]), np.array([1]), cfg)


def test_script_of_tells_arabic_latin_and_other() -> None:
    assert script_of("وزیراعظم نے کہا کہ حکومت عوام کو ریلیف دے گی") == "arabic"
    assert script_of("Harga beras naik lagi di pasar induk") == "latin"
    assert script_of("Премьер-министр заявил в четверг") == "other"
    assert script_of("2026 — 11 — 24") == "other"  # no letters: no script to calibrate for


def test_later_text_found_in_an_earlier_one_is_derived_not_the_reverse(news: dict[str, Any]) -> None:
    # A one-paragraph copy of a long compilation: too small beside it for the strict rule's containment.
    whole = "\n\n".join(news[k].body for k in ("tram", "football", "krl", "rates"))
    part = news["tram"].paragraphs[1]
    v = _judge([part, whole], [LATE, EARLY], DIRECTED_ONLY)
    assert v.direction[0] == 1 and v.c_ab[0] == 1.0 and bool(v.a_from_b[0]) and not bool(v.b_from_a[0])
    # The same texts the other way round in time: a long later text "contains" a short earlier one.
    v = _judge([part, whole], [EARLY, LATE], DIRECTED_ONLY)
    assert v.direction[0] == -1 and v.c_ba[0] < 0.2 and not bool(v.keep[0])


def test_order_unknown_or_same_day_counts_both_ways(news: dict[str, Any]) -> None:
    whole = "\n\n".join(news[k].body for k in ("tram", "football", "krl", "rates"))
    part = news["tram"].paragraphs[1]
    same_day = _judge([part, whole], ["2026-11-24T00:00:00+00:00", "2026-11-24T00:00:00+00:00"], DIRECTED_ONLY, ["date", "date"])
    unknown = _judge([part, whole], [EARLY, None], DIRECTED_ONLY)
    for v in (same_day, unknown):
        assert v.direction[0] == 0 and bool(v.keep[0])
    next_day = _judge([part, whole], ["2026-11-23T00:00:00+00:00", "2026-11-24T00:00:00+00:00"], DIRECTED_ONLY, ["date", "date"])
    assert next_day.direction[0] == -1 and not bool(next_day.keep[0])


def test_each_script_has_its_own_threshold_and_others_the_strict_rule(news: dict[str, Any]) -> None:
    # A rewrite: two of the wire story's paragraphs and a local story after them.
    later = "\n\n".join([*news["tram"].paragraphs[:2], news["flood_a"].body])
    earlier = news["tram"].body
    share = containment(text_shingles(later, "", CFG), text_shingles(earlier, "", CFG))
    assert 0.3 < share < 0.6
    strict = _judge([later, earlier], [LATE, EARLY], ClusterConfig(derived=()))
    assert not bool(strict.keep[0])  # today's rule alone misses it
    assert bool(_judge([later, earlier], [LATE, EARLY], ClusterConfig(derived=(("latin", share - 0.05),))).keep[0])
    assert not bool(_judge([later, earlier], [LATE, EARLY], ClusterConfig(derived=(("latin", share + 0.05),))).keep[0])
    # a threshold for another script does not apply to Latin text
    assert not bool(_judge([later, earlier], [LATE, EARLY], ClusterConfig(derived=(("arabic", 0.1),))).keep[0])


@pytest.mark.parametrize("n", [5, 300])  # the numpy path and the compiled one
def test_intersections_count_shared_shingles(n: int) -> None:
    rng = np.random.default_rng(n)
    texts = [" ".join(f"w{x}" for x in rng.integers(0, 400, 120)) for _ in range(n)]
    sets = sets_of_texts([(t, "") for t in texts], [None] * n, ["unknown"] * n, CFG)
    ia, ib = rng.integers(0, n, 200), rng.integers(0, n, 200)
    got = intersections(sets, ia, ib)
    plain = [text_shingles(t, "", CFG) for t in texts]
    assert got.tolist() == [np.intersect1d(plain[a], plain[b]).size for a, b in zip(ia, ib)]


def test_a_store_keeps_its_thresholds_and_an_older_store_adopts_them(tmp_path, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    own = Config(store=tmp_path / "s", progress=False, workers=1, cluster=ClusterConfig(derived=(("latin", 0.45),)))
    index_corpus([str(jsonl("a.jsonl", [articles["tram-orig"]]))], own)
    store = open_store(own.store, create=False)
    try:
        # a later run that chose nothing judges with the store's thresholds, not the defaults
        assert store_settings(store, Config(chosen=frozenset()))[0].cluster.derived == (("latin", 0.45),)
        # a store built before the thresholds existed: its params have none
        params = json.loads(store.get_meta("params") or "{}")
        del params["cluster"]["derived"]
        store.set_meta("params", json.dumps(params))
    finally:
        store.close()
    index_corpus([str(jsonl("b.jsonl", [articles["tram-junk"]]))], Config(store=own.store, progress=False, workers=1, chosen=frozenset()))
    store = open_store(own.store, create=False)
    try:
        assert json.loads(store.get_meta("params") or "{}")["cluster"]["derived"] == dict(ClusterConfig().derived)
    finally:
        store.close()


def test_an_outlets_own_texts_need_the_strict_rule(news: dict[str, Any]) -> None:
    # The same rewrite as above, at a bar it passes between two outlets: one outlet's formulaic
    # texts of two days (COUNTER's daily sports and market reports) are not copies of each other.
    later = "\n\n".join([*news["tram"].paragraphs[:2], news["flood_a"].body])
    earlier = news["tram"].body
    cfg = ClusterConfig(derived=(("latin", 0.3),))

    def keep(outlets: list[str]) -> bool:
        sets = sets_of_texts([(later, ""), (earlier, "")], [LATE, EARLY], ["exact"] * 2, CFG, outlets=outlets)
        return bool(judge(sets, np.array([0]), np.array([1]), cfg).keep[0])

    assert keep(["dailyecho.net", "riverpost.com"])
    assert not keep(["APP", "app"])  # outlets are compared case-folded


def test_pair_evidence_vetoes_an_outlets_recurring_template_and_credits_lower_the_bar(news: dict[str, Any]) -> None:
    from dedup.credits import load_rules
    from dedup.evidence import Dated

    frame = ("KARACHI, Sep {d} (APP): The KSE-100 index of the Karachi Stock Exchange closed at {b} points on "
             "{day}, {a} points {way} the previous close, as {c} million shares changed hands in a session "
             "dominated by cement, fertiliser and oil stocks. Gold traded at {g} rupees per tola.")
    mon = frame.format(d=16, b="30,180.30", day="Tuesday", a="110.17", way="above", c=210, g="41,057")
    tue = frame.format(d=17, b="30,136.57", day="Wednesday", a="43.73", way="below", c=185, g="40,971")
    times = ["2014-09-17T00:00:00+00:00", "2014-09-16T00:00:00+00:00"]
    sets = sets_of_texts([(tue, ""), (mon, "")], times, ["date", "date"], CFG, outlets=["APP", "APP"])
    assert judge(sets, np.array([0]), np.array([1]), ClusterConfig()).keep[0]  # the strict rule alone: a "copy"
    rows = {0: Dated("APP", "", tue, times[0], "date", "2014-09-17"), 1: Dated("APP", "", mon, times[1], "date", "2014-09-16")}
    rules = load_rules()
    assert not judge(sets, np.array([0]), np.array([1]), ClusterConfig(), rows.__getitem__, lambda: rules).keep[0]
    # a credit to the earlier text's outlet: the later text needs 0.8 x its script's bar
    later = "\n\n".join([*news["tram"].paragraphs[:2], news["flood_a"].body])
    share = containment(text_shingles(later, "", CFG), text_shingles(news["tram"].body, "", CFG))
    cfg = ClusterConfig(derived=(("latin", share + 0.02),))
    credited = later + "\n\nSource: Reuters"
    sets = sets_of_texts([(credited, ""), (news["tram"].body, "")], [LATE, EARLY], ["exact"] * 2, CFG, outlets=["dailyecho.net", "reuters.com"])
    rows2 = {0: Dated("dailyecho.net", "", credited, LATE, "exact"), 1: Dated("reuters.com", "", news["tram"].body, EARLY, "exact")}
    assert not judge(sets, np.array([0]), np.array([1]), cfg).keep[0]
    assert judge(sets, np.array([0]), np.array([1]), cfg, rows2.__getitem__, lambda: rules).keep[0]


def _made_up_text(letters: str, seed: int, sentences: int) -> list[str]:
    """Sentences of made-up words in ``letters`` (no real name or credit in them)."""
    rng = np.random.default_rng(seed)
    return [" ".join("".join(rng.choice(list(letters), size=int(rng.integers(3, 7)))) for _ in range(9)) + "."
            for _ in range(sentences)]


@pytest.mark.parametrize(("letters", "script"), [("ابپتٹثجچحخدڈذرڑزژسشصضطظعغفقکگلمنوہیے", "arabic"),
                                                  ("abcdefghijklmnopqrstuvwxyz", "latin")])
def test_in_the_arabic_grey_band_only_a_wire_agency_is_a_source(letters: str, script: str) -> None:
    # A newspaper text holding 6 of another newspaper's 20 sentences (its share found there ~0.37,
    # Jaccard ~0.2: only the relaxed arm passes). In Arabic script such a "source" is no wire agency:
    # two rewrites of one wire text look like that (COUNTER 0052p/0081p, 0531p/0532p).
    from dedup.credits import load_rules
    from dedup.evidence import Dated

    earlier = " ".join(_made_up_text(letters, 1, 20))
    later = " ".join(_made_up_text(letters, 1, 6) + _made_up_text(letters, 2, 10))
    times = ["2014-09-17T00:00:00+00:00", "2014-09-16T00:00:00+00:00"]
    cfg = ClusterConfig(derived=((script, 0.32),))
    rules = load_rules()

    def keep(source_outlet: str, with_rules: bool = True) -> bool:
        outlets = ["express", source_outlet]
        sets = sets_of_texts([(later, ""), (earlier, "")], times, ["date", "date"], CFG, outlets=outlets)
        assert sets.scripts == (script, script)
        rows = {0: Dated("express", "", later, times[0], "date", "2014-09-17"),
                1: Dated(source_outlet, "", earlier, times[1], "date", "2014-09-16")}
        if not with_rules:
            return bool(judge(sets, np.array([0]), np.array([1]), cfg).keep[0])
        return bool(judge(sets, np.array([0]), np.array([1]), cfg, rows.__getitem__, lambda: rules).keep[0])

    assert keep("daily_dunya", with_rules=False)  # no outlet knowledge: the bar alone
    assert keep("APP")  # a wire agency (credits.toml kind = "agency")
    assert keep("daily_dunya") == (script == "latin")  # another newspaper: Latin keeps its rule


def _judged(later: str, earlier: str, source_outlet: str, script: str, bar: float = 0.32) -> bool:
    from dedup.credits import load_rules
    from dedup.evidence import Dated

    times = ["2014-09-17T00:00:00+00:00", "2014-09-16T00:00:00+00:00"]
    sets = sets_of_texts([(later, ""), (earlier, "")], times, ["date", "date"], CFG, outlets=["express", source_outlet])
    assert sets.scripts == (script, script)
    rows = {0: Dated("express", "", later, times[0], "date", "2014-09-17"),
            1: Dated(source_outlet, "", earlier, times[1], "date", "2014-09-16")}
    rules = load_rules()
    return bool(judge(sets, np.array([0]), np.array([1]), ClusterConfig(derived=((script, bar),)), rows.__getitem__,
                      lambda: rules).keep[0])


@pytest.mark.parametrize(("letters", "script"), [("ابپتٹثجچحخدڈذرڑزژسشصضطظعغفقکگلمنوہیے", "arabic"),
                                                  ("abcdefghijklmnopqrstuvwxyz", "latin")])
def test_in_the_arabic_grey_band_kept_figures_halve_the_bar(letters: str, script: str) -> None:
    # A rewrite keeping 4 of its wire text's 20 sentences (its share found there ~0.2: under the
    # bar, over half of it) and the wire text's figures, against the same rewrite with other figures.
    from dedup.evidence import FIGURE_BAR_FACTOR

    figures = "287 6 104 53 24.3"
    earlier = " ".join(_made_up_text(letters, 1, 20)) + f" {figures}"
    rewrite = " ".join(_made_up_text(letters, 1, 4) + _made_up_text(letters, 2, 12))
    kept, moved = f"{rewrite} {figures}", f"{rewrite} 301 9 77 12 31.4"
    share = containment(text_shingles(kept, "", CFG), text_shingles(earlier, "", CFG))
    assert 0.32 * FIGURE_BAR_FACTOR < share < 0.32
    assert _judged(kept, earlier, "APP", script) == (script == "arabic")  # calibrated on Urdu only
    assert not _judged(moved, earlier, "APP", script)
    assert not _judged(kept, earlier, "daily_dunya", script)  # a newspaper is still no source in the grey band


def test_a_text_crediting_other_wires_is_not_linked_on_overlap_in_the_grey_band() -> None:
    # COUNTER 0462p: "اسلام آباد (این این آئی + آن لائن)" linked to INN's 0462 at 0.35: it says where it came from.
    letters = "ابپتٹثجچحخدڈذرڑزژسشصضطظعغفقکگلمنوہیے"
    earlier = " ".join(_made_up_text(letters, 1, 20))
    rewrite = " ".join(_made_up_text(letters, 1, 6) + _made_up_text(letters, 2, 10))
    share = containment(text_shingles(rewrite, "", CFG), text_shingles(earlier, "", CFG))
    assert 0.32 < share < 0.5
    assert _judged(rewrite, earlier, "INN", "arabic")  # no credit: the overlap decides
    assert not _judged(f"اسلام آباد (این این آئی + آن لائن) {rewrite}", earlier, "INN", "arabic")
    assert _judged(f"اسلام آباد (آئی این این) {rewrite}", earlier, "INN", "arabic")  # credits the source's outlet
    assert _judged(f"العربیہ کے مطابق {rewrite}", earlier, "INN", "arabic")  # a quote's source is no credit elsewhere
    # The strict rule is not the grey band: a copy is a copy whatever it credits.
    assert _judged(f"اسلام آباد (این این آئی) {earlier}", earlier, "INN", "arabic")


def test_scripts_counted_at_once_are_each_texts_script() -> None:
    from dedup.verify import _COMPILED_SCRIPTS_MIN, script_of, scripts_of

    texts = ["The minister said " * 200, "وزیراعظم نے کہا کہ " * 150, "Премьер сказал", "😀" * 3 + "ab", "", "x" * 2500 + "ب" * 2000]
    many = texts * (_COMPILED_SCRIPTS_MIN // len(texts) + 1)  # the compiled count
    assert scripts_of(many) == tuple(script_of(t) for t in many)
    assert scripts_of(many)[:6] == ("latin", "arabic", "other", "latin", "other", "latin")  # (the sample is 2000 characters)
    assert scripts_of(texts) == tuple(script_of(t) for t in texts)


def test_a_wire_agency_is_not_the_uncredited_copy_of_an_earlier_newspaper(news: dict[str, Any]) -> None:
    # COUNTER: APP's 0036 of 2014-11-28 was "derived from" daily_insaf's 0096p of seven weeks
    # before (their tournament's recurring background, APP's own text copied), gluing two stories.
    from dedup.credits import load_rules
    from dedup.evidence import Dated

    rules = load_rules()
    body = news["tram"].body

    def linked(copy_outlet: str, source_outlet: str, copy_text: str, times: tuple[str | None, str | None]) -> tuple[bool, bool]:
        sets = sets_of_texts([(copy_text, ""), (body, "")], list(times), ["exact"] * 2, CFG, outlets=[copy_outlet, source_outlet])
        rows = {0: Dated(copy_outlet, "", copy_text, times[0], "exact"), 1: Dated(source_outlet, "", body, times[1], "exact")}
        v = judge(sets, np.array([0]), np.array([1]), ClusterConfig(), rows.__getitem__, lambda: rules)
        return bool(v.a_from_b[0]), bool(v.b_from_a[0])

    assert linked("APP", "daily_insaf", body, (LATE, EARLY)) == (False, False)  # the agency later: no copy either way
    assert linked("APP", "daily_insaf", body, (LATE, None)) == (True, True)  # order unknown: the paper may be the copy
    assert linked("express", "daily_insaf", body, (LATE, EARLY)) == (True, False)  # two papers: as before
    assert linked("APP", "INP", body, (LATE, EARLY)) == (True, False)  # agency from agency: as before
    assert linked("reuters.com", "theguardian.com", f"The Guardian reported that {body}", (LATE, EARLY)) == (True, False)  # credited
    # without the outlet and the rules, judge cannot tell an agency: the link stands
    sets = sets_of_texts([(body, ""), (body, "")], [LATE, EARLY], ["exact"] * 2, CFG, outlets=["APP", "daily_insaf"])
    assert bool(judge(sets, np.array([0]), np.array([1]), ClusterConfig()).a_from_b[0])


def test_containment_is_trusted_only_between_texts_neither_tiny_nor_far_apart_in_size() -> None:
    from dedup.verify import MAX_SIZE_RATIO_FOR_CONTAINMENT, MIN_SHINGLES_FOR_CONTAINMENT, containment_reliable

    m, r = MIN_SHINGLES_FOR_CONTAINMENT, MAX_SIZE_RATIO_FOR_CONTAINMENT
    sizes_a = np.array([m, m - 1, m, m, 10])
    sizes_b = np.array([m, 5 * m, r * m, r * m + 1, 30])
    assert containment_reliable(sizes_a, sizes_b).tolist() == [True, False, True, False, False]
