from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dedup.config import ClusterConfig, Config
from dedup.cluster import components, new_story_id
from dedup.verify import containment_both
from dedup.pipeline import index_corpus
from _store_helpers import store_counts as _counts
from _store_helpers import story_ids as _stories
from dedup.store import open_store




# -- verification arithmetic -------------------------------------------------------


def test_containment_both_for_a_subset() -> None:
    # A (100) ⊂ B (300): Jaccard 1/3.
    c_ab, c_ba = containment_both(np.array([1 / 3]), np.array([100.0]), np.array([300.0]))
    assert c_ab[0] == pytest.approx(1.0)
    assert c_ba[0] == pytest.approx(1 / 3)
    c_ab, c_ba = containment_both(np.array([0.5]), np.array([0.0]), np.array([10.0]))
    assert c_ab[0] == 0.0


def test_components_small() -> None:
    # 0-1, 2-3, 1-3 join four nodes; 4 alone; 6-5 joined the "wrong" way round
    labels = components(7, np.array([0, 2, 1, 6]), np.array([1, 3, 3, 5]))
    assert labels.tolist() == [0, 0, 0, 0, 4, 5, 5]
    assert components(3, np.array([], dtype=np.int64), np.array([], dtype=np.int64)).tolist() == [0, 1, 2]


def _reference_components(n: int, a: list[int], b: list[int]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for x, y in zip(a, b):
        rx, ry = find(x), find(y)
        parent[max(rx, ry)] = min(rx, ry)
    return [find(x) for x in range(n)]


@pytest.mark.parametrize("seed", range(20))
def test_components_match_a_plain_union_find(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    m = int(rng.integers(0, 2 * n))
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    if seed % 2:  # long chains: the hardest case for hook-and-shortcut
        perm = rng.permutation(n)
        a, b = perm[:-1], perm[1:]
    assert components(n, a, b).tolist() == _reference_components(n, a.tolist(), b.tolist())


def test_new_story_id_is_stable() -> None:
    assert new_story_id("tram-orig") == new_story_id("tram-orig")
    assert new_story_id("tram-orig") != new_story_id("tram-junk")
    assert new_story_id("x").startswith("s") and len(new_story_id("x")) == 13


# -- clustering through the pipeline ---------------------------------------------------


def test_verbatim_and_abridged_copies_join_the_original(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    summary = index_corpus([str(jsonl("night.jsonl", articles.values()))], cfg)
    assert summary.added == len(articles) and summary.rejected == ()
    story = _stories(cfg)
    assert story["tram-junk"] == story["tram-orig"]
    assert story["tram-abr"] == story["tram-orig"]
    assert story["beras-copy"] == story["beras-orig"]
    assert story["gempa-copy"] == story["gempa-orig"]
    assert len({story["tram-orig"], story["beras-orig"], story["gempa-orig"]}) == 3
    # everyone else is alone
    for ident in ("flood-a", "flood-b", "rates", "football", "krl"):
        assert list(story.values()).count(story[ident]) == 1, ident
    assert summary.stories_new == 3
    c = _counts(cfg)
    assert c["pending"] == 0 and c["stories_with_copies"] == 3


def test_an_outlets_own_text_again_is_no_story_with_copies(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    # finwire.com posts its rates story twice: one group, but no copy; the tram story has copies.
    repost = {**articles["rates"], "id": "rates-repost", "url": "https://www.finwire.com/amp/rates"}
    first = index_corpus([str(jsonl("n1.jsonl", [articles["rates"], repost, articles["tram-orig"]]))], cfg)
    story = _stories(cfg)
    assert story["rates"] == story["rates-repost"]
    assert (first.stories_new, first.stories_grown) == (0, 0)
    assert _counts(cfg)["stories_with_copies"] == 0
    # the tram story gains a copy from another outlet: a new story with copies
    second = index_corpus([str(jsonl("n2.jsonl", [articles["tram-junk"]]))], cfg)
    assert (second.stories_new, second.stories_grown) == (0, 1)  # tram-orig's story (of one) grew
    assert _counts(cfg)["stories_with_copies"] == 1


def test_independent_reports_of_one_event_do_not_merge(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    rows = [articles["flood-a"], articles["flood-b"]]
    summary = index_corpus([str(jsonl("floods.jsonl", rows))], cfg)
    story = _stories(cfg)
    assert story["flood-a"] != story["flood-b"]
    assert summary.stories_new == 0
    assert _counts(cfg)["stories_with_copies"] == 0


def test_unrelated_articles_stay_apart_even_with_a_loose_similarity(tmp_path: Path, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    loose = Config(store=tmp_path / "loose", progress=False, workers=1, cluster=ClusterConfig(min_similarity=0.3, min_containment=0.5))
    rows = [articles[k] for k in ("flood-a", "flood-b", "rates", "football", "beras-orig", "gempa-orig", "krl")]
    index_corpus([str(jsonl("mix.jsonl", rows))], loose)
    assert len(set(_stories(loose).values())) == len(rows)


def test_a_text_carrying_two_stories_joins_only_its_best_source(cfg: Config, articles, jsonl, row, news) -> None:  # type: ignore[no-untyped-def]
    # Issue 14 item 3: a copy joins through its one best source; it does not glue two stories.
    index_corpus([str(jsonl("n1.jsonl", [articles["beras-orig"], articles["beras-copy"]]))], cfg)
    older = _stories(cfg)["beras-orig"]
    index_corpus([str(jsonl("n2.jsonl", [articles["gempa-orig"], articles["gempa-copy"], articles["rates"]]))], cfg)
    newer = _stories(cfg)["gempa-orig"]
    assert older != newer
    # A round-up page that carries both stories in full: it is derived from both, but it
    # joins one (its best source) and the two stories stay apart (main merged them).
    bridge = row("roundup", news["beras"].body + "\n\n" + news["gempa"].body, title="Berita pilihan hari ini",
                 outlet="rangkuman.id", published_at="2026-11-25T12:00:00+07:00")
    summary = index_corpus([str(jsonl("n3.jsonl", [bridge]))], cfg)
    story = _stories(cfg)
    rice = {i for i, s in story.items() if s == older}
    quake = {i for i, s in story.items() if s == newer}
    assert (rice, quake) in (({"beras-orig", "beras-copy", "roundup"}, {"gempa-orig", "gempa-copy"}),
                             ({"beras-orig", "beras-copy"}, {"gempa-orig", "gempa-copy", "roundup"}))
    assert summary.stories_grown == 1 and summary.stories_new == 0


def test_stories_of_two_partial_copies_merge_under_the_older_id_when_their_original_arrives(  # type: ignore[no-untyped-def]
    cfg: Config, row, news, jsonl
) -> None:
    paras = news["tram"].paragraphs
    head = row("tram-head", "\n\n".join(paras[:3]), title=news["tram"].title, outlet="dailyecho.net",
               published_at="2026-11-24T12:00:00+00:00")
    tail = row("tram-tail", "\n\n".join(paras[3:]), title=news["tram"].title, outlet="citypost.com",
               published_at="2026-11-24T13:00:00+00:00")
    index_corpus([str(jsonl("n1.jsonl", [head]))], cfg)
    older = _stories(cfg)["tram-head"]
    index_corpus([str(jsonl("n2.jsonl", [tail]))], cfg)
    newer = _stories(cfg)["tram-tail"]
    assert older != newer  # the two halves share nothing
    orig = row("tram-orig", news["tram"].body, title=news["tram"].title, outlet="riverpost.com",
               published_at="2026-11-24T08:00:00+00:00")
    summary = index_corpus([str(jsonl("n3.jsonl", [orig]))], cfg)
    story = _stories(cfg)
    # each copy's story origin finds its source in the new article: one story, the older id
    assert story["tram-orig"] == story["tram-head"] == story["tram-tail"] == older
    assert summary.stories_grown == 1 and summary.stories_new == 0
    store = open_store(cfg.store, create=False)
    try:
        assert store.story_created([newer]) == {}  # the merged-away story is gone
    finally:
        store.close()


def test_copies_arriving_first_still_cluster_with_the_original_later(cfg: Config, articles, jsonl) -> None:  # type: ignore[no-untyped-def]
    index_corpus([str(jsonl("copies.jsonl", [articles["tram-junk"], articles["tram-abr"]]))], cfg)
    first = _stories(cfg)
    assert first["tram-junk"] == first["tram-abr"]
    index_corpus([str(jsonl("orig.jsonl", [articles["tram-orig"]]))], cfg)
    story = _stories(cfg)
    assert story["tram-orig"] == story["tram-junk"] == story["tram-abr"] == first["tram-junk"]


def test_each_text_links_to_its_one_best_source_never_to_a_copy() -> None:
    from dedup.cluster import Edges, best_links

    # 0 wire original; 1 abridged copy (earlier than 2); 2 light edit holding 1 whole;
    # 3 a round-up derived from 0 and from 4, an unrelated story; 4 that story's original.
    pairs = np.array([[1, 0], [2, 0], [2, 1], [3, 0], [3, 4]])
    a_from_b = np.array([True, True, True, True, True])
    b_from_a = np.array([False, False, False, False, False])
    score_ab = np.array([1.0, 0.94, 0.45, 0.5, 0.48])  # each text's share found in the other
    links = best_links(Edges(pairs, a_from_b, b_from_a, score_ab, np.zeros(5)), np.arange(5))
    assert links.tolist() == [[1, 0], [2, 0], [3, 0]]  # 2 picks the original; 3 joins one story; 0 and 4 link to nothing


def test_estimates_from_the_signature_scan_give_the_edges_the_rows_give(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A bulk load judges every pair's estimate from one read of the signature file, then lets it
    # go; the same edges must come from the rows, from a file missing records, and in small blocks.
    from dedup import cluster as cluster_mod
    from dedup import index
    from dedup.config import ClusterConfig, Config
    from dedup.pipeline import index_corpus
    from dedup.store import open_store, sigfile

    sample = Path(__file__).resolve().parents[1] / "examples" / "sample"
    cfg = Config(store=tmp_path / "s", progress=False, workers=1)
    index_corpus([str(p) for p in sorted(sample.glob("night*.jsonl"))], cfg)
    store = open_store(cfg.store, create=False)
    scans: list[bool] = []
    real = cluster_mod._estimates

    def spied(scan, pairs):  # type: ignore[no-untyped-def]
        out = real(scan, pairs)
        scans.append(out is not None)
        return out

    monkeypatch.setattr(cluster_mod, "_estimates", spied)

    def edges() -> list[tuple[object, ...]]:
        e = cluster_mod.verified_edges(store, sorted(a.doc for a in store.articles()), ClusterConfig())
        return list(zip(e.pairs.tolist(), e.a_from_b.tolist(), e.b_from_a.tolist(), e.score_ab.tolist(), e.score_ba.tolist(), strict=True))

    try:
        monkeypatch.setattr(index, "_SCAN_MIN_DOCS", 10**9)
        from_rows = edges()
        assert from_rows and scans == []
        monkeypatch.setattr(index, "_SCAN_MIN_DOCS", 1)
        assert edges() == from_rows and scans == [True]
        monkeypatch.setattr(cluster_mod, "_VERIFY_BLOCK", 5)
        assert edges() == from_rows
        path = cfg.store / "signatures.bin"
        recs = sigfile.read(path)
        assert recs is not None
        data, head, size = path.read_bytes(), path.stat().st_size - recs.nbytes, recs.dtype.itemsize
        path.write_bytes(data[: head + size * 10] + data[head + size * 60 :])
        assert edges() == from_rows and scans[-1] is False  # the rows answer for the docs the file lacks
    finally:
        store.close()
