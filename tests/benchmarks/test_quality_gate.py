"""CI quality gate: both quality evaluations of benchmarks/quality.py in quick mode, against pinned floors.

Runs COUNTER (real labelled agency → newspaper reuse) and the syndication stress corpus through
dedup's own pipeline (about 12 s on an idle 2-core machine; minutes when it is loaded) and fails when any metric falls below its
floor. Skipped, with the reason, when the evaluation data (../shared/data beside the repo) is absent.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
NEEDED = [DATA / "counter" / "documents.jsonl", DATA / "counter" / "pairs.jsonl", DATA / "newshtml" / "truth.jsonl",
          DATA / "newshtml" / "pages"]

# Floors of the CI quality gate: a little below what benchmarks/quality.py --quick measured
# (see benchmarks/QUALITY.md for the measured values and the goals of issues 3 and 14).
# Floors are only ever RAISED as dedup improves. Never lower one without stating the reason in the
# commit message (e.g. "a deliberate trade: ND kept apart 0.98 → 0.96 for PD same-story 0.07 → 0.40").
# Every metric is higher-is-better; "counter.nd_kept_apart" is 1 - (share of ND pairs put in one story).
QUALITY_FLOORS: dict[str, float] = {
    # measured 2026-12-05 with --quick after issue 14 (benchmarks/results/quality-quick.json) → floor
    "counter.recall_at_1.WD": 0.94,  # 0.963 (issue 14 must-show 0.95; 0.622 before the query ranking and wider candidates)
    "counter.recall_at_1.PD": 0.81,  # 0.833 (must-show 0.80; 0.122 before)
    "counter.same_story.WD": 0.83,  # 0.844 (issue 14 must-show: >= 0.80; 0.807 before kept figures and reused permutations)
    "counter.same_story.PD": 0.25,  # 0.257 (must-show 0.25; 0.174 before kept figures, credits elsewhere and 96 bands)
    "counter.nd_kept_apart": 0.95,  # 0.955 (must-show: ND same story <= 0.05)
    "counter.agency_first": 0.98,  # 1.000 (188/188)
    "counter.cross_group_explained": 0.85,  # 0.875 (7 of 8 cross-group doc pairs share a 15-word run; the 8th,
    # 0081p~0122p, are two copies of APP's 0081, each linked to it by a run; 8 of 12 before the agency-copy veto)
    "counter.cross_group_links_explained": 1.0,  # 1.000 (all 5 links joining texts of two COUNTER sources share one)
    "newshtml.copy_pair_recall": 1.0,  # 2/2 real copy pairs found
    "newshtml.no_false_merges": 1.0,  # no same-event pages merged
    "stress.f1.all": 0.98,  # 1.000
    "stress.precision.all": 0.99,  # 1.000
    "stress.ari.all": 0.98,  # 1.000
    "stress.first_publisher": 0.99,  # 1.000 (must-show 1.0)
    "stress.f1.verbatim_junk": 0.99,  # 1.000 (must-show 0.99)
    "stress.f1.light_edit": 0.99,  # 1.000 (must-show 0.99)
    "stress.f1.abridged": 0.97,  # 1.000 (must-show 0.97)
    "stress.f1.embedded": 0.97,  # 1.000 (must-show 0.97)
    "stress.f1.retitled": 0.98,  # 1.000
}

pytestmark = pytest.mark.skipif(
    not all(p.exists() for p in NEEDED),
    reason=f"evaluation data not found under {DATA} (COUNTER and newshtml; see benchmarks/QUALITY.md)",
)


def _quality_module():
    spec = importlib.util.spec_from_file_location("dedup_bench_quality", ROOT / "benchmarks" / "quality.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def quality():
    return _quality_module()


@pytest.fixture(scope="module")
def results(quality):
    return quality.run(DATA, quick=True, log=lambda _s: None)


def test_quality_floors(quality, results):
    failures = quality.check_floors(results, QUALITY_FLOORS)
    measured = quality.gate_metrics(results)
    assert not failures, "quality gate broken:\n  " + "\n  ".join(failures) + f"\nmeasured: {measured}"


def test_every_floor_names_a_measured_metric(quality, results):
    assert set(QUALITY_FLOORS) <= set(quality.gate_metrics(results))


def test_gate_fails_when_a_floor_is_above_the_measurement(quality, results):
    """The gate can fail: floors just above today's measurements are each reported as broken."""
    measured = quality.gate_metrics(results)
    raised = {name: value + 0.01 for name, value in measured.items()}
    failures = quality.check_floors(results, raised)
    assert len(failures) == len(measured)
    assert all("< floor" in f for f in failures)
    # and passes at exactly the measured values
    assert quality.check_floors(results, measured) == []


def test_gate_fails_on_an_unmeasured_metric(quality, results):
    failures = quality.check_floors(results, {"counter.no_such_metric": 0.5})
    assert failures and "not measured" in failures[0]
