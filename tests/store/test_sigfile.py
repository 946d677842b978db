"""The signature file (dedup/store/sigfile.py): what ``dedup query`` scores every stored article by."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.conftest import News, make_row, write_jsonl
from dedup.config import Config
from dedup.pipeline import QueryTarget, index_corpus, query
from dedup.store import open_store
from dedup.store import sigfile
from dedup.store.sqlite import SIGNATURES


def _sigs(n: int, start: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    docs = np.arange(start, start + n)
    return docs, docs * 10, (np.arange(n * 4, dtype=np.uint32) + 100 * start).reshape(n, 4)


def test_a_partial_record_is_ignored_and_cut_off_by_the_next_append(tmp_path: Path) -> None:
    path = tmp_path / SIGNATURES
    sigfile.append(path, *_sigs(3))
    with path.open("ab") as fh:
        fh.write(b"\x07" * 11)  # an append interrupted mid-record
    recs = sigfile.read(path)
    assert recs is not None and recs["doc"].tolist() == [1, 2, 3]
    del recs
    sigfile.append(path, *_sigs(2, start=4))
    recs = sigfile.read(path)
    assert recs is not None and recs["doc"].tolist() == [1, 2, 3, 4, 5] and recs["n"].tolist() == [10, 20, 30, 40, 50]
    assert recs["sig"][3].tolist() == _sigs(2, start=4)[2][0].tolist()


def test_a_file_that_is_not_one_is_not_read_and_is_written_afresh(tmp_path: Path) -> None:
    path = tmp_path / SIGNATURES
    path.write_bytes(b"not a signature file at all, just some bytes")
    assert sigfile.read(path) is None
    sigfile.append(path, *_sigs(2, start=5))
    recs = sigfile.read(path)
    assert recs is not None and recs["doc"].tolist() == [5, 6]
    del recs
    sigfile.append(path, *_sigs(1, start=2))  # docs before its last: another database's file
    recs = sigfile.read(path)
    assert recs is not None and recs["doc"].tolist() == [2]


def _rows(news: dict[str, News], keys: tuple[str, ...], edit: str = "") -> list[dict[str, object]]:
    return [make_row(f"{k}-orig", news[k].body + edit, title=news[k].title, outlet=f"{k}wire.com") for k in keys]


def test_an_index_run_writes_every_signature_and_a_query_reads_the_rest_from_the_rows(tmp_path: Path, news: dict[str, News]) -> None:
    cfg = Config(store=tmp_path / "store", progress=False, workers=1)
    index_corpus([str(write_jsonl(tmp_path / "a.jsonl", _rows(news, ("tram", "rates", "beras"))))], cfg)
    store = open_store(cfg.store, create=False)
    try:
        docs, sigs, sizes = store.all_signatures()  # type: ignore[attr-defined]
        rows, n = store.signatures(docs.tolist())
        assert docs.tolist() == [a.doc for a in store.articles()] and (sigs == rows).all() and (sizes == n).all()
        recs = sigfile.read(cfg.store / SIGNATURES)
        assert recs is not None and recs["doc"].tolist() == docs.tolist()
        del recs
    finally:
        store.close()
    # A file cut short (or a store made before it existed): the query reads the other signatures from the rows.
    path = cfg.store / SIGNATURES
    path.write_bytes(path.read_bytes()[:-600])
    _, matches = query(cfg, QueryTarget(text=news["beras"].body))
    assert matches[0].id == "beras-orig" and matches[0].similarity == 1.0


def test_a_replaced_article_is_found_once_by_its_new_text(tmp_path: Path, news: dict[str, News]) -> None:
    cfg = Config(store=tmp_path / "store", progress=False, workers=1)
    index_corpus([str(write_jsonl(tmp_path / "a.jsonl", _rows(news, ("tram", "rates"))))], cfg)
    edit = "\n\nThis story was updated with the council's final vote count on Thursday evening."
    index_corpus([str(write_jsonl(tmp_path / "b.jsonl", _rows(news, ("tram",), edit)))], cfg)
    recs = sigfile.read(cfg.store / SIGNATURES)
    assert recs is not None and recs.size == 3  # the replaced doc's record stays in the file
    del recs
    _, matches = query(cfg, QueryTarget(text=news["tram"].body + edit), k=5)
    assert [m.id for m in matches][:1] == ["tram-orig"] and matches[0].similarity == 1.0
    assert [m.id for m in matches].count("tram-orig") == 1


def test_a_run_after_the_file_was_lost_writes_it_whole_again(tmp_path: Path, news: dict[str, News]) -> None:
    cfg = Config(store=tmp_path / "store", progress=False, workers=1)
    index_corpus([str(write_jsonl(tmp_path / "a.jsonl", _rows(news, ("tram", "rates"))))], cfg)
    (cfg.store / SIGNATURES).unlink()
    # The next batch does not continue the file (it has none of the docs before it): the end of
    # the run writes every stored article's signature from the rows.
    index_corpus([str(write_jsonl(tmp_path / "b.jsonl", _rows(news, ("beras", "krl"))))], cfg)
    recs = sigfile.read(cfg.store / SIGNATURES)
    assert recs is not None and recs["doc"].tolist() == [1, 2, 3, 4]


def test_a_pruned_articles_record_stays_in_the_file_and_is_never_a_result(tmp_path: Path, news: dict[str, News]) -> None:
    from dedup.pipeline import prune

    cfg = Config(store=tmp_path / "store", progress=False, workers=1)
    rows = _rows(news, ("tram", "rates"))
    rows[-1]["published_at"] = "2020-01-01T00:00:00Z"  # the newest doc, and the one the prune removes
    index_corpus([str(write_jsonl(tmp_path / "a.jsonl", rows))], cfg)
    prune(cfg, "2021-01-01")
    index_corpus([str(write_jsonl(tmp_path / "a2.jsonl", rows[:1]))], cfg)  # nothing new: the file is kept as it is
    recs = sigfile.read(cfg.store / SIGNATURES)
    assert recs is not None and recs["doc"].tolist() == [1, 2]
    del recs
    index_corpus([str(write_jsonl(tmp_path / "b.jsonl", _rows(news, ("beras",))))], cfg)
    store = open_store(cfg.store, create=False)
    try:
        recs = sigfile.read(cfg.store / SIGNATURES)
        assert recs is not None and recs["doc"].tolist() == [1, 2, 3]  # 2: the pruned article
        assert all((recs["sig"][i] == store.signature_of(d)).all() for i, d in enumerate(recs["doc"]) if d != 2)
        del recs
    finally:
        store.close()
    _, matches = query(cfg, QueryTarget(text=news["rates"].body))
    assert "rates-orig" not in [m.id for m in matches]
