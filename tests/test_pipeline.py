from __future__ import annotations

import gzip
import json
import os
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl
import pytest

import dedup.pipeline as pipeline
from dedup.config import Config, ReadConfig, ReportFilter
from dedup.errors import ConfigError, InputError, QueryError, StoreError
from dedup.pipeline import QueryTarget, build_report, export, index_corpus, parse_since, query, record_hash, stats
from dedup.provenance import parse_stored_time
from _store_helpers import store_counts as _counts
from _store_helpers import story_ids as _stories
from dedup.store import SQLiteStore, open_store




def _groups(cfg: Config) -> set[frozenset[str]]:
    """The stories with copies, as sets of article ids."""
    by_story: dict[str | None, set[str]] = {}
    for ident, sid in _stories(cfg).items():
        by_story.setdefault(sid, set()).add(ident)
    return {frozenset(m) for m in by_story.values() if len(m) > 1}


TRAM = frozenset({"tram-orig", "tram-junk", "tram-abr"})
BERAS = frozenset({"beras-orig", "beras-copy"})
GEMPA = frozenset({"gempa-orig", "gempa-copy"})


# -- incremental indexing -------------------------------------------------------------


def test_index_a_then_b_adds_and_reindex_is_a_no_op(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    a = jsonl("a.jsonl", [articles[k] for k in ("tram-orig", "tram-junk", "beras-orig", "rates")])
    b = jsonl("b.jsonl", [articles[k] for k in ("tram-abr", "beras-copy", "football")])
    s1 = index_corpus([str(a)], cfg)
    assert (s1.read, s1.added, s1.replaced, s1.unchanged) == (4, 4, 0, 0)
    assert s1.stories_new == 1
    s2 = index_corpus([str(b)], cfg)
    assert (s2.read, s2.added, s2.replaced, s2.unchanged) == (3, 3, 0, 0)
    # tram gained a copy; beras-orig's one-article story gained its first copy:
    # both existed before this run, so both count as grown.
    assert (s2.stories_new, s2.stories_grown) == (0, 2)
    assert _counts(cfg)["articles"] == 7
    before = _stories(cfg)
    s3 = index_corpus([str(a)], cfg)
    assert (s3.read, s3.added, s3.replaced, s3.unchanged) == (4, 0, 0, 4)
    assert (s3.stories_new, s3.stories_grown) == (0, 0)
    assert _stories(cfg) == before
    assert _groups(cfg) == {TRAM, BERAS}
    assert _counts(cfg)["pending"] == 0


def test_same_id_with_new_text_replaces_and_reclusters(cfg: Config, articles, jsonl, news) -> None:  # type: ignore[no-untyped-def]
    index_corpus([str(jsonl("n1.jsonl", [articles[k] for k in ("tram-orig", "tram-junk", "tram-abr", "rates")]))], cfg)
    old = _stories(cfg)
    assert _groups(cfg) == {TRAM}
    # The junk copy's page now carries a different story (the site reused the id).
    changed = {**articles["tram-junk"], "text": news["football"].body, "title": news["football"].title}
    summary = index_corpus([str(jsonl("n2.jsonl", [changed]))], cfg)
    assert (summary.read, summary.added, summary.replaced, summary.unchanged) == (1, 0, 1, 0)
    new = _stories(cfg)
    assert _groups(cfg) == {frozenset({"tram-orig", "tram-abr"})}
    assert new["tram-orig"] == new["tram-abr"] == old["tram-orig"]  # the story keeps its id
    assert new["tram-junk"] != old["tram-orig"]
    assert new["rates"] == old["rates"]
    assert _counts(cfg)["articles"] == 4 and _counts(cfg)["pending"] == 0
    store = open_store(cfg.store, create=False)
    try:
        art = store.article_by(id="tram-junk")
        assert art is not None and art.title == news["football"].title
    finally:
        store.close()


def test_replaced_member_that_leaves_does_not_take_the_story_id(cfg: Config, articles, jsonl, news) -> None:  # type: ignore[no-untyped-def]
    # The copy was indexed first (lowest doc number); when it turns into another
    # story, the two articles that still belong together keep the story's id.
    index_corpus([str(jsonl("n1.jsonl", [articles[k] for k in ("tram-junk", "tram-orig", "tram-abr")]))], cfg)
    sid = _stories(cfg)["tram-orig"]
    changed = {**articles["tram-junk"], "text": news["krl"].body, "title": news["krl"].title}
    index_corpus([str(jsonl("n2.jsonl", [changed]))], cfg)
    new = _stories(cfg)
    assert new["tram-orig"] == new["tram-abr"] == sid
    assert new["tram-junk"] != sid


def test_corrected_text_stays_in_its_story(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    index_corpus([str(jsonl("n1.jsonl", [articles[k] for k in ("beras-orig", "beras-copy")]))], cfg)
    sid = _stories(cfg)["beras-orig"]
    fixed = {**articles["beras-orig"], "text": str(articles["beras-orig"]["text"]).replace("Rp 13.800", "Rp 13.900")}
    summary = index_corpus([str(jsonl("n2.jsonl", [fixed]))], cfg)
    assert summary.replaced == 1
    assert _stories(cfg) == {"beras-orig": sid, "beras-copy": sid}
    assert summary.stories_new == 0


def test_story_id_is_stable_when_a_story_gains_a_copy(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    index_corpus([str(jsonl("n1.jsonl", [articles["tram-orig"], articles["tram-junk"], articles["krl"]]))], cfg)
    sid = _stories(cfg)["tram-orig"]
    assert _stories(cfg)["tram-junk"] == sid
    summary = index_corpus([str(jsonl("n2.jsonl", [articles["tram-abr"]]))], cfg)
    assert (summary.stories_new, summary.stories_grown) == (0, 1)
    story = _stories(cfg)
    assert story["tram-orig"] == story["tram-junk"] == story["tram-abr"] == sid


def test_metadata_only_change_is_a_replacement(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    index_corpus([str(jsonl("n1.jsonl", [articles["rates"]]))], cfg)
    moved = {**articles["rates"], "published_at": "2026-11-25T15:00:00+00:00"}
    assert index_corpus([str(jsonl("n2.jsonl", [moved]))], cfg).replaced == 1
    assert index_corpus([str(jsonl("n2.jsonl", [moved]))], cfg).unchanged == 1


def test_record_hash_covers_stored_fields(articles) -> None:  # type: ignore[no-untyped-def]
    from dedup.config import ReadConfig
    from dedup.read.records import to_article

    (a,) = list(to_article(articles["rates"], "x:1", ReadConfig()))
    assert record_hash(a) == record_hash(replace(a, source="elsewhere:9"))
    for change in ({"title": "Other"}, {"text": a.text + " More."}, {"url": "https://x.com/1"}, {"outlet": "x.com"}, {"published_raw": "2026-11-26"}):
        assert record_hash(replace(a, **change)) != record_hash(a), change


def test_record_hash_is_the_digest_stores_already_hold(articles) -> None:  # type: ignore[no-untyped-def]
    """Computed as stores written so far computed it (each part fed to xxh3-128,
    then a NUL): were it to change, every stored article would look replaced."""
    import xxhash

    from dedup.config import ReadConfig
    from dedup.read.records import to_article

    (a,) = list(to_article(articles["rates"], "x:1", ReadConfig()))
    for art in (a, replace(a, language="id", published_raw=None, title="Ｔｉｔｌｅ \udc80")):
        h = xxhash.xxh3_128()
        for part in (art.url, art.outlet, art.title, art.text, art.published_raw or "", *((art.language,) if art.language else ())):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\x00")
        assert record_hash(art) == h.hexdigest()


def test_rejected_and_notices_are_counted(cfg: Config, articles, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mixed.jsonl"
    rates = {**articles["rates"], "published_at": "sometime yesterday"}
    lines = [json.dumps(rates), "{not json", json.dumps({"id": "junk-only", "text": "Share this article\n© 2026 Koran News"})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = index_corpus([str(path)], cfg)
    assert summary.read == 2 and summary.added == 1
    assert summary.rejected_by_reason() == {"malformed JSON": 1, "no text after cleaning": 1}
    assert summary.warnings_by_reason() == {"unparseable time": 1}
    no_text = [r for r in summary.rejected if r.reason == "no text after cleaning"][0]
    assert no_text.source == f"{path}:3" and "junk-only" in no_text.detail


# -- interrupted runs ----------------------------------------------------------------------


def test_interrupted_before_clustering_is_completed_by_the_next_run(cfg: Config, articles, jsonl, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = jsonl("night.jsonl", articles.values())

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "cluster_pending", interrupted)
    with pytest.raises(KeyboardInterrupt):
        index_corpus([str(path)], cfg)
    c = _counts(cfg)
    assert c["articles"] == len(articles)  # the articles were committed…
    assert c["pending"] == len(articles)  # …but not clustered
    assert c["stories"] == 0
    monkeypatch.undo()
    summary = index_corpus([str(path)], cfg)
    assert (summary.added, summary.unchanged) == (0, len(articles))
    assert summary.stories_new == 3
    c = _counts(cfg)
    assert c["pending"] == 0 and c["articles"] == len(articles)
    assert _groups(cfg) == {TRAM, BERAS, GEMPA}


def test_interrupted_between_batches_keeps_whole_batches_only(tmp_path: Path, articles, jsonl, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cfg = Config(store=tmp_path / "store", progress=False, workers=1, batch_size=2)
    order = ["tram-orig", "beras-orig", "tram-junk", "beras-copy", "gempa-orig", "gempa-copy", "tram-abr"]
    path = jsonl("night.jsonl", [articles[k] for k in order])
    real_write = SQLiteStore.write_articles
    calls = []

    def write_then_crash(self, new, *args):  # type: ignore[no-untyped-def]
        calls.append(len(new))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_write(self, new, *args)

    monkeypatch.setattr(SQLiteStore, "write_articles", write_then_crash)
    with pytest.raises(KeyboardInterrupt):
        index_corpus([str(path)], cfg)
    assert calls == [2, 2]
    assert set(_stories(cfg)) == {"tram-orig", "beras-orig"}  # the first batch only
    assert _counts(cfg)["pending"] == 2
    monkeypatch.undo()
    summary = index_corpus([str(path)], cfg)
    assert (summary.read, summary.added, summary.unchanged) == (7, 5, 2)
    assert _counts(cfg)["pending"] == 0
    assert _groups(cfg) == {TRAM, BERAS, GEMPA}


def test_interrupted_replacement_run(cfg: Config, articles, jsonl, news, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    index_corpus([str(jsonl("n1.jsonl", [articles[k] for k in ("tram-orig", "tram-junk", "tram-abr")]))], cfg)
    sid = _stories(cfg)["tram-orig"]
    changed = {**articles["tram-junk"], "text": news["rates"].body}
    n2 = jsonl("n2.jsonl", [changed])
    monkeypatch.setattr(pipeline, "cluster_pending", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        index_corpus([str(n2)], cfg)
    assert _counts(cfg)["pending"] == 3  # the whole old story waits for re-clustering
    monkeypatch.undo()
    summary = index_corpus([str(n2)], cfg)
    assert summary.unchanged == 1
    story = _stories(cfg)
    assert story["tram-orig"] == story["tram-abr"] == sid and story["tram-junk"] != sid
    assert _counts(cfg)["pending"] == 0


# -- query ------------------------------------------------------------------------------


@pytest.fixture
def originals_store(cfg: Config, articles, jsonl) -> Config:  # type: ignore[no-untyped-def]
    keys = ("tram-orig", "beras-orig", "gempa-orig", "flood-a", "flood-b", "rates", "football", "krl")
    index_corpus([str(jsonl("originals.jsonl", [articles[k] for k in keys]))], cfg)
    return cfg


def test_query_file_with_junk_wrapped_copy(originals_store: Config, news, wrap_junk, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "copy.txt"
    f.write_text(wrap_junk(news["tram"].title, news["tram"].body, "beritasatu.id"), encoding="utf-8")
    info, matches = query(originals_store, QueryTarget(file=f))
    assert info["file"] == str(f) and set(info) == {"file", "shingles"}
    assert matches[0].id == "tram-orig"
    assert matches[0].similarity >= 0.9
    assert matches[0].outlet == "riverpost.com"
    assert matches[0].published_at == datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)
    assert matches[0].story_id is not None
    assert all(m.similarity < 0.3 for m in matches[1:])


def test_query_abridged_copy_finds_the_original_by_containment(originals_store: Config, news, abridged) -> None:  # type: ignore[no-untyped-def]
    info, matches = query(originals_store, QueryTarget(text=abridged(news["tram"].body)))
    assert str(info["text"]).startswith(news["tram"].paragraphs[0][:50])
    first = matches[0]
    assert first.id == "tram-orig"
    assert first.containment >= 0.9
    assert first.similarity < 0.5  # found by containment, not by similarity
    assert first.containment_reverse < 0.5


def test_query_unrelated_text_finds_nothing_similar(originals_store: Config) -> None:
    text = (
        "The national museum will reopen its east wing in January after a two-year restoration that "
        "uncovered painted ceilings hidden beneath layers of plaster since the nineteenth century. "
        "Curators said the rooms would host a rotating exhibition of textiles from private collections."
    )
    _, matches = query(originals_store, QueryTarget(text=text))
    assert all(m.similarity < 0.3 and m.containment < 0.5 for m in matches)


def test_query_by_id_excludes_itself(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    index_corpus([str(jsonl("night.jsonl", articles.values()))], cfg)
    info, matches = query(cfg, QueryTarget(id="tram-orig"), k=5)
    assert info["id"] == "tram-orig" and info["outlet"] == "riverpost.com"
    ids = [m.id for m in matches]
    assert "tram-orig" not in ids
    assert ids[0] == "tram-junk" and matches[0].similarity == 1.0
    assert "tram-abr" in ids[:2]
    assert len(matches) <= 5
    _, by_url = query(cfg, QueryTarget(url=str(articles["beras-orig"]["url"])))
    assert by_url[0].id == "beras-copy"


def test_query_top_k(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    index_corpus([str(jsonl("night.jsonl", articles.values()))], cfg)
    _, matches = query(cfg, QueryTarget(id="tram-orig"), k=1)
    assert [m.id for m in matches] == ["tram-junk"]
    with pytest.raises(ConfigError, match="--top"):
        query(cfg, QueryTarget(id="tram-orig"), k=0)


def test_query_errors(originals_store: Config, tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="no article with id 'nope'"):
        query(originals_store, QueryTarget(id="nope"))
    with pytest.raises(QueryError, match="url"):
        query(originals_store, QueryTarget(url="https://nowhere.example/x"))
    with pytest.raises(QueryError, match="no text left"):
        query(originals_store, QueryTarget(text="Share this article\n© 2026 Koran News"))
    # files that cannot be read are input errors (exit 3), as for `dedup index`
    with pytest.raises(InputError, match="cannot read"):
        query(originals_store, QueryTarget(file=tmp_path / "missing.txt"))
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00broken")
    with pytest.raises(InputError, match="not UTF-8 text at byte 0"):
        query(originals_store, QueryTarget(file=bad))
    with pytest.raises(StoreError, match="no store"):
        query(replace(originals_store, store=tmp_path / "nope"), QueryTarget(text="x"))


def test_query_file_of_a_web_page_is_extracted_first(tmp_path: Path) -> None:
    pages = Path(__file__).parent / "fixtures" / "html"
    cfg = Config(store=tmp_path / "s", progress=False, workers=1)
    index_corpus([str(pages / "riverpost-tram.html"), str(pages / "kabarkota-banjir.html")], cfg)
    info, matches = query(cfg, QueryTarget(file=pages / "riverpost-tram.html"))
    # its markup, compared as text, matched its own stored article at ~0.75
    assert matches[0].similarity >= 0.95 and "riverpost" in matches[0].outlet
    assert info["file"] == str(pages / "riverpost-tram.html") and int(info["shingles"]) > 100  # type: ignore[call-overload]
    empty = tmp_path / "empty.html"
    empty.write_text("<!doctype html><html><body></body></html>", encoding="utf-8")
    with pytest.raises(QueryError, match="no article text in the page"):
        query(cfg, QueryTarget(file=empty))


def test_query_target_needs_exactly_one() -> None:
    with pytest.raises(ConfigError, match="exactly one"):
        QueryTarget()
    with pytest.raises(ConfigError, match="got text, id"):
        QueryTarget(text="x", id="y")


def test_query_uses_the_store_settings_not_the_defaults(tmp_path: Path, articles, jsonl, news) -> None:  # type: ignore[no-untyped-def]
    from dedup.config import ShingleConfig

    wcfg = Config(store=tmp_path / "w", progress=False, workers=1, shingle=ShingleConfig(kind="word", size=3))
    index_corpus([str(jsonl("o.jsonl", [articles["tram-orig"], articles["rates"]]))], wcfg)
    _, matches = query(Config(store=wcfg.store), QueryTarget(text=news["tram"].body))
    assert matches[0].id == "tram-orig" and matches[0].similarity == 1.0


# -- report ---------------------------------------------------------------------------


def test_report_since_last_shows_only_new_and_grown_stories(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    n1 = [articles[k] for k in ("tram-orig", "tram-junk", "beras-orig", "beras-copy", "rates")]
    index_corpus([str(jsonl("n1.jsonl", n1))], cfg)
    first = build_report(cfg, since="last")
    assert first.since is None
    assert {frozenset(m.id for m in s.members) for s in first.stories} == {
        frozenset({"tram-orig", "tram-junk"}), BERAS
    }
    assert all(s.is_new for s in first.stories)
    # Nothing happened since: an empty report.
    again = build_report(cfg, since="last")
    assert again.stories == () and again.since == first.generated_at
    n2 = [articles[k] for k in ("tram-abr", "gempa-orig", "gempa-copy", "krl")]
    index_corpus([str(jsonl("n2.jsonl", n2))], cfg)
    second = build_report(cfg, since="last")
    got = {frozenset(m.id for m in s.members): s.is_new for s in second.stories}
    assert got == {TRAM: False, GEMPA: True}  # tram grew, gempa is new, beras untouched
    assert second.totals == {"stories": 2, "new_stories": 1, "copies": 3, "articles_in_store": 9, "more": 0}
    # --since all shows everything; no-mark leaves the cut-off alone.
    everything = build_report(cfg, since="all", mark=False)
    assert len(everything.stories) == 3
    assert build_report(cfg, since="last", mark=False).stories == ()


def test_report_since_a_date(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    index_corpus([str(jsonl("n1.jsonl", [articles["beras-orig"], articles["beras-copy"]]))], cfg)
    # a look back, marked or not, leaves the nightly report its stories
    build_report(cfg, since="all")
    build_report(cfg, since=parse_since("2000-01-01"))
    assert len(build_report(cfg, since="last", mark=False).stories) == 1
    assert len(build_report(cfg, since=parse_since("2000-01-01"), mark=False).stories) == 1
    assert build_report(cfg, since=parse_since("2999-01-01T00:00+07:00"), mark=False).stories == ()


def test_report_story_contents(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    index_corpus([str(jsonl("night.jsonl", articles.values()))], cfg)
    rep = build_report(cfg, since="all")
    tram = next(s for s in rep.stories if s.first.id == "tram-orig")
    assert rep.stories[0] is tram  # the biggest story first
    assert [m.id for m in tram.members] == ["tram-orig", "tram-junk", "tram-abr"]
    assert [m.relation for m in tram.members] == ["original", "uncredited_copy", "partial_copy"]
    assert [m.lag_seconds for m in tram.members] == [0.0, 5400.0, 14400.0]
    assert tram.members[1].similarity == 1.0
    assert tram.members[2].containment >= 0.9
    assert tram.first.first_line.startswith("The Riverside city council approved")
    outlets = {o.outlet: (o.articles, o.original, o.copies) for o in rep.outlets}
    assert outlets["riverpost.com"] == (1, 1, 0)
    assert outlets["korannews.com"] == (1, 0, 1)
    assert "football" not in {m.id for s in rep.stories for m in s.members}


def test_parse_since() -> None:
    assert parse_since("last") == "last"
    assert parse_since("all") == "all"
    assert parse_since("2026-11-24T18:00+07:00") == datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)
    with pytest.raises(ConfigError, match="--since"):
        parse_since("yesterday")


def test_report_on_a_missing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        build_report(Config(store=tmp_path / "none"))


# -- stats and export --------------------------------------------------------------------


def test_stats(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    index_corpus([str(jsonl("night.jsonl", articles.values()))], cfg)
    info = stats(cfg)
    assert info["articles"] == len(articles)
    assert info["stories_with_copies"] == 3
    assert info["pending"] == 0
    assert info["outlets"] == len({r["outlet"] for r in articles.values()})
    assert info["settings"]["shingle"] == {"kind": "char", "size": 7}  # type: ignore[index]
    assert info["last_report_at"] is None
    assert int(info["size_bytes"]) > 0  # type: ignore[call-overload]


def test_export_articles_and_stories(cfg: Config, articles, jsonl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    index_corpus([str(jsonl("night.jsonl", articles.values()))], cfg)
    n = export(cfg, "articles", "jsonl", tmp_path / "a.jsonl")
    assert n == len(articles)
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert {r["id"] for r in rows} == set(articles)
    junk = next(r for r in rows if r["id"] == "tram-junk")
    assert "error: Content is protected !!" in junk["stripped"]
    n = export(cfg, "stories", "parquet", tmp_path / "s.parquet")
    frame = pl.read_parquet(tmp_path / "s.parquet")
    assert n == frame.height == 7  # 3 + 2 + 2 members
    tram = frame.filter(pl.col("first_id") == "tram-orig").sort("lag_seconds")
    assert tram["id"].to_list() == ["tram-orig", "tram-junk", "tram-abr"]
    assert tram["relation"].to_list() == ["original", "uncredited_copy", "partial_copy"]


def _whole_frame(cfg: Config, what: str) -> pl.DataFrame:
    """The export as one frame built from a list of row dicts (how export worked before it streamed)."""
    from dedup.index import store_settings
    from dedup.provenance import build_story

    store = open_store(cfg.store, create=False)
    try:
        if what == "articles":
            rows = []
            for a in store.articles():
                when = parse_stored_time(a.published_at, a.time_precision, a.published_raw)
                rows.append({"id": a.id, "url": a.url, "outlet": a.outlet, "title": a.title, "text": a.text,
                             "published_at": when, "published_date": when.date() if when else None,
                             "time_precision": a.time_precision, "n_shingles": a.n_shingles, "stripped": list(a.stripped),
                             "indexed_at": datetime.fromisoformat(a.indexed_at), "story_id": a.story_id})
        else:
            rows = []
            members = store.story_members([s for s, _, _ in store.stories_changed_since(None)])
            for story_id, docs in members.items():
                arts = list(store.articles(docs))
                st = build_story(story_id, arts, *store.signatures([a.doc for a in arts]), store_settings(store, cfg)[0].cluster)
                rows += [{"story_id": story_id, "first_id": st.first.id, "title": st.first.title, "origin": st.origin.name if st.origin is not None else st.first.outlet,
                          "confidence": st.confidence, "id": m.id, "outlet": m.outlet, "url": m.url, "published_at": m.published_at,
                          "published_date": m.published_at.date() if m.published_at else None,
                          "time_precision": str(m.time_precision), "lag_seconds": m.lag_seconds,
                          "lag_days": m.lag_span.days if m.lag_span else None, "similarity": m.similarity, "containment": m.containment, "relation": m.relation,
                          "credits": list(m.credits)} for m in st.members]
    finally:
        store.close()
    return pl.DataFrame(rows, schema=pipeline._export_schema(what))  # type: ignore[arg-type]


@pytest.mark.parametrize("what", ["articles", "stories"])
def test_export_in_small_batches_equals_the_whole_frame(  # type: ignore[no-untyped-def]
    cfg: Config, articles, jsonl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    index_corpus([str(jsonl("night.jsonl", articles.values()))], cfg)
    whole = _whole_frame(cfg, what)
    key = ["id"] if what == "articles" else ["story_id", "id"]
    batches = list(pipeline.export_batches(cfg, what, batch_rows=2))  # type: ignore[arg-type]
    assert len(batches) > 2 and (what == "stories" or all(b.height <= 2 for b in batches))  # a story is not split
    assert pl.concat(batches).sort(key).equals(whole.sort(key))
    monkeypatch.setattr(pipeline, "_EXPORT_BATCH", 2)
    assert export(cfg, what, "jsonl", tmp_path / "a.jsonl") == whole.height  # type: ignore[arg-type]
    assert export(cfg, what, "parquet", tmp_path / "a.parquet") == whole.height  # type: ignore[arg-type]
    streamed = pl.read_ndjson(tmp_path / "a.jsonl", schema=whole.schema)
    assert streamed.sort(key).equals(whole.sort(key))
    assert pl.read_parquet(tmp_path / "a.parquet").sort(key).equals(whole.sort(key))
    with (tmp_path / "b.jsonl").open("wb") as fh:  # to an open file, as the CLI writes
        export(cfg, what, "jsonl", fh)  # type: ignore[arg-type]
    assert (tmp_path / "b.jsonl").read_bytes() == (tmp_path / "a.jsonl").read_bytes()


def test_a_long_articles_export_batch_is_cut_by_its_text(  # type: ignore[no-untyped-def]
    cfg: Config, articles, jsonl, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_corpus([str(jsonl("night.jsonl", articles.values()))], cfg)
    monkeypatch.setattr(pipeline, "_EXPORT_BATCH_BYTES", 1)  # every article's text passes it
    batches = [b for b in pipeline.export_batches(cfg, "articles") if b.height]
    assert [b.height for b in batches] == [1] * len(articles)


def test_export_stories_gives_a_bare_dates_lag_in_days(cfg: Config, articles, jsonl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import polars as pl

    copy = {**articles["beras-copy"], "published_at": "2026-11-25"}  # the original is at 10:00 WIB on the 24th
    index_corpus([str(jsonl("n.jsonl", [articles["beras-orig"], copy]))], replace(cfg, read=ReadConfig(tz="Asia/Jakarta")))
    export(cfg, "stories", "parquet", tmp_path / "s.parquet")
    frame = pl.read_parquet(tmp_path / "s.parquet").sort("id")
    assert frame["id"].to_list() == ["beras-copy", "beras-orig"]
    assert frame["lag_seconds"].to_list() == [None, 0.0]
    assert frame["lag_days"].to_list() == [1, None] and frame["lag_days"].dtype == pl.Int64
    # the day as given, and the time in UTC (the day's start in Jakarta)
    assert frame["published_date"][0] == date(2026, 11, 25) and frame["time_precision"].to_list() == ["date", "exact"]
    assert frame["published_at"][0] == datetime(2026, 11, 24, 17, tzinfo=timezone.utc)


def test_export_types_read_back_in_polars(cfg: Config, articles, jsonl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Times are UTC datetimes with the precision beside them, an all-empty list column is
    a list of strings, and a story's rows carry its title, origin and confidence: in
    Parquet as written, and in JSON Lines read with that schema."""
    rows = [{**r, "published_at": "2026-11-25"} if r["id"] == "beras-copy" else r for r in articles.values()]  # a bare date
    index_corpus([str(jsonl("night.jsonl", rows))], replace(cfg, read=ReadConfig(tz="Asia/Jakarta")))
    utc = pl.Datetime("us", "UTC")
    for what in ("articles", "stories"):
        export(cfg, what, "parquet", tmp_path / f"{what}.parquet")  # type: ignore[arg-type]
        export(cfg, what, "jsonl", tmp_path / f"{what}.jsonl")  # type: ignore[arg-type]
        frame = pl.read_parquet(tmp_path / f"{what}.parquet")
        assert frame.schema["published_at"] == utc and frame.schema["published_date"] == pl.Date
        assert frame.schema["time_precision"] == pl.String
        assert set(frame["time_precision"]) == {"date", "exact"}
        lines = pl.read_ndjson(tmp_path / f"{what}.jsonl", schema=frame.schema)
        assert lines.equals(frame)  # the JSON times parse back to the same instants
        bare = frame.filter(pl.col("id") == "beras-copy")
        assert bare["published_date"].to_list() == [date(2026, 11, 25)]
        assert bare["published_at"].to_list() == [datetime(2026, 11, 24, 17, tzinfo=timezone.utc)]
    arts = pl.read_parquet(tmp_path / "articles.parquet")
    assert arts.schema["indexed_at"] == utc
    clean = arts.group_by("outlet").agg(pl.col("stripped").list.len().max()).filter(pl.col("stripped") == 0)["outlet"]
    export(cfg, "articles", "parquet", tmp_path / "clean.parquet", where=ReportFilter(outlets=tuple(clean)))
    empty = pl.read_parquet(tmp_path / "clean.parquet")["stripped"]  # every list empty, still typed
    assert empty.len() > 0 and empty.list.len().max() == 0 and empty.dtype == pl.List(pl.String)
    stories = pl.read_parquet(tmp_path / "stories.parquet")
    tram = stories.filter(pl.col("first_id") == "tram-orig")
    assert set(tram["title"]) == {articles["tram-orig"]["title"]}
    assert set(tram["origin"]) == {articles["tram-orig"]["outlet"]}
    assert set(stories["confidence"]) <= {"high", "medium", "low"} and tram["confidence"][0] in {"high", "medium", "low"}


def test_settings_refused_on_a_new_store_leave_nothing_behind(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    from dedup.config import IndexConfig, SignConfig
    from dedup.errors import ConfigError

    path = jsonl("n1.jsonl", [articles["rates"]])
    bad = replace(cfg, sign=SignConfig(num_perm=32), index=IndexConfig(threshold=0.95))
    with pytest.raises(ConfigError, match="lower the threshold or raise num_perm"):
        index_corpus([str(path)], bad)
    assert not cfg.store.exists()
    index_corpus([str(path)], cfg)  # a store that exists is kept when a run is refused
    with pytest.raises(StoreError, match="built with"):
        index_corpus([str(path)], bad)
    assert stats(cfg)["articles"] == 1


def test_a_second_index_run_on_a_store_is_refused_and_changes_nothing(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    from dedup.store import open_store

    index_corpus([str(jsonl("n1.jsonl", [articles["rates"]]))], cfg)
    running = open_store(cfg.store)
    running.lock_writer()  # as a run in another process would
    try:
        with pytest.raises(StoreError, match="is being indexed by"):
            index_corpus([str(jsonl("n2.jsonl", [articles["football"]]))], cfg)
    finally:
        running.close()
    assert stats(cfg)["articles"] == 1
    assert index_corpus([str(jsonl("n2.jsonl", [articles["football"]]))], cfg).added == 1


def test_a_story_left_by_all_its_members_is_gone(cfg: Config, articles, jsonl, news) -> None:  # type: ignore[no-untyped-def]
    index_corpus([str(jsonl("n1.jsonl", [articles[k] for k in ("tram-orig", "tram-junk", "rates")]))], cfg)
    assert _counts(cfg)["stories"] == 2
    # "rates" (a story of its own) now carries a copy of the tram story: it joins that story.
    moved = {**articles["rates"], "text": articles["tram-orig"]["text"], "title": articles["tram-orig"]["title"]}
    index_corpus([str(jsonl("n2.jsonl", [moved]))], cfg)
    assert len(set(_stories(cfg).values())) == 1
    assert _counts(cfg)["stories"] == 1  # the old story of "rates" has no member left


def test_report_and_export_report_progress_per_story(cfg: Config, articles, jsonl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    index_corpus([str(jsonl("n1.jsonl", articles.values()))], cfg)
    seen: list[tuple[str, int]] = []
    rep = build_report(cfg, since="all", mark=False, progress=lambda phase, n: seen.append((phase, n)))
    assert len(rep.stories) >= 2 and seen == [("stories", 1)] * len(rep.stories)
    seen.clear()
    export(cfg, "stories", "jsonl", tmp_path / "s.jsonl", progress=lambda phase, n: seen.append((phase, n)))
    assert seen == [("stories", 1)] * len(rep.stories)


def test_library_calls_take_plain_strings_and_refuse_wrong_values(tmp_path: Path, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    from dedup.pipeline import export_frame
    from dedup.report import render

    night = jsonl("n1.jsonl", [articles["beras-orig"], articles["beras-copy"]])
    cfg = Config(store=str(tmp_path / "s"), progress=False, workers=1)  # type: ignore[arg-type]
    assert cfg.store == tmp_path / "s"
    assert index_corpus(str(night), cfg).added == 2  # one path, not its characters
    copy = tmp_path / "copy.txt"
    copy.write_text(articles["beras-copy"]["text"], encoding="utf-8")
    _, matches = query(cfg, QueryTarget(file=str(copy)))  # type: ignore[arg-type]
    assert matches[0].id == "beras-orig"
    assert len(build_report(cfg, since="2000-01-01", mark=False).stories) == 1
    with pytest.raises(ConfigError, match="with its zone"):
        build_report(cfg, since=datetime(2026, 1, 1), mark=False)
    with pytest.raises(ConfigError, match="choose 'articles' or 'stories'"):
        export_frame(cfg, "story")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="choose one of md, json, html"):
        render(build_report(cfg, since="all", mark=False), "markdown")  # type: ignore[arg-type]


# -- hostile records, failing stages --------------------------------------------------------

HOSTILE_LINES = {
    "lone surrogate in text": (b'{"id": "h", "text": "a \\ud800 b"}', "invalid Unicode"),
    "lone surrogate in id": (b'{"id": "h\\ud800", "text": "body"}', "invalid Unicode"),
    "nested 1,100 deep": (b'{"id": "h", "text": "body", "x": ' + b"[" * 1100 + b"]" * 1100 + b"}", "too deeply nested"),
    "line over --max-bytes": (b'{"id": "h", "text": "' + b"long text " * 20_000 + b'"}', "record too large"),
}


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("case", HOSTILE_LINES)
def test_a_hostile_record_is_rejected_and_the_rest_indexed_and_clustered(
    tmp_path: Path, articles, case: str, workers: int,  # type: ignore[no-untyped-def]
) -> None:
    """The run completes (it stopped at the record, and stopped every rerun), in the
    foreground and with the background reader (workers=2); the reject names file:line."""
    line, reason = HOSTILE_LINES[case]
    rows = [json.dumps(articles[k]).encode() for k in ("tram-orig", "tram-junk", "beras-orig", "beras-copy", "rates")]
    path = tmp_path / "night.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n".join([*rows[:2], line, *rows[2:]]) + b"\n"))
    cfg = Config(store=tmp_path / "store", progress=False, workers=workers, read=ReadConfig(max_bytes=100_000))
    summary = index_corpus([str(path)], cfg)
    assert [(r.source, r.reason) for r in summary.rejected] == [(f"{path}:3", reason)]
    assert (summary.read, summary.added) == (5, 5)
    assert _counts(cfg)["pending"] == 0
    assert _groups(cfg) == {frozenset({"tram-orig", "tram-junk"}), BERAS}


_FAILING_STAGE = """
import sys
import dedup.pipeline as pipeline

def boom(*args, **kwargs):
    raise RuntimeError("the shingle stage fell over")

pipeline.shingle_batch = boom
sys.argv = ["dedup", "index", "--store", sys.argv[1], "--workers", "2", "--quiet", sys.argv[2]]
from dedup.cli import main
main()
"""


def test_a_failing_stage_with_the_background_reader_ends_the_run(tmp_path: Path) -> None:
    """The reader is far ahead (its queue full) when a later stage raises: the
    process must end, with one line, not wait for the reader for ever."""
    import subprocess
    import sys

    path = tmp_path / "many.jsonl"
    path.write_text("".join(f'{{"id": "a{i}", "text": "Article number {i} of many."}}\n' for i in range(30_000)), encoding="utf-8")
    root = Path(__file__).parent.parent  # the code under test, not whatever is installed
    try:
        p = subprocess.run(
            [sys.executable, "-c", _FAILING_STAGE, str(tmp_path / "store"), str(path)],
            capture_output=True, text=True, timeout=120, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(root)},
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the run hung after the stage failed (the parent waiting on the reader, the reader on a full queue)")
    assert p.returncode == 1
    assert p.stderr.startswith("error: unexpected RuntimeError: the shingle stage fell over")
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr


def test_closing_the_background_reader_before_reading_stops_it(tmp_path: Path, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    from dedup.read.background import read_in_background

    import multiprocessing

    def readers() -> int:
        return sum(p.name == "dedup-reader" for p in multiprocessing.active_children())

    reader = read_in_background([str(jsonl("a.jsonl", articles.values()))], ReadConfig(), workers=2)
    assert readers() == 1
    reader.close()  # an error between starting the reader and reading from it
    assert readers() == 0


def test_export_batches_are_read_on_one_thread_however_they_are_pulled() -> None:
    """polars' Parquet sink pulls batches from several threads; the store's SQLite
    connection may only be used on the thread that opened it (a 1M-article export
    failed so)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    producers: set[int] = set()

    def make():  # type: ignore[no-untyped-def]
        for i in range(50):
            producers.add(threading.get_ident())
            yield i

    items = pipeline._on_own_thread(make)
    with ThreadPoolExecutor(4) as pool:  # each next() on whichever thread is free
        got = [pool.submit(next, items).result() for _ in range(50)]
    assert got == list(range(50)) and len(producers) == 1
    assert next(items, None) is None

    def failing():  # type: ignore[no-untyped-def]
        yield 1
        raise ValueError("damaged row")

    with pytest.raises(ValueError, match="damaged row"):
        list(pipeline._on_own_thread(failing))
    left = pipeline._on_own_thread(make)
    assert next(left) == 0
    left.close()  # the consumer leaves early: the producer stops, nothing hangs
