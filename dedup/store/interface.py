"""The Store protocol: everything the pipeline needs from persistent storage.

The embedded SQLite store (``sqlite.py``) is the default; a shared server store
implements the same protocol. Every write method is atomic: after a crash the
store holds either all of a batch or none of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """One article row as the store keeps it."""

    doc: int  # internal number
    id: str
    url: str
    outlet: str
    title: str
    text: str
    published_at: str | None  # ISO 8601 UTC
    time_precision: str
    published_raw: str | None
    record_hash: str
    n_shingles: int
    stripped: tuple[str, ...]
    indexed_at: str
    story_id: str | None


@dataclass(frozen=True, slots=True)
class NewArticle:
    """What the index stage hands the store for one article."""

    id: str
    url: str
    outlet: str
    title: str
    text: str
    published_at: str | None
    time_precision: str
    published_raw: str | None
    record_hash: str
    n_shingles: int
    stripped: tuple[str, ...]
    signature: np.ndarray  # uint32[num_perm]
    band_keys: np.ndarray  # int64[bands]; each key already encodes its band
    page_key: str = ""  # read.html.page_key of the page it was extracted from ("" for a record of text)


@dataclass(frozen=True, slots=True)
class LineCounts:
    """Outlet boilerplate counts of one batch (``boilerplate.py``), not stored yet: they are
    written with the batch's articles, in their transaction, so that a crash between the two
    can never count a batch twice."""

    at: str  # when they were counted: a new line's first_seen
    articles: dict[str, int]  # outlet → articles counted
    lines: tuple[tuple[str, int, str, int], ...]  # (outlet, line key, line, articles with it)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a store check found, in a file or a table."""

    where: str
    problem: str
    damage: bool = True  # False: worth saying (articles waiting to be clustered), not damage
    derived: bool = False  # in the LSH index, which is rebuilt from the articles
    repaired: bool = False


@dataclass(frozen=True, slots=True)
class PruneResult:
    """What a prune (:meth:`Store.prune`) removed, or would remove (``dry_run``)."""

    before: str  # the cutoff, ISO 8601 UTC
    articles: int  # articles removed (with their signatures, band keys, page keys and memberships)
    undated: int  # of them, articles with no known time, removed because they were indexed before the cutoff
    stories_dropped: int  # stories left with no member: removed
    stories_changed: tuple[str, ...]  # stories that lost members and keep others (and their ids), sorted
    dry_run: bool = False


def expiry(published_at: str | None, precision: str, raw: str | None, indexed_at: str) -> datetime:
    """When an article starts to go in a prune: it goes in one of everything before a cutoff
    exactly when this is earlier (:func:`expired`). Its publication time; a bare date's
    end; with no known time, when it was indexed (it cannot have been published later)."""
    from ..provenance import parse_stored_time  # (provenance reads stored articles: imported when used)

    when = parse_stored_time(published_at, precision, raw) if published_at else None
    if when is None:
        when = datetime.fromisoformat(indexed_at)
        return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)
    return when + timedelta(days=1) if precision == "date" else when


def expired(published_at: str | None, precision: str, raw: str | None, indexed_at: str, before: datetime) -> bool:
    """Whether an article goes in a prune of everything published before ``before`` (aware).

    A bare date is its whole day in its zone: it goes once the day has ended before the
    cutoff. An article with no known time goes when it was indexed before the cutoff: it
    cannot have been published after it was indexed, so nothing newer than the cutoff goes,
    and a store of undated pages does not grow for ever.

    >>> cut = datetime(2026, 6, 1, tzinfo=timezone.utc)
    >>> expired("2026-05-31T00:00:00+07:00", "date", "2026-05-31", "2026-12-01T00:00:00+00:00", cut)
    True
    >>> expired("2026-05-31T12:00:00-12:00", "exact", None, "2026-12-01T00:00:00+00:00", cut)
    False
    >>> expired(None, "unknown", None, "2026-05-01T00:00:00+00:00", cut)
    True
    """
    return expiry(published_at, precision, raw, indexed_at) < before


class StoredPages(Protocol):
    """page key → id of the article stored from that page before the run began (None: not
    stored); usable from a forked reader process. ``close`` when done."""

    def __call__(self, page_key: str) -> str | None: ...

    def close(self) -> None: ...


class Store(Protocol):
    """Persistent articles, signatures, LSH buckets and stories.

    Replacing an article gives it a new doc number; the old one is gone."""

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def known(self, ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """id → (doc, record_hash) for the ids already stored."""
        ...

    def write_articles(
        self, new: Sequence[NewArticle], replace: dict[str, int], now: str, counts: LineCounts | None = None
    ) -> list[int]:
        """Insert new articles, replace the docs in ``replace`` (id → old doc) by new ones, and add the
        boilerplate ``counts`` of the articles written, all in one transaction; returns the docs written."""
        ...

    def pending(self) -> list[int]:
        """Docs not yet assigned to a story."""
        ...

    def candidates(self, docs: Sequence[int], keep: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
        """(n, 2) int64 unique unordered doc pairs sharing an LSH bucket, at least one side in
        ``docs``; a bucket of more than ``segments.clique_cap(rows)`` members (64; 16 in bands of
        2 rows) links only to its first. ``keep`` (pairs → bool mask) is applied to each chunk
        of pairs as they are found, before they are gathered: a filter (the index's prefilter)
        then bounds the memory by what it keeps, not by every pair sharing a bucket."""
        ...

    def candidates_for_keys(self, band_keys: np.ndarray) -> list[int]:
        """Docs sharing at least one bucket with a (not stored) signature's band keys."""
        ...

    def seal_index(self) -> list[Finding]:
        """Bring the bucket index up to date with every stored article (end of an index run),
        rebuilding missing or damaged segments from the articles; returns what was rebuilt."""
        ...

    def check(self, repair: bool = False) -> list[Finding]:
        """Verify the database and the bucket index; with ``repair``, rebuild what is derived."""
        ...

    def identities(self, docs: Sequence[int]) -> dict[int, tuple[str, str]]:
        """doc → (article id, indexed_at)."""
        ...

    def dated(self, docs: Sequence[int]) -> dict[int, tuple[str, str | None, str]]:
        """doc → (outlet, published_at, time_precision), without reading the article's text: what
        the verifier needs of a pair its MinHash estimate settles."""
        ...

    def article_count(self) -> int: ...

    def is_empty(self) -> bool: ...

    def lock_writer(self) -> None:
        """Claim the store for one index run until close(); StoreError when another run holds it."""
        ...

    def story_lock(self) -> AbstractContextManager[None]:
        """Held while pending articles are read and assigned stories (``cluster.cluster_pending``):
        one assignment at a time, on a view of the store taken once it is held."""
        ...

    def begin_bulk(self) -> None:
        """A large load starts: the store may defer index maintenance until end_bulk."""
        ...

    def end_bulk(self) -> None: ...

    def signatures(self, docs: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(signatures uint32[n, num_perm], n_shingles int64[n]) in the order of ``docs``."""
        ...

    def stories_of(self, docs: Iterable[int]) -> dict[int, str]:
        """doc → its story (or, while it waits to be re-clustered, its previous one); docs with neither are absent."""
        ...

    def story_members(self, story_ids: Iterable[str]) -> dict[str, list[int]]: ...

    def multi_outlet_stories(self, story_ids: Iterable[str]) -> set[str]:
        """Of these stories, those whose members come from two or more outlets: the
        stories with copies (an outlet's own text again is none), unless every other
        outlet's member is an earlier related text, which only provenance can tell."""
        ...

    def story_created(self, story_ids: Iterable[str]) -> dict[str, str]: ...

    def assign(self, assignments: dict[int, str], created: dict[str, str], touched: Iterable[str], dropped: Iterable[str], now: str) -> None:
        """Atomically set story ids of docs, create new stories, mark touched ones updated (at ``now``),
        drop merged-away ones; the created and touched stories take the next change sequence
        number (:meth:`change_seq`), committed with them."""
        ...

    def change_seq(self) -> int:
        """The sequence number of the last committed story change (0 before any): the nightly
        report's clock, which only moves when the changes it numbers are committed."""
        ...

    def mark_reported(self, seq: int, at: str) -> None:
        """Record a delivered nightly report, read at change ``seq`` and begun at time ``at``, as the
        last one (atomically; a mark never moves back, so reports delivered out of order lose nothing)."""
        ...

    def reading(self) -> AbstractContextManager[None]:
        """Reads inside the block see one committed state of the store, whatever is committed meanwhile."""
        ...

    def articles(self, docs: Iterable[int] | None = None) -> Iterator[StoredArticle]: ...

    def article_by(self, *, id: str | None = None, url: str | None = None) -> StoredArticle | None:
        """The article with ``id``, or at ``url``: as stored, else in any form of it (urls.url_key)."""
        ...

    def stored_pages(self) -> StoredPages:
        """A look-up of the pages stored so far (page key → article id), for the page readers."""
        ...

    def set_page_keys(self, keys: dict[int, str]) -> None:
        """Record the page key each doc (unchanged, so not rewritten) was read from this time."""
        ...

    def stories_changed_since(self, since: str | None) -> list[tuple[str, str, str]]:
        """(story_id, created_at, updated_at) of stories with 2+ members updated after the time ``since``
        (by the clock of the index runs; a look back)."""
        ...

    def stories_changed_after(self, seq: int) -> list[tuple[str, bool]]:
        """(story_id, created after ``seq``) of stories with 2+ members changed after change number
        ``seq`` (the nightly report: read :meth:`change_seq` in the same :meth:`reading`)."""
        ...

    def outlet_aliases(self) -> dict[str, str]:
        """Outlet aliases, name → target, both as given (``dedup outlets --alias``)."""
        ...

    def set_outlet_aliases(self, add: Iterable[tuple[str, str]], remove: Iterable[str] = ()) -> list[str]:
        """Add (or replace) aliases and remove others by name (case-insensitive), in one
        transaction; returns the names to remove that were no alias."""
        ...

    def outlet_articles(self, outlets: Iterable[str]) -> dict[str, int]:
        """outlet → articles counted for boilerplate so far."""
        ...

    def outlet_lines(
        self, outlets: Iterable[str] | None, min_articles: int, min_share: float, pending: LineCounts | None = None
    ) -> dict[str, tuple[int, list[tuple[str, int, str]]]]:
        """outlet → (articles counted, [(line, articles with it, first seen)]) for recurring lines, counting
        the ``pending`` counts of a batch not written yet as if they were stored."""
        ...

    def prune(self, before: datetime, dry_run: bool = False) -> PruneResult:
        """Remove, atomically, every article published before ``before`` (aware; see
        :func:`expired`): its row, signature, band keys (the LSH index no longer holds them),
        page key and story membership. A story keeps its id while it keeps a member; one
        left with none is removed. Story change numbers are not moved (the nightly report
        lists news, and a prune adds none); boilerplate counts are kept. The caller holds
        the writer lock; ``dry_run`` only counts."""
        ...

    def counts(self) -> dict[str, int]: ...

    def close(self) -> None: ...


@runtime_checkable
class SignatureScan(Protocol):
    """A store that can hand over every signature at once, cheaply (``dedup query`` scores
    them all; a store without it answers a query from its LSH candidates only)."""

    def all_signatures(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(docs, signatures uint32[n, num_perm], n_shingles) of every stored article, and maybe
        of articles replaced since: a caller keeps the docs whose rows it finds."""
        ...

    def save_signatures(self) -> None:
        """Bring what ``all_signatures`` reads up to date (the end of an index run, under its lock)."""
        ...
