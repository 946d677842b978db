"""Pair evidence beyond overlap, for the verify stage: recurring templates and credits.

Overlap says two texts share words; it does not say one was copied from the other.
Two facts about a (later, earlier) pair change what its overlap means:

1. **A recurring template is not a copy** (issue 14, item 4). An outlet's daily market,
   gold-price or exchange-rate report reuses yesterday's frame with today's figures (COUNTER
   0309/0213/0218: char-7 containment 0.56-0.63, yet three different days' markets). Such a
   pair is vetoed: :func:`is_recurring_template` is true when the two texts are from the **same
   outlet**, on **different publication days** (both known), and **the figures moved**: the
   later text has at least ``MIN_NEW_FIGURES`` figures the earlier lacks, a share of at least
   ``MIN_NEW_FIGURE_SHARE`` of its figures, and the figures explain at least
   ``MIN_FIGURE_GAIN`` of what the later text does not share with the earlier (the shared text
   is the fixed frame). A copy with a changed number or two, a copy published the same day, or
   a copy by another outlet is never vetoed; neither is an outlet's own text re-run with the
   same figures.

2. **A credit is evidence** (issue 14, item 6). A text that credits the earlier text's outlet
   ("(اے پی پی)", "Dikutip dari detikcom", "Por Agencia EFE") says where it came from, so the
   pair needs less overlap: :func:`link_bar` lowers the verifier's bar by ``CREDIT_BAR_FACTOR``
   for the pair a credit picks. Credits are found by :mod:`dedup.credits` in the later text
   (raw, as provenance reads it) and compared by canonical name with the store's outlet aliases
   (:func:`dedup.pipeline.store_rules`), so COUNTER's outlet "APP" matches an Urdu paper's
   "(اے پی پی)" and an aliased "detikcom" matches "detik.com". A credit names an outlet, not a
   text, and an agency files hundreds of texts a day: the credit picks only the credited
   outlet's best-scoring earlier candidate (:func:`credit_picks`), and lowers the bar for that
   pair, never replaces it. What it adds and costs: benchmarks/CREDITS.md, "Credits as evidence".

The verifier calls it on arrays of pairs: ``dedup.verify.judge`` (``credit_mask`` in the grey band,
``template_mask`` on one outlet's linked pairs), with a cached doc → StoredArticle lookup and
the store's rules. Per text, with the same rules::

    names = credits_of(later.text, later.outlet, rules)          # once per later text
    kept = [(e, s) for e, s in scored if not is_recurring_template(later, e, rules)]
    picked = credit_picks(names, later.outlet, [(e.outlet, s) for e, s in kept], rules)
    links = [e for (e, s), p in zip(kept, picked) if s >= link_bar(bar, p)]

>>> frame = "KARACHI, Sep {d} (APP) - The KSE-100 index gained {a} points to close at {b} points, with {c} million shares traded."
>>> mon = Dated("APP", "", frame.format(d=16, a="110.17", b="30180.30", c=210), "2014-09-16", "date")
>>> tue = Dated("APP", "", frame.format(d=17, a="43.73", b="30136.57", c=185), "2014-09-17", "date")
>>> from dedup.credits import load_rules
>>> is_recurring_template(tue, mon, load_rules()), is_recurring_template(tue, mon._replace(outlet="INP"), load_rules())
(True, False)
>>> names = credits_of("اسلام آباد (اے پی پی) وزیراعظم نے کہا", "express", load_rules())
>>> names, credit_picks(names, "express", [("APP", 0.25), ("APP", 0.4), ("NNI", 0.5)], load_rules())
(frozenset({'APP'}), [False, True, False])
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import NamedTuple, Protocol

import numpy as np

from .credits import CreditRules, FoundCredit
from .model import TimePrecision
from .outlets import same_outlet
from .read.timeparse import bare_date

# -- recurring templates -------------------------------------------------------------

# Figures the later text has that the earlier lacks: the dateline's day is one, so one or two
# new figures are a dated copy or a corrected number, not a new day's report.
MIN_NEW_FIGURES = 3
# ... as a share of the later text's distinct figures: a report that repeats yesterday's
# closing prices beside today's (COUNTER 0212 after 0310) still has half of its figures new.
MIN_NEW_FIGURE_SHARE = 1 / 3
# Share of what the later text does not share with the earlier (as word tokens) that its
# figures account for: a template's differences are its figures; an outlet's follow-up that
# differs in words (paragraphs added or rewritten, a few figures among them) is no template.
MIN_FIGURE_GAIN = 0.1

# A figure: digits (any script's), with decimal or thousands marks inside ("30,180.30", "۱۲٫۵").
_TOKEN = re.compile(r"\d+(?:[.,٫٬]\d+)*|[^\W\d_]+")
_THOUSANDS = str.maketrans("", "", ",٬")


class Dated(NamedTuple):
    """The fields of an article the rules read (a StoredArticle has them all)."""

    outlet: str
    title: str
    text: str
    published_at: str | None
    time_precision: str
    published_raw: str | None = None


class Article(Protocol):
    """What :func:`is_recurring_template` reads of an article: a StoredArticle or a :class:`Dated`."""

    @property
    def outlet(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def published_at(self) -> str | None: ...
    @property
    def time_precision(self) -> str: ...
    @property
    def published_raw(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class FigureShift:
    """How the figures of a later text differ from an earlier one's."""

    new_figures: int  # distinct figures of the later text that the earlier lacks
    new_share: float  # ... as a share of the later text's distinct figures
    gain: float  # share of the later text's unshared tokens that are figures (0..1)

    @property
    def moved(self) -> bool:
        """The figures are what changed: the template rule's test on the texts."""
        return (self.new_figures >= MIN_NEW_FIGURES and self.new_share >= MIN_NEW_FIGURE_SHARE
                and self.gain >= MIN_FIGURE_GAIN)


def publication_day(a: Article) -> date | None:
    """The calendar day an article was published, None when unknown (a bare date is its own
    day; a time, the day in the zone it is stored in).

    >>> publication_day(Dated("x", "", "", "2026-11-25T00:00:00+07:00", "date", "2026-11-25"))
    datetime.date(2026, 11, 25)
    >>> publication_day(Dated("x", "", "", None, "unknown")) is None
    True
    """
    if a.published_at is None or a.time_precision == TimePrecision.UNKNOWN:
        return None
    if a.time_precision == TimePrecision.DATE and (day := bare_date(a.published_raw)) is not None:
        return day
    try:
        t = datetime.fromisoformat(a.published_at)
    except ValueError:
        return None
    return (t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)).date()


def _tokens(text: str) -> list[str]:
    """Words and figures; figures with ASCII digits and no thousands marks."""
    out = []
    for t in _TOKEN.findall(text):
        if t[0].isdigit():
            t = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in t).translate(_THOUSANDS)
            t = t.replace("٫", ".")
        out.append(t)
    return out


def _figures(tokens: Iterable[str]) -> set[str]:
    """The distinct figures among :func:`_tokens`' tokens."""
    return {t for t in tokens if t[0].isdigit()}


def figure_shift(later: str, earlier: str) -> FigureShift:
    """How ``later``'s figures differ from ``earlier``'s (see :class:`FigureShift`).

    >>> s = figure_shift("Gold fell 86 rupees to 40,971 rupees; silver 634 rupees.", "Gold rose 12 rupees to 41057 rupees; silver 634 rupees.")
    >>> s.new_figures, round(s.new_share, 2), round(s.gain, 2)
    (2, 0.67, 0.67)
    """
    lt, et = Counter(_tokens(later)), Counter(_tokens(earlier))
    lf, ef = _figures(lt), _figures(et)
    new = len(lf - ef)
    unshared = lt - et  # multiset: tokens of the later text beyond what the earlier has
    total = sum(unshared.values())
    figures = sum(n for t, n in unshared.items() if t[0].isdigit())
    return FigureShift(new, new / len(lf) if lf else 0.0, figures / total if total else 0.0)


def is_recurring_template(a: Article, b: Article, rules: CreditRules) -> bool:
    """Whether ``a`` and ``b`` (in either order) are one outlet's recurring report on two days
    with new figures: not a copy, whatever their overlap (see the module docstring).

    ``rules`` gives the store's outlet aliases (same outlet = same name, case-folded, aliases
    followed). An unknown publication day is never a different day.
    """
    if not same_outlet(a.outlet, b.outlet, rules):
        return False
    day_a, day_b = publication_day(a), publication_day(b)
    if day_a is None or day_b is None or day_a == day_b:
        return False
    later, earlier = (a, b) if day_a > day_b else (b, a)
    return figure_shift(f"{later.title}\n{later.text}", f"{earlier.title}\n{earlier.text}").moved


# -- kept figures ----------------------------------------------------------------------

# A rewrite changes the words and keeps the facts: the later text's figures (scores, sums,
# dates, counts) found in the earlier one are evidence it was taken from it that survives
# paraphrase (benchmarks/QUALITY.md, "Kept figures, credits elsewhere, reused permutations";
# chosen on COUNTER's odd pair ids, the even ones held out).
MIN_KEPT_FIGURES = 2  # distinct figures of the later text: one shared year or day proves nothing
MIN_KEPT_FIGURE_SHARE = 0.5  # ... of which at least this share is found in the earlier text
FIGURE_BAR_FACTOR = 0.5  # a pair whose figures are kept needs this share of the bar


def figure_share(later: str, earlier: str) -> float:
    """The share of ``later``'s distinct figures found in ``earlier`` (figures compared as
    written, any script's digits as ASCII, thousands marks dropped); 0 when ``later`` has fewer
    than ``MIN_KEPT_FIGURES``.

    >>> figure_share("Pakistan scored 287 for 6; Younis made 104.", "Pakistan 287-6 (Younis Khan 104, Misbah 53)")
    1.0
    >>> figure_share("The minister spoke on 12 May.", "On 12 May the minister said")
    0.0
    """
    return _kept_share(_figures(_tokens(later)), earlier)


def _kept_share(later_figures: set[str], earlier: str) -> float:
    """:func:`figure_share` with the later text's figures already found."""
    if len(later_figures) < MIN_KEPT_FIGURES:
        return 0.0
    return len(later_figures & _figures(_tokens(earlier))) / len(later_figures)


# -- credits ---------------------------------------------------------------------------

# A credited pair's bar is the verifier's bar times this (see benchmarks/CREDITS.md,
# "Credits as evidence": chosen on COUNTER's odd-numbered pairs, reported on the even ones).
CREDIT_BAR_FACTOR = 0.8


def credits_of(text: str, outlet: str, rules: CreditRules) -> frozenset[str]:
    """The canonical names ``text`` (raw, as stored) credits, its own outlet excluded: compute
    once per text and pass to :func:`credits_outlet` for each of its candidates."""
    return frozenset(c.name for c in rules.find(text, outlet))


def credits_outlet(credited: Collection[str], later_outlet: str, earlier_outlet: str, rules: CreditRules) -> bool:
    """Whether a later text crediting ``credited`` (:func:`credits_of`) credits the earlier
    text's outlet: the outlet's canonical name (aliases followed) is among the names, and
    the two are different outlets (an outlet never credits itself).

    >>> from dedup.credits import load_rules
    >>> rules = load_rules()
    >>> credits_outlet({"APP"}, "express", "app", rules), credits_outlet({"APP"}, "express", "app.com.pk", rules)
    (True, True)
    >>> credits_outlet({"detik.com"}, "korannews.com", "detikcom", rules.with_outlet_aliases({"detikcom": "detik.com"}))
    True
    >>> credits_outlet({"APP"}, "express", "INP", rules), credits_outlet(set(), "express", "APP", rules)
    (False, False)
    """
    if not credited or not earlier_outlet.strip() or same_outlet(later_outlet, earlier_outlet, rules):
        return False
    name = rules.canonical(earlier_outlet)
    return name in credited and name != rules.canonical(later_outlet)


def agencies_credited(text: str, outlet: str, rules: CreditRules) -> frozenset[str]:
    """The canonical names of the wire agencies (``kind = "agency"``) ``text`` credits, its own
    outlet excluded: a dateline's "(اے پی پی)", "(Reuters) -", "Seperti dilansir AFP". A credit
    to another outlet ("told Al Arabiya", "in an interview with PTV") names a quote's
    source, not where the text came from, and is not among them."""
    return frozenset(c.name for c in rules.find(text, outlet) if c.kind == "agency")


def credit_to(later_text: str, later_outlet: str, earlier_outlet: str, rules: CreditRules) -> FoundCredit | None:
    """The credit in ``later_text`` naming ``earlier_outlet`` (the phrase, as evidence), if any."""
    if same_outlet(later_outlet, earlier_outlet, rules):
        return None
    name = rules.canonical(earlier_outlet)
    return next((c for c in rules.find(later_text, later_outlet) if c.name == name), None)


def credit_picks(credited: Collection[str], later_outlet: str, candidates: Sequence[tuple[str, float]],
                 rules: CreditRules) -> list[bool]:
    """Which of a later text's earlier ``candidates`` (outlet, score) its credits pick: for each
    credited outlet, its best-scoring candidate (all of them on a tie). A credit names an outlet,
    not a text; the text of that outlet the later one matches best is the one it came from, and
    only that pair earns the lower bar (on COUNTER this keeps the credit from linking a paper
    crediting APP to any of APP's other texts: benchmarks/CREDITS.md).

    >>> from dedup.credits import load_rules
    >>> credit_picks({"APP"}, "express", [("APP", 0.2), ("APP", 0.3), ("INP", 0.5)], load_rules())
    [False, True, False]
    """
    best: dict[str, float] = {}
    hits = [credits_outlet(credited, later_outlet, outlet, rules) for outlet, _ in candidates]
    for (outlet, score), hit in zip(candidates, hits, strict=True):
        if hit:
            key = rules.canonical(outlet)
            best[key] = max(best.get(key, score), score)
    return [hit and score >= best[rules.canonical(outlet)] for (outlet, score), hit in zip(candidates, hits, strict=True)]


def link_bar(bar: float, picked: bool) -> float:
    """The overlap a pair needs to be linked: the verifier's ``bar``, lowered by
    ``CREDIT_BAR_FACTOR`` when the later text's credit picks the earlier text
    (:func:`credit_picks`).

    >>> link_bar(0.4, False), round(link_bar(0.4, True), 2)
    (0.4, 0.32)
    """
    return bar * CREDIT_BAR_FACTOR if picked else bar


# -- over a verifier's candidate arrays ------------------------------------------------------

def in_grey_band(score: np.ndarray, bar: np.ndarray, factor: float) -> np.ndarray:
    """Where a piece of evidence that lowers the bar to ``bar * factor`` decides a pair: its
    ``score`` is below the bar, not below the lowered bar.

    >>> in_grey_band(np.array([0.1, 0.3, 0.4]), np.array([0.32] * 3), 0.8).tolist()
    [False, True, False]
    """
    return (score < bar) & (score >= bar * factor)


def figures_mask(later: np.ndarray, earlier: np.ndarray, score: np.ndarray, bar: np.ndarray,
                 article: Callable[[int], Article]) -> np.ndarray:
    """Per pair (``later[k]`` copied from ``earlier[k]``?): whether the later text's figures pick
    the earlier one, where that decides (``score`` below ``bar``, not below ``bar *
    FIGURE_BAR_FACTOR``). They pick the earlier texts that keep the largest share of them
    (:func:`figure_share`) among all the later text's pairs given, if that share is at least
    ``MIN_KEPT_FIGURE_SHARE``: a series' texts share many figures (a cricket tour's scores), and
    only the one keeping them best is taken as the source. Texts are read only for the later
    texts with such a pair. Pass all of a later text's candidate pairs in one call.

    >>> rows = {1: Dated("express", "", "Pakistan 287 for 6, Younis 104", None, "unknown"),
    ...         2: Dated("APP", "", "Pakistan made 287 for 6 with Younis on 104", None, "unknown"),
    ...         3: Dated("APP", "", "Pakistan made 287 in the first Test", None, "unknown")}
    >>> figures_mask(np.array([1, 1, 1]), np.array([2, 2, 3]), np.array([0.2, 0.1, 0.2]), np.array([0.32] * 3), rows.__getitem__).tolist()
    [True, False, False]
    """
    out = np.zeros(len(later), dtype=bool)
    grey = in_grey_band(score, bar, FIGURE_BAR_FACTOR)
    for doc in np.unique(later[grey]).tolist():
        rows = np.flatnonzero((later == doc) & (score > 0))
        a = article(doc)
        mine = _figures(_tokens(f"{a.title}\n{a.text}"))  # once per later text, not per candidate
        shares = np.array([_kept_share(mine, f"{e.title}\n{e.text}") for e in (article(int(earlier[k])) for k in rows)])
        best = shares.max(initial=0.0)
        if best >= MIN_KEPT_FIGURE_SHARE:
            out[rows] = (shares >= best) & grey[rows]
    return out


def elsewhere_mask(later: np.ndarray, earlier: np.ndarray, check: np.ndarray, article: Callable[[int], Article],
                   rules: CreditRules) -> np.ndarray:
    """Per pair (``later[k]`` copied from ``earlier[k]``?), where ``check`` holds: whether the
    later text credits wire agencies and none of them is the earlier text's outlet. Such a text
    says where it came from, and it is not there: overlap in the grey band does not outweigh
    that (COUNTER: two same-event pairs, and a text crediting SANA, Online and ANN, were linked
    to an INN or APP text at 0.32-0.35). Texts are read only where ``check`` holds.

    >>> rows = {1: Dated("express", "", "لاہور (آن لائن) وزیراعظم نے کہا", None, "unknown"),
    ...         2: Dated("APP", "", "", None, "unknown"), 3: Dated("Online", "", "", None, "unknown"),
    ...         4: Dated("jang", "", "وزیراعظم نے کہا", None, "unknown")}
    >>> from dedup.credits import load_rules
    >>> elsewhere_mask(np.array([1, 1, 4]), np.array([2, 3, 2]), np.array([True] * 3), rows.__getitem__, load_rules()).tolist()
    [True, False, False]
    """
    out = np.zeros(len(later), dtype=bool)
    credited: dict[int, frozenset[str]] = {}
    for k in np.flatnonzero(check).tolist():
        doc = int(later[k])
        a = article(doc)
        if doc not in credited:
            credited[doc] = agencies_credited(a.text, a.outlet, rules)
        if credited[doc]:
            out[k] = not credits_outlet(credited[doc], a.outlet, article(int(earlier[k])).outlet, rules)
    return out


def agency_copy_mask(later: np.ndarray, earlier: np.ndarray, check: np.ndarray, outlets: Sequence[tuple[str, str]],
                     article: Callable[[int], Article], rules: CreditRules) -> np.ndarray:
    """Per pair (``later[k]`` copied from ``earlier[k]``, of outlets ``outlets[k]`` = (later's,
    earlier's)?), where ``check`` holds: whether a wire agency's text would be the copy of a text
    of no agency that it does not credit. An agency is not reported as a newspaper's uncredited
    copier: what they share came from the agency, whose own earlier text may be missing, late or
    misdated (COUNTER: APP's 0036 of 2014-11-28 "held" daily_insaf's copy of APP's own 0096 of
    seven weeks before, through recurring background; pair 0072's paper is dated a month before
    its APP source). Texts are read only for such pairs, to look for the credit.

    >>> rows = {1: Dated("APP", "", "لاہور (اے پی پی) وزیراعظم نے کہا", None, "unknown"),
    ...         2: Dated("daily_insaf", "", "", None, "unknown"),
    ...         3: Dated("APP", "", "روزنامہ ڈان کے مطابق وزیراعظم نے کہا", None, "unknown"), 4: Dated("dawn.com", "", "", None, "unknown")}
    >>> from dedup.credits import load_rules
    >>> agency_copy_mask(np.array([1, 3, 2]), np.array([2, 4, 1]), np.array([True] * 3),
    ...                  [("app", "daily_insaf"), ("app", "dawn.com"), ("daily_insaf", "app")], rows.__getitem__, load_rules()).tolist()
    [True, False, False]
    """
    out = np.zeros(len(later), dtype=bool)
    agency: dict[str, bool] = {}
    credited: dict[int, frozenset[str]] = {}

    def is_agency(outlet: str) -> bool:
        if outlet not in agency:
            agency[outlet] = bool(outlet) and (rules.is_agency(outlet) or rules.is_agency(rules.canonical(outlet)))
        return agency[outlet]

    for k in np.flatnonzero(check).tolist():
        copy_outlet, source_outlet = outlets[k]
        if is_agency(copy_outlet) and not is_agency(source_outlet):
            doc = int(later[k])
            a = article(doc)
            if doc not in credited:  # (once per later text)
                credited[doc] = credits_of(a.text, a.outlet, rules)
            out[k] = not credits_outlet(credited[doc], a.outlet, article(int(earlier[k])).outlet, rules)
    return out


def template_mask(a: np.ndarray, b: np.ndarray, article: Callable[[int], Article], rules: CreditRules,
                  only: np.ndarray | None = None) -> np.ndarray:
    """Per pair (docs ``a[k]``, ``b[k]``): :func:`is_recurring_template`. ``article`` gives a
    doc's row; only the pairs in ``only`` (a bool mask, e.g. kept pairs of one outlet) are read,
    so a verifier fetches texts for few pairs.

    >>> rows = {1: Dated("APP", "", "KSE closed at 30,180.30, up 110.17; volume 210 million.", "2014-09-16", "date"),
    ...         2: Dated("APP", "", "KSE closed at 30,136.57, down 43.73; volume 185 million.", "2014-09-17", "date")}
    >>> from dedup.credits import load_rules
    >>> template_mask(np.array([2, 2]), np.array([1, 2]), rows.__getitem__, load_rules()).tolist()
    [True, False]
    """
    out = np.zeros(len(a), dtype=bool)
    for k in np.flatnonzero(only if only is not None else np.ones(len(a), dtype=bool)).tolist():
        out[k] = is_recurring_template(article(int(a[k])), article(int(b[k])), rules)
    return out


def credit_mask(later: np.ndarray, earlier: np.ndarray, score: np.ndarray, bar: np.ndarray,
                article: Callable[[int], Article], rules: CreditRules) -> np.ndarray:
    """Per pair (``later[k]`` copied from ``earlier[k]``?): whether the later text's credit picks
    the earlier one (:func:`credit_picks` over all the later text's pairs) where that decides,
    i.e. ``score`` is below ``bar`` but not below ``link_bar(bar, True)``. Credits are found
    only for later texts with such a pair (about 1 ms per Urdu text): a verifier then uses
    ``np.where(mask, bar * CREDIT_BAR_FACTOR, bar)`` as its bar. The pick is among the pairs
    given: pass all of a later text's candidate pairs in one call (a verifier that judges in
    chunks may pick a text's best candidate within the chunk only).

    >>> rows = {1: Dated("express", "", "اسلام آباد (اے پی پی) وزیراعظم نے کہا", None, "unknown"),
    ...         2: Dated("APP", "", "", None, "unknown"), 3: Dated("APP", "", "", None, "unknown")}
    >>> from dedup.credits import load_rules
    >>> credit_mask(np.array([1, 1]), np.array([2, 3]), np.array([0.3, 0.2]), np.array([0.32, 0.32]),
    ...             rows.__getitem__, load_rules()).tolist()
    [True, False]
    """
    out = np.zeros(len(later), dtype=bool)
    grey = in_grey_band(score, bar, CREDIT_BAR_FACTOR)
    for doc in np.unique(later[grey]).tolist():
        rows = np.flatnonzero(later == doc)
        text = article(doc)
        names = credits_of(text.text, text.outlet, rules)
        if not names:
            continue
        picks = credit_picks(names, text.outlet, [(article(int(earlier[k])).outlet, float(score[k])) for k in rows], rules)
        out[rows] = np.array(picks, dtype=bool) & grey[rows]
    return out
