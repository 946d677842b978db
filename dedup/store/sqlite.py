"""The embedded default store: one SQLite database in WAL mode.

Crash safety comes from SQLite transactions: each batch of articles (rows,
signatures and band keys) and each story assignment is one transaction, so an
interrupted run leaves whole batches only; the next run finds the articles it
did not store and the docs it did not cluster (``story_id IS NULL``) and
completes them. The LSH buckets are sorted segment files beside the database
(``segments.py``), derived from the band keys in the rows; the database
records which segments are current, so a file written by an interrupted run
is simply ignored and removed.

>>> import tempfile, pathlib
>>> s = SQLiteStore.open(pathlib.Path(tempfile.mkdtemp()) / "store")
>>> s.counts()["articles"]
0
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np

from ..errors import StoreError
from ..outlets import outlet_key
from ..urls import url_key
from .faults import guarded, translated
from . import sigfile
from .interface import Finding, LineCounts, NewArticle, PruneResult, StoredArticle, expired
from .segments import (
    REPAIR_ADVICE, Segment, SegmentBuilder, SegmentDamage, SegmentInfo, bucket_join, clique_cap, iter_within_pairs, merge,
    packed_pairs, plan_merges, segment_paths, sorted_unique, unpacked_pairs,
)

SCHEMA_VERSION = "7"
DB_NAME = "dedup.sqlite"
WRITER_LOCK = "writer.lock"
LSH_DIR = "lsh"
SIGNATURES = "signatures.bin"  # sigfile.py: every signature, apart from the wide rows

_MEMBERSHIPS = (
    "CREATE TABLE IF NOT EXISTS memberships (doc INTEGER PRIMARY KEY REFERENCES articles(doc) ON DELETE CASCADE, "
    "story_id TEXT, prev_story TEXT)",
    "CREATE INDEX IF NOT EXISTS memberships_story ON memberships(story_id)",
)
# url_key: the article's URL as urls.url_key makes it (query --url finds any form of it);
# page_key: read.html.page_key of the raw page it was extracted from, so that an unchanged
# page is known before extraction (NULL: not from a page). Partial indexes: (schema 6)
# created apart from _SCHEMA, which older stores run before they have the columns.
_KEYS = (
    "CREATE INDEX IF NOT EXISTS articles_url_key ON articles(url_key) WHERE url_key IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS articles_page_key ON articles(page_key) WHERE page_key IS NOT NULL",
)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    doc INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    outlet TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    published_at TEXT,
    time_precision TEXT NOT NULL,
    published_raw TEXT,
    record_hash TEXT NOT NULL,
    n_shingles INTEGER NOT NULL,
    signature BLOB NOT NULL,
    band_keys BLOB NOT NULL,
    stripped TEXT NOT NULL,
    indexed_at TEXT NOT NULL,
    url_key TEXT,
    page_key TEXT
);
CREATE INDEX IF NOT EXISTS articles_url ON articles(url);
-- Story membership apart from the (wide) article rows: assigning stories then
-- rewrites a few bytes per article, not its whole text. One row per article;
-- story_id NULL while the article waits to be clustered, prev_story the story
-- it was in before a member of that story was replaced.
{memberships}

-- created_seq / changed_seq: the change sequence number (meta change_seq, one per
-- committed assignment) the story was created / last changed at: the nightly report's clock.
CREATE TABLE IF NOT EXISTS stories (
    story_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    created_seq INTEGER NOT NULL DEFAULT 0, changed_seq INTEGER NOT NULL DEFAULT 0
);

-- Outlet boilerplate learned from the corpus (dedup/boilerplate.py): how many
-- articles of each outlet were counted, and in how many of them each short
-- line occurs. A line's text is kept from its second sighting on: most lines
-- occur once, and a key is all that is needed to count them.
CREATE TABLE IF NOT EXISTS outlet_articles (outlet TEXT PRIMARY KEY, articles INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outlet_lines (
    outlet TEXT NOT NULL, key INTEGER NOT NULL, line TEXT, articles INTEGER NOT NULL, first_seen TEXT NOT NULL,
    PRIMARY KEY (outlet, key)
) WITHOUT ROWID;
-- Partial: most lines occur once and never enter the index (cheap inserts).
CREATE INDEX IF NOT EXISTS outlet_lines_recurring ON outlet_lines(outlet, articles) WHERE articles >= 2;
-- Outlet aliases (dedup outlets --alias NAME=TARGET): NAME is TARGET wherever outlets are
-- compared. key is NAME case-folded (dedup.outlets.outlet_key), name and target as given.
CREATE TABLE IF NOT EXISTS outlet_aliases (key TEXT PRIMARY KEY, name TEXT NOT NULL, target TEXT NOT NULL) WITHOUT ROWID;
""".replace("{memberships}", ";\n".join(_MEMBERSHIPS) + ";")

_ARTICLE_COLS = (
    "a.doc, a.id, a.url, a.outlet, a.title, a.text, a.published_at, a.time_precision, a.published_raw, "
    "a.record_hash, a.n_shingles, a.stripped, a.indexed_at, m.story_id"
)
_ARTICLES = "articles a LEFT JOIN memberships m ON m.doc = a.doc"
# SQLite's default limit on host parameters is 32766; stay well below it.
_CHUNK = 900
# The meta rows listing the LSH segments cannot be parsed.
_UNREADABLE_LIST = "the list of LSH segments in the meta table is unreadable"
# Articles whose candidates are looked up at once (see candidates()).
_CANDIDATE_CHUNK = 20000
# Articles whose band keys are read at once when sealing (see seal_index()).
_SEAL_CHUNK = 65536


# A story with copies has members from two or more outlets (see Store.multi_outlet_stories):
# compared as dedup.outlets compares them, case-folded (ASCII here) and through the aliases.
_ALIASED = "LEFT JOIN outlet_aliases al ON al.key = lower(a.outlet)"
_COPIES = "HAVING COUNT(DISTINCT lower(COALESCE(al.target, a.outlet))) > 1"


def _select_in(conn: sqlite3.Connection, sql: str, values: Sequence[object]) -> Iterator[tuple[Any, ...]]:
    """Rows of ``sql`` with its ``{in}`` placeholder bound to ``values``, in chunks below
    SQLite's host-parameter limit (rows come chunk by chunk: order only within a chunk)."""
    for i in range(0, len(values), _CHUNK):
        chunk = list(values[i : i + _CHUNK])
        yield from conn.execute(sql.format(cols=_ARTICLE_COLS, **{"in": ",".join("?" * len(chunk))}), chunk)


class _Run(NamedTuple):
    """One sorted run of bucket entries (a segment, or the unsealed tail) and the docs it covers."""

    keys: np.ndarray
    docs: np.ndarray
    lo: int
    hi: int
    segment: Segment | None = None


def _in_range(hits: np.ndarray, run: _Run, column: int | None = None) -> np.ndarray:
    """The rows of ``hits`` whose docs (one ``column``, or all) lie in the docs ``run`` covers:
    a segment damaged after it was opened (or written before digests) can give
    wrong candidates, but never a doc number that makes a lookup fail."""
    d = hits if column is None else hits[:, column : column + 1]
    ok = ((d >= run.lo) & (d <= run.hi)).all(axis=1)
    return hits if ok.all() else hits[ok]


def _decode_keys(rows: Sequence[tuple[int, bytes]]) -> tuple[np.ndarray, np.ndarray]:
    """(docs, band keys (n, bands)) from (doc, band_keys blob) rows."""
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty((0, 0), dtype=np.int64)
    keys = np.frombuffer(b"".join(blob for _, blob in rows), dtype="<i8").reshape(len(rows), -1)
    return np.array([d for d, _ in rows], dtype=np.int64), keys.astype(np.int64, copy=False)


def _decode_signatures(rows: Sequence[tuple[int, bytes, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(docs, signatures uint32[n, num_perm], n_shingles) of (doc, signature, n_shingles) rows."""
    docs = np.array([r[0] for r in rows], dtype=np.int64)
    sizes = np.array([r[2] for r in rows], dtype=np.int64)
    if not rows:
        return docs, np.empty((0, 0), dtype=np.uint32), sizes
    return docs, np.frombuffer(b"".join(r[1] for r in rows), dtype="<u4").reshape(len(rows), -1), sizes


def _remove(path: Path) -> None:
    """A file, or a sort's directory of temporary runs, in the LSH folder."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _checkpoint(db: Path) -> None:
    """Copy the WAL's pages into ``db`` (a passive checkpoint: it waits for no one), on a
    connection of its own. A failure leaves the WAL as it is, whole and valid: the next
    checkpoint (close) copies it."""
    with suppress(sqlite3.Error):
        conn = sqlite3.connect(db, isolation_level=None, timeout=30)
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()


def _schema_version(conn: sqlite3.Connection) -> str | None:
    """The store's schema version; None for a new, empty database."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone() is None:
        return None
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return None if row is None else str(row[0])


def _row_to_article(r: sqlite3.Row) -> StoredArticle:
    return StoredArticle(
        doc=r[0], id=r[1], url=r[2], outlet=r[3], title=r[4], text=r[5], published_at=r[6],
        time_precision=r[7], published_raw=r[8], record_hash=r[9], n_shingles=r[10],
        stripped=tuple(json.loads(r[11])), indexed_at=r[12], story_id=r[13],
    )


def select_lines(
    totals: dict[str, int], outlets: Iterable[str] | None, min_articles: int, min_share: float, pending: LineCounts | None,
    recurring: Callable[[str, float], list[tuple[str, int, str]]],
    reachable: Callable[[str, float], dict[int, tuple[str | None, int, str]]],
) -> dict[str, tuple[int, list[tuple[str, int, str]]]]:
    """:meth:`Store.outlet_lines` over a store's queries (shared by both stores): ``totals``
    outlet → articles counted; ``recurring(outlet, floor)`` the stored lines in ``floor``
    articles or more, most frequent first; ``reachable(outlet, reach)`` key → (line, n,
    first seen) of the stored lines in ``reach`` articles or more (at least 1)."""
    extra: dict[str, dict[int, tuple[str, int]]] = {}
    at = ""  # when the pending lines were counted
    if pending is not None:
        at = pending.at
        for o, n in pending.articles.items():
            totals[o] = totals.get(o, 0) + n
        for o, k, text, n in pending.lines:
            extra.setdefault(o, {})[k] = (text, n)
    wanted = sorted(totals) if outlets is None else sorted({o for o in outlets if o in totals})
    out: dict[str, tuple[int, list[tuple[str, int, str]]]] = {}
    for o in wanted:
        floor = max(min_articles, min_share * totals[o])
        if o not in extra:
            out[o] = (totals[o], recurring(o, floor))
            continue
        # A stored line below ``reach`` cannot get to the floor with this batch: the
        # query reads what may, not every line the outlet ever had (most occur once).
        reach = floor - max(n for _, n in extra[o].values())
        out[o] = (totals[o], merged_lines(reachable(o, reach), extra[o], at, floor))
    return out


def merged_lines(
    found: dict[int, tuple[str | None, int, str]], extra: dict[int, tuple[str, int]], at: str, floor: float
) -> list[tuple[str, int, str]]:
    """Stored lines (key → (line, n, first seen)) with a batch's ``extra`` sightings added:
    those in ``floor`` articles or more, most frequent first."""
    merged = []
    for k, (line, n, first) in found.items():
        text, more = extra.get(k, (line, 0))
        merged.append((line or text, n + more, first))
    # Lines the store does not hold at all (or holds below the reach read: then they miss the floor anyway).
    merged += [(text, n, at) for k, (text, n) in extra.items() if k not in found]
    kept = [(str(line), n, first) for line, n, first in merged if line is not None and n >= floor and n >= 2]
    return sorted(kept, key=lambda r: (-r[1], r[0]))


def row_invariants(count: Callable[[str], int], where: str) -> list[Finding]:
    """The invariants of the membership and story tables, shared by both stores
    (``count`` runs a COUNT query)."""
    out: list[Finding] = []
    n = count("SELECT COUNT(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.doc = a.doc)")
    if n:
        out.append(Finding(where, f"articles without a membership row: {n:,}"))
    n = count("SELECT COUNT(*) FROM memberships m WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.doc = m.doc)")
    if n:
        out.append(Finding(where, f"membership rows of no article: {n:,}"))
    n = count(
        "SELECT COUNT(*) FROM memberships m WHERE m.story_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM stories s WHERE s.story_id = m.story_id)"
    )
    if n:
        out.append(Finding(where, f"articles in a story missing from the stories table: {n:,}"))
    n = count(
        # (a story whose members all wait to be re-clustered keeps them as prev_story)
        "SELECT COUNT(*) FROM stories WHERE story_id NOT IN "
        "(SELECT story_id FROM memberships WHERE story_id IS NOT NULL UNION SELECT prev_story FROM memberships WHERE prev_story IS NOT NULL)"
    )
    if n:
        out.append(Finding(where, f"stories without a member: {n:,}"))
    return out


def pending_note(count: Callable[[str], int], where: str) -> list[Finding]:
    """Articles waiting to be clustered: worth saying, not damage."""
    n = count("SELECT COUNT(*) FROM memberships WHERE story_id IS NULL")
    if not n:
        return []
    return [Finding(where, f"articles waiting to be clustered: {n:,} (an index run was interrupted; 'dedup index' completes it)", damage=False)]


# Writer locks held by this process. A forked child (the background reader, the
# page pool) closes its copies at once: a flock belongs to every descriptor of
# the open file, so a child outliving a killed parent would keep the store
# locked. Closing a copy (not unlocking it) leaves the parent's lock alone.
_HELD: set[IO[str]] = set()


def _drop_inherited_locks() -> None:
    for fh in _HELD:
        fh.close()
    _HELD.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)


def discard_if_empty(path: Path, *, keep_settings: bool = True) -> bool:
    """Remove the store at ``path`` if it holds nothing (no settings, no article; with
    ``keep_settings`` False, settings alone count as nothing): its own files only,
    then the directory if nothing else is in it.

    For a run refused before it wrote anything, or that created the store and found
    nothing to index; never touches a store in use (its writer lock is tried first)
    or files the store did not make."""
    db = path / DB_NAME
    if not db.exists():
        return False
    probe = SQLiteStore.open(path, create=False)
    try:
        probe.lock_writer()
        if (keep_settings and probe.get_meta("params") is not None) or not probe.is_empty():
            return False
    except StoreError:
        return False
    finally:
        probe.close()
    with translated(db):
        for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", WRITER_LOCK, SIGNATURES):
            (path / name).unlink(missing_ok=True)
    for directory in (path / LSH_DIR, path):
        try:
            directory.rmdir()  # only if empty
        except OSError:
            pass
    return not path.exists()


class _StoredPages:
    """Page key → id of the article stored from that page, as of the run's start: docs up
    to ``upto`` only (doc numbers only grow), so a page read twice in one run is found
    a duplicate, as before, not unchanged. Its own read-only connection, opened in the
    process that asks (the reader may be a forked child: a connection must not cross a fork)."""

    def __init__(self, db: Path, upto: int) -> None:
        self._db = db
        self._upto = upto
        self._conn: sqlite3.Connection | None = None
        self._pid = 0

    def __call__(self, page_key: str) -> str | None:
        if self._upto == 0:
            return None
        if self._conn is None or self._pid != os.getpid():
            self._conn = sqlite3.connect(f"{self._db.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
            self._pid = os.getpid()
        row = self._conn.execute("SELECT id FROM articles WHERE page_key=? AND doc<=?", (page_key, self._upto)).fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None


@guarded(lambda store: store.path / DB_NAME, lambda store: store._damage())
class SQLiteStore:
    """SQLite in WAL mode at ``<path>/dedup.sqlite``.

    Every public method turns a database or file-system error (a full disk, an
    I/O error, a damaged file) into one :class:`StoreError` (``faults.py``)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._writer: IO[str] | None = None
        # A bulk load's LSH entries, sorted as its batches are written (begin_bulk), so that
        # sealing it merges runs instead of reading every band key back from the rows.
        self._bulk: SegmentBuilder | None = None
        self._checkpointing: threading.Thread | None = None  # end_bulk's

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> SQLiteStore:
        db = path / DB_NAME
        with translated(db):
            return cls._open(path, db, create)

    @classmethod
    def _open(cls, path: Path, db: Path, create: bool) -> SQLiteStore:
        if not db.exists():
            if path.exists() and not path.is_dir():
                raise StoreError(f"{path} is a file, not a store directory")
            if not create:
                raise StoreError(f"no store at {path}: run 'dedup index' first, or pass --store / set DEDUP_STORE")
            path.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(db, isolation_level=None, timeout=30)
        try:
            # 16 KiB pages (new stores only; an existing file keeps its own): a
            # news article's row (~4 KB) fits in a page instead of spilling into
            # overflow pages. 30k articles indexed 10-14% faster, side by side.
            conn.execute("PRAGMA page_size=16384")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA cache_size=-65536")
            version = _schema_version(conn)
            if version is None or version == SCHEMA_VERSION:
                conn.executescript(_SCHEMA)
                for ddl in _KEYS:
                    conn.execute(ddl)
            store = cls(conn, path)
            if version is None:
                store.set_meta("schema_version", SCHEMA_VERSION)
            elif version in ("3", "4", "5", "6"):
                if version == "3":
                    store._migrate_from_3()
                if version in ("3", "4"):
                    store._migrate_from_4()
                if version in ("3", "4", "5"):
                    store._migrate_from_5()
                store._migrate_from_6()
            elif version != SCHEMA_VERSION:
                raise StoreError(f"{db}: store schema {version}, this dedup reads {SCHEMA_VERSION}; re-index into a new store")
        except BaseException:
            conn.close()
            raise
        return store

    def _migrate_from_3(self) -> None:
        """Schema 3 → 4: story ids move to their own table, LSH buckets from a SQL table to segments."""
        conn = self._conn
        with self._transaction():
            for ddl in _MEMBERSHIPS:
                conn.execute(ddl)
            conn.execute("INSERT INTO memberships(doc, story_id, prev_story) SELECT doc, story_id, prev_story FROM articles")
            conn.execute("DROP INDEX IF EXISTS articles_story")
            conn.execute("ALTER TABLE articles DROP COLUMN story_id")
            conn.execute("ALTER TABLE articles DROP COLUMN prev_story")
            conn.execute("DROP TABLE IF EXISTS buckets")
            self.set_meta("schema_version", "4")
        self.seal_index()

    def _migrate_from_4(self) -> None:
        """Schema 4 → 5: stories carry change sequence numbers, the nightly report's clock.

        The old clock maps onto two steps of the new one, so that the first nightly report
        after the upgrade holds exactly what it held before: a story changed after the last
        report's time (``last_report_at``) is at change 2, any other at change 1, and that
        report's mark is change 1. A store never reported on puts everything at 1, unmarked."""
        conn = self._conn
        with self._transaction():
            if self.get_meta("schema_version") != "4":  # another process migrated it meanwhile
                return
            last = self.get_meta("last_report_at")
            for col in ("created_seq", "changed_seq"):
                conn.execute(f"ALTER TABLE stories ADD COLUMN {col} INTEGER NOT NULL DEFAULT 0")
            # The same comparisons as schema 4's report made (ISO 8601 UTC text).
            conn.execute(
                "UPDATE stories SET created_seq = 1 + (?1 IS NOT NULL AND created_at > ?1), "
                "changed_seq = 1 + (?1 IS NOT NULL AND updated_at > ?1)",
                (last,),
            )
            self.set_meta("change_seq", "1" if last is None else "2")
            if last is not None:
                self.set_meta("last_report_seq", "1")
            self.set_meta("schema_version", "5")
        conn.executescript(_SCHEMA)  # tables added since the store's schema (a schema 3 store has no outlet_* tables)

    def _migrate_from_5(self) -> None:
        """Schema 5 → 6: articles gain url_key (filled here, one UPDATE: 20k rows in 0.4 s)
        and page_key (unknown for stored articles: learned when their pages are read again)."""
        conn = self._conn
        conn.create_function("url_key", 1, lambda u: url_key(u) or None, deterministic=True)
        with self._transaction():
            if self.get_meta("schema_version") != "5":  # another process migrated it meanwhile
                return
            conn.execute("ALTER TABLE articles ADD COLUMN url_key TEXT")
            conn.execute("ALTER TABLE articles ADD COLUMN page_key TEXT")
            conn.execute("UPDATE articles SET url_key = url_key(url)")
            for ddl in _KEYS:
                conn.execute(ddl)
            self.set_meta("schema_version", "6")

    def _migrate_from_6(self) -> None:
        """Schema 6 → 7: the outlet alias table (empty)."""
        with self._transaction():
            if self.get_meta("schema_version") != "6":  # another process migrated it meanwhile
                return
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS outlet_aliases (key TEXT PRIMARY KEY, name TEXT NOT NULL, target TEXT NOT NULL) WITHOUT ROWID"
            )
            self.set_meta("schema_version", "7")

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Reads inside see one committed state (a WAL read transaction), whatever an index run
        commits meanwhile; nested, the outer one holds."""
        if self._conn.in_transaction:
            yield
            return
        self._conn.execute("BEGIN")  # deferred: the snapshot is taken at the first read
        try:
            yield
        except BaseException:
            # The error inside is the one to report, not a failed end of the read after it
            # (on a damaged database, COMMIT fails too).
            with suppress(sqlite3.Error):
                self._conn.execute("COMMIT")
            raise
        with translated(self.path / DB_NAME):
            self._conn.execute("COMMIT")  # nothing was written: this ends the read

    def _damage(self) -> str | None:
        """The first problem SQLite's integrity check finds (None: none); it also compares
        every index with its table, which is where a flipped byte in a value shows."""
        try:
            rows = self._conn.execute("PRAGMA integrity_check(1)").fetchall()
        except sqlite3.Error as exc:
            return str(exc)
        return None if rows == [("ok",)] else str(rows[0][0])

    @contextmanager
    def _transaction(self, undo: Callable[[], None] | None = None) -> Iterator[None]:
        """One atomic write: all of it is committed, or none of it (even on Ctrl-C);
        ``undo`` is called when none of it is."""
        self._checkpointed(wait=False)
        self._conn.execute("BEGIN IMMEDIATE")  # takes the write lock now, not at the first write
        try:
            yield
            self._conn.execute("COMMIT")
        except BaseException:
            # SQLite may have rolled back already (a full disk, an I/O error): then
            # ROLLBACK would fail and hide the error that matters.
            if self._conn.in_transaction:
                with suppress(sqlite3.Error):  # the connection is closed next: SQLite discards the transaction then
                    self._conn.execute("ROLLBACK")
            if undo is not None:
                undo()
            raise

    # -- meta ---------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # -- articles -----------------------------------------------------------
    def known(self, ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        out: dict[str, tuple[int, str]] = {}
        for ident, doc, h in _select_in(self._conn, "SELECT id, doc, record_hash FROM articles WHERE id IN ({in})", ids):
            out[ident] = (doc, h)
        return out

    def write_articles(
        self, new: Sequence[NewArticle], replace: dict[str, int], now: str, counts: LineCounts | None = None
    ) -> list[int]:
        conn = self._conn
        with self._transaction():  # holds the write lock: doc numbers below are ours
            # Never a number a pruned article had: its LSH entries may still be sealed under it.
            next_doc = self._doc_ceiling() + 1
            docs: list[int] = []
            inserts: list[tuple[object, ...]] = []
            members: list[tuple[int, str | None]] = []
            for a in new:
                prev: str | None = None
                old = replace.get(a.id)
                if old is not None:
                    # A replaced article gets a new doc number, so that LSH entries of its
                    # old text (sealed in segments) point to a doc that no longer exists.
                    row = conn.execute("SELECT COALESCE(story_id, prev_story) FROM memberships WHERE doc=?", (old,)).fetchone()
                    prev = None if row is None else row[0]
                    if prev is not None:
                        # The story it was in is re-clustered: its other members may no longer belong together.
                        conn.execute(
                            "UPDATE memberships SET prev_story=story_id, story_id=NULL WHERE story_id=?", (prev,)
                        )
                    conn.execute("DELETE FROM articles WHERE doc=?", (old,))  # its membership goes with it
                doc = next_doc
                next_doc += 1
                inserts.append((
                    doc, a.id, a.url, a.outlet, a.title, a.text, a.published_at, a.time_precision,
                    a.published_raw, a.record_hash, a.n_shingles, a.signature.astype("<u4", copy=False).tobytes(),
                    a.band_keys.astype("<i8", copy=False).tobytes(),
                    json.dumps(list(a.stripped), ensure_ascii=False) if a.stripped else "[]", now,
                    url_key(a.url) or None, a.page_key or None,
                ))
                members.append((doc, prev))
                docs.append(doc)
            conn.executemany(
                "INSERT INTO articles(doc, id, url, outlet, title, text, published_at, time_precision, "
                "published_raw, record_hash, n_shingles, signature, band_keys, stripped, indexed_at, url_key, page_key) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                inserts,
            )
            conn.executemany("INSERT INTO memberships(doc, story_id, prev_story) VALUES (?, NULL, ?)", members)
            if counts is not None:
                self._count_lines(counts)
        if docs and sigfile.last_doc(self.path / SIGNATURES) == docs[0] - 1:
            # Committed, and the file holds every doc before them: added now, not read back from
            # the rows at the end of the run (~4% of a bulk load's time).
            sigs = np.stack([a.signature for a in new]).astype("<u4", copy=False)
            sigfile.append(self.path / SIGNATURES, np.array(docs), np.array([a.n_shingles for a in new]), sigs)
        if docs and self._bulk is not None:
            self._bulk_add(self._bulk, docs, new, replace)
        return docs

    def _bulk_add(self, bulk: SegmentBuilder, docs: list[int], new: Sequence[NewArticle], replace: dict[str, int]) -> None:
        """A committed batch's LSH entries to the bulk load's sort. Any trouble (a replaced
        article, whose old entries the rows no longer hold; a full disk) ends it: the seal then
        reads the rows, which are the truth, and meets the trouble itself."""
        try:
            if replace:
                raise ValueError("an article was replaced")
            bulk.add(np.array(docs, dtype=np.int64), np.stack([a.band_keys for a in new]))
        except (ValueError, OSError, StoreError):
            bulk.abort()
            self._bulk = None

    def article_count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def is_empty(self) -> bool:
        return self._conn.execute("SELECT NOT EXISTS (SELECT 1 FROM articles)").fetchone()[0] == 1

    def begin_bulk(self) -> None:
        """A large load into an empty store starts."""
        # No WAL checkpoints while loading: each would copy the pages just written
        # into the database file again; one checkpoint at the end does it once.
        # (A rollback journal instead, which writes appended pages only once,
        # measured no faster: 7.40 s vs 7.43 s for 30k articles, medians of 3.)
        self._conn.execute("PRAGMA wal_autocheckpoint=0")
        if self._bulk is None and self.is_empty() and not self._segment_infos()[0]:
            self._bulk = SegmentBuilder(self.path / LSH_DIR)

    def end_bulk(self) -> None:
        # The load's WAL is folded into the database file on a second connection and thread
        # while the run goes on (sqlite lets go of the GIL): 0.7 s of a 100k load off its path.
        # Readers and the run's own writes go on meanwhile (WAL); close() waits for it, then
        # checkpoints what came after. Automatic checkpoints resume once it is done.
        self._checkpointing = threading.Thread(target=_checkpoint, args=(self.path / DB_NAME,), name="dedup-checkpoint")
        self._checkpointing.start()

    def _checkpointed(self, wait: bool = True) -> None:
        """After end_bulk's checkpoint (waited for, or only if done): automatic checkpoints again."""
        if self._checkpointing is not None and (wait or not self._checkpointing.is_alive()):
            self._checkpointing.join()
            self._checkpointing = None
            self._conn.execute("PRAGMA wal_autocheckpoint=1000")

    def pending(self) -> list[int]:
        return [r[0] for r in self._conn.execute("SELECT doc FROM memberships WHERE story_id IS NULL ORDER BY doc")]

    # -- LSH buckets (segments.py) --------------------------------------------
    def lsh_segments(self) -> list[SegmentInfo]:
        """The current LSH segments, oldest first."""
        return self._segment_infos()[0]

    def _segment_infos(self) -> tuple[list[SegmentInfo], int]:
        """The current segments, oldest first, and the last doc they cover (one statement:
        a consistent pair even while another run seals)."""
        meta = dict(self._conn.execute("SELECT key, value FROM meta WHERE key IN ('lsh_segments', 'lsh_sealed')"))
        raw = meta.get("lsh_segments")
        try:
            infos = [SegmentInfo.from_json(d) for d in json.loads(raw)] if raw else []
            return infos, int(meta.get("lsh_sealed") or 0)
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{self.path / DB_NAME}: {_UNREADABLE_LIST} ({exc}); {REPAIR_ADVICE}") from exc

    def _snapshot(self) -> tuple[list[Segment], np.ndarray, np.ndarray]:
        """The segments and the unsealed tail (docs, band keys) as of one read transaction,
        so that an index run sealing meanwhile can neither hide articles nor show them twice."""
        in_txn = self._conn.in_transaction
        if not in_txn:
            self._conn.execute("BEGIN")
        try:
            infos, sealed = self._segment_infos()
            tail_docs, tail_keys = self._tail(sealed)
        finally:
            if not in_txn:
                self._conn.execute("COMMIT")
        return [Segment.open(self.path / LSH_DIR, i) for i in infos], tail_docs, tail_keys

    def _index(self) -> list[_Run]:
        """Every sorted (keys, docs) run to search: the segments, then the unsealed tail.

        A concurrent index run may merge segments away between reading the list and
        opening the files: then the snapshot is taken again, once."""
        try:
            segs, tail_docs, tail_keys = self._snapshot()
        except FileNotFoundError:
            try:
                segs, tail_docs, tail_keys = self._snapshot()
            except FileNotFoundError as exc:
                raise StoreError(
                    f"{exc.filename}: an LSH segment the store lists is missing; "
                    "run 'dedup index' on this store (any input, even one already indexed) to rebuild the index"
                ) from None
        runs = [_Run(seg.keys, seg.docs, seg.info.lo, seg.info.hi, seg) for seg in segs]
        if tail_docs.size:
            keys, docs = Segment.sort(tail_keys.reshape(-1), np.repeat(tail_docs, tail_keys.shape[1]))
            runs.append(_Run(keys, docs, int(tail_docs[0]), int(tail_docs[-1])))
        return runs

    def _tail(self, sealed: int) -> tuple[np.ndarray, np.ndarray]:
        """(docs, band keys (n, bands)) of the articles after ``sealed``: not in a segment yet."""
        return self._band_keys("SELECT doc, band_keys FROM articles WHERE doc > ? ORDER BY doc", (sealed,))

    def _key_chunks(self, where: str, args: Sequence[object]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(docs, band keys) of the articles ``where`` holds, in doc order, ``_SEAL_CHUNK`` at a time."""
        cur = self._conn.execute(f"SELECT doc, band_keys FROM articles WHERE {where} ORDER BY doc", args)
        while rows := cur.fetchmany(_SEAL_CHUNK):
            yield _decode_keys(rows)

    def _band_keys(self, sql: str, args: Sequence[object]) -> tuple[np.ndarray, np.ndarray]:
        return _decode_keys(self._conn.execute(sql, args).fetchall())

    def _keys_of(self, docs: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        found: dict[int, bytes] = dict(_select_in(self._conn, "SELECT doc, band_keys FROM articles WHERE doc IN ({in})", docs))
        return _decode_keys([(d, found[d]) for d in docs if d in found])

    def _alive(self, docs: np.ndarray) -> np.ndarray:
        """The subset of ``docs`` (unique) still stored: segments keep entries of replaced articles."""
        if docs.size == 0:
            return docs
        got = [d for (d,) in _select_in(self._conn, "SELECT doc FROM articles WHERE doc IN ({in})", docs.tolist())]
        return np.sort(np.array(got, dtype=np.int64))

    @staticmethod
    def _lookup(runs: list[_Run], query_keys: np.ndarray, cap: int | None) -> np.ndarray:
        """(query position, doc) pairs for flat ``query_keys`` over ``runs``."""
        found = [_in_range(bucket_join(r.keys, r.docs, query_keys, cap), r, 1) for r in runs]
        return np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)

    def _covered(self, run: _Run, asked: np.ndarray) -> bool:
        """Whether every stored doc of ``run`` is among ``asked`` (sorted): then its
        candidate pairs are its own buckets' pairs (a bulk load: no search needed)."""
        n_asked = int(np.searchsorted(asked, run.hi, side="right") - np.searchsorted(asked, run.lo, side="left"))
        if n_asked == 0:
            return False
        stored = self._conn.execute("SELECT COUNT(*) FROM articles WHERE doc BETWEEN ? AND ?", (run.lo, run.hi)).fetchone()[0]
        return n_asked == stored

    def _clique_cap(self) -> int:
        """Bucket size above which a bucket links as a star, for the store's band rows."""
        params = self.get_meta("params")
        return clique_cap(int(json.loads(params)["rows"])) if params else clique_cap(3)

    def candidates(self, docs: Sequence[int], keep: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
        runs = self._index()
        cap = self._clique_cap()
        asked_sorted = sorted_unique(np.asarray(docs, dtype=np.int64))
        packed_parts: list[np.ndarray] = []
        asked: list[np.ndarray] = []
        # The largest run whose docs are all asked for (the whole store, in a bulk
        # load) gives its pairs by a scan; every asked doc is still looked up in the
        # other runs, which finds the pairs across runs. (One run only: two scanned
        # runs would miss the pairs between them.)
        for r in sorted(runs, key=lambda r: -r.keys.size):
            if self._covered(r, asked_sorted):
                # A segment is read from its files chunk by chunk: its memory-mapped
                # pages would otherwise all stay resident (the whole store, in a bulk load).
                read = r.segment.run_file(self.path / LSH_DIR).read if r.segment is not None else None
                for part in iter_within_pairs(r.keys, r.docs, cap, read):
                    packed_parts.append(packed_pairs(*_in_range(part, r).T, keep))
                runs = [x for x in runs if x is not r]
                break
        if not runs:  # (a bulk load: no run left to look keys up in, only which asked docs exist)
            asked.append(self._alive(asked_sorted))
        # In chunks: the per-key intermediates would otherwise grow with the docs asked.
        for i in range(0, len(docs) if runs else 0, _CANDIDATE_CHUNK):
            qdocs, qkeys = self._keys_of(docs[i : i + _CANDIDATE_CHUNK])
            if qdocs.size == 0:
                continue
            asked.append(qdocs)
            hits = self._lookup(runs, qkeys.reshape(-1), cap)
            a, b = qdocs[hits[:, 0] // qkeys.shape[1]], hits[:, 1]
            other = a != b
            packed_parts.append(packed_pairs(a[other], b[other], keep))
        if not packed_parts:
            return np.empty((0, 2), dtype=np.int64)
        packed = sorted_unique(np.concatenate(packed_parts))
        pairs = unpacked_pairs(packed)
        # Docs found in segments may have been replaced since; the queried ones exist.
        # (isin, not setdiff1d: that is np.unique of every pair's docs, hashed: 7 s at 100k articles)
        flat = pairs.reshape(-1)
        others = sorted_unique(flat[~np.isin(flat, np.concatenate(asked))])
        if others.size == 0:
            return pairs
        gone = np.setdiff1d(others, self._alive(others))
        return pairs[~np.isin(pairs, gone).any(axis=1)] if gone.size else pairs

    def candidates_for_keys(self, band_keys: np.ndarray) -> list[int]:
        hits = self._lookup(self._index(), np.asarray(band_keys, dtype=np.int64).reshape(-1), None)
        return self._alive(sorted_unique(hits[:, 1])).tolist()

    def seal_index(self, rebuild: Iterable[str] = (), rebuild_all: bool = False) -> list[Finding]:
        """Make every stored article findable through segments alone: the unsealed
        tail becomes a new segment, and small segments are merged. Atomic: the
        segment list changes in one transaction, files not in it are removed.

        A listed segment whose file is missing or damaged (its digest differs) is
        rebuilt from the band keys in the rows, which are the truth, as are the
        segments named in ``rebuild`` (every one: ``rebuild_all``); returns what was
        found missing or damaged."""
        directory = self.path / LSH_DIR
        retired: list[Segment] = []
        with self._transaction(undo=self._discarder()):
            infos: list[SegmentInfo] = []
            sealed = 0
            repaired: list[Finding] = []
            if not rebuild_all:
                try:
                    infos, sealed = self._segment_infos()
                except StoreError as exc:  # the list itself: every segment is rebuilt
                    rebuild_all = True
                    repaired.append(Finding("lsh_segments", f"{_UNREADABLE_LIST} ({exc.__cause__})", derived=True, repaired=True))
            segs, found = self._verified(directory, infos, set(rebuild))
            repaired += found
            # The tail is read and sorted in chunks; a bulk load's (the whole store) was sorted
            # as it was written, when that covers it exactly (nothing replaced or removed since).
            bulk, self._bulk = self._bulk, None
            if bulk is not None and self._tail_is(sealed, bulk):
                built = bulk.finish()
            else:
                if bulk is not None:
                    bulk.abort()
                built = Segment.build_chunked(directory, self._key_chunks("doc > ?", (sealed,)))
            if built is not None:
                segs.append(built)
                k = plan_merges([s.info.entries for s in segs])
                if k > 1:
                    group = segs[-k:]
                    lo, hi = group[0].info.lo, group[-1].info.hi
                    cur = self._conn.execute("SELECT doc FROM articles WHERE doc BETWEEN ? AND ? ORDER BY doc", (lo, hi))
                    alive = np.fromiter((d for (d,) in cur), dtype=np.int64)
                    merged = merge(directory, group, alive)
                    retired = group
                    segs = segs[:-k] + [merged]
                sealed = max(sealed, built.info.hi)
            if rebuild_all or built is not None or repaired or [s.info for s in segs] != infos:
                self.set_meta("lsh_segments", json.dumps([s.info.to_json() for s in segs]))
                self.set_meta("lsh_sealed", str(sealed))
        self._remove_unlisted(retired)
        return repaired

    def _tail_is(self, sealed: int, bulk: SegmentBuilder) -> bool:
        """Whether the rows after ``sealed`` are exactly the docs ``bulk`` holds (it holds every
        doc written since the store was empty: the same count and ends means none is gone)."""
        # (counted in memberships, a row per article: counting the wide article rows reads them all)
        n = self._conn.execute("SELECT COUNT(*) FROM memberships WHERE doc > ?", (sealed,)).fetchone()[0]
        ends = [self._conn.execute(f"SELECT doc FROM articles WHERE doc > ? ORDER BY doc {way} LIMIT 1", (sealed,)).fetchone()
                for way in ("ASC", "DESC")]
        return n > 0 and (n, ends[0][0], ends[1][0]) == (bulk.docs, bulk.first, bulk.last)

    def _discarder(self) -> Callable[[], None]:
        """The undo of a transaction that writes segment files: files written for a transaction
        that does not commit are never listed, and their space is given back at once, not by
        the next run (a full disk needs it)."""
        directory = self.path / LSH_DIR
        existing = set(directory.iterdir()) if directory.exists() else set()

        def discard() -> None:
            for p in set(directory.iterdir()) - existing if directory.exists() else ():
                _remove(p)

        return discard

    def _remove_unlisted(self, retired: Iterable[Segment]) -> None:
        """After a committed change to the segment list: the files of the ``retired`` segments,
        leftovers of an interrupted run (files the store never listed) and damaged files
        replaced. Written only under the write lock, so no other run is writing one now."""
        directory = self.path / LSH_DIR
        current = {i.name for i in self._segment_infos()[0]}
        for seg in retired:
            seg.remove_files(directory)
        if directory.exists():
            for p in directory.iterdir():
                if p.name.split(".")[0] not in current:
                    _remove(p)

    # -- retention ----------------------------------------------------------------
    def prune(self, before: datetime, dry_run: bool = False) -> PruneResult:
        """See :meth:`Store.prune`. One transaction: the segments holding a pruned article's
        band keys are rewritten without them (beside, synced, renamed, as any segment) and
        listed in the transaction that deletes the rows, so a prune killed at any point leaves
        the store as it was or pruned, and the same command completes it.

        Rewritten, not filtered by readers: the oldest articles are the centres of the star
        buckets (``MAX_CLIQUE_BUCKET``), and a star whose centre is filtered out after the cap
        links nothing."""
        conn = self._conn
        retiring: list[Segment] = []
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS pruned (doc INTEGER PRIMARY KEY)")
        try:
            with self.reading() if dry_run else self._transaction(undo=self._discarder()):
                conn.execute("DELETE FROM temp.pruned")
                undated = 0
                rows = conn.execute("SELECT doc, published_at, time_precision, published_raw, indexed_at FROM articles")
                while chunk := rows.fetchmany(_SEAL_CHUNK):
                    gone = []
                    for doc, published, precision, raw, indexed in chunk:
                        if expired(published, precision, raw, indexed, before):
                            gone.append((doc,))
                            undated += published is None
                    conn.executemany("INSERT INTO temp.pruned(doc) VALUES (?)", gone)
                n = int(conn.execute("SELECT COUNT(*) FROM temp.pruned").fetchone()[0])
                dropped, changed = self._pruned_stories()
                if n and not dry_run:
                    retiring = self._prune_rows(dropped)
        finally:
            conn.execute("DROP TABLE IF EXISTS temp.pruned")
        if not dry_run:  # (once the new list is committed; and the leftovers of a prune killed before)
            self._remove_unlisted(retiring)
        cut = before.astimezone(timezone.utc).isoformat()
        return PruneResult(cut, n, undated, len(dropped), tuple(sorted(changed)), dry_run)

    def _pruned_stories(self) -> tuple[set[str], set[str]]:
        """(stories left with no member, stories left with some) of the articles in temp.pruned."""
        c = self._conn
        # A member waiting to be re-clustered holds its story as prev_story.
        hit = {s for (s,) in c.execute(
            "SELECT COALESCE(m.story_id, m.prev_story) AS s FROM memberships m JOIN temp.pruned p ON p.doc = m.doc WHERE s IS NOT NULL"
        )}
        kept = {s for (s,) in c.execute(
            "SELECT DISTINCT m.story_id FROM memberships m WHERE m.story_id IN "
            "(SELECT COALESCE(m2.story_id, m2.prev_story) FROM memberships m2 JOIN temp.pruned p ON p.doc = m2.doc) "
            "AND m.doc NOT IN (SELECT doc FROM temp.pruned)"
        )}
        kept |= {s for (s,) in c.execute(
            "SELECT DISTINCT prev_story FROM memberships WHERE prev_story IS NOT NULL AND doc NOT IN (SELECT doc FROM temp.pruned)"
        )}
        return hit - kept, hit & kept

    def _prune_rows(self, dropped: set[str]) -> list[Segment]:
        """Inside the prune's transaction: every segment holding a doc of temp.pruned rewritten
        without it (and without entries of replaced articles), the rows deleted (memberships
        with them), the ``dropped`` stories removed; returns the segments retired."""
        c = self._conn
        directory = self.path / LSH_DIR
        gone = np.fromiter((d for (d,) in c.execute("SELECT doc FROM temp.pruned ORDER BY doc")), dtype=np.int64)
        infos, _ = self._segment_infos()
        segs: list[SegmentInfo] = []
        retired: list[Segment] = []
        for info in infos:
            if np.searchsorted(gone, info.hi, side="right") == np.searchsorted(gone, info.lo, side="left"):
                segs.append(info)  # holds no pruned article
                continue
            # (a missing or damaged file is rebuilt from the rows first, as seal_index does)
            opened, _ = self._verified(directory, [info], set())
            retired += opened
            cur = c.execute(
                "SELECT doc FROM articles WHERE doc BETWEEN ? AND ? AND doc NOT IN (SELECT doc FROM temp.pruned) ORDER BY doc",
                (info.lo, info.hi),
            )
            alive = np.fromiter((d for (d,) in cur), dtype=np.int64)
            if alive.size and opened:
                segs.append(merge(directory, opened, alive).info)
        top = int(c.execute("SELECT COALESCE(MAX(doc), 0) FROM articles").fetchone()[0])
        if top > int(self.get_meta("doc_high_water") or 0):
            self.set_meta("doc_high_water", str(top))
        c.execute("DELETE FROM articles WHERE doc IN (SELECT doc FROM temp.pruned)")  # memberships go with them
        c.executemany("DELETE FROM stories WHERE story_id=?", ((s,) for s in dropped))
        if segs != infos:
            self.set_meta("lsh_segments", json.dumps([i.to_json() for i in segs]))
        return retired

    def _verified(self, directory: Path, infos: list[SegmentInfo], rebuild: set[str]) -> tuple[list[Segment], list[Finding]]:
        """The listed segments, each opened and checked against its digest; one missing,
        damaged or named in ``rebuild`` is rebuilt from the rows of the docs it covers."""
        segs: list[Segment] = []
        repaired: list[Finding] = []
        for info in infos:
            if info.name not in rebuild:
                try:
                    segs.append(Segment.open(directory, info))
                    continue
                except FileNotFoundError as exc:
                    repaired.append(Finding(str(exc.filename), "missing", derived=True, repaired=True))
                except SegmentDamage as exc:
                    repaired.append(Finding(str(exc.path), exc.problem, derived=True, repaired=True))
            built = Segment.build_chunked(directory, self._key_chunks("doc BETWEEN ? AND ?", (info.lo, info.hi)), lo=info.lo, hi=info.hi)
            if built is not None:  # (none left: every article it covered was replaced since)
                segs.append(built)
        return segs, repaired

    # -- integrity ------------------------------------------------------------
    def check(self, repair: bool = False) -> list[Finding]:
        """What is wrong with the store: SQLite's ``quick_check``, the store's own
        invariants, every LSH segment (digest, or a scan when it has none), and the
        signature file against the rows.

        With ``repair`` (the caller holds the writer lock), the LSH index is rebuilt
        where it is damaged, and the signature file written afresh: both are derived from
        the articles. Damage to the database itself is reported only; a database error
        becomes a finding, not an exception."""
        db = str(self.path / DB_NAME)
        findings: list[Finding] = []
        try:
            problems = [str(r[0]) for r in self._conn.execute("PRAGMA quick_check(20)")]
        except sqlite3.DatabaseError as exc:
            problems = [str(exc)]
        # (one finding per line: a row can hold several, under a "*** in database main ***" heading)
        findings += [Finding(db, line) for p in problems if p != "ok" for line in p.splitlines() if not line.startswith("***")]
        try:
            findings += self._check_rows(db)
            lsh = self._check_segments()
            sig = self._check_signatures()
        except sqlite3.DatabaseError as exc:
            # (often what quick_check said already: "database disk image is malformed")
            return list(dict.fromkeys([*findings, Finding(db, str(exc))]))
        if repair and sig:
            # Derived from the rows, as the LSH index: written afresh (what a query scores).
            try:
                (self.path / SIGNATURES).unlink(missing_ok=True)
                self.save_signatures()
                left = {(f.where, f.problem) for f in self._check_signatures()}
            except (sqlite3.DatabaseError, OSError) as exc:
                return [*findings, *sig, Finding(db, f"rewriting {SIGNATURES} failed: {exc}")]
            sig = [replace(f, repaired=True) if (f.where, f.problem) not in left else f for f in sig]
        findings += sig
        if repair and lsh:  # (every LSH finding: damage, or a segment without a checksum)
            # A damaged list is rebuilt whole; damaged files one segment each.
            whole = any(f.where in ("lsh_segments", "lsh_sealed") for f in lsh)
            try:
                self.seal_index(rebuild={Path(f.where).name.split(".")[0] for f in lsh}, rebuild_all=whole)
                after = self._check_segments()
            except (sqlite3.DatabaseError, StoreError) as exc:  # (seal_index's errors are StoreErrors: a full disk)
                return [*findings, *lsh, Finding(db, f"rebuilding the LSH index failed: {exc}")]
            left = {(f.where, f.problem) for f in after}
            lsh = [replace(f, repaired=True) for f in lsh if (f.where, f.problem) not in left] + after
        return findings + lsh

    def _check_signatures(self) -> list[Finding]:
        """signatures.bin (what a query scores) against the rows: every stored article up to
        its last record is in it, with the row's signature and shingle count. Records of
        articles replaced or pruned since may stay (a reader keeps the docs still stored);
        rows after its last record are read from the database by whoever uses it."""
        path = self.path / SIGNATURES
        if not path.exists():
            return []  # (written at the end of the next index run)
        recs = sigfile.read(path)
        if recs is None:
            return [Finding(str(path), "not a signature file, or its records are out of doc order", derived=True)]
        if not recs.size:
            return []
        last = int(recs["doc"][-1])
        if last > self._doc_ceiling():
            return [Finding(str(path), f"its last record (doc {last}) is beyond every article this store gave a number: "
                                       "another store's file", derived=True)]
        missing = differ = 0
        cur = self._conn.execute("SELECT doc, signature, n_shingles FROM articles WHERE doc <= ? ORDER BY doc", (last,))
        while rows := cur.fetchmany(_SEAL_CHUNK):
            docs, sigs, sizes = _decode_signatures(rows)
            if sigs.shape[1] != recs["sig"].shape[1]:
                return [Finding(str(path), f"its signatures have {recs['sig'].shape[1]} values, the store's {sigs.shape[1]}", derived=True)]
            pos = np.minimum(np.searchsorted(recs["doc"], docs), len(recs) - 1)
            found = recs["doc"][pos] == docs
            missing += int((~found).sum())
            at = pos[found]
            differ += int(((recs["sig"][at] != sigs[found]).any(axis=1) | (recs["n"][at] != sizes[found])).sum())
        out = []
        if missing:
            out.append(Finding(str(path), f"{missing:,} stored {'article has' if missing == 1 else 'articles have'} no record in it: "
                                          "a query would never find them", derived=True))
        if differ:
            out.append(Finding(str(path), f"{differ:,} {'record differs' if differ == 1 else 'records differ'} from their article's "
                                          "signature: a query would score them wrongly", derived=True))
        return out

    def _check_rows(self, db: str) -> list[Finding]:
        """The invariants of the tables (each one query over an index or a table scan)."""
        c = self._conn

        def count(sql: str, *args: object) -> int:
            return int(c.execute(sql, args).fetchone()[0])

        out = row_invariants(count, db)
        row = c.execute("SELECT LENGTH(band_keys), LENGTH(signature) FROM articles LIMIT 1").fetchone()
        if row is not None:
            n = count("SELECT COUNT(*) FROM articles WHERE LENGTH(band_keys) != ? OR LENGTH(signature) != ?", *row)
            if n:
                out.append(Finding(db, f"articles whose band keys or signature differ in length from the first article's: {n:,}"))
        return out + pending_note(count, db)

    def _check_segments(self) -> list[Finding]:
        """Every listed segment against its digest (or scanned, without one), and the
        list against the rows: segments in order, every sealed article covered."""
        directory = self.path / LSH_DIR
        try:
            infos, sealed = self._segment_infos()
        except StoreError as exc:
            return [Finding("lsh_segments", f"{_UNREADABLE_LIST} ({exc.__cause__})", derived=True)]
        out: list[Finding] = []
        bands = self._conn.execute("SELECT LENGTH(band_keys) / 8 FROM articles LIMIT 1").fetchone()
        covered = 0  # articles in the segments' ranges (disjoint unless reported below)
        for info in infos:
            alive = int(self._conn.execute("SELECT COUNT(*) FROM articles WHERE doc BETWEEN ? AND ?", (info.lo, info.hi)).fetchone()[0])
            covered += alive
            try:
                seg = Segment.open(directory, info)
            except FileNotFoundError as exc:
                if info in self._segment_infos()[0]:  # not merged away by an index run meanwhile
                    out.append(Finding(str(exc.filename), "missing", derived=True))
                continue
            except SegmentDamage as exc:
                out.append(Finding(str(exc.path), exc.problem, derived=True))
                continue
            damage = seg.damage(directory) if info.digests is None else None
            if damage:
                out.append(Finding(str(damage[0]), damage[1], derived=True))
            elif info.digests is None:
                no_sum = "no checksum (written by an earlier dedup), scanned instead; --repair rebuilds it with one"
                out.append(Finding(str(directory / info.name), no_sum, damage=False, derived=True))
            if bands is not None and info.entries < alive * int(bands[0]):
                where = str(directory / info.name)
                out.append(Finding(where, f"lists {info.entries:,} entries, fewer than the {alive:,} articles it covers have", derived=True))
        for a, b in zip(infos, infos[1:]):
            if b.lo <= a.hi:
                out.append(Finding("lsh_segments", f"segments {a.name} and {b.name} overlap", derived=True))
        if infos and infos[-1].hi > sealed:
            out.append(Finding("lsh_sealed", f"segments cover docs up to {infos[-1].hi}, beyond lsh_sealed {sealed}", derived=True))
        upto = int(self._conn.execute("SELECT COUNT(*) FROM articles WHERE doc <= ?", (sealed,)).fetchone()[0])
        if covered < upto:
            out.append(Finding("lsh_sealed", f"articles up to doc {sealed} in no segment: {upto - covered:,}", derived=True))
        return out

    def signatures(self, docs: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        if not len(docs):
            return np.empty((0, 0), dtype=np.uint32), np.empty(0, dtype=np.int64)
        # Each row goes straight into its place in the result: no second copy of the
        # signatures (as bytes, then joined) for a bulk load's hundreds of thousands.
        where: dict[int, list[int]] = {}
        for i, d in enumerate(docs):
            where.setdefault(int(d), []).append(i)
        sigs: np.ndarray | None = None
        sizes = np.empty(len(docs), dtype=np.int64)
        for doc, sig, n in _select_in(self._conn, "SELECT doc, signature, n_shingles FROM articles WHERE doc IN ({in})", list(where)):
            row = np.frombuffer(sig, dtype="<u4")
            if sigs is None:
                sigs = np.empty((len(docs), row.size), dtype=np.uint32)
            pos = where.pop(doc)
            sigs[pos], sizes[pos] = row, n
        if where or sigs is None:
            raise KeyError(next(iter(where)))  # a doc not stored, as a lookup of it would say
        return sigs, sizes

    # -- stories ------------------------------------------------------------
    def stories_of(self, docs: Iterable[int]) -> dict[int, str]:
        # Docs with neither (new articles: all of them in a bulk load) are left out in SQL.
        q = "SELECT doc, COALESCE(story_id, prev_story) AS s FROM memberships WHERE doc IN ({in}) AND s IS NOT NULL"
        return dict(_select_in(self._conn, q, list(docs)))

    def identities(self, docs: Sequence[int]) -> dict[int, tuple[str, str]]:
        """doc → (article id, indexed_at), without reading the article's text."""
        q = "SELECT doc, id, indexed_at FROM articles WHERE doc IN ({in})"
        # A batch's articles share one indexed_at: one string each, not a copy per article.
        times: dict[str, str] = {}
        return {d: (i, times.setdefault(t, t)) for d, i, t in _select_in(self._conn, q, docs)}

    def dated(self, docs: Sequence[int]) -> dict[int, tuple[str, str | None, str]]:
        q = "SELECT doc, outlet, published_at, time_precision FROM articles WHERE doc IN ({in})"
        return {d: (o, p, t) for d, o, p, t in _select_in(self._conn, q, docs)}

    def story_members(self, story_ids: Iterable[str]) -> dict[str, list[int]]:
        ids = list(set(story_ids))
        out: dict[str, list[int]] = {s: [] for s in ids}
        # A story's rows all come in the chunk holding its id, so ORDER BY holds per story.
        for sid, doc in _select_in(self._conn, "SELECT story_id, doc FROM memberships WHERE story_id IN ({in}) ORDER BY doc", ids):
            out[sid].append(doc)
        return out

    def multi_outlet_stories(self, story_ids: Iterable[str]) -> set[str]:
        # A story's rows all come in the chunk holding its id, so each group is whole.
        q = (f"SELECT m.story_id FROM memberships m JOIN articles a ON a.doc = m.doc {_ALIASED} WHERE m.story_id IN ({{in}}) "
             f"GROUP BY m.story_id {_COPIES}")
        return {s for (s,) in _select_in(self._conn, q, list(set(story_ids)))}

    def story_created(self, story_ids: Iterable[str]) -> dict[str, str]:
        q = "SELECT story_id, created_at FROM stories WHERE story_id IN ({in})"
        return dict(_select_in(self._conn, q, list(set(story_ids))))

    def assign(self, assignments: dict[int, str], created: dict[str, str], touched: Iterable[str], dropped: Iterable[str], now: str) -> None:
        conn = self._conn
        with self._transaction():
            # Numbered inside the transaction that commits the change: a reader sees the
            # number and the stories it numbers together, or neither.
            seq = int(self.get_meta("change_seq") or 0) + 1
            self.set_meta("change_seq", str(seq))
            # Generators, not lists: a bulk load assigns every article (a million rows of tuples otherwise).
            conn.executemany(
                "INSERT OR IGNORE INTO stories(story_id, created_at, updated_at, created_seq, changed_seq) VALUES (?,?,?,?,?)",
                ((s, c, now, seq, seq) for s, c in created.items()),
            )
            conn.executemany("UPDATE stories SET updated_at=?, changed_seq=? WHERE story_id=?", ((now, seq, s) for s in set(touched)))
            conn.executemany("DELETE FROM stories WHERE story_id=?", ((s,) for s in set(dropped)))
            # In doc order: the rows are updated page after page, not at random (100k: 0.42 s against 1.18 s).
            conn.executemany("UPDATE memberships SET story_id=?, prev_story=NULL WHERE doc=?", ((assignments[d], d) for d in sorted(assignments)))

    # -- reading ------------------------------------------------------------
    def articles(self, docs: Iterable[int] | None = None) -> Iterator[StoredArticle]:
        if docs is None:
            for r in self._conn.execute(f"SELECT {_ARTICLE_COLS} FROM {_ARTICLES} ORDER BY a.doc"):
                yield _row_to_article(r)
            return
        q = "SELECT {cols} FROM " + _ARTICLES + " WHERE a.doc IN ({in}) ORDER BY a.doc"
        for r in _select_in(self._conn, q, list(docs)):
            yield _row_to_article(r)

    def article_by(self, *, id: str | None = None, url: str | None = None) -> StoredArticle | None:
        if id is not None:
            r = self._conn.execute(f"SELECT {_ARTICLE_COLS} FROM {_ARTICLES} WHERE a.id=?", (id,)).fetchone()
        else:
            # The URL as stored first; else any form of it (urls.url_key). No address
            # is none: it does not name the articles stored without one.
            key = url_key(url or "")
            if not key:
                return None
            r = self._conn.execute(f"SELECT {_ARTICLE_COLS} FROM {_ARTICLES} WHERE a.url=? ORDER BY a.doc LIMIT 1", (url,)).fetchone()
            if r is None:
                r = self._conn.execute(
                    f"SELECT {_ARTICLE_COLS} FROM {_ARTICLES} WHERE a.url_key=? ORDER BY a.doc LIMIT 1", (key,)
                ).fetchone()
        return None if r is None else _row_to_article(r)

    def stored_pages(self) -> _StoredPages:
        return _StoredPages(self.path / DB_NAME, int(self._conn.execute("SELECT COALESCE(MAX(doc), 0) FROM articles").fetchone()[0]))

    def set_page_keys(self, keys: dict[int, str]) -> None:
        with self._transaction():
            self._conn.executemany("UPDATE articles SET page_key=? WHERE doc=?", [(k, d) for d, k in keys.items()])

    def signature_of(self, doc: int) -> np.ndarray:
        return self.signatures([doc])[0][0]

    def all_signatures(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(docs, signatures, n_shingles) of every stored article and maybe of some replaced
        since (a caller keeps the docs whose rows it finds): the signature file, then the rows after it."""
        recs = sigfile.read(self.path / SIGNATURES)
        last = int(recs["doc"][-1]) if recs is not None and recs.size else 0
        tail = self._conn.execute("SELECT doc, signature, n_shingles FROM articles WHERE doc > ? ORDER BY doc", (last,)).fetchall()
        if recs is not None and recs.size and not tail:
            return recs["doc"], recs["sig"], recs["n"]
        t_docs, t_sigs, t_sizes = _decode_signatures(tail)
        if recs is None or not recs.size or recs["sig"].shape[1] != t_sigs.shape[1]:
            return t_docs, t_sigs, t_sizes
        return (np.concatenate([recs["doc"], t_docs]), np.concatenate([recs["sig"], t_sigs]),
                np.concatenate([recs["n"], t_sizes]))

    def _doc_ceiling(self) -> int:
        """The highest doc number this store gave (doc numbers are never taken again)."""
        top = int(self._conn.execute("SELECT COALESCE(MAX(doc), 0) FROM articles").fetchone()[0])
        return max(top, int(self.get_meta("doc_high_water") or 0))

    def save_signatures(self) -> None:
        """Append the rows after the signature file's last doc to it (the end of an index run)."""
        path = self.path / SIGNATURES
        recs = sigfile.read(path)  # (checks the file whole, once a run)
        last = int(recs["doc"][-1]) if recs is not None and recs.size else 0
        if last:
            # Doc numbers are never taken again (doc_high_water), so a file whose last record is not
            # the article of that doc, or is beyond every doc given, is another store's: written afresh.
            row = self._conn.execute("SELECT signature FROM articles WHERE doc=?", (last,)).fetchone()
            if (row is not None and row[0] != recs["sig"][-1].astype("<u4").tobytes()) or last > self._doc_ceiling():
                last = 0
        del recs
        cur = self._conn.execute("SELECT doc, signature, n_shingles FROM articles WHERE doc > ? ORDER BY doc", (last,))
        while rows := cur.fetchmany(_SEAL_CHUNK):
            docs, sigs, sizes = _decode_signatures(rows)
            sigfile.append(path, docs, sizes, sigs)

    def stories_changed_since(self, since: str | None) -> list[tuple[str, str, str]]:
        q = (
            "SELECT s.story_id, s.created_at, s.updated_at FROM stories s "
            "WHERE (? IS NULL OR s.updated_at > ?) AND "
            "(SELECT COUNT(*) FROM memberships m WHERE m.story_id = s.story_id) > 1 ORDER BY s.created_at, s.story_id"
        )
        return [tuple(r) for r in self._conn.execute(q, (since, since))]  # type: ignore[misc]

    def stories_changed_after(self, seq: int) -> list[tuple[str, bool]]:
        q = (
            "SELECT s.story_id, s.created_seq > ?1 FROM stories s WHERE s.changed_seq > ?1 AND "
            "(SELECT COUNT(*) FROM memberships m WHERE m.story_id = s.story_id) > 1 ORDER BY s.created_at, s.story_id"
        )
        return [(str(sid), bool(new)) for sid, new in self._conn.execute(q, (seq,))]

    def change_seq(self) -> int:
        return int(self.get_meta("change_seq") or 0)

    def mark_reported(self, seq: int, at: str) -> None:
        with self._transaction():
            last = self.get_meta("last_report_seq")
            if last is None or int(last) <= seq:
                self.set_meta("last_report_seq", str(seq))
                self.set_meta("last_report_at", at)

    # -- outlet aliases ---------------------------------------------------------
    def outlet_aliases(self) -> dict[str, str]:
        return {name: target for name, target in self._conn.execute("SELECT name, target FROM outlet_aliases ORDER BY key")}

    def set_outlet_aliases(self, add: Iterable[tuple[str, str]], remove: Iterable[str] = ()) -> list[str]:
        conn = self._conn
        with self._transaction():
            missing = [n for n in remove if conn.execute("DELETE FROM outlet_aliases WHERE key = ?", (outlet_key(n),)).rowcount == 0]
            conn.executemany(
                "INSERT INTO outlet_aliases(key, name, target) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET name = excluded.name, target = excluded.target",
                [(outlet_key(n), n.strip(), t.strip()) for n, t in add],
            )
        return missing

    # -- outlet boilerplate ---------------------------------------------------
    def _count_lines(self, counts: LineCounts) -> None:
        """Add ``counts`` (in the caller's transaction: the one writing the articles counted)."""
        conn = self._conn
        conn.executemany(
            "INSERT INTO outlet_articles(outlet, articles) VALUES (?, ?) "
            "ON CONFLICT(outlet) DO UPDATE SET articles = articles + excluded.articles",
            list(counts.articles.items()),
        )
        # The text is stored once a line has been seen in two articles (see the schema).
        conn.executemany(
            "INSERT INTO outlet_lines(outlet, key, line, articles, first_seen) "
            "VALUES (?1, ?2, CASE WHEN ?4 > 1 THEN ?3 END, ?4, ?5) "
            "ON CONFLICT(outlet, key) DO UPDATE SET articles = articles + excluded.articles, line = COALESCE(line, ?3)",
            ((o, k, text, n, counts.at) for o, k, text, n in counts.lines),
        )

    def outlet_articles(self, outlets: Iterable[str]) -> dict[str, int]:
        """outlet → articles counted for boilerplate so far (outlets never counted are absent)."""
        q = "SELECT outlet, articles FROM outlet_articles WHERE outlet IN ({in})"
        return dict(_select_in(self._conn, q, sorted(set(outlets))))

    def outlet_lines(
        self, outlets: Iterable[str] | None, min_articles: int, min_share: float, pending: LineCounts | None = None
    ) -> dict[str, tuple[int, list[tuple[str, int, str]]]]:
        """outlet → (articles counted, [(line, articles with it, first seen)]) for lines in at
        least ``min_articles`` and ``min_share`` of the outlet's articles; every counted
        outlet when ``outlets`` is None. Most frequent lines first. ``pending`` counts (a batch
        not written yet) are added to the stored ones."""
        conn = self._conn

        def recurring(outlet: str, floor: float) -> list[tuple[str, int, str]]:
            rows = conn.execute(
                "SELECT line, articles, first_seen FROM outlet_lines WHERE outlet = ? AND articles >= ? "
                "AND articles >= 2 AND line IS NOT NULL ORDER BY articles DESC, line",
                (outlet, floor),
            )
            return [(str(r[0]), int(r[1]), str(r[2])) for r in rows]

        def reachable(outlet: str, reach: float) -> dict[int, tuple[str | None, int, str]]:
            sql = "SELECT key, line, articles, first_seen FROM outlet_lines WHERE outlet = ? AND articles >= ?"
            if reach >= 2:
                sql += " AND articles >= 2"  # lets SQLite use the partial index of recurring lines
            return {k: (line, n, first) for k, line, n, first in conn.execute(sql, (outlet, max(reach, 1)))}

        totals = dict(conn.execute("SELECT outlet, articles FROM outlet_articles"))
        return select_lines(totals, outlets, min_articles, min_share, pending, recurring, reachable)

    def counts(self) -> dict[str, int]:
        c = self._conn
        infos, sealed = self._segment_infos()
        tail_entries = c.execute("SELECT COALESCE(SUM(LENGTH(band_keys)), 0) / 8 FROM articles WHERE doc > ?", (sealed,)).fetchone()[0]
        return {
            "articles": c.execute("SELECT COUNT(*) FROM articles").fetchone()[0],
            "outlets": c.execute("SELECT COUNT(DISTINCT lower(outlet)) FROM articles").fetchone()[0],
            "stories": c.execute("SELECT COUNT(*) FROM stories").fetchone()[0],
            "stories_with_copies": c.execute(
                "SELECT COUNT(*) FROM (SELECT m.story_id FROM memberships m JOIN articles a ON a.doc = m.doc "
                f"{_ALIASED} WHERE m.story_id IS NOT NULL GROUP BY m.story_id {_COPIES})"
            ).fetchone()[0],
            "pending": c.execute("SELECT COUNT(*) FROM memberships WHERE story_id IS NULL").fetchone()[0],
            # bucket entries: sealed (replaced articles' old entries included until a merge drops them) + tail
            "buckets": sum(i.entries for i in infos) + int(tail_entries),
        }

    def size_bytes(self) -> int:
        files = [*self.path.glob(DB_NAME + "*"), *(self.path / LSH_DIR).glob("*.npy")]
        return sum(f.stat().st_size for f in files)

    def lock_writer(self) -> None:
        """Claim the store for one index run; a second run fails at once, naming the first.

        SQLite alone would serialise two runs' transactions, but each run's
        clustering reads the pending articles and then assigns them: two at
        once could give one story two ids. An advisory lock on
        ``<store>/writer.lock``, released on close (or when the process dies);
        where fcntl does not exist (Windows) runs are not guarded."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover -- not POSIX
            return
        fh = (self.path / WRITER_LOCK).open("a+", encoding="utf-8")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise StoreError(f"{self.path} is being indexed by {holder}; run this when it has finished") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"'dedup index' (pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S %Z')})")
        fh.flush()
        self._writer = fh
        _HELD.add(fh)

    def story_lock(self) -> AbstractContextManager[None]:
        """Nothing more to hold: the writer lock already makes story assignment one run's."""
        return nullcontext()

    def close(self) -> None:
        if self._bulk is not None:  # (a load that never sealed: its temporary runs go)
            self._bulk.abort()
            self._bulk = None
        self._checkpointed()
        try:
            # The index run folds its WAL into the database file. Others (query,
            # report, a refused second run) leave that to it: a checkpoint from
            # them during a bulk load would copy the load's pages early, and
            # SQLite checkpoints anyway when the last connection closes.
            if self._writer is not None:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self._conn.close()
            if self._writer is not None:
                _HELD.discard(self._writer)
                self._writer.close()  # releases the lock
                self._writer = None
