"""Outlets as given (#12 item 4): case kept and folded when compared, --outlet for inputs
without one, an outlet of its own for a page with neither outlet nor URL, and aliases."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from dedup.cli import cli
from dedup.config import ClusterConfig
from dedup.credits import load_rules
from dedup.errors import ConfigError
from dedup.outlets import parse_alias, same_outlet
from dedup.provenance import build_story
from dedup.store import StoredArticle


def run(*args: str) -> Result:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=True)
    assert "Traceback" not in r.output and (r.exception is None or isinstance(r.exception, SystemExit)), r.output
    return r


def _art(doc: int, ident: str, outlet: str, hour: int, text: str = "Banjir di Jakarta.\nSecond line.") -> StoredArticle:
    return StoredArticle(
        doc=doc, id=ident, url="", outlet=outlet, title="t", text=text,
        published_at=f"2026-11-24T{hour:02d}:00:00+00:00", time_precision="exact", published_raw=None,
        record_hash="h", n_shingles=500, stripped=(), indexed_at="2026-11-25T00:00:00+00:00", story_id="s1",
    )  # type: ignore[call-arg]


def _relations(arts: list[StoredArticle], rules=None) -> list[str]:  # type: ignore[no-untyped-def]
    sigs = np.tile(np.arange(128, dtype=np.uint32), (len(arts), 1))
    story = build_story("s1", arts, sigs, np.array([500] * len(arts)), ClusterConfig(), rules=rules)
    return [m.relation for m in story.members]


# -- comparing outlets -----------------------------------------------------------------


def test_outlet_names_are_one_outlet_whatever_their_case() -> None:
    assert _relations([_art(1, "a", "Dawn News", 8), _art(2, "b", "DAWN NEWS", 9)]) == ["original", "same_outlet"]


def test_pages_of_no_outlet_are_never_the_same_outlet(tmp_path: Path) -> None:
    assert not same_outlet("", "", load_rules())
    # Two copies of a page that names no URL: each page is an outlet of its own, so one is a copy.
    page = (Path(__file__).parent / "fixtures" / "html" / "kabarkota-banjir.html").read_bytes()
    for name in ("a.html", "b.html"):
        (tmp_path / "pages").mkdir(exist_ok=True)
        (tmp_path / "pages" / name).write_bytes(page)
    store = tmp_path / "store"
    r = run("index", "--store", str(store), "--quiet", "--workers", "1", str(tmp_path / "pages"))
    assert r.exit_code == 0, r.output
    (story,) = _report(store)["stories"]
    assert story["members"][1]["relation"] != "same_outlet"


def test_an_alias_makes_two_names_one_outlet_and_is_credited_as_its_outlet() -> None:
    rules = load_rules().with_outlet_aliases({"detikcom": "detik.com"})
    arts = [_art(1, "a", "detikcom", 8), _art(2, "b", "detik.com", 9)]
    assert _relations(arts) == ["original", "uncredited_copy"]  # without the alias: two outlets
    assert _relations(arts, rules) == ["original", "same_outlet"]
    # A copy crediting detik.com credits the outlet "detikcom" once aliased.
    credited = [_art(1, "a", "detikcom", 8), _art(2, "b", "korannews.com", 9, "Seperti dilansir detik.com, banjir.\nSecond line.")]
    assert _relations(credited, rules)[1] == "credited_copy"
    assert rules.canonical("DETIKCOM") == "detik.com" and rules.source_of("detikcom") is rules.source_of("detik.com")


def test_an_alias_onto_a_source_name_makes_the_outlet_that_source() -> None:
    rules = load_rules().with_outlet_aliases({"Agence France-Presse": "AFP"})
    assert rules.canonical("agence france-presse") == "AFP" and rules.is_agency("Agence France-Presse")


@pytest.mark.parametrize("bad", ["detik.com", "=detik.com", "a=", "Detik.com=detik.com"])
def test_a_malformed_alias_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="--alias"):
        parse_alias(bad)


# -- end to end: index --outlet, case kept, aliases in the store -------------------------


def _rows(news, outlets: tuple[str, str]) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    body = news["tram"].body
    return [
        {"id": "t1", "text": body, "outlet": outlets[0], "published_at": "2026-11-24T08:00:00+00:00"},
        {"id": "t2", "text": body + "\nBaca juga: lainnya.", "outlet": outlets[1], "published_at": "2026-11-24T09:00:00+00:00"},
    ]


def _report(store: Path) -> dict:  # type: ignore[type-arg]
    r = run("report", "--store", str(store), "--since", "all", "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_given_outlet_names_keep_their_case_and_match_case_insensitively(tmp_path: Path, news, jsonl) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "store"
    run("index", "--store", str(store), "--quiet", "--workers", "1", str(jsonl("in.jsonl", _rows(news, ("APP", "app")))))
    report = _report(store)
    (story,) = report["stories"]
    assert [m["outlet"] for m in story["members"]] == ["APP", "app"]
    assert [m["relation"] for m in story["members"]] == ["original", "same_outlet"]
    assert [o["outlet"] for o in report["outlets"]] == ["APP"]  # one row for the outlet
    r = run("report", "--store", str(store), "--since", "all", "--format", "json", "--outlet", "App")
    assert len(json.loads(r.stdout)["stories"]) == 1


def test_index_outlet_names_the_records_without_one(tmp_path: Path, news, jsonl) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {"id": "own", "text": news["tram"].body, "outlet": "Dawn"},
        {"id": "by-url", "text": news["beras"].body, "url": "https://www.kompas.com/a"},
        {"id": "none", "text": news["gempa"].body},
        {"id": "none-2", "text": news["krl"].body},
    ]
    path = jsonl("in.jsonl", rows)
    for store, extra in ((tmp_path / "s1", ("--outlet", "Kabar Kota")), (tmp_path / "s2", ())):
        r = run("index", "--store", str(store), "--quiet", "--workers", "1", *extra, str(path))
        assert r.exit_code == 0, r.output
        r = run("export", "--store", str(store), "--what", "articles", "--format", "jsonl", "--out", str(store / "a.jsonl"))
        assert r.exit_code == 0, r.output
        got = {a["id"]: a["outlet"] for a in map(json.loads, (store / "a.jsonl").read_text().splitlines())}
        if extra:
            assert got == {"own": "Dawn", "by-url": "kompas.com", "none": "Kabar Kota", "none-2": "Kabar Kota"}
        else:  # each an outlet of its own, named after where it was read
            assert got["none"] == f"unknown:{path}:3" and got["none-2"] == f"unknown:{path}:4"


def test_aliases_in_the_store_are_added_listed_removed_and_used(tmp_path: Path, news, jsonl) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "store"
    run("index", "--store", str(store), "--quiet", "--workers", "1", str(jsonl("in.jsonl", _rows(news, ("detikcom", "news.detik.com")))))
    assert [m["relation"] for m in _report(store)["stories"][0]["members"]] == ["original", "uncredited_copy"]
    r = run("outlets", "--store", str(store), "--alias", "DetikCom=detik.com", "--alias", "x.com=y.com")
    assert r.exit_code == 0 and "DetikCom = detik.com" in r.output and "2 aliases" in r.output
    assert [m["relation"] for m in _report(store)["stories"][0]["members"]] == ["original", "uncredited_copy"]
    r = run("outlets", "--store", str(store), "--alias", "news.detik.com=detik.com")
    r = run("outlets", "--store", str(store), "--unalias", "X.COM")
    assert r.exit_code == 0 and "x.com" not in r.output
    r = run("outlets", "--store", str(store), "--aliases", "--json")
    assert json.loads(r.stdout) == [{"name": "DetikCom", "outlet": "detik.com"}, {"name": "news.detik.com", "outlet": "detik.com"}]
    report = _report(store)
    assert [m["relation"] for m in report["stories"][0]["members"]] == ["original", "same_outlet"]
    assert report["totals"]["stories"] == 0  # a story of one outlet's own texts has no copy
    r = run("outlets", "--store", str(store), "--unalias", "nothing")
    assert r.exit_code == 2 and "no such alias" in r.output
    r = run("outlets", "--store", str(store), "--alias", "nonsense")
    assert r.exit_code == 2 and "NAME=OUTLET" in r.output
