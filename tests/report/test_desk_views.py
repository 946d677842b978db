"""The views a desk asks for (#12 item 5), on the bundled sample indexed as ``make demo``
does: filters on report, export and query; ``--source`` (who used a source's copy);
CSV; ``--limit`` with "N more" in every format."""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from dedup.cli import cli
from dedup.config import Config, ReadConfig
from dedup.pipeline import index_corpus

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sample"
TRUTH = json.loads((ROOT / "examples" / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    cfg = Config(store=tmp_path_factory.mktemp("desk") / "store", read=ReadConfig(tz="Asia/Jakarta"), progress=False, workers=1)
    index_corpus([str(SAMPLE / "night1.jsonl")], cfg)
    index_corpus([str(SAMPLE / "night2.jsonl")], cfg)
    return str(cfg.store)


def _run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=True)
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r.exit_code, r.stdout, r.stderr


def _report(store: str, *args: str) -> dict:
    code, out, err = _run("report", "--store", store, "--since", "all", "--format", "json", "--limit", "0", *args)
    assert code == 0, err
    return json.loads(out)


def _members(story: dict) -> frozenset[str]:
    return frozenset(m["id"] for m in story["members"])


@pytest.fixture(scope="module")
def everything(store: str) -> dict:
    return _report(store)


@pytest.fixture(scope="module")
def outlet(everything: dict) -> dict[str, str]:
    """Each story member's outlet, as stored."""
    return {m["id"]: m["outlet"] for s in everything["stories"] for m in s["members"]}


@pytest.mark.parametrize("source", ["afp.com", "AFP", "afp", "Agence France-Presse"])
def test_source_lists_every_afp_story_with_who_credits_it(store: str, source: str, outlet: dict[str, str]) -> None:
    # The truth file's AFP stories: an afp.com article is a member, or a member credits AFP.
    truth = [s for s in TRUTH["stories"]
             if any(outlet[i] == "afp.com" or "AFP" in s["credits"].get(i, []) for i in s["members"])]
    assert len(truth) == 6
    data = _report(store, "--source", source)
    assert {_members(s) for s in data["stories"]} == {frozenset(s["members"]) for s in truth}
    used = crediting = 0
    for s in truth:
        story = next(x for x in data["stories"] if _members(x) == frozenset(s["members"]))
        users = [i for i in s["members"] if outlet[i] != "afp.com"]
        credit = [i for i in users if "AFP" in s["credits"].get(i, [])]
        use = story["source_use"]
        assert use["in_corpus"] == any(outlet[i] == "afp.com" for i in s["members"]), s["name"]
        assert set(use["used_by"]) == set(users) and set(use["crediting"]) == set(credit), s["name"]
        assert use["share_credited"] == round(len(credit) / len(users), 4)
        used, crediting = used + len(users), crediting + len(credit)
    assert data["source"] == {"name": "AFP", "stories": 6, "used_by": used, "crediting": crediting,
                              "share_credited": round(crediting / used, 4)}
    # The Markdown view names the one article that used AFP's copy without crediting it.
    code, md, _ = _run("report", "--store", store, "--since", "all", "--source", source)
    assert code == 0 and "## Who used AFP's copy" in md
    assert "dailyfeed.site (dailyfeed-0002)" in md and f"{crediting} credit it" in md


def test_outlet_keeps_whole_stories_case_insensitively(store: str, everything: dict) -> None:
    data = _report(store, "--outlet", "KoranNews.COM")
    expected = [s for s in everything["stories"] if any(m["outlet"] == "korannews.com" for m in s["members"])]
    assert 0 < len(expected) < len(everything["stories"])
    assert [_members(s) for s in data["stories"]] == [_members(s) for s in expected]  # whole, in the same order
    assert data["totals"]["stories"] == len(expected)
    two = _report(store, "--outlet", "korannews.com", "--outlet", "reuters.com")
    assert len(two["stories"]) == len(expected) + 1  # reuters.com's one story has no korannews member


def test_outlet_and_relation_are_met_by_one_member(store: str, everything: dict) -> None:
    data = _report(store, "--outlet", "beritaterkini.id", "--relation", "partial_copy")
    expected = [_members(s) for s in everything["stories"]
                if any(m["outlet"] == "beritaterkini.id" and m["relation"] == "partial_copy" for m in s["members"])]
    either = [s for s in everything["stories"] if any(m["outlet"] == "beritaterkini.id" for m in s["members"])
              and any(m["relation"] == "partial_copy" for m in s["members"])]
    assert 0 < len(expected) < len(either)  # a story with both, in two members, is not kept
    assert [_members(s) for s in data["stories"]] == expected


def test_relation_and_min_copies(store: str, everything: dict) -> None:
    credited = _report(store, "--relation", "credited_copy")
    assert [_members(s) for s in credited["stories"]] == [
        _members(s) for s in everything["stories"] if any(m["relation"] == "credited_copy" for m in s["members"])]
    copies = {_members(s): sum(m["relation"].endswith("_copy") for m in s["members"]) for s in everything["stories"]}
    four = _report(store, "--min-copies", "4")
    assert {_members(s) for s in four["stories"]} == {k for k, n in copies.items() if n >= 4}
    assert 0 < len(four["stories"]) < len(copies)


def test_published_window_reads_a_bare_date_as_its_whole_day(store: str, everything: dict) -> None:
    # Noon in Jakarta on the 25th: only the copies dated "2026-11-25" (bare) cover it.
    noon = ("--published-from", "2026-11-25T12:00", "--published-to", "2026-11-25T12:00", "--tz", "Asia/Jakarta")
    data = _report(store, *noon)
    dated = [_members(s) for s in everything["stories"]
             if any(m["time_precision"] == "date" and m["published_at"].startswith("2026-11-25") for m in s["members"])]
    assert len(dated) == 2 and [_members(s) for s in data["stories"]] == dated
    # A bare date given as the window is its whole day (UTC here): the 23rd holds one story's origin.
    day = _report(store, "--published-from", "2026-11-23", "--published-to", "2026-11-23")
    assert [s["first"]["id"] for s in day["stories"]] == ["kompas-0003"]
    code, _, err = _run("report", "--store", store, "--since", "all", "--published-from", "25/11/2026")
    assert code == 2 and "--published-from '25/11/2026'" in err


def test_csv_report_opens_in_polars_with_its_types(store: str, everything: dict) -> None:
    code, out, _ = _run("report", "--store", store, "--since", "all", "--format", "csv", "--limit", "0", "--source", "AFP")
    assert code == 0
    df = pl.read_csv(io.StringIO(out), try_parse_dates=True)
    assert df.schema["published_at"] == pl.Datetime("us", "UTC")
    assert df.schema["published_date"] == pl.Date
    for col in ("lag_seconds", "similarity", "containment"):
        assert df.schema[col] == pl.Float64, col
    for col in ("position", "lag_days"):
        assert df.schema[col] == pl.Int64, col
    for col in ("credited", "story_is_new", "story_has_copies", "credits_source"):
        assert df.schema[col] == pl.Boolean, col
    afp = [s for s in everything["stories"] if any("AFP" in m["credits"] or m["outlet"] == "afp.com" for m in s["members"])]
    assert df.height == sum(len(s["members"]) for s in afp)
    # kabarsatu-0005 is dated "2026-11-25" in Jakarta: its day, not the previous one in UTC.
    row = df.filter(pl.col("id") == "kabarsatu-0005").row(0, named=True)
    assert row["published_date"].isoformat() == "2026-11-25" and row["time_precision"] == "date" and row["lag_days"] == 1


def test_limit_says_how_many_more_in_every_format(store: str, everything: dict) -> None:
    n = len(everything["stories"])
    line = f"{n - 3} more stories not shown (--limit 0 for all)"
    base = ("report", "--store", store, "--since", "all", "--limit", "3")
    code, out, _ = _run(*base, "--format", "json")
    data = json.loads(out)
    assert code == 0 and len(data["stories"]) == 3 and data["totals"]["more"] == n - 3
    assert {k: v for k, v in data["totals"].items() if k != "more"} == {
        k: v for k, v in everything["totals"].items() if k != "more"}  # totals over every story
    assert [_members(s) for s in data["stories"]] == [_members(s) for s in everything["stories"][:3]]  # biggest first
    for fmt in ("md", "html"):
        code, out, _ = _run(*base, "--format", fmt)
        assert code == 0 and line in out, fmt
    code, out, err = _run(*base, "--format", "csv")
    assert code == 0 and line in err and line not in out
    assert pl.read_csv(io.StringIO(out))["story_id"].n_unique() == 3
    assert everything["totals"]["more"] == 0


def test_export_takes_the_filters_and_writes_csv(store: str, tmp_path: Path) -> None:
    out = tmp_path / "afp.csv"
    code, _, err = _run("export", "--store", store, "--what", "stories", "--format", "csv", "--source", "AFP", "--out", str(out))
    assert code == 0, err
    df = pl.read_csv(out)
    assert df["story_id"].n_unique() == 6 and df.schema["credits"] == pl.String
    assert df.filter(pl.col("id") == "cnnid-0001")["credits"].to_list() == ["Reuters; AFP"]
    arts = tmp_path / "arts.csv"
    code, _, _ = _run("export", "--store", store, "--format", "csv", "--outlet", "AFP.com", "--out", str(arts))
    assert code == 0 and sorted(pl.read_csv(arts)["id"]) == ["afp-0001", "afp-0002", "afp-0003"]
    code, _, err = _run("export", "--store", store, "--relation", "original", "--out", str(arts))
    assert code == 2 and "--what stories" in err


def test_query_keeps_matches_the_filters_keep(store: str, outlet: dict[str, str]) -> None:
    def ids(*args: str) -> list[str]:
        code, out, err = _run("query", "--store", store, "--id", "detik-0001", "--json", *args)
        assert code == 0, err
        return [r["id"] for r in json.loads(out)["results"]]

    assert len(ids()) >= 3
    # The best of those kept, in the unfiltered order (a query ranks every stored article it
    # scores, so the kept ones may come from beyond the unfiltered top 10).
    code, out, _ = _run("query", "--store", store, "--id", "detik-0001", "--json", "--top", "1000")
    every = [r["id"] for r in json.loads(out)["results"] if r["outlet"] == "korannews.com"]
    kept = ids("--outlet", "KORANNEWS.com")
    assert kept == every[: len(kept)] != []
    # bterkini-0002 copies part of detik-0001; the partial copies after it share only the
    # background of Indonesian news with it (7-13% of its text, above the 5% reporting floor).
    code, out, _ = _run("query", "--store", store, "--id", "detik-0001", "--json", "--relation", "partial_copy")
    partial = json.loads(out)["results"]
    assert partial[0]["id"] == "bterkini-0002" and partial[0]["containment"] > 0.4
    assert all(r["containment"] < 0.15 for r in partial[1:])
    # The Thai floods story credits AFP only: what a Reuters filter keeps is background (other stories).
    code, out, _ = _run("query", "--store", store, "--id", "detik-0001", "--json", "--source", "Reuters")
    assert all(r["similarity"] < 0.1 and r["containment"] < 0.15 for r in json.loads(out)["results"])


def test_a_filtered_nightly_report_moves_no_mark(store: str, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    code, out, _ = _run("report", "--store", str(copy), "--format", "json", "--source", "AFP")
    assert code == 0 and len(json.loads(out)["stories"]) == 6
    code, out, _ = _run("report", "--store", str(copy), "--format", "json", "--limit", "0")
    assert code == 0 and json.loads(out)["totals"]["stories"] == 17  # tonight's report is all still there
