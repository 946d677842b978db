"""``dedup query`` finds the source of a rewrite, and says why when it finds nothing (issue 14, item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import News, make_row, write_jsonl
from dedup.cli import cli
from dedup.config import Config
from dedup.pipeline import QUERY_FLOOR, QueryTarget, index_corpus, query

# A local paper's rewrite of the wire's rates story (tests/fixtures/news/rates.txt): one paragraph
# kept whole, one sentence of another, the rest its own words. Jaccard 0.21 with its source: no LSH
# bucket in common (t = 0.3), so a query that ranks only LSH candidates finds nothing at all.
REWRITE = (
    "Borrowers will have to wait a little longer for relief after the central bank kept its key rate where it "
    "was this week, although the tone of the decision was noticeably softer than in recent months.\n\n"
    "Governor Marcus Lindqvist told reporters that the board had discussed a reduction and that a majority "
    "believed borrowing costs could begin to fall \"in the first half of next year, if the data allow\".\n\n"
    "Consumer prices rose 2.6 percent in the year to October, down from a peak of 7.9 percent eighteen months "
    "ago. Shoppers in our region have noticed cheaper petrol, but tenants say their landlords keep raising the rent.\n\n"
    "Local estate agents told this paper that buyers had been holding back all autumn and that a clear signal on "
    "rates could revive the spring market. A spokesman for the chamber of commerce welcomed the change of tone "
    "but called for faster action."
)
# Another outlet's own report of the same decision: the same facts, none of the wire's sentences.
SAME_EVENT = (
    "The monetary authority did not change borrowing costs on Wednesday. The rate stays at 4.25 percent for a "
    "fourth meeting in a row, in line with what most analysts had forecast in a survey last week.\n\n"
    "Inflation has slowed markedly this year as energy prices eased. Officials said they would watch wage growth "
    "and the labour market closely before deciding on their next move, and gave no date for a first reduction."
)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=True)


@pytest.fixture
def wire_store(tmp_path: Path, news: dict[str, News]) -> Path:
    """Each fixture story from its own wire, the rewrite (a day later) and a same-event report."""
    rows = [make_row(f"{k}-orig", n.body, title=n.title, outlet=f"{k}wire.com", published_at="2026-11-24T08:00:00Z")
            for k, n in news.items()]
    rows.append(make_row("rates-rewrite", REWRITE, title="Rates on hold, cut hinted", outlet="dailyecho.net",
                         published_at="2026-11-25T06:00:00Z"))
    rows.append(make_row("rates-other", SAME_EVENT, title="Bank keeps rate at 4.25 percent", outlet="citytimes.com",
                         published_at="2026-11-24T12:00:00Z"))
    store = tmp_path / "store"
    r = run("index", "--store", str(store), "--quiet", "--workers", "1", str(write_jsonl(tmp_path / "night.jsonl", rows)))
    assert r.exit_code == 0, r.output
    return store


@pytest.mark.parametrize("how", ["id", "text", "file"])
def test_a_rewrites_source_is_ranked_first(wire_store: Path, tmp_path: Path, how: str) -> None:
    f = tmp_path / "rewrite.txt"
    f.write_text(REWRITE, encoding="utf-8")
    target = {"id": ["--id", "rates-rewrite"], "text": ["--text", REWRITE], "file": ["--file", str(f)]}[how]
    r = run("query", "--store", str(wire_store), *target, "--json")
    assert r.exit_code == 0, r.output
    results = json.loads(r.stdout)["results"]
    # The rewrite itself is stored too: a query by its text finds it first, then its source.
    ids = [x["id"] for x in results]
    assert ids[:1] == ["rates-orig"] if how == "id" else ids[:2] == ["rates-rewrite", "rates-orig"], ids
    top = results[ids.index("rates-orig")]
    # Scored on the stored texts: the rewrite's kept paragraph and sentence are a third of it.
    assert 0.15 < top["similarity"] < 0.3 and top["containment"] > 0.3
    assert top["score"] == pytest.approx((top["similarity"] * top["containment"]) ** 0.5, abs=1e-3)
    assert all(x["score"] < top["score"] for x in results if x["id"] not in ("rates-orig", "rates-rewrite"))


def test_the_reporting_floor_is_kept(wire_store: Path) -> None:
    results = json.loads(run("query", "--store", str(wire_store), "--id", "rates-rewrite", "--json", "--top", "20").stdout)["results"]
    # Of the 9 other articles, those holding under 5% of the rewrite's text are left out, not the rest.
    assert 0 < len(results) < 9 and all(x["containment"] >= QUERY_FLOOR for x in results)


def test_nothing_found_says_what_came_closest(wire_store: Path, news: dict[str, News]) -> None:
    # Two words of the tram story in an otherwise unrelated text: a sliver of it, under the floor.
    text = ("Die Stadtbibliothek verlängert ihre Öffnungszeiten am Wochenende und plant im Frühjahr eine Lesereihe "
            "mit Autorinnen aus der Region, teilte die Leitung am Montag mit. Der Eintritt zu allen Abenden ist frei, "
            "eine Anmeldung wird aber empfohlen, weil die Plätze im Lesesaal begrenzt sind. Riverside council")
    r = run("query", "--store", str(wire_store), "--text", text)
    assert r.exit_code == 0, r.output
    line = r.stdout.strip()
    assert "\n" not in line
    assert line.startswith("no similar articles: no stored article holds 5% or more of the query's text; the closest, tram-orig (tramwire.com), holds ")
    data = json.loads(run("query", "--store", str(wire_store), "--text", text, "--json").stdout)
    assert data["results"] == []
    closest = data["query"]["closest"]
    assert closest["id"] == "tram-orig" and 0 < closest["containment"] < QUERY_FLOOR == closest["floor"]


def test_nothing_shared_at_all_says_so(wire_store: Path) -> None:
    r = run("query", "--store", str(wire_store), "--text", "Lorem ipsum dolor sit amet, consectetur adipiscing elit.")
    assert r.exit_code == 0 and r.stdout == "no similar articles: no stored article shares any of the query's text\n"


def test_the_querys_own_outlet_counts_half(tmp_path: Path, news: dict[str, News]) -> None:
    """An outlet's own earlier text, sharing its house lines with the query, ranks below
    another outlet's source of the query that shares less."""
    house = ("\n\nFollow dailyecho.net on our channels for the latest local news, weather and traffic, "
             "and write to the newsroom with your tips and pictures from around the valley.")
    rows = [
        make_row("rates-orig", news["rates"].body, title=news["rates"].title, outlet="rateswire.com", published_at="2026-11-24T08:00:00Z"),
        make_row("echo-krl", news["krl"].paragraphs[0] + house, outlet="dailyecho.net", published_at="2026-11-20T08:00:00Z"),
        make_row("echo-rewrite", REWRITE.split("\n\n")[1] + house, outlet="dailyecho.net", published_at="2026-11-25T06:00:00Z"),
    ]
    cfg = Config(store=tmp_path / "store", progress=False, workers=1)
    index_corpus([str(write_jsonl(tmp_path / "n.jsonl", rows))], cfg)
    _, by_id = query(cfg, QueryTarget(id="echo-rewrite"))
    assert [m.id for m in by_id][:2] == ["rates-orig", "echo-krl"]
    plain = {m.id: m for m in query(cfg, QueryTarget(text=rows[2]["text"]))[1]}  # type: ignore[arg-type]
    assert plain["echo-krl"].score > plain["rates-orig"].score  # without an outlet: the house lines win
    assert {m.id: m.score for m in by_id}["echo-krl"] == pytest.approx(plain["echo-krl"].score / 2, abs=1e-3)


def test_a_store_without_a_signature_scan_scores_a_bounded_pool_of_its_lsh_candidates() -> None:
    # PostgreSQL has no signature scan: a query ranks its LSH candidates. The buckets of the low
    # bands (64 x 2) are large, and each doc in the pool is read and shingled; so the pool is the
    # most similar candidates by estimate, bounded, like the scan's, not every candidate.
    import numpy as np

    from dedup.index import LSHParams
    from dedup.pipeline import _POOL, _POOL_CONTAINED, _pool

    rng = np.random.default_rng(3)
    sig = rng.integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)
    n = 400
    sigs = rng.integers(0, 2**32, (n, 128), dtype=np.uint64).astype(np.uint32)
    shared = np.arange(n) % 64 + 2  # doc d shares (d % 64) + 2 of the query's minima
    for d in range(n):
        sigs[d, : shared[d]] = sig[: shared[d]]
    sizes = np.full(n, 3000, dtype=np.int64)

    class NoScan:  # the two methods the LSH path uses
        def candidates_for_keys(self, keys: object) -> list[int]:
            return list(range(n))

        def signatures(self, docs: list[int]) -> tuple[np.ndarray, np.ndarray]:
            return sigs[docs], sizes[docs]

    pool = _pool(NoScan(), sig, 3000, LSHParams(64, 2), exclude=7, want=10)  # type: ignore[arg-type]
    assert 7 not in pool
    assert len(pool) <= _POOL + _POOL_CONTAINED + 2
    best = sorted(range(n), key=lambda d: -shared[d])[:_POOL]
    assert set(best) - {7} <= set(pool)
