"""The PostgreSQL store end to end: the same stories as the embedded store, many writers
at once, a writer killed mid-batch and the server restarted mid-run, clear errors.

Each test gets a database of its own on the session's throwaway server (tests/_postgres.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from dedup.cli import cli
from dedup.errors import StoreError
from dedup.store import open_store
from dedup.store.postgres import _STORY_LOCK, SCHEMA_VERSION

SAMPLE = Path(__file__).parents[2] / "examples" / "sample"
NIGHTS = [str(SAMPLE / "night1.jsonl"), str(SAMPLE / "night2.jsonl")]
TZ = ["--tz", "Asia/Jakarta"]

# A `dedup index` that indexes in batches of 10 and, inside the open transaction of
# batch HOLD_AT (its band rows about to be copied), says "holding" and waits for a line
# on its standard input: the test then kills it, or restarts the server under it.
_HELD_WRITER = """
import dataclasses, sys
import dedup.pipeline as pipeline
import dedup.store.postgres as pg
hold_at, calls = int(sys.argv[1]), [0]
real_index, real_rows = pipeline.index_corpus, pg._band_rows
def band_rows(*args):
    calls[0] += 1
    if calls[0] == hold_at:
        print("holding", flush=True)
        sys.stdin.readline()
    return real_rows(*args)
pg._band_rows = band_rows
pipeline.index_corpus = lambda paths, cfg, progress=None: real_index(paths, dataclasses.replace(cfg, batch_size=10), progress)
from dedup.cli import main
sys.argv = ["dedup", *sys.argv[2:]]
main()
"""


def _dedup(*args: str) -> Any:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r


def _stories(store: Path | str, with_ids: bool = True) -> set[tuple[Any, ...]]:
    """Every story with copies: its members, first publisher, and each member's relation
    and parent (and the story's id, unless ``with_ids`` is False)."""
    out = _dedup("report", "--store", str(store), "--since", "all", "--no-mark", "--limit", "0", "--format", "json").stdout
    got = set()
    for s in json.loads(out)["stories"]:
        members = tuple(sorted((m["id"], m["relation"], (m["parent"] or {}).get("id")) for m in s["members"]))
        got.add(((s["story_id"],) if with_ids else ()) + (s["first"]["id"], members))
    return got


def _count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute(sql).fetchone()[0])


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus (both nights, one run) in the embedded store: the reference."""
    path = tmp_path_factory.mktemp("reference") / "store"
    _dedup("index", "--store", str(path), *TZ, "--quiet", "--workers", "1", *NIGHTS)
    return path


def test_the_sample_corpus_gives_the_same_stories_on_both_stores(tmp_path: Path, pg_url: str) -> None:
    for store in (tmp_path / "store", pg_url):
        for night in NIGHTS:  # two nightly runs, as the demo does
            _dedup("index", "--store", str(store), *TZ, "--quiet", night)
    embedded = _stories(tmp_path / "store")
    assert len(embedded) == 17
    assert _stories(pg_url) == embedded  # the same ids, first publishers, relations and parents
    stats = [json.loads(_dedup("stats", "--json", "--store", str(s)).stdout) for s in (tmp_path / "store", pg_url)]
    keys = ("articles", "outlets", "stories", "stories_with_copies", "pending", "buckets", "settings")
    assert [{k: s[k] for k in keys} for s in stats][0] == [{k: s[k] for k in keys} for s in stats][1]
    assert not (tmp_path / "postgresql:").exists() and not Path("postgresql:").exists()


def _index_by_two_writers(pg_url: str, halves: list[Path], *flags: str) -> None:
    """Two concurrent ``dedup index`` processes, one per half. The test holds the story lock
    until both have written all their articles: neither assigns a story before, so the
    stories are those of one run over all (whatever the interleaving of the writes)."""
    total = sum(1 for h in halves for ln in h.read_text(encoding="utf-8").splitlines() if ln.strip())
    with psycopg.connect(pg_url, autocommit=True) as lock:
        lock.execute("SELECT pg_advisory_lock(%s)", (_STORY_LOCK,))
        runs = [subprocess.Popen([sys.executable, "-m", "dedup", "index", "--store", pg_url, *flags, "--quiet", "--workers", "1", str(h)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for h in halves]
        deadline = time.monotonic() + 120
        stored = 0
        while stored < total and time.monotonic() < deadline and all(r.poll() is None for r in runs):
            time.sleep(0.05)  # polling the server's state: there is no event to wait on across processes
            with suppress_missing_table():
                stored = _count(pg_url, "SELECT COUNT(*) FROM articles")
        assert stored == total, [r.communicate() for r in runs if r.poll() is not None]
        assert _count(pg_url, "SELECT COUNT(*) FROM memberships WHERE story_id IS NULL") == total  # waiting for the lock
        assert all(r.poll() is None for r in runs)
        lock.execute("SELECT pg_advisory_unlock(%s)", (_STORY_LOCK,))
        outs = [r.communicate(timeout=120) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outs
    assert _count(pg_url, "SELECT COUNT(*) FROM memberships WHERE story_id IS NULL") == 0


def _halves(lines: list[str], tmp_path: Path) -> list[Path]:
    halves = [tmp_path / "even.jsonl", tmp_path / "odd.jsonl"]
    for i, half in enumerate(halves):
        half.write_text("\n".join(lines[i::2]) + "\n", encoding="utf-8")
    return halves


def test_two_writers_at_once_give_the_stories_of_one_embedded_run(tmp_path: Path, pg_url: str, embedded: Path) -> None:
    lines = [ln for f in NIGHTS for ln in Path(f).read_text(encoding="utf-8").splitlines() if ln.strip()]
    _index_by_two_writers(pg_url, _halves(lines, tmp_path), *TZ)
    # Story ids name the first article of a story in the order stored, which two runs interleave.
    assert _stories(pg_url, with_ids=False) == _stories(embedded, with_ids=False)
    r = CliRunner().invoke(cli, ["check", "--store", pg_url])
    assert r.exit_code == 0 and "no damage" in r.output, r.output


COUNTER = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "counter" / "documents.jsonl"


def test_counter_gives_the_same_stories_from_two_writers_as_from_the_embedded_store(tmp_path: Path, pg_url: str) -> None:
    """COUNTER (1,200 Urdu articles, bare dates, outlets as given), shuffled and written as
    benchmarks/quality.py indexes it: one embedded run, and two PostgreSQL writers on
    disjoint halves. Re-run it after a change to clustering: both stores run the same code.

    The same articles make the same stories. Which of two articles of one outlet and one
    bare date is first is decided by the order they were stored in, which two writers
    interleave: so first publishers and relations are held against one embedded run over
    the articles in the order the PostgreSQL store holds them (against quality.py's order a
    few stories differ by such ties)."""
    if not COUNTER.is_file():
        pytest.skip(f"COUNTER not found at {COUNTER}")
    import random

    docs = [json.loads(line) for line in COUNTER.open(encoding="utf-8")]
    random.Random(20141201).shuffle(docs)  # quality.py's COUNTER_ORDER_SEED
    lines = {d["doc_id"]: json.dumps({"id": d["doc_id"], "outlet": d["outlet"], "published_at": d["date"], "title": d["headline"],
                                      "text": d["body"]}, ensure_ascii=False) for d in docs}
    corpus, stored_order = tmp_path / "counter.jsonl", tmp_path / "as-stored.jsonl"
    corpus.write_text("\n".join(lines.values()) + "\n", encoding="utf-8")
    _dedup("index", "--store", str(tmp_path / "store"), "--quiet", str(corpus))
    _index_by_two_writers(pg_url, _halves(list(lines.values()), tmp_path))
    with psycopg.connect(pg_url) as conn:
        order = [i for (i,) in conn.execute("SELECT id FROM articles ORDER BY doc")]
    stored_order.write_text("\n".join(lines[i] for i in order) + "\n", encoding="utf-8")
    _dedup("index", "--store", str(tmp_path / "as-stored"), "--quiet", str(stored_order))
    served = _stories(pg_url, with_ids=False)
    assert len(served) > 100  # (COUNTER has 600 labelled pairs)
    assert {frozenset(m[0] for m in s[1]) for s in served} == {frozenset(m[0] for m in s[1]) for s in _stories(tmp_path / "store", with_ids=False)}
    assert served == _stories(tmp_path / "as-stored", with_ids=False)


class suppress_missing_table:
    """The first run may not have created the tables yet."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        return kind is not None and issubclass(kind, psycopg.errors.UndefinedTable)


def _held_writer(url: str, hold_at: int) -> subprocess.Popen[str]:
    """A `dedup index` of both nights into ``url``, held inside the open transaction of batch ``hold_at``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HELD_WRITER, str(hold_at), "index", "--store", url, *TZ, "--quiet", "--workers", "1", *NIGHTS],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until the writer is inside the batch
    assert line == "holding\n", (line, proc.communicate())
    return proc


def test_a_writer_killed_mid_batch_leaves_whole_batches_and_the_rerun_completes(pg_url: str, embedded: Path) -> None:
    proc = _held_writer(pg_url, hold_at=4)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    # Three whole batches of 10, nothing of the fourth; none clustered (that comes at the end).
    assert _count(pg_url, "SELECT COUNT(*) FROM articles") == 30
    assert _count(pg_url, "SELECT COUNT(*) FROM bands") == 30 * _count(pg_url, "SELECT COUNT(*) FROM bands WHERE doc = (SELECT MIN(doc) FROM articles)")
    assert _count(pg_url, "SELECT COUNT(*) FROM memberships WHERE story_id IS NULL") == 30
    r = _dedup("index", "--store", pg_url, *TZ, "--workers", "1", *NIGHTS)
    assert "92 added, 0 replaced, 30 unchanged" in r.output
    assert _stories(pg_url) == _stories(embedded)  # nothing lost or doubled: the same stories, the same ids
    assert _count(pg_url, "SELECT COUNT(*) FROM articles") == 122 == _count(pg_url, "SELECT COUNT(DISTINCT id) FROM articles")


def test_a_server_restarted_mid_run_is_one_clear_error_and_the_rerun_completes(pg_server: Any, pg_url: str, embedded: Path) -> None:
    proc = _held_writer(pg_url, hold_at=3)
    pg_server.restart_immediate()  # every connection cut, the open batch with it
    _, err = proc.communicate("go\n", timeout=120)
    assert proc.returncode == 4, err
    port = pg_url.split(":")[-1].split("/")[0]
    assert err.strip().splitlines()[-1].startswith(
        f"error: postgresql://postgres@127.0.0.1:{port}/{pg_url.rsplit('/', 1)[1]}: lost the connection to PostgreSQL at 127.0.0.1:{port} ("
    ), err
    assert "run the same command again when the server is back" in err and "Traceback" not in err
    assert _count(pg_url, "SELECT COUNT(*) FROM articles") == 20
    r = _dedup("index", "--store", pg_url, *TZ, "--workers", "1", *NIGHTS)
    assert "102 added, 0 replaced, 20 unchanged" in r.output
    assert _stories(pg_url) == _stories(embedded)


def test_no_server_is_one_line_naming_the_address_and_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.chdir(tmp_path)
    url = f"postgresql://postgres:secret@127.0.0.1:{port}/news"
    r = CliRunner().invoke(cli, ["index", "--store", url, *TZ, NIGHTS[0]])
    assert r.exit_code == 4
    assert r.output.strip().splitlines()[-1] == (
        f"error: postgresql://postgres@127.0.0.1:{port}/news: cannot connect to PostgreSQL at 127.0.0.1:{port} (connection refused): "
        "start the server there (pg_ctl start, or systemctl start postgresql) or fix the address in --store / $DEDUP_STORE"
    )
    assert "secret" not in r.output and list(tmp_path.iterdir()) == []  # no directory named after the address
    monkeypatch.setenv("DEDUP_STORE", url)  # $DEDUP_STORE selects it too
    r = CliRunner().invoke(cli, ["stats"])
    assert r.exit_code == 4 and "cannot connect to PostgreSQL at 127.0.0.1" in r.output


def test_the_schema_is_versioned_and_a_newer_one_refused(pg_url: str) -> None:
    with pytest.raises(StoreError, match=r"no store at postgresql://postgres@127\.0\.0\.1:\d+/t\d+: run 'dedup index' first"):
        open_store(pg_url, create=False)
    store = open_store(pg_url)
    assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
    store.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    store.close()
    with pytest.raises(StoreError, match=rf"store schema {SCHEMA_VERSION + 1}, this dedup reads {SCHEMA_VERSION}; upgrade dedup"):
        open_store(pg_url)


def test_check_reports_broken_invariants_on_postgresql(pg_url: str, embedded: Path) -> None:
    _dedup("index", "--store", pg_url, *TZ, "--quiet", NIGHTS[0])
    assert "no damage" in _dedup("check", "--store", pg_url).output
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DELETE FROM memberships WHERE doc = (SELECT MIN(doc) FROM articles)")
        conn.execute("DELETE FROM bands WHERE doc = (SELECT MAX(doc) FROM articles)")
    r = CliRunner().invoke(cli, ["check", "--store", pg_url])
    assert r.exit_code == 4
    assert "articles without a membership row: 1" in r.output
    assert "articles whose band entries differ in number from the first article's: 1" in r.output


def test_a_run_that_waited_for_another_creating_the_store_does_not_create_it_again(pg_url: str) -> None:
    # A run checks for the tables, then waits for the migration lock while another creates
    # them: once it has the lock it must see them (a stale catalog cache said they were not
    # there, and the run failed with DuplicateTable).
    from dedup.store.postgres import _MIGRATE_LOCK, MIGRATIONS

    errors: list[BaseException] = []

    def second() -> None:
        try:
            open_store(pg_url).close()
        except BaseException as exc:  # noqa: BLE001 -- reported by the test
            errors.append(exc)

    with psycopg.connect(pg_url) as first:  # one transaction, holding the lock
        first.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_LOCK,))
        waiting = threading.Thread(target=second)
        waiting.start()
        deadline = time.monotonic() + 60
        while _count(pg_url, "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == 0:
            assert time.monotonic() < deadline and waiting.is_alive(), errors
            time.sleep(0.02)  # the other session's lock wait shows in pg_locks only
        for _, ddl in MIGRATIONS:
            ddl(first) if callable(ddl) else first.execute(ddl)
        first.execute("INSERT INTO meta(key, value) VALUES ('schema_version', %s)", (str(SCHEMA_VERSION),))
        first.commit()
    waiting.join(timeout=60)
    assert errors == []
    assert _count(pg_url, "SELECT COUNT(*) FROM meta WHERE key = 'schema_version'") == 1


def test_prune_removes_the_same_articles_and_leaves_the_same_stories_on_both_stores(tmp_path: Path, pg_url: str) -> None:
    stores = [str(tmp_path / "store"), pg_url]
    for store in stores:
        _dedup("index", "--store", store, *TZ, "--quiet", "--workers", "1", *NIGHTS)
    dry = [_dedup("prune", "--store", s, "--before", "2026-11-25", "--tz", "Asia/Jakarta", "--dry-run").output for s in stores]
    assert dry[0] == dry[1] and dry[0].startswith("would remove 78 articles"), dry
    assert _count(pg_url, "SELECT COUNT(*) FROM articles") == 122  # a dry run changes nothing
    out = [_dedup("prune", "--store", s, "--before", "2026-11-25", "--tz", "Asia/Jakarta").output for s in stores]
    assert out[0] == out[1] and out[0].startswith("removed 78 articles"), out
    assert _count(pg_url, "SELECT COUNT(*) FROM articles") == 122 - 78
    assert _count(pg_url, "SELECT COUNT(*) FROM bands b WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.doc = b.doc)") == 0
    assert _stories(pg_url) == _stories(tmp_path / "store")
    assert "no damage" in _dedup("check", "--store", pg_url).output
