"""Outlet boilerplate learned from the corpus (dedup/boilerplate.py), its store table and `dedup outlets`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup import boilerplate
from dedup.boilerplate import line_keys, outlets
from dedup.cli import cli
from dedup.config import BoilerplateConfig, Config
from dedup.model import Article
from dedup.pipeline import index_corpus
from dedup.pipeline import outlets as pipeline_outlets
from dedup.store import Store, open_store

PITCH = "Simak berita viral lainnya hanya di Infoviral.co"


def learn(store: Store, new: list[Article], outlets: set[str] | list[str], cfg: BoilerplateConfig, now: str) -> dict[str, frozenset[str]]:
    """What is learned from ``new``, whose counts are then stored (as the index stores them with the articles)."""
    learned, counts = boilerplate.learn(store, new, outlets, cfg, now)
    store.write_articles([], {}, now, counts)
    return learned


def _art(i: int, outlet: str = "infoviral.co", extra: str = PITCH) -> Article:
    body = f"Paragraf pertama berita nomor {i} tentang banjir di desa {i}.\nParagraf kedua nomor {i}."
    return Article(id=f"a{i}", url=f"https://{outlet}/{i}", outlet=outlet, title=f"Judul {i}", text=f"{body}\n{extra}")


def test_line_keys_are_per_distinct_short_line() -> None:
    keys = line_keys("Satu.\n\nSatu.\n" + "x" * 300 + "\nab", 200)
    assert list(keys.values()) == ["Satu."]  # repeated once, too long and too short lines skipped


def test_a_line_becomes_boilerplate_once_it_recurs(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s")
    cfg = BoilerplateConfig(min_articles=4, min_share=0.2)
    assert learn(store, [_art(i) for i in range(3)], {"infoviral.co"}, cfg, "t1") == {}  # 3 < min_articles
    learned = learn(store, [_art(3)], {"infoviral.co"}, cfg, "t2")
    assert learned == {"infoviral.co": frozenset({"simak berita viral lainnya hanya di infoviral co"})}
    (info,) = outlets(store, cfg)
    assert info.outlet == "infoviral.co" and info.articles == 4
    (line,) = info.boilerplate
    assert (line.line, line.articles, line.share, line.first_seen) == (PITCH, 4, 1.0, "t1")


def test_boilerplate_is_per_outlet_and_needs_a_share(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s")
    cfg = BoilerplateConfig(min_articles=2, min_share=0.5)
    arts = [_art(i, "a.com", extra="Footer A") for i in range(4)] + [_art(10 + i, "b.com", extra=f"Line {i}") for i in range(4)]
    arts += [_art(20 + i, "b.com", extra="Rare footer") for i in range(2)]  # 2 of 6 articles: below half
    learned = learn(store, arts, {"a.com", "b.com"}, cfg, "t")
    assert learned == {"a.com": frozenset({"footer a"})}


def test_sampling_after_warmup_counts_fewer_articles(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s")
    cfg = BoilerplateConfig(warmup=10, sample_every=5)
    learn(store, [_art(i) for i in range(200)], {"infoviral.co"}, cfg, "t")
    counted = store.outlet_articles(["infoviral.co"])["infoviral.co"]
    assert 10 < counted < 100
    assert learn(store, [], {"infoviral.co"}, cfg, "t")  # still learned from the sample


def test_disabled_learns_nothing(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s")
    assert learn(store, [_art(i) for i in range(10)], {"infoviral.co"}, BoilerplateConfig(enabled=False), "t") == {}
    assert outlets(store, BoilerplateConfig()) == []


def _rows(n: int, start: int = 0) -> list[dict[str, object]]:
    return [
        {"id": f"v{i}", "url": f"https://infoviral.co/{i}", "title": f"Judul {i}",
         "text": f"Paragraf pertama berita nomor {i} tentang banjir di desa {i} yang cukup panjang.\n{PITCH}"}
        for i in range(start, start + n)
    ]


def test_index_learns_and_strips_for_new_articles_only(tmp_path: Path, jsonl) -> None:  # type: ignore[no-untyped-def]
    cfg = Config(store=tmp_path / "store", progress=False, workers=1)
    index_corpus([str(jsonl("n1.jsonl", _rows(2)))], cfg)  # two articles: nothing learned yet
    index_corpus([str(jsonl("n2.jsonl", _rows(4, start=2)))], cfg)  # now the pitch recurs in 6 of 6
    store = open_store(cfg.store)
    stripped = {a.id: a.stripped for a in store.articles()}
    # Stored articles keep what they were cleaned with; this batch and later ones lose the pitch.
    assert stripped["v0"] == stripped["v1"] == ()
    assert all(stripped[f"v{i}"] == (PITCH,) for i in range(2, 6))
    (info,) = pipeline_outlets(cfg)
    assert info.outlet == "infoviral.co" and info.boilerplate[0].line == PITCH


def test_outlets_command(tmp_path: Path, jsonl) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "store"
    index_corpus([str(jsonl("n.jsonl", _rows(5)))], Config(store=store, progress=False, workers=1))
    runner = CliRunner()
    r = runner.invoke(cli, ["outlets", "--store", str(store)])
    assert r.exit_code == 0, r.output
    assert "infoviral.co (5 articles counted)" in r.output and PITCH in r.output
    assert "1 outlets counted, 1 with boilerplate" in r.output
    r = runner.invoke(cli, ["outlets", "--store", str(store), "--outlet", "INFOVIRAL.CO", "--json"])
    data = json.loads(r.output)
    assert data[0]["boilerplate"][0] == {"line": PITCH, "articles": 5, "share": 1.0,
                                         "first_seen": data[0]["boilerplate"][0]["first_seen"]}
    missing = runner.invoke(cli, ["outlets", "--store", str(tmp_path / "nope")])
    assert missing.exit_code == 4 and "no store" in missing.output


@pytest.mark.parametrize("bad", [{"min_articles": 1}, {"min_share": 0.0}, {"max_line": 5}, {"sample_every": 0}])
def test_config_is_validated(bad: dict[str, object]) -> None:
    from dedup.errors import ConfigError

    with pytest.raises(ConfigError):
        BoilerplateConfig(**bad)  # type: ignore[arg-type]


def test_reposts_of_one_article_do_not_become_boilerplate(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dedup.config import BoilerplateConfig
    from dedup.model import Article
    from dedup.store import open_store

    body = "Banjir merendam tiga desa di Pekalongan.\nWarga mengungsi ke balai desa sejak pagi."
    reposts = [Article(id=f"r{i}", url=f"https://x.com/{i}", outlet="x.com", title="T", text=body) for i in range(10)]
    store = open_store(tmp_path / "store")
    try:
        learned = learn(store, reposts, ["x.com"], BoilerplateConfig(), "2026-11-25T00:00:00+00:00")
    finally:
        store.close()
    assert learned == {}


# -- counts written with the articles they count (issue 11, finding 4) ---------------------------

SAMPLE = Path(__file__).parent.parent / "examples" / "sample" / "night1.jsonl"
# Index with batches of 20, SIGKILLed at the second batch's write: before it begins, or as it commits.
_KILLED_RUN = """
import os, signal, sys
from pathlib import Path
from dedup.config import Config
from dedup.pipeline import index_corpus
from dedup.store import SQLiteStore

store, corpus, where = sys.argv[1:4]
real_write = SQLiteStore.write_articles
calls = []

def write_articles(self, *args, **kwargs):
    calls.append(1)
    if len(calls) == 2:
        if where == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        self._conn.set_trace_callback(lambda sql: sql == "COMMIT" and os.kill(os.getpid(), signal.SIGKILL))
    return real_write(self, *args, **kwargs)

SQLiteStore.write_articles = write_articles
index_corpus([corpus], Config(store=Path(store), progress=False, workers=1, batch_size=20))
"""


def _corpus(tmp_path: Path) -> Path:
    """The sample's first night, with one page of junk only in its first batch: rejected
    after cleaning ("no text after cleaning"), so never stored, and read again by every rerun."""
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    junk = {**rows[3], "id": "junk-page", "url": rows[3]["url"] + "?print", "text": "Share this article\nSubscribe to our newsletter"}
    path = tmp_path / "night.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [*rows[:5], junk, *rows[5:]]), encoding="utf-8")
    return path


def _state(store_path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The boilerplate counts, and what each article was stripped of, with its story."""
    store = open_store(store_path, create=False)
    try:
        conn = store._conn
        return (
            sorted(conn.execute("SELECT outlet, articles FROM outlet_articles")),
            sorted(conn.execute("SELECT outlet, key, line, articles FROM outlet_lines")),
            sorted((a.id, a.stripped, a.story_id) for a in store.articles()),
        )
    finally:
        store.close()


def _index(corpus: Path, store: Path) -> None:
    summary = index_corpus([str(corpus)], Config(store=store, progress=False, workers=1, batch_size=20))
    assert [p.reason for p in summary.rejected] == ["no text after cleaning"]


@pytest.mark.parametrize("where", ["before", "commit"])
def test_a_kill_at_the_article_write_does_not_count_the_batch_twice(tmp_path: Path, where: str) -> None:
    import subprocess
    import sys

    corpus = _corpus(tmp_path)
    _index(corpus, tmp_path / "whole")
    killed = subprocess.run([sys.executable, "-c", _KILLED_RUN, str(tmp_path / "killed"), str(corpus), where], timeout=300)
    assert killed.returncode == -9  # SIGKILLed at the second batch's write
    first_batch = _state(tmp_path / "killed")
    assert 0 < len(first_batch[2]) < 81
    _index(corpus, tmp_path / "killed")  # the rerun
    assert _state(tmp_path / "killed") == _state(tmp_path / "whole")


def test_a_rerun_counts_nothing_again(tmp_path: Path) -> None:
    """Articles already stored are not counted again, and neither is a rejected one (it was never counted)."""
    corpus = _corpus(tmp_path)
    _index(corpus, tmp_path / "store")
    before = _state(tmp_path / "store")
    _index(corpus, tmp_path / "store")
    assert _state(tmp_path / "store") == before


def test_an_outlet_counts_as_one_whatever_the_case_of_its_name(tmp_path: Path) -> None:
    # Keyed by the case-folded name: "APP" and "app" (and a store written when names were
    # lower-cased) share their counts, and `dedup outlets --outlet App` finds them.
    store = open_store(tmp_path / "s")
    cfg = BoilerplateConfig(min_articles=4, min_share=0.2)
    arts = [_art(i, "APP" if i % 2 else "app") for i in range(4)]
    learned = learn(store, arts, {"app"}, cfg, "t1")
    assert learned == {"app": frozenset({"simak berita viral lainnya hanya di infoviral co"})}
    (info,) = outlets(store, cfg, ["app"])
    assert info.articles == 4
