"""Retention: Store.prune (issue 13, item 3), on both stores (``store``), and the embedded
store's segment files (``sqlite_store``)."""

from __future__ import annotations

import errno
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pytest

from dedup.errors import StoreError
from dedup.index import LSHParams, band_keys
from dedup.store import NewArticle, SQLiteStore, Store
from dedup.store.segments import MAX_CLIQUE_BUCKET, Segment
from dedup.store.sqlite import LSH_DIR

LSH = LSHParams(bands=16, rows=8)
NOW = "2026-11-25T00:00:00.000000+00:00"
CUT = datetime(2026, 6, 1, tzinfo=timezone.utc)
OLD, NEW = "2026-05-20T08:00:00+00:00", "2026-06-10T08:00:00+00:00"


def _sig(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)


def _new(ident: str, seed: int, published: str | None, sig: np.ndarray | None = None, precision: str = "exact",
         raw: str | None = None) -> NewArticle:
    sig = _sig(seed) if sig is None else sig
    return NewArticle(
        id=ident, url=f"https://example.com/{ident}", outlet=f"o{seed % 3}.com", title=ident, text=f"Body {ident}",
        published_at=published, time_precision=precision if published else "unknown", published_raw=raw or published,
        record_hash=f"h-{ident}", n_shingles=100, stripped=(), signature=sig, band_keys=band_keys(sig[None, :], LSH)[0],
        page_key=f"page-{ident}",
    )


def _sealed_docs(store: SQLiteStore) -> set[int]:
    """Every doc an LSH segment holds an entry for."""
    out: set[int] = set()
    for info in store.lsh_segments():
        out |= set(Segment.open(store.path / LSH_DIR, info).docs.tolist())
    return out


def _ids(store: Store) -> set[str]:
    return {a.id for a in store.articles()}


def test_prune_removes_old_articles_with_their_lsh_entries_and_page_keys(sqlite_store: SQLiteStore) -> None:
    store = sqlite_store
    old = store.write_articles([_new(f"old{i}", i, OLD) for i in range(3)], {}, NOW)
    store.seal_index()
    new = store.write_articles([_new(f"new{i}", 10 + i, NEW) for i in range(3)], {}, NOW)
    store.seal_index()
    res = store.prune(CUT)
    assert (res.articles, res.undated, res.dry_run) == (3, 0, False)
    assert _ids(store) == {"new0", "new1", "new2"}
    # The segments no longer hold them (rewritten, not merely filtered on reading).
    assert _sealed_docs(store) == set(new)
    assert store.counts()["buckets"] == 3 * LSH.bands
    for i, d in enumerate(old):
        assert store.candidates_for_keys(_new("probe", i, OLD).band_keys) == []
        with pytest.raises(KeyError):
            store.signatures([d])
    pages = store.stored_pages()
    try:
        assert pages("page-old0") is None and pages("page-new0") == "new0"
    finally:
        pages.close()
    assert [f for f in store.check() if f.damage] == []
    # files of the retired segments are gone
    listed = {i.name for i in store.lsh_segments()}
    assert {p.name.split(".")[0] for p in (store.path / LSH_DIR).iterdir()} == listed


def test_a_star_bucket_whose_centre_is_pruned_still_links_its_members(store: Store) -> None:
    """The oldest article of a wire story on many sites is the centre of its star bucket:
    readers that dropped a pruned centre after the cap would link no member at all."""
    sig = _sig(1)
    store.write_articles([_new("wire", 0, OLD, sig)], {}, NOW)
    kept = store.write_articles([_new(f"copy{i}", i + 1, NEW, sig) for i in range(MAX_CLIQUE_BUCKET + 5)], {}, NOW)
    store.seal_index()
    store.prune(CUT)
    (late,) = store.write_articles([_new("late", 999, NEW, sig)], {}, NOW)
    pairs = store.candidates([late])
    assert sorted(pairs.tolist()) == [[kept[0], late]]  # the new centre: the earliest member left


def test_undated_articles_go_by_when_they_were_indexed_and_a_bare_date_by_its_end(store: Store) -> None:
    store.write_articles([_new("undated-early", 1, None)], {}, "2026-05-01T00:00:00.000000+00:00")
    store.write_articles([_new("undated-late", 2, None)], {}, "2026-06-02T00:00:00.000000+00:00")
    store.write_articles([
        # the 31st in Jakarta ends at 17:00 UTC on the 31st: before the cut
        _new("date-31", 3, "2026-05-31T00:00:00+07:00", precision="date", raw="2026-05-31"),
        # the 31st in Honolulu ends at 10:00 UTC on June 1st: partly after it, kept
        _new("date-31-hst", 4, "2026-05-31T00:00:00-10:00", precision="date", raw="2026-05-31"),
        _new("exact-just-before", 5, "2026-06-01T06:59:59+07:00"),
        _new("exact-at", 6, "2026-06-01T07:00:00+07:00"),
    ], {}, NOW)
    res = store.prune(CUT)
    assert _ids(store) == {"undated-late", "date-31-hst", "exact-at"}
    assert (res.articles, res.undated) == (3, 1)


def test_stories_keep_their_ids_while_they_keep_members(store: Store) -> None:
    d = store.write_articles([
        _new("a-old", 1, OLD), _new("a-new", 2, NEW),  # story A loses its origin
        _new("b-old1", 3, OLD), _new("b-old2", 4, OLD),  # story B loses everything
        _new("c-new", 5, NEW),  # untouched
    ], {}, NOW)
    store.assign({d[0]: "sA", d[1]: "sA", d[2]: "sB", d[3]: "sB", d[4]: "sC"}, {"sA": NOW, "sB": NOW, "sC": NOW}, [], [], NOW)
    seq = store.change_seq()
    res = store.prune(CUT)
    assert (res.stories_dropped, res.stories_changed) == (1, ("sA",))
    assert store.story_members(["sA", "sC"]) == {"sA": [d[1]], "sC": [d[4]]}
    assert store.story_created(["sA", "sB", "sC"]).keys() == {"sA", "sC"}
    # A prune is no news: the nightly report's clock does not move.
    assert store.change_seq() == seq and store.stories_changed_after(0) == []
    assert [f for f in store.check() if f.damage] == []


def test_a_story_waiting_to_be_reclustered_is_kept_for_its_pending_members(store: Store) -> None:
    d = store.write_articles([_new("x-old", 1, OLD), _new("x-new", 2, NEW)], {}, NOW)
    store.assign({d[0]: "sX", d[1]: "sX"}, {"sX": NOW}, [], [], NOW)
    # x-new replaced: its story's members wait to be re-clustered (prev_story sX)
    (x2,) = store.write_articles([_new("x-new", 7, NEW)], {"x-new": d[1]}, NOW)
    res = store.prune(CUT)
    assert (res.articles, res.stories_dropped, res.stories_changed) == (1, 0, ("sX",))
    assert store.stories_of([x2]) == {x2: "sX"} and store.story_created(["sX"]).keys() == {"sX"}
    assert [f for f in store.check() if f.damage] == []


def test_a_pruned_member_waiting_to_be_reclustered_does_not_drop_its_clustered_story(store: Store) -> None:
    """Mid-run state (an index run killed between two assignments): the old member waits with
    its story as prev_story, the other is back in that story."""
    d = store.write_articles([_new("y-old", 1, OLD), _new("y-new", 2, NEW)], {}, NOW)
    store.assign({d[0]: "sY", d[1]: "sY"}, {"sY": NOW}, [], [], NOW)
    (y2,) = store.write_articles([_new("y-new", 8, NEW)], {"y-new": d[1]}, NOW)
    store.assign({y2: "sY"}, {}, ["sY"], [], NOW)
    res = store.prune(CUT)
    assert (res.stories_dropped, res.stories_changed) == (0, ("sY",))
    assert store.story_members(["sY"]) == {"sY": [y2]}
    assert [f for f in store.check() if f.damage] == []


def test_doc_numbers_of_pruned_articles_are_never_given_again(store: Store) -> None:
    """An archive loaded last is pruned first: its docs are the highest. A new article given
    one of their numbers would be below the sealed mark, in no segment: never found."""
    store.write_articles([_new("recent", 1, NEW)], {}, NOW)
    backfill = store.write_articles([_new(f"archive{i}", 10 + i, OLD) for i in range(3)], {}, NOW)
    store.seal_index()
    store.prune(CUT)
    (fresh,) = store.write_articles([_new("fresh", 50, NEW)], {}, NOW)
    assert fresh > max(backfill)
    store.seal_index()
    assert store.candidates_for_keys(_new("probe", 50, NEW).band_keys) == [fresh]
    assert [f for f in store.check() if f.damage] == []


def test_a_dry_run_counts_and_changes_nothing(sqlite_store: SQLiteStore) -> None:
    store = sqlite_store
    d = store.write_articles([_new("a-old", 1, OLD), _new("a-new", 2, NEW)], {}, NOW)
    store.assign({d[0]: "sA", d[1]: "sA"}, {"sA": NOW}, [], [], NOW)
    store.seal_index()
    files = sorted(p.name for p in (store.path / LSH_DIR).iterdir())
    dry = store.prune(CUT, dry_run=True)
    assert (dry.articles, dry.stories_dropped, dry.stories_changed, dry.dry_run) == (1, 0, ("sA",), True)
    assert _ids(store) == {"a-old", "a-new"}
    assert sorted(p.name for p in (store.path / LSH_DIR).iterdir()) == files
    real = store.prune(CUT)
    assert (real.articles, real.stories_changed) == (dry.articles, dry.stories_changed)
    assert store.prune(CUT).articles == 0  # nothing left to do


def test_a_failed_prune_leaves_the_store_as_it_was(sqlite_store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk after a segment was rewritten: nothing is deleted, and the new file goes."""
    store = sqlite_store
    from dedup.store import sqlite

    store.write_articles([_new(f"old{i}", i, OLD) for i in range(3)] + [_new("new", 9, NEW)], {}, NOW)
    store.seal_index()
    files = sorted(p.name for p in (store.path / LSH_DIR).iterdir())
    listed = store.lsh_segments()
    real_merge = sqlite.merge

    def merge_then_fail(*args: Any, **kwargs: Any) -> Segment:
        real_merge(*args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sqlite, "merge", merge_then_fail)
    with pytest.raises(StoreError, match="disk full"):
        store.prune(CUT)
    assert len(_ids(store)) == 4 and store.lsh_segments() == listed
    assert sorted(p.name for p in (store.path / LSH_DIR).iterdir()) == files
    monkeypatch.setattr(sqlite, "merge", real_merge)
    assert store.prune(CUT).articles == 3  # the same command, again, completes it
