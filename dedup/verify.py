"""Exact evidence of reuse between stored texts (the verify stage: after index, before cluster).

MinHash estimates similarity; this stage measures it on the texts the store
keeps, so a rewritten copy is judged on its real overlap, not an estimate.
Direction matters (benchmarks/QUALITY.md): what counts is the share of the
*later* text found in the *earlier* one.

>>> from dedup.config import ShingleConfig
>>> cfg = ShingleConfig()
>>> wire = text_shingles("The central bank raised its key rate by half a point on Tuesday.", "", cfg)
>>> copy = text_shingles("The central bank raised its key rate by half a point on Tuesday, officials said.", "", cfg)
>>> round(containment(copy, wire), 2), round(containment(wire, copy), 2)
(0.79, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

import numpy as np

from .clean import clean_text
from .config import ClusterConfig, ShingleConfig
from .credits import CreditRules
from .evidence import (
    CREDIT_BAR_FACTOR,
    FIGURE_BAR_FACTOR,
    Article,
    agency_copy_mask,
    credit_mask,
    elsewhere_mask,
    figures_mask,
    in_grey_band,
    template_mask,
)
from .outlets import outlet_key
from .shingle import shingle, shingle_batch
from .store import Store


def text_shingles(text: str, title: str, cfg: ShingleConfig, language: str = "") -> np.ndarray:
    """The exact shingle set (sorted unique) of a stored article, cleaned as the index cleans it."""
    return shingle(clean_text(text, title=title).text, cfg, language)


def containment(part: np.ndarray, whole: np.ndarray) -> float:
    """|part ∩ whole| / |part| for sorted unique shingle sets: the share of ``part`` found in ``whole``."""
    if part.size == 0:
        return 0.0
    return float(np.intersect1d(part, whole, assume_unique=True).size) / float(part.size)


# -- the verifier for "derived from" ------------------------------------------------

# Containment estimated from a low Jaccard is noisy for tiny texts: a short
# article only counts as contained in a longer one above this many shingles.
MIN_SHINGLES_FOR_CONTAINMENT = 60
# Containment estimated from Jaccard and set sizes is unreliable when one set is
# many times the other (measured: 7.6-21x ratios gave estimates 0.71-1.00 for
# true containment 0.33-0.46; see benchmarks/SHINGLES.md). Beyond this ratio only
# the Jaccard arm of the rule counts.
MAX_SIZE_RATIO_FOR_CONTAINMENT = 6.0


def containment_both(sim: np.ndarray, size_a: np.ndarray, size_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Estimated |A∩B|/|A| and |A∩B|/|B| from estimated Jaccard and set sizes."""
    inter = sim * (size_a + size_b) / (1.0 + sim)
    with np.errstate(divide="ignore", invalid="ignore"):
        c_ab = np.where(size_a > 0, np.minimum(1.0, inter / np.maximum(size_a, 1)), 0.0)
        c_ba = np.where(size_b > 0, np.minimum(1.0, inter / np.maximum(size_b, 1)), 0.0)
    return c_ab, c_ba


def containment_reliable(size_a: np.ndarray, size_b: np.ndarray) -> np.ndarray:
    """Where an estimated containment can be trusted: neither set tiny nor one many times the other."""
    small = np.minimum(size_a, size_b)
    large = np.maximum(size_a, size_b)
    return (small >= MIN_SHINGLES_FOR_CONTAINMENT) & (large <= MAX_SIZE_RATIO_FOR_CONTAINMENT * small)


# Scripts a text is written in, as far as the thresholds go: each has its own
# background of chance overlap between independent reports (benchmarks/QUALITY.md).
ARABIC = "arabic"
LATIN = "latin"
OTHER = "other"
_SCRIPT_SAMPLE = 2000  # characters: the script of a news text shows in its first lines
_COMPILED_SCRIPTS_MIN = 64  # texts: fewer are counted one by one (no compiled code to load)
_LATIN_BLOCKS = ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF))
_ARABIC_BLOCKS = ((0x600, 0x6FF), (0x750, 0x77F), (0x8A0, 0x8FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))


@lru_cache(maxsize=1)
def _script_table() -> np.ndarray:
    """Per BMP code point: 0 not a letter, 1 Latin, 2 Arabic script, 3 another script's letter."""
    table = np.array([3 if chr(c).isalpha() else 0 for c in range(0x10000)], dtype=np.uint8)
    for blocks, code in ((_LATIN_BLOCKS, 1), (_ARABIC_BLOCKS, 2)):
        for lo, hi in blocks:
            span = table[lo : hi + 1]
            span[span > 0] = code
    return table


def script_of(text: str) -> str:
    """The script most of the text's letters are written in: ``arabic``, ``latin`` or ``other``.

    >>> script_of("وزیراعظم نے کہا کہ"), script_of("The minister said"), script_of("Премьер сказал")
    ('arabic', 'latin', 'other')
    """
    cps = np.frombuffer(text[:_SCRIPT_SAMPLE].encode("utf-32-le"), dtype=np.uint32)
    return _script_by_count(*np.bincount(_script_table()[cps[cps < 0x10000]], minlength=4).tolist()[1:])


def _script_by_count(latin: int, arabic: int, other: int) -> str:
    letters = latin + arabic + other
    if letters and arabic * 2 > letters:
        return ARABIC
    if letters and latin * 2 > letters:
        return LATIN
    return OTHER


def scripts_of(texts: Sequence[str]) -> tuple[str, ...]:
    """:func:`script_of` of each text; many are counted at once (compiled: a text at a time
    cost a 100k bulk load's verifier 0.3 s).

    >>> scripts_of(["وزیراعظم نے کہا کہ", "", "The minister said"])
    ('arabic', 'other', 'latin')
    """
    if len(texts) < _COMPILED_SCRIPTS_MIN:
        return tuple(script_of(t) for t in texts)
    from ._kernels import letter_counts

    samples = [t[:_SCRIPT_SAMPLE] for t in texts]
    offsets = np.zeros(len(samples) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, samples), dtype=np.int64, count=len(samples)), out=offsets[1:])
    counts = np.empty((len(samples), 4), dtype=np.int64)
    letter_counts(np.frombuffer("".join(samples).encode("utf-32-le"), dtype=np.uint32), offsets, _script_table(), counts)
    return tuple(_script_by_count(*row[1:]) for row in counts.tolist())


@dataclass(frozen=True, slots=True)
class DocSets:
    """Exact shingle sets of many stored texts, in one flat array (set ``i`` is
    ``values[starts[i] : starts[i] + counts[i]]``), with each text's script and time."""

    docs: np.ndarray  # int64, ascending
    values: np.ndarray  # uint32
    starts: np.ndarray  # int64
    counts: np.ndarray  # int64
    scripts: tuple[str, ...]
    day: np.ndarray  # float64: UTC day number of the publication time (NaN: unknown)
    instant: np.ndarray  # float64: POSIX seconds (NaN: unknown)
    date_only: np.ndarray  # bool: the time of day is unknown
    outlets: tuple[str, ...] = ()  # outlet_key of each text ("" or missing: unknown, never the same)


def _concat(parts: list[DocSets], values: np.ndarray | None = None) -> DocSets:
    """``parts`` as one DocSets: their sets laid end to end, or (``values``) already in that one
    array at the starts the parts hold."""
    counts = np.concatenate([p.counts for p in parts])
    if values is None:
        starts = np.zeros(len(counts), dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        values = np.concatenate([p.values for p in parts])
    else:
        starts = np.concatenate([p.starts for p in parts])
    return DocSets(
        docs=np.concatenate([p.docs for p in parts]), values=values, starts=starts, counts=counts,
        scripts=tuple(s for p in parts for s in p.scripts), day=np.concatenate([p.day for p in parts]),
        instant=np.concatenate([p.instant for p in parts]), date_only=np.concatenate([p.date_only for p in parts]),
        outlets=tuple(o for p in parts for o in p.outlets),
    )


_NO_VALUES = np.empty(0, dtype=np.uint32)


class SetCache:
    """Each doc's exact shingle set, script, time and outlet, computed once per run (re-cleaning
    and re-shingling a text costs far more than intersecting it), held in one flat array that
    grows as docs are added: past ``max_values`` shingles it is emptied and refilled."""

    def __init__(self, store: Store, cfg: ShingleConfig, max_values: int = 1 << 24) -> None:
        self.store, self.cfg, self.max_values = store, cfg, max_values
        self._clear()

    def _clear(self) -> None:
        self._slot: dict[int, int] = {}
        self._values = np.empty(1 << 16, dtype=np.uint32)
        self._used = 0
        self._parts: list[DocSets] = []
        self._view: DocSets | None = None

    def _shingled(self, docs: list[int]) -> list[DocSets]:
        """doc_sets of ``docs``, a batch at a time: a batch's texts are held 3 times (text,
        cleaned, code points: ~16 bytes per character), so batches stay small."""
        return [doc_sets(self.store, docs[i : i + _SHINGLE_BATCH], self.cfg) for i in range(0, len(docs), _SHINGLE_BATCH)]

    def meta(self, docs: np.ndarray) -> DocSets:
        """Times and outlets of ``docs`` (ascending, unique) without their sets (all empty):
        for pairs judged on their MinHash estimates alone (:func:`judge_estimated`)."""
        dated = self.store.dated(docs.tolist())
        rows = [dated[int(d)] for d in docs.tolist()]
        instant = np.array([_epoch(published) for _, published, _ in rows], dtype=np.float64)
        return DocSets(
            docs=docs, values=np.empty(0, np.uint32), starts=np.zeros(len(rows), np.int64), counts=np.zeros(len(rows), np.int64),
            scripts=(OTHER,) * len(rows), day=np.floor(instant / 86400.0), instant=instant,
            date_only=np.array([precision == "date" for _, _, precision in rows], dtype=bool),
            outlets=tuple(outlet_key(outlet) for outlet, _, _ in rows),
        )

    def positions(self, docs: np.ndarray) -> tuple[DocSets, np.ndarray]:
        """(the cache as one DocSets, the position of each of ``docs`` in it)."""
        missing = [int(d) for d in docs.tolist() if int(d) not in self._slot]
        if missing:
            fresh = self._shingled(missing)
            if self._used + sum(f.values.size for f in fresh) > self.max_values and self._slot:
                self._clear()
                fresh = self._shingled([int(d) for d in docs.tolist()])
            need = self._used + sum(f.values.size for f in fresh)
            if need > self._values.size:
                grown = np.empty(max(need, min(2 * self._values.size, self.max_values)), dtype=np.uint32)
                grown[: self._used] = self._values[: self._used]
                self._values = grown
            for part in fresh:  # (each batch straight into its place: no joined copy first)
                end = self._used + part.values.size
                self._values[self._used : end] = part.values
                first = len(self._slot)
                for i, d in enumerate(part.docs.tolist()):
                    self._slot[d] = first + i
                self._parts.append(replace(part, values=_NO_VALUES, starts=part.starts + self._used))
                self._used = end
            self._view = None
        if self._view is None:
            self._view = _concat(self._parts, self._values)
            self._parts = [replace(self._view, values=_NO_VALUES)]  # (the values live in self._values alone)
        slot = self._slot
        return self._view, np.fromiter((slot[int(d)] for d in docs.tolist()), dtype=np.int64, count=len(docs))


def doc_sets(store: Store, docs: Sequence[int], cfg: ShingleConfig) -> DocSets:
    """Re-shingle the stored texts of ``docs`` (cleaned as the index cleans them) in one batch."""
    docs_arr = np.unique(np.asarray(docs, dtype=np.int64))
    arts = {a.doc: a for a in store.articles(docs_arr.tolist())}
    rows = [arts[int(d)] for d in docs_arr]
    return sets_of_texts([(a.text, a.title) for a in rows], [a.published_at for a in rows],
                         [a.time_precision for a in rows], cfg, docs_arr, [a.outlet for a in rows])


def sets_of_texts(texts: Sequence[tuple[str, str]], published_at: Sequence[str | None], precisions: Sequence[str],
                  cfg: ShingleConfig, docs: np.ndarray | None = None, outlets: Sequence[str] | None = None) -> DocSets:
    """:class:`DocSets` of (text, title) pairs with their stored times (ISO 8601 UTC) and precisions."""
    cleaned = [clean_text(text, title=title).text for text, title in texts]
    batch = shingle_batch(cleaned, cfg)
    # Compact: the compiled path leaves each set in a slot as long as its text.
    counts = batch.counts.astype(np.int64)
    starts = np.zeros(len(batch), dtype=np.int64)
    if len(batch) > 1:
        np.cumsum(counts[:-1], out=starts[1:])
    values = np.concatenate([batch.get(i) for i in range(len(batch))]) if len(batch) else np.empty(0, np.uint32)
    instant = np.array([_epoch(p) for p in published_at], dtype=np.float64)
    return DocSets(
        docs=np.arange(len(texts), dtype=np.int64) if docs is None else docs, values=values, starts=starts,
        counts=counts, scripts=scripts_of(cleaned), day=np.floor(instant / 86400.0),
        instant=instant, date_only=np.array([p == "date" for p in precisions], dtype=bool),
        outlets=tuple(outlet_key(o) for o in outlets) if outlets is not None else ("",) * len(texts),
    )


def _epoch(published_at: str | None) -> float:
    return float("nan") if published_at is None else datetime.fromisoformat(published_at).timestamp()


_COMPILED_MIN = 64  # fewer pairs than this are intersected with numpy
_SHINGLE_BATCH = 2000  # texts re-shingled at once (as the index stage's batches)


def intersections(sets: DocSets, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """|set ia[k] ∩ set ib[k]| for positions into ``sets``."""
    out = np.zeros(len(ia), dtype=np.int64)
    if len(ia) >= _COMPILED_MIN:
        from ._kernels import pair_intersections

        pair_intersections(sets.values, sets.starts, sets.counts, ia.astype(np.int64), ib.astype(np.int64), out)
        return out
    for k, (a, b) in enumerate(zip(ia.tolist(), ib.tolist(), strict=True)):
        sa = sets.values[sets.starts[a] : sets.starts[a] + sets.counts[a]]
        sb = sets.values[sets.starts[b] : sets.starts[b] + sets.counts[b]]
        out[k] = np.intersect1d(sa, sb, assume_unique=True).size
    return out


@dataclass(frozen=True, slots=True)
class Verdicts:
    """The verifier's judgement of candidate pairs (rows aligned with the pairs given)."""

    a_from_b: np.ndarray  # bool: the first text may be derived from the second
    b_from_a: np.ndarray  # bool: the second from the first
    # The evidence each way: max(Jaccard, the derived text's share found in its source).
    score_ab: np.ndarray
    score_ba: np.ndarray
    # 1 = the second doc is known to be earlier, -1 = the first, 0 = unknown (same day, no time).
    direction: np.ndarray  # int8
    jaccard: np.ndarray  # float64
    c_ab: np.ndarray  # share of the first text found in the second
    c_ba: np.ndarray

    @property
    def keep(self) -> np.ndarray:
        """One text is derived from the other."""
        return self.a_from_b | self.b_from_a


def order_of(sets: DocSets, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """1 where doc ib is known to be earlier than ia, -1 where ia is, 0 where the order is unknown:
    a time missing, or the same day when either time is only a date."""
    ta, tb = sets.instant[ia], sets.instant[ib]
    by_day = sets.date_only[ia] | sets.date_only[ib]
    same = np.where(by_day, sets.day[ia] == sets.day[ib], ta == tb)
    unknown = np.isnan(ta) | np.isnan(tb) | same
    return np.where(unknown, 0, np.where(tb < ta, 1, -1)).astype(np.int8)


def judge(sets: DocSets, ia: np.ndarray, ib: np.ndarray, cfg: ClusterConfig,
          article: Callable[[int], Article] | None = None, rules: Callable[[], CreditRules] | None = None) -> Verdicts:
    """Directed, per-script verification of pairs (positions into ``sets``).

    A pair is reuse when the strict rule holds on the exact sets (Jaccard ≥
    ``min_similarity``, or the smaller text ≥ ``min_containment`` contained in the
    larger, sizes permitting), or when the later text is contained in the earlier one
    at least as much as its script's threshold (``ClusterConfig.derived``; both
    directions when the order is unknown) and the two are from different outlets. A
    script without a threshold has only the strict rule.

    With ``article`` (a doc's stored row) and ``rules`` (gives the store's credit rules: called only
    when a pair needs them, as compiling them costs seconds), the pair
    evidence of dedup.evidence counts too: a text crediting the other's outlet needs less
    (``credit_mask``), so does one keeping the other's figures, in the scripts of
    ``FIGURE_SCRIPTS`` (``figures_mask``); one crediting other wires is not linked in the
    grey band (``elsewhere_mask``), one outlet's recurring template on another day is no
    copy (``template_mask``), and a wire agency's text known to be later is never the
    uncredited copy of a text of no agency (``agency_copy_mask``).
    """
    inter = intersections(sets, ia, ib).astype(np.float64)
    na, nb = sets.counts[ia].astype(np.float64), sets.counts[ib].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        c_ab = np.where(na > 0, inter / np.maximum(na, 1), 0.0)
        c_ba = np.where(nb > 0, inter / np.maximum(nb, 1), 0.0)
        jac = np.where(na + nb - inter > 0, inter / np.maximum(na + nb - inter, 1), 0.0)
    reliable = containment_reliable(na, nb)
    smaller_in = np.where(na <= nb, c_ab, c_ba)
    strict = (jac >= cfg.min_similarity) | (reliable & (smaller_in >= cfg.min_containment))
    direction = order_of(sets, ia, ib)
    thresholds = dict(cfg.derived)
    bar = np.array([_pair_bar(sets.scripts[a], sets.scripts[b], thresholds) for a, b in zip(ia.tolist(), ib.tolist(), strict=True)],
                   dtype=np.float64) if len(ia) else np.empty(0)
    # One outlet's own texts of other days share its formulas (the daily sports round-up, the market
    # report): between them only the strict rule counts (COUNTER: most false merges at the relaxed bar).
    same_outlet = _same_outlet(sets, ia, ib)
    # A text may be derived from one known to be earlier, or of the same day / unknown time:
    # by the strict rule, or when its share found in the other reaches its script's bar (tiny
    # texts "contain" each other by chance: the relaxed arm needs as many shingles as the strict one).
    bar_ab = bar_ba = bar
    credited_ab = credited_ba = np.zeros(len(ia), dtype=bool)
    if article is not None and rules is not None:
        da, db = sets.docs[ia], sets.docs[ib]
        # the credit a later text gives the earlier one's outlet lowers the bar for that pair
        # (only the way round time allows: a credit never makes the earlier text the copy)
        s_ab, s_ba = np.where(direction >= 0, c_ab, 0.0), np.where(direction <= 0, c_ba, 0.0)
        if in_grey_band(s_ab, bar, CREDIT_BAR_FACTOR).any():
            credited_ab = credit_mask(da, db, s_ab, bar, article, rules())
        if in_grey_band(s_ba, bar, CREDIT_BAR_FACTOR).any():
            credited_ba = credit_mask(db, da, s_ba, bar, article, rules())
        # so do the later text's figures kept in the earlier one, in the scripts calibrated for it
        kept_ab = kept_ba = np.zeros(len(ia), dtype=bool)
        if (maybe := np.flatnonzero(in_grey_band(s_ab, bar, FIGURE_BAR_FACTOR) | in_grey_band(s_ba, bar, FIGURE_BAR_FACTOR))).size:
            calibrated = np.zeros(len(ia), dtype=bool)
            calibrated[maybe] = [sets.scripts[int(ia[k])] in FIGURE_SCRIPTS for k in maybe.tolist()]
            fig_bar = np.where(calibrated, bar, 0.0)  # a bar of 0 has no grey band: never read
            if in_grey_band(s_ab, fig_bar, FIGURE_BAR_FACTOR).any():
                kept_ab = figures_mask(da, db, s_ab, fig_bar, article)
            if in_grey_band(s_ba, fig_bar, FIGURE_BAR_FACTOR).any():
                kept_ba = figures_mask(db, da, s_ba, fig_bar, article)
        bar_ab = np.where(kept_ab, bar * FIGURE_BAR_FACTOR, np.where(credited_ab, bar * CREDIT_BAR_FACTOR, bar))
        bar_ba = np.where(kept_ba, bar * FIGURE_BAR_FACTOR, np.where(credited_ba, bar * CREDIT_BAR_FACTOR, bar))
    relaxed_ab = (c_ab >= bar_ab) & (na >= MIN_SHINGLES_FOR_CONTAINMENT) & ~same_outlet
    relaxed_ba = (c_ba >= bar_ba) & (nb >= MIN_SHINGLES_FOR_CONTAINMENT) & ~same_outlet
    if article is not None and rules is not None:
        relaxed_ab &= _wire_source(sets, ia, ib, relaxed_ab & ~strict & ~credited_ab, article, rules)
        relaxed_ba &= _wire_source(sets, ib, ia, relaxed_ba & ~strict & ~credited_ba, article, rules)
        # A text crediting other wires than the candidate's outlet is not linked to it on overlap
        # in the grey band alone (dedup.evidence.elsewhere_mask).
        if (check := relaxed_ab & ~strict & ~credited_ab).any():
            relaxed_ab &= ~elsewhere_mask(sets.docs[ia], sets.docs[ib], check, article, rules())
        if (check := relaxed_ba & ~strict & ~credited_ba).any():
            relaxed_ba &= ~elsewhere_mask(sets.docs[ib], sets.docs[ia], check, article, rules())
    a_from_b = (direction >= 0) & (strict | relaxed_ab)
    b_from_a = (direction <= 0) & (strict | relaxed_ba)
    _veto_templates(sets, ia, ib, a_from_b, b_from_a, same_outlet, article, rules)
    _veto_agency_copies(sets, ia, ib, a_from_b, b_from_a, direction, article, rules)
    # The evidence a text is derived from this source: its Jaccard or its share found in the
    # source, not the reverse (a copy holding a sibling abridged copy whole must still pick
    # the original, which holds more of it).
    return Verdicts(a_from_b=a_from_b, b_from_a=b_from_a, score_ab=np.maximum(jac, c_ab), score_ba=np.maximum(jac, c_ba),
                    direction=direction, jaccard=jac, c_ab=c_ab, c_ba=c_ba)


def judge_estimated(meta: DocSets, ia: np.ndarray, ib: np.ndarray, sim: np.ndarray, size_a: np.ndarray, size_b: np.ndarray,
                    article: Callable[[int], Article] | None = None, rules: Callable[[], CreditRules] | None = None) -> Verdicts:
    """:func:`judge` for pairs whose MinHash similarity alone settles it (cluster.SURE_SIMILARITY:
    far above ``min_similarity``, the strict rule holds): no text is re-shingled; the evidence
    is the estimate; time still decides which text may be the copy, and an outlet's recurring
    template is still no copy."""
    na, nb = size_a.astype(np.float64), size_b.astype(np.float64)
    c_ab, c_ba = containment_both(sim, na, nb)
    direction = order_of(meta, ia, ib)
    a_from_b, b_from_a = direction >= 0, direction <= 0
    _veto_templates(meta, ia, ib, a_from_b, b_from_a, _same_outlet(meta, ia, ib), article, rules)
    _veto_agency_copies(meta, ia, ib, a_from_b, b_from_a, direction, article, rules)
    return Verdicts(a_from_b=a_from_b, b_from_a=b_from_a, score_ab=np.maximum(sim, c_ab), score_ba=np.maximum(sim, c_ba),
                    direction=direction, jaccard=sim, c_ab=c_ab, c_ba=c_ba)


# Scripts whose relaxed bar needs a wire agency as the source (uncredited). At Urdu's 0.32 two
# newspapers' rewrites of one wire text, or of one event, "contain" each other as much as a copy
# its source: COUNTER's cross-group stories without a shared 15-word run were joined by such
# newspaper-to-newspaper links (benchmarks/QUALITY.md, "Issue 14: cross-group pairs"). Latin's
# bar (0.55) sits far above that background and keeps its rule.
WIRE_SOURCE_SCRIPTS = frozenset({ARABIC})
# Scripts where kept figures lower the bar (dedup.evidence.figures_mask): calibrated on COUNTER
# (Urdu) only. Independent English reports of one event share its figures (scores, tolls), and
# Latin's bar already sits above the same-event background; other scripts have no data.
FIGURE_SCRIPTS = frozenset({ARABIC})


def _wire_source(sets: DocSets, copy: np.ndarray, source: np.ndarray, check: np.ndarray,
                 article: Callable[[int], Article], rules: Callable[[], CreditRules]) -> np.ndarray:
    """False where ``check`` holds, the pair's script needs a wire source and the source's outlet
    is no known agency (credits.toml ``kind = "agency"``); True elsewhere. Only pairs in the grey
    band are looked at (a dict lookup per distinct source doc)."""
    ok = np.ones(len(copy), dtype=bool)
    look = np.flatnonzero(check)
    look = look[[sets.scripts[int(copy[k])] in WIRE_SOURCE_SCRIPTS for k in look.tolist()]] if look.size else look
    if look.size:
        r = rules()
        agency: dict[int, bool] = {}
        for k in look.tolist():
            d = int(sets.docs[source[k]])
            if d not in agency:
                agency[d] = r.is_agency(article(d).outlet)
            ok[k] = agency[d]
    return ok


def _same_outlet(sets: DocSets, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    return np.array([bool(sets.outlets[a]) and sets.outlets[a] == sets.outlets[b]
                     for a, b in zip(ia.tolist(), ib.tolist(), strict=True)], dtype=bool)


def _veto_agency_copies(sets: DocSets, ia: np.ndarray, ib: np.ndarray, a_from_b: np.ndarray, b_from_a: np.ndarray,
                        direction: np.ndarray, article: Callable[[int], Article] | None,
                        rules: Callable[[], CreditRules] | None) -> None:
    """Clear, in place, the links that make a wire agency's text, known to be the later one, the
    uncredited copy of a text of no agency (dedup.evidence.agency_copy_mask), whatever the
    overlap. Where the order is unknown the link stays: the other way round is the copy, and
    provenance names the agency first."""
    if article is None or rules is None or not sets.outlets:
        return
    docs, outlets = sets.docs, sets.outlets
    for copy, source, linked, later in ((ia, ib, a_from_b, direction > 0), (ib, ia, b_from_a, direction < 0)):
        if (check := linked & later).any():
            pairs = [(outlets[c], outlets[s]) for c, s in zip(copy.tolist(), source.tolist(), strict=True)]
            linked &= ~agency_copy_mask(docs[copy], docs[source], check, pairs, article, rules())


def _veto_templates(sets: DocSets, ia: np.ndarray, ib: np.ndarray, a_from_b: np.ndarray, b_from_a: np.ndarray,
                    same_outlet: np.ndarray, article: Callable[[int], Article] | None,
                    rules: Callable[[], CreditRules] | None) -> None:
    """Clear, in place, the links of pairs that are one outlet's recurring template (dedup.evidence)."""
    check = (a_from_b | b_from_a) & same_outlet
    if article is not None and rules is not None and check.any():
        template = template_mask(sets.docs[ia], sets.docs[ib], article, rules(), only=check)
        a_from_b &= ~template
        b_from_a &= ~template


def _pair_bar(script_a: str, script_b: str, thresholds: dict[str, float]) -> float:
    """The directed-containment threshold of a pair: its script's, when both texts share one
    that has a threshold; else none (infinite: only the strict rule)."""
    if script_a != script_b:
        return float("inf")
    return thresholds.get(script_a, float("inf"))
