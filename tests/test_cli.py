from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner, Result

import dedup.pipeline as pipeline
import dedup.store.segments as segments
from dedup.cli import cli
from dedup.store import open_store

from _store_helpers import FullDisk

COMMANDS = ["index", "query", "report", "stats", "export", "check", "prune"]
QUERY_RESULT_KEYS = {"id", "outlet", "url", "published_at", "title", "similarity", "containment", "story_id"}


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=True)


def _no_traceback(r: Result) -> None:
    assert "Traceback" not in r.output and "Traceback" not in r.stderr
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def night(articles, jsonl) -> Path:  # type: ignore[no-untyped-def]
    return jsonl("night.jsonl", [r for k, r in articles.items() if k not in ("tram-abr",)])


def _index(store: Path, *paths: Path | str, extra: tuple[str, ...] = ()) -> Result:
    r = run("index", "--store", str(store), "--quiet", "--workers", "1", *extra, *map(str, paths))
    _no_traceback(r)
    return r


# -- help ----------------------------------------------------------------------------


def test_group_help_and_version() -> None:
    r = run("--help")
    assert r.exit_code == 0
    assert "Examples:" in r.output
    for name in COMMANDS:
        assert name in r.output
    assert run("-h").exit_code == 0
    v = run("--version")
    assert v.exit_code == 0 and "0.1.0" in v.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_examples(command: str) -> None:
    r = run(command, "--help")
    assert r.exit_code == 0, r.output
    assert "Examples:" in r.output
    assert f"dedup {command}" in r.output  # the examples are runnable command lines
    assert "--store" in r.output


# -- index ---------------------------------------------------------------------------


def test_index_summary(store: Path, night: Path) -> None:
    r = _index(store, night)
    assert r.exit_code == 0, r.stderr
    assert "read 11 articles: 11 added, 0 replaced, 0 unchanged; 0 rejected, 0 warnings" in r.stdout
    assert "stories with copies: 3 new, 0 grew" in r.stdout
    again = _index(store, night)
    assert "read 11 articles: 0 added, 0 replaced, 11 unchanged" in again.stdout


def test_index_strict(store: Path, articles, jsonl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = jsonl("good.jsonl", [articles["rates"], articles["krl"]])
    ok = _index(store, good, extra=("--strict",))
    assert ok.exit_code == 0, ok.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(articles["football"]) + "\n{oops\n", encoding="utf-8")
    strict = run("index", "--store", str(store), "--workers", "1", "--strict", str(bad))
    _no_traceback(strict)
    assert strict.exit_code != 0
    assert f"rejected {bad}:2: malformed JSON" in strict.stderr
    assert "--strict: 1 rejected, 0 warnings" in strict.stderr
    assert "rejected: 1 × malformed JSON" in strict.stdout
    # the good record was still indexed
    assert "1 added" in strict.stdout
    lenient = run("index", "--store", str(store), "--workers", "1", str(bad))
    assert lenient.exit_code == 0
    assert "rejected: 1 × malformed JSON" in lenient.stdout


def test_problems_are_listed_in_input_order(store: Path, articles, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    junk_only = {**articles["rates"], "id": "junk", "text": "error: Content is protected !!"}  # rejected after reading
    late = {**articles["krl"], "published_at": "kemarin sore"}  # a warning
    lines = [json.dumps(junk_only), "{oops", json.dumps(late), json.dumps(articles["football"])]
    src = tmp_path / "b-mixed.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # read first: a file with only a warning, then an empty one (a warning about the file)
    first = tmp_path / "z-first.jsonl"
    first.write_text(json.dumps({**articles["beras-orig"], "published_at": "tadi pagi"}) + "\n", encoding="utf-8")
    empty = tmp_path / "a-empty.csv"
    empty.write_text("", encoding="utf-8")
    for workers in ("1", "2"):
        r = run("index", "--store", str(tmp_path / f"store-{workers}"), "--workers", workers, str(first), str(empty), str(src))
        assert r.exit_code == 0, r.stderr
        problems = [line.split(":")[0:2] for line in r.stderr.splitlines() if line.startswith(("rejected", "warning"))]
        assert problems == [
            ["warning " + str(first), "1"], ["warning " + str(empty), " empty file"],
            ["rejected " + str(src), "1"], ["rejected " + str(src), "2"], ["warning " + str(src), "3"],
        ], r.stderr


def test_index_strict_fails_on_warnings_too(store: Path, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    path = jsonl("w.jsonl", [{**articles["rates"], "published_at": "kemarin sore"}])
    r = _index(store, path, extra=("--strict",))
    assert r.exit_code == 1
    assert "warning:  1 × unparseable time" in r.stdout


def test_index_quiet_hides_per_record_messages(store: Path, tmp_path: Path, articles) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n" + json.dumps(articles["rates"]) + "\n", encoding="utf-8")  # (one good: not every record rejected)
    r = _index(store, bad)
    assert r.exit_code == 0
    assert "rejected" not in r.stderr
    assert "rejected: 1 × malformed JSON" in r.stdout


def test_index_with_map_from_csv(store: Path, tmp_path: Path, news) -> None:  # type: ignore[no-untyped-def]
    import polars as pl

    path = tmp_path / "crawl.csv"
    pl.DataFrame({"id": ["c1", "c2"], "link": ["https://www.kompas.com/c1", "https://www.detik.com/c2"],
                  "body": [news["beras"].body, news["krl"].body]}).write_csv(path)
    r = _index(store, path, extra=("--map", "text=body", "--map", "url=link", "--tz", "Asia/Jakarta"))
    assert r.exit_code == 0, r.stderr
    assert "2 added" in r.stdout
    wrong = _index(tmp_path / "s2", path)
    assert "rejected: 1 × missing field" in wrong.stdout


@pytest.mark.parametrize("value", ["textbody", "text=", "=body"])
def test_bad_map_value(store: Path, night: Path, value: str) -> None:
    r = _index(store, night, extra=("--map", value))
    assert r.exit_code == 2
    assert r.stderr.startswith("error: --map")
    assert "FIELD=COLUMN" in r.stderr
    assert not store.exists()


def test_map_to_an_unknown_field(store: Path, night: Path) -> None:
    r = _index(store, night, extra=("--map", "body=text"))
    assert r.exit_code == 2
    assert r.stderr.startswith("error: --map body=...: unknown field 'body'")


def test_bad_options_are_friendly(store: Path, night: Path) -> None:
    for extra, needle in [
        (("--tz", "Mars/Olympus"), "not a known time zone"),
        (("--shingle-size", "17"), "shingle size 17"),
        (("--threshold", "1.5"), "threshold 1.5"),
        (("--num-perm", "8"), "num_perm 8"),
    ]:
        r = _index(store, night, extra=extra)
        assert r.exit_code == 2, extra
        assert r.stderr.startswith("error: ") and needle in r.stderr


def test_missing_input_path(store: Path, night: Path, tmp_path: Path) -> None:
    r = _index(store, night, tmp_path / "nope.jsonl")
    assert r.exit_code == 3
    assert r.stderr.startswith("error: ") and "no such file" in r.stderr
    # a mistake in the command: nothing read, and no store made with default settings
    assert not store.exists()
    stdin_csv = run("index", "--store", str(store), "--format", "csv", "-", input="id,text\n1,x\n")
    assert stdin_csv.exit_code == 2 and stdin_csv.stderr.startswith("error: --format csv: standard input") and not store.exists()
    assert _index(store, night, extra=("--num-perm", "64")).exit_code == 0


def test_incompatible_store_settings(store: Path, night: Path) -> None:
    assert _index(store, night).exit_code == 0
    r = _index(store, night, extra=("--shingle-size", "4"))
    assert r.exit_code == 4
    assert r.stderr.startswith("error: the store was built with --shingle-size 7, this run asks for --shingle-size 4")
    r = _index(store, night, extra=("--shingle", "word", "--num-perm", "128"))
    assert r.exit_code == 4
    assert "built with --shingle char, this run asks for --shingle word: leave it out" in r.stderr


def test_later_runs_take_the_store_settings(store: Path, night: Path, tmp_path: Path) -> None:
    first = _index(store, night, extra=("--num-perm", "64", "--threshold", "0.5", "--shingle", "word"))
    assert first.exit_code == 0, first.stderr
    # the next night, without repeating how the store was made
    later = tmp_path / "later.jsonl"
    later.write_text(night.read_text(encoding="utf-8").replace('"id": "', '"id": "later-'), encoding="utf-8")
    r = _index(store, later)
    assert r.exit_code == 0, r.stderr
    assert "added" in r.stdout
    params = json.loads(CliRunner().invoke(cli, ["stats", "--json", "--store", str(store)]).stdout)["settings"]
    assert (params["shingle"], params["sign"]["num_perm"], params["threshold"]) == ({"kind": "word", "size": 3}, 64, 0.5)


def test_index_from_stdin(store: Path, articles) -> None:  # type: ignore[no-untyped-def]
    data = "".join(json.dumps(articles[k]) + "\n" for k in ("beras-orig", "beras-copy"))
    r = CliRunner().invoke(cli, ["index", "--store", str(store), "--quiet", "--workers", "1", "-"], input=data)
    assert r.exit_code == 0, r.stderr
    assert "2 added" in r.stdout and "stories with copies: 1 new" in r.stdout


def test_interrupt_is_friendly(store: Path, night: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "index_corpus", interrupted)
    r = _index(store, night)
    assert r.exit_code == 130
    assert r.stderr.startswith("interrupted:")


# -- query ---------------------------------------------------------------------------


def test_query_json(store: Path, night: Path, tmp_path: Path, news, wrap_junk) -> None:  # type: ignore[no-untyped-def]
    _index(store, night)
    f = tmp_path / "copy.txt"
    f.write_text(wrap_junk(news["tram"].title, news["tram"].body, "beritaku.id"), encoding="utf-8")
    r = run("query", "--store", str(store), "--file", str(f), "--json", "--top", "3")
    _no_traceback(r)
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert set(data) == {"query", "results"}
    assert data["query"]["file"] == str(f) and data["query"]["shingles"] > 100
    assert 1 <= len(data["results"]) <= 3
    for res in data["results"]:
        assert QUERY_RESULT_KEYS <= set(res)
    top = data["results"][:2]
    assert {t["id"] for t in top} == {"tram-orig", "tram-junk"}  # both verbatim
    assert all(t["similarity"] >= 0.9 for t in top)
    orig = next(t for t in top if t["id"] == "tram-orig")
    assert orig["outlet"] == "riverpost.com"
    assert orig["published_at"] == "2026-11-24T08:00:00+00:00"
    assert orig["story_id"].startswith("s")


def test_query_by_id_json(store: Path, night: Path) -> None:
    _index(store, night)
    r = run("query", "--store", str(store), "--id", "beras-orig", "--json")
    data = json.loads(r.stdout)
    assert data["query"]["id"] == "beras-orig"
    assert data["query"]["outlet"] == "kompas.com"
    ids = [x["id"] for x in data["results"]]
    assert ids[0] == "beras-copy" and "beras-orig" not in ids


def test_query_table(store: Path, night: Path, news) -> None:  # type: ignore[no-untyped-def]
    _index(store, night)
    # wide enough that rich does not fold the id and outlet columns
    r = CliRunner().invoke(cli, ["query", "--store", str(store), "--text", news["gempa"].body], env={"COLUMNS": "200"})
    assert r.exit_code == 0
    assert "gempa-orig" in r.stdout and "antaranews.com" in r.stdout
    nothing = run("query", "--store", str(store), "--text", "Lorem ipsum dolor sit amet, consectetur adipiscing elit.")
    assert nothing.exit_code == 0 and "no similar articles" in nothing.stdout


@pytest.mark.parametrize("columns", [None, "80"])
def test_query_table_keeps_the_scores_with_long_url_ids(store: Path, news, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columns: str | None) -> None:  # type: ignore[no-untyped-def]
    url = "https://www.a-rather-long-regional-news-site.co.id/2026/11/24/" + "harga-beras-naik-lagi-" * 4 + "jakarta.html"
    src = tmp_path / "long.jsonl"
    src.write_text(json.dumps({"id": url, "url": url, "title": news["tram"].title, "text": news["tram"].body}) + "\n", encoding="utf-8")
    assert _index(store, src).exit_code == 0
    if columns:
        monkeypatch.setenv("COLUMNS", columns)
    r = run("query", "--store", str(store), "--text", news["tram"].body)
    assert r.exit_code == 0, r.stderr
    header, row = r.stdout.splitlines()[1], r.stdout.splitlines()[3]
    assert "similarity" in header and "containment" in header and "1.00" in row
    if columns is None:  # piped at 160 columns: the id is cut in its middle, on one line, and the title fits
        assert "https://www.a-rat…-lagi-jakarta.html" in row and "Riverside" in row


def test_query_missing_store_is_friendly() -> None:
    r = run("query", "--store", "/nonexistent", "--text", "x")
    _no_traceback(r)
    assert r.exit_code != 0
    assert r.stderr.startswith("error:")
    assert "/nonexistent" in r.stderr


def test_query_missing_store_as_a_real_process(tmp_path: Path) -> None:
    p = subprocess.run(
        [sys.executable, "-m", "dedup", "query", "--store", str(tmp_path / "nonexistent"), "--text", "x"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert p.returncode == 4
    assert p.stderr.startswith("error:")
    assert "Traceback" not in p.stderr
    assert p.stdout == ""


def test_query_errors(store: Path, night: Path) -> None:
    _index(store, night)
    unknown = run("query", "--store", str(store), "--id", "nope")
    assert unknown.exit_code == 5 and unknown.stderr.startswith("error: no article with id 'nope'")
    none = run("query", "--store", str(store))
    assert none.exit_code == 2 and "exactly one of --text, --file, --id or --url" in none.stderr
    two = run("query", "--store", str(store), "--text", "x", "--id", "y")
    assert two.exit_code == 2 and "got text, id" in two.stderr
    top = run("query", "--store", str(store), "--id", "rates", "--top", "0")
    assert top.exit_code == 2 and "--top 0" in top.stderr


@pytest.mark.parametrize("form", [
    "http://riverpost.com/news/tram-orig/",
    "riverpost.com/news/tram-orig?utm_source=newsletter&fbclid=IwAR0x#comments",
    "HTTPS://WWW.RIVERPOST.COM/news/tram-orig?gclid=Cj0K&mc_cid=1a",
])
def test_query_by_url_in_any_form(store: Path, night: Path, form: str) -> None:
    _index(store, night)  # stored as https://www.riverpost.com/news/tram-orig
    r = run("query", "--store", str(store), "--url", form, "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["query"]["id"] == "tram-orig"
    other = run("query", "--store", str(store), "--url", form.replace("tram-orig", "tram-orig-2"))
    assert other.exit_code == 5 and other.stderr.startswith("error: no article with url")


def _dump(store: Path) -> list[str]:
    con = sqlite3.connect(store / "dedup.sqlite")
    try:
        return list(con.iterdump())
    finally:
        con.close()


@pytest.mark.parametrize("junk", [
    ['{"doc_id": "0001", "headline": "x", "body": "a text under a name dedup does not read"}'],  # wrong column names
    ['{"id": "a", "url": "https://x.com/a", "text": ""}', '{"id": "b", "text": "   "}'],  # no text
])
def test_a_run_that_rejects_every_record_fails_and_leaves_no_new_store(store: Path, tmp_path: Path, junk: list[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(junk) + "\n", encoding="utf-8")
    r = _index(store, bad)
    assert r.exit_code == 3, r.output
    (line,) = [x for x in r.stderr.splitlines() if x.startswith("error:")]
    assert line.startswith(f"error: nothing in the input could be indexed: every record was rejected ({len(junk)} × ")
    assert not store.exists()


def test_a_run_that_rejects_every_record_leaves_an_existing_store_as_it_was(store: Path, night: Path, tmp_path: Path) -> None:
    _index(store, night)
    before = _dump(store)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"doc_id": "1", "body": "x"}\n{oops\n', encoding="utf-8")
    r = _index(store, bad)
    assert r.exit_code == 3 and "2 rejected" in r.stdout
    assert _dump(store) == before
    # every record unchanged is no failure
    again = _index(store, night)
    assert again.exit_code == 0 and "0 added, 0 replaced, 11 unchanged" in again.stdout


# -- report, stats, export ----------------------------------------------------------------


def test_report_json_and_since_last(store: Path, night: Path, articles, jsonl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _index(store, night)
    out = tmp_path / "r1.json"
    r = run("report", "--store", str(store), "--format", "json", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    assert f"wrote {out} (3 stories with copies)" in r.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"generated_at", "stories", "outlets"} <= set(data)
    assert len(data["stories"]) == 3
    for s in data["stories"]:
        assert {"story_id", "first", "members"} <= set(s)
        assert set(s["first"]) >= {"id", "outlet", "url", "published_at"}
        assert s["members"][0]["id"] == s["first"]["id"]
        for m in s["members"]:
            assert {"id", "outlet", "url", "published_at", "lag_seconds", "similarity", "relation"} <= set(m)
    for o in data["outlets"]:
        assert set(o) == {"outlet", "articles", "original", "copies"}
    # A second night: the abridged tram copy arrives, plus one new story.
    n2 = jsonl("n2.jsonl", [articles["tram-abr"], {**articles["rates"], "id": "rates-copy", "outlet": "bizdaily.com",
                                                   "published_at": "2026-11-25T15:00:00+00:00"}])
    _index(store, n2)
    r2 = run("report", "--store", str(store), "--format", "json")
    data2 = json.loads(r2.stdout)
    firsts = {s["first"]["id"]: s["is_new"] for s in data2["stories"]}
    assert firsts == {"tram-orig": False, "rates": False}  # both stories existed (rates alone); both grew
    tram = next(s for s in data2["stories"] if s["first"]["id"] == "tram-orig")
    assert [m["id"] for m in tram["members"]] == ["tram-orig", "tram-junk", "tram-abr"]
    # and nothing since
    r3 = run("report", "--store", str(store), "--format", "json")
    assert json.loads(r3.stdout)["stories"] == []


def test_report_markdown_and_html(store: Path, night: Path, tmp_path: Path) -> None:
    _index(store, night)
    md = run("report", "--store", str(store), "--since", "all", "--no-mark")
    assert md.exit_code == 0
    assert md.stdout.startswith("# dedup report")
    assert "riverpost.com" in md.stdout
    out = tmp_path / "r.html"
    html = run("report", "--store", str(store), "--since", "all", "--format", "html", "--out", str(out))
    assert html.exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    bad = run("report", "--store", str(store), "--since", "yesterday")
    assert bad.exit_code == 2 and bad.stderr.startswith("error: --since")


def _stories_since_last(store: Path) -> int:
    return len(json.loads(run("report", "--store", str(store), "--format", "json", "--no-mark").stdout)["stories"])


def test_report_that_cannot_be_written_keeps_the_mark(store: Path, night: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _index(store, night)
    assert _stories_since_last(store) == 3
    # a missing directory: refused before the report is built
    r = run("report", "--store", str(store), "--format", "html", "--out", str(tmp_path / "nodir" / "tonight.html"))
    _no_traceback(r)
    assert r.exit_code == 6 and r.stderr == f"error: --out {tmp_path / 'nodir' / 'tonight.html'}: no such directory {tmp_path / 'nodir'}\n"
    # a disk that fills up: the data reaches the disk when synced, and fails there
    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    out = tmp_path / "tonight.html"
    r = run("report", "--store", str(store), "--format", "html", "--out", str(out))
    monkeypatch.undo()
    assert r.exit_code == 6 and "cannot write (No space left on device)" in r.stderr
    assert not out.exists() and list(tmp_path.glob(".tonight.html*")) == []  # no half file, no leftover
    assert _stories_since_last(store) == 3  # and the night's report is not lost
    # written: now the mark moves
    assert run("report", "--store", str(store), "--format", "html", "--out", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert _stories_since_last(store) == 0


def test_only_the_nightly_report_moves_the_mark(store: Path, night: Path) -> None:
    _index(store, night)
    for look_back in (("--since", "all"), ("--since", "2000-01-01")):
        assert run("report", "--store", str(store), "--format", "json", *look_back).exit_code == 0
        assert _stories_since_last(store) == 3, look_back
    assert run("report", "--store", str(store), "--format", "json").exit_code == 0
    assert _stories_since_last(store) == 0


def test_out_dash_is_standard_output(store: Path, night: Path) -> None:
    _index(store, night)
    r = run("report", "--store", str(store), "--since", "all", "--format", "json", "--out", "-", "--no-mark")
    assert r.exit_code == 0 and len(json.loads(r.stdout)["stories"]) == 3 and r.stderr == ""
    e = run("export", "--store", str(store), "--what", "stories", "--out", "-")
    assert e.exit_code == 0 and len(e.stdout.splitlines()) == 6 and not Path("-").exists()


def test_report_missing_store(tmp_path: Path) -> None:
    r = run("report", "--store", str(tmp_path / "none"))
    _no_traceback(r)
    assert r.exit_code == 4 and r.stderr.startswith("error: no store at")


def test_stats(store: Path, night: Path) -> None:
    _index(store, night)
    r = run("stats", "--store", str(store), "--json")
    assert r.exit_code == 0
    info = json.loads(r.stdout)
    assert info["articles"] == 11 and info["stories_with_copies"] == 3 and info["pending"] == 0
    assert info["settings"]["shingle"] == {"kind": "char", "size": 7}
    text = run("stats", "--store", str(store))
    assert "articles: 11" in text.stdout
    assert "settings: char 7-grams, num_perm 128, seed 1, affine32, threshold 0.11 (96 bands x 2 rows), prefilter 0.2, min_similarity 0.3, min_containment 0.7" in text.stdout
    assert "last_report_at: never" in text.stdout


def test_default_store_from_environment(night: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DEDUP_STORE", str(tmp_path / "env-store"))
    r = run("index", "--quiet", str(night))
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "env-store").is_dir()
    assert json.loads(run("stats", "--json").stdout)["store"] == str(tmp_path / "env-store")


def test_export(store: Path, night: Path, tmp_path: Path) -> None:
    _index(store, night)
    out = tmp_path / "stories.jsonl"
    r = run("export", "--store", str(store), "--what", "stories", "--out", str(out))
    assert r.exit_code == 0
    assert f"wrote 6 rows to {out}" in r.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["relation"] for r in rows} == {"original", "uncredited_copy"}
    missing_out = run("export", "--store", str(store))
    assert missing_out.exit_code == 2 and "--out" in missing_out.stderr
    parquet = tmp_path / "articles.parquet"
    assert run("export", "--store", str(store), "--format", "parquet", "--out", str(parquet)).exit_code == 0
    assert pl.read_parquet(parquet).height == 11
    piped = run("export", "--store", str(store), "--format", "parquet", "--out", "-")
    assert piped.exit_code == 0 and pl.read_parquet(io.BytesIO(piped.stdout_bytes)).height == 11


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "DEDUP_STORE": str(tmp_path / "s"), "DEDUP_WORKERS": "1"}
    dedup = [sys.executable, "-m", "dedup"]
    subprocess.run([*dedup, "index", "--quiet", str(root / "examples" / "sample")], env=env, check=True, capture_output=True)
    # the export (~300 KB) is more than a pipe holds: writing goes on after the reader left
    proc = subprocess.Popen([*dedup, "export", "--out", "-"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    head = proc.stdout.read(100)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141 and head.startswith(b'{"id"')
    assert err == "", err


# -- hostile input, unexpected errors -----------------------------------------------------


@pytest.mark.parametrize("flag", ["--text", "--id", "--url"])
def test_query_arguments_that_are_not_utf8_are_one_line(store: Path, night: Path, flag: str) -> None:
    # Bytes that are not UTF-8 on the command line reach Python as lone surrogates (surrogateescape).
    _index(store, night)
    r = run("query", "--store", str(store), flag, "caf\udce9 au lait")
    _no_traceback(r)
    assert r.exit_code == 3
    assert r.stderr == f"error: {flag}: not UTF-8 text (byte 0xe9 at character 4); check the terminal's or the script's encoding\n"


def test_query_arguments_that_are_not_utf8_as_a_real_process(store: Path, night: Path, tmp_path: Path) -> None:
    _index(store, night)
    root = Path(__file__).parent.parent
    p = subprocess.run(
        [sys.executable, "-m", "dedup", "query", "--store", str(store), "--text", os.fsdecode(b"caf\xe9")],
        capture_output=True, timeout=60, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(root), "LC_ALL": "C.UTF-8"},
    )
    assert p.returncode == 3
    assert p.stderr.startswith(b"error: --text: not UTF-8 text (byte 0xe9") and p.stderr.count(b"\n") == 1


def test_an_unexpected_error_is_one_line_and_the_traceback_on_demand(store: Path, night: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("repeats may not contain\nnegative values")

    monkeypatch.setattr(pipeline, "index_corpus", broken)
    r = _index(store, night)
    assert r.exit_code == 1
    assert r.stderr.startswith("error: unexpected ValueError: repeats may not contain negative values (a bug in dedup; DEDUP_DEBUG=1")
    assert r.stderr.count("\n") == 1
    monkeypatch.setenv("DEDUP_DEBUG", "1")
    r = run("index", "--store", str(store), "--quiet", str(night))
    assert isinstance(r.exception, ValueError)  # raised on, for the traceback


def test_max_bytes(store: Path, tmp_path: Path, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    path = jsonl("n.jsonl", [{"id": "a", "text": "A short article."}, {"id": "big", "text": "x" * 3000}, {"id": "b", "text": "Another."}])
    r = run("index", "--store", str(store), "--workers", "1", "--max-bytes", "2KB", str(path))
    _no_traceback(r)
    assert r.exit_code == 0
    assert f"rejected {path}:2: record too large: a line of 3,026 bytes (limit 2,000, --max-bytes)" in r.stderr
    assert "2 added" in r.stdout
    bad = run("index", "--store", str(store), "--max-bytes", "lots", str(path))
    assert bad.exit_code == 2 and bad.stderr.startswith("error: --max-bytes 'lots': give a size such as 10MB")
    small = run("index", "--store", str(store), "--max-bytes", "100", str(path))
    assert small.exit_code == 2 and "must be at least 1024" in small.stderr
# -- check ---------------------------------------------------------------------------


def _flip_segment(store: Path, part: str = "keys") -> Path:
    """20 bytes of the (only) LSH segment's ``part`` file inverted, past its header."""
    (path,) = (store / "lsh").glob(f"*.{part}.npy")
    data = bytearray(path.read_bytes())
    for i in range(200, 200 + 20 * 97, 97):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def _answers(store: Path) -> list[object]:
    return [json.loads(run("query", "--store", str(store), "--id", i, "--json").stdout)["results"]
            for i in ("beras-orig", "beras-copy")]


def test_check_a_sound_store(store: Path, night: Path) -> None:
    _index(store, night)
    r = run("check", "--store", str(store))
    assert r.exit_code == 0, r.output
    assert r.stdout == "checked 11 articles, 1 LSH segment: no damage\n"
    data = json.loads(run("check", "--store", str(store), "--json").stdout)
    assert data == {"store": str(store), "articles": 11, "segments": 1, "ok": True, "findings": []}


def test_check_names_a_damaged_segment_and_repair_rebuilds_it(store: Path, night: Path) -> None:
    _index(store, night)
    before = _answers(store)
    path = _flip_segment(store)
    # A query reads no segment (it compares every signature, kept apart in signatures.bin): same answers.
    assert _answers(store) == before
    r = run("check", "--store", str(store))
    _no_traceback(r)
    assert r.exit_code == 4
    assert r.stdout.splitlines()[0] == f"damaged  {path}: its checksum does not match the one the store recorded"
    assert "run 'dedup check --repair'" in r.stderr
    data = json.loads(run("check", "--store", str(store), "--json").stdout)
    assert data["ok"] is False and [f["where"] for f in data["findings"]] == [str(path)]
    fixed = run("check", "--store", str(store), "--repair")
    assert fixed.exit_code == 0, fixed.output
    assert fixed.stdout.splitlines()[0].startswith(f"repaired {path}: ")
    assert _answers(store) == before
    assert run("check", "--store", str(store)).exit_code == 0


def _signature_records(store: Path) -> tuple[Path, bytearray, int, int]:
    """signatures.bin's bytes, the offset of its first record and the record size."""
    from dedup.store import sigfile

    path = store / "signatures.bin"
    recs = sigfile.read(path)
    assert recs is not None and len(recs) == 11
    return path, bytearray(path.read_bytes()), path.stat().st_size - recs.nbytes, recs.dtype.itemsize


def test_check_compares_the_signature_file_a_query_scores_and_repair_writes_it_afresh(store: Path, night: Path) -> None:
    _index(store, night)
    before = _answers(store)
    path, data, head, size = _signature_records(store)
    for k in range(11):  # every record's signature garbled (a bad disk): a query scores them all wrongly
        for i in range(head + k * size + 16, head + (k + 1) * size):
            data[i] ^= 0xFF
    path.write_bytes(bytes(data))  # (on 11 articles a query re-ranks them all exactly and hides it; on 100k it would not)
    r = run("check", "--store", str(store))
    _no_traceback(r)
    assert r.exit_code == 4
    assert f"damaged  {path}: 11 records differ from their article's signature: a query would score them wrongly" in r.stdout
    assert "run 'dedup check --repair'" in r.stderr
    fixed = run("check", "--store", str(store), "--repair")
    assert fixed.exit_code == 0, fixed.output
    assert f"repaired {path}: 11 records differ" in fixed.stdout
    assert _answers(store) == before
    assert run("check", "--store", str(store)).exit_code == 0


def test_check_finds_a_stored_article_missing_from_the_signature_file(store: Path, night: Path) -> None:
    _index(store, night)
    before = _answers(store)
    path, data, head, size = _signature_records(store)
    del data[head + 4 * size : head + 5 * size]  # the fifth record gone: the rest stay in doc order
    path.write_bytes(bytes(data))
    r = run("check", "--store", str(store), "--json")
    assert r.exit_code == 4
    assert [(f["where"], f["problem"], f["derived"]) for f in json.loads(r.stdout)["findings"]] == [
        (str(path), "1 stored article has no record in it: a query would never find them", True)]
    assert run("check", "--store", str(store), "--repair").exit_code == 0
    assert _answers(store) == before
    path.write_bytes(b"not a signature file")
    assert f"damaged  {path}: not a signature file" in run("check", "--store", str(store)).stdout


def test_index_rebuilds_a_damaged_segment(store: Path, night: Path) -> None:
    _index(store, night)
    before = _answers(store)
    path = _flip_segment(store, "docs")
    r = run("index", "--store", str(store), "--workers", "1", str(night))  # nothing new to index
    _no_traceback(r)
    assert r.exit_code == 0, r.output
    assert f"warning {path}: damaged LSH segment file rebuilt from the database" in r.stderr
    assert _answers(store) == before
    assert run("check", "--store", str(store)).exit_code == 0


def test_check_a_damaged_database_gives_advice_not_a_traceback(store: Path, night: Path) -> None:
    _index(store, night)
    db = store / "dedup.sqlite"
    data = bytearray(db.read_bytes())
    at = len(data) // 16384 // 2 * 16384  # one page in the middle overwritten
    data[at : at + 16384] = bytes(range(256)) * 64
    db.write_bytes(bytes(data))
    r = run("check", "--store", str(store), "--repair")
    _no_traceback(r)
    assert r.exit_code == 4
    assert "restore the store from a backup, or index the input again into a new store" in r.stderr
    assert r.stdout.startswith(f"damaged  {db}: ")
    assert all(line.startswith(("damaged  ", "note     ", "checked ")) for line in r.stdout.splitlines())


def test_check_a_database_that_cannot_be_opened_gives_advice(store: Path, night: Path) -> None:
    _index(store, night)
    db = store / "dedup.sqlite"
    with open(db, "r+b") as fh:
        fh.write(b"\x00" * 100)  # the header gone
    r = run("check", "--store", str(store))
    _no_traceback(r)
    assert r.exit_code == 4
    assert r.stderr.startswith(f"error: {db}: not a usable dedup store")
    assert r.stderr.rstrip().endswith("restore the store from a backup, or index the input again into a new store (--store NEW)")


# -- store faults: a full disk, a damaged database -------------------------------------

AGAIN = "run the same command again: the store is consistent, the next run completes it\n"


def _fault_corpus(path: Path, n: int = 300) -> Path:
    """``n`` short made-up articles; every tenth is an earlier one lightly edited (stories to find)."""
    rng = np.random.default_rng(11)
    vocab = ["".join(rng.choice(list("etaoinshrdlcumwfgyp"), int(k))) for k in rng.integers(2, 9, 3000)]
    rows: list[dict[str, object]] = []
    for i in range(n):
        if i % 10 == 9:
            words = str(rows[int(rng.integers(0, i))]["text"]).split()
            words[int(rng.integers(0, len(words)))] = "edited"
        else:
            words = [vocab[int(j)] for j in rng.zipf(1.3, 90) % len(vocab)]
        rows.append({"id": f"a{i}", "url": f"https://site{i % 7}.example/{i}", "title": f"Article {i}", "text": " ".join(words)})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _contents(store: Path) -> tuple[dict[str, tuple[str, str, str | None]], dict[str, int]]:
    """Every article (record hash, text, story id) and the store's counts."""
    s = open_store(store, create=False)
    try:
        return {a.id: (a.record_hash, a.text, a.story_id) for a in s.articles()}, s.counts()
    finally:
        s.close()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The fault corpus, and a store it was indexed into without a fault."""
    d = tmp_path_factory.mktemp("uninterrupted")
    corpus = _fault_corpus(d / "corpus.jsonl")
    r = run("index", "--store", str(d / "store"), "--quiet", "--workers", "1", str(corpus))
    assert r.exit_code == 0, r.output
    return corpus, d / "store"


def _one_error_line(r: Result, *parts: str) -> str:
    _no_traceback(r)
    assert r.exit_code == 4, (r.exit_code, r.stderr)
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr
    for p in parts:
        assert p in r.stderr, (p, r.stderr)
    return r.stderr


@pytest.mark.parametrize("where", ["segment", "database-early", "database-late"])
def test_a_full_disk_is_one_line_and_the_next_run_completes_the_store(
    where: str, uninterrupted: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, ref = uninterrupted
    store = tmp_path / "store"
    if where == "segment":
        monkeypatch.setattr(segments, "open", FullDisk(room=20_000).open, raising=False)
    else:
        # SQLite's own "database or disk is full": the database may not grow past `pages`
        c = sqlite3.connect(ref / "dedup.sqlite")
        pages = 20 if where == "database-early" else c.execute("PRAGMA page_count").fetchone()[0] - 1
        c.close()
        connect = sqlite3.connect

        def small_disk(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            conn = connect(*args, **kwargs)
            conn.execute(f"PRAGMA max_page_count={pages}")
            return conn

        monkeypatch.setattr(sqlite3, "connect", small_disk)
    r = run("index", "--store", str(store), "--quiet", "--workers", "1", str(corpus))
    file = str(store / "lsh" / "seg-") if where == "segment" else f"{store / 'dedup.sqlite'}: disk full (database or disk is full)"
    msg = _one_error_line(r, f"error: {file}", "disk full", "free space on /")
    assert msg.endswith(AGAIN)
    assert not list((store / "lsh").glob("*.tmp")) if (store / "lsh").exists() else True
    # what the failed run left: nothing (early), or every article stored and none clustered yet
    assert _contents(store)[1]["pending" if where != "database-early" else "articles"] == (300 if where != "database-early" else 0)
    monkeypatch.undo()  # space is freed
    again = run("index", "--store", str(store), "--quiet", "--workers", "1", str(corpus))
    assert again.exit_code == 0, again.output
    assert _contents(store) == _contents(ref)


@pytest.fixture
def small_disk(tmp_path: Path, uninterrupted: tuple[Path, Path]) -> Iterator[Path]:
    """A tmpfs half the size of the uninterrupted store (mounting needs root); unmounted after."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    size = sum(f.stat().st_size for f in uninterrupted[1].rglob("*") if f.is_file()) // 2
    try:
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("no mount command here: the injected full-disk tests stand in")
    if p.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({p.stderr.strip()}): the injected full-disk tests stand in")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "--lazy", str(mnt)], check=True)


def test_a_real_full_disk_as_a_real_process(small_disk: Path, uninterrupted: tuple[Path, Path], tmp_path: Path) -> None:
    """ENOSPC from the file system itself, with the background reader (--workers 2): one line,
    exit 4, no hang; after the disk is enlarged the same command completes the store."""
    corpus, ref = uninterrupted
    store = small_disk / "store"
    cmd = [sys.executable, "-m", "dedup", "index", "--store", str(store), "--quiet", "--workers", "2", str(corpus)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert p.returncode == 4, p.stderr
    assert "Traceback" not in p.stderr and p.stderr.count("\n") == 1, p.stderr
    assert p.stderr.startswith(f"error: {store}") and "disk full" in p.stderr and f"free space on {small_disk} (" in p.stderr
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert _contents(store) == _contents(ref)


def _damage_pages(db: Path) -> None:
    """Flip the type byte of every b-tree page but the schema's and the settings' (``meta``):
    every command opens the store, then meets the damage at its first real read."""
    c = sqlite3.connect(db)
    keep = {1} | {r for (r,) in c.execute("SELECT rootpage FROM sqlite_master WHERE tbl_name = 'meta'")}
    c.close()
    data = bytearray(db.read_bytes())
    size = int.from_bytes(data[16:18], "big") or 65536
    for page in range(2, len(data) // size + 1):
        if page not in keep:
            data[(page - 1) * size] ^= 0xFF
    db.write_bytes(bytes(data))


COMMAND_LINES = {
    "index": ["index", "--quiet", "--workers", "1"],
    "query": ["query", "--text", "a text to look for in the store, long enough to be shingled"],
    "report": ["report"],
    "stats": ["stats"],
    "export": ["export", "--out", "-"],
    "outlets": ["outlets"],
}


@pytest.mark.parametrize("command", list(COMMAND_LINES))
def test_every_command_on_a_damaged_database_is_one_line(command: str, store: Path, night: Path) -> None:
    _index(store, night)
    _damage_pages(store / "dedup.sqlite")
    args = COMMAND_LINES[command] + ([str(night)] if command == "index" else [])
    r = run(args[0], "--store", str(store), *args[1:])
    msg = _one_error_line(r, f"error: {store / 'dedup.sqlite'}: the database is damaged (database disk image is malformed)")
    assert msg.endswith("restore the store from a backup, or index the input again into a new store (--store NEW)\n")


@pytest.mark.parametrize("args", [["export", "--out", "-"], ["report", "--since", "all"], ["query", "--id", "tram-orig"]])
def test_a_damaged_value_is_one_line(args: list[str], store: Path, night: Path, articles) -> None:  # type: ignore[no-untyped-def]
    """A flipped byte in a title, wherever it is stored (no longer UTF-8): SQLite's pages are
    intact, the values are not."""
    _index(store, night)
    db = store / "dedup.sqlite"
    title = str(articles["tram-orig"]["title"]).encode()
    db.write_bytes(db.read_bytes().replace(title, b"\xff" + title[1:]))
    r = run(args[0], "--store", str(store), *args[1:])
    msg = _one_error_line(r, f"error: {db}: the database is damaged (Could not decode to UTF-8 column '")
    assert "with text" not in msg  # not the value itself (an article's text is long, on many lines)
