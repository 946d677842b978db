"""The embedded default store: one SQLite database in WAL mode.

Crash safety comes from SQLite transactions: each batch of articles (rows,
signatures and LSH buckets) and each story assignment is one transaction, so an
interrupted run leaves whole batches only; the next run finds the articles it
did not store and the docs it did not cluster (``story_id IS NULL``) and
completes them.

>>> import tempfile, pathlib
>>> s = SQLiteStore.open(pathlib.Path(tempfile.mkdtemp()) / "store")
>>> s.counts()["articles"]
0
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StoreError
from .interface import NewArticle, StoredArticle

SCHEMA_VERSION = "3"
# Bucket indexes live apart from the schema: a bulk load drops them and builds
# them once at the end (much faster than maintaining them row by row). Opening
# a store always (re)creates them, so an interrupted bulk load heals itself.
_BUCKET_INDEXES = """
CREATE INDEX IF NOT EXISTS buckets_key ON buckets(key);
"""
DB_NAME = "dedup.sqlite"

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
    story_id TEXT,
    prev_story TEXT
);
CREATE INDEX IF NOT EXISTS articles_url ON articles(url);
CREATE INDEX IF NOT EXISTS articles_story ON articles(story_id);
CREATE TABLE IF NOT EXISTS buckets (key INTEGER NOT NULL, doc INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS stories (
    story_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
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
"""

_ARTICLE_COLS = (
    "doc, id, url, outlet, title, text, published_at, time_precision, published_raw, "
    "record_hash, n_shingles, stripped, indexed_at, story_id"
)
# SQLite's default limit on host parameters is 32766; stay well below it.
_CHUNK = 900


def _select_in(conn: sqlite3.Connection, sql: str, values: Sequence[object]) -> Iterator[tuple[Any, ...]]:
    """Rows of ``sql`` with its ``{in}`` placeholder bound to ``values``, in chunks below
    SQLite's host-parameter limit (rows come chunk by chunk: order only within a chunk)."""
    for i in range(0, len(values), _CHUNK):
        chunk = list(values[i : i + _CHUNK])
        yield from conn.execute(sql.format(cols=_ARTICLE_COLS, **{"in": ",".join("?" * len(chunk))}), chunk)


def _row_to_article(r: sqlite3.Row) -> StoredArticle:
    return StoredArticle(
        doc=r[0], id=r[1], url=r[2], outlet=r[3], title=r[4], text=r[5], published_at=r[6],
        time_precision=r[7], published_raw=r[8], record_hash=r[9], n_shingles=r[10],
        stripped=tuple(json.loads(r[11])), indexed_at=r[12], story_id=r[13],
    )


class SQLiteStore:
    """SQLite in WAL mode at ``<path>/dedup.sqlite``."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> SQLiteStore:
        db = path / DB_NAME
        if not db.exists():
            if not create:
                raise StoreError(f"no store at {path}: run 'dedup index' first, or pass --store / set DEDUP_STORE")
            if path.exists() and not path.is_dir():
                raise StoreError(f"{path} is a file, not a store directory")
            path.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(db, isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA cache_size=-65536")
            conn.executescript(_SCHEMA)
            conn.executescript(_BUCKET_INDEXES)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{db}: not a usable dedup store ({exc})") from exc
        store = cls(conn, path)
        version = store.get_meta("schema_version")
        if version is None:
            store.set_meta("schema_version", SCHEMA_VERSION)
        elif version != SCHEMA_VERSION:
            raise StoreError(f"{db}: store schema {version}, this dedup reads {SCHEMA_VERSION}; re-index into a new store")
        return store

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One atomic write: all of it is committed, or none of it (even on Ctrl-C)."""
        self._conn.execute("BEGIN IMMEDIATE")  # takes the write lock now, not at the first write
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

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

    def write_articles(self, new: Sequence[NewArticle], replace: dict[str, int], now: str) -> list[int]:
        conn = self._conn
        with self._transaction():  # holds the write lock: doc numbers below are ours
            next_doc = int(conn.execute("SELECT COALESCE(MAX(doc), 0) FROM articles").fetchone()[0]) + 1
            docs: list[int] = []
            inserts: list[tuple[object, ...]] = []
            buckets: list[tuple[int, int]] = []
            for a in new:
                values = (
                    a.id, a.url, a.outlet, a.title, a.text, a.published_at, a.time_precision,
                    a.published_raw, a.record_hash, a.n_shingles, a.signature.astype("<u4").tobytes(),
                    a.band_keys.astype("<i8").tobytes(), json.dumps(list(a.stripped), ensure_ascii=False), now,
                )
                old = replace.get(a.id)
                if old is None:
                    doc = next_doc
                    next_doc += 1
                    inserts.append((doc, *values))
                else:
                    doc = old
                    # No index on buckets(doc) (it would cost every bulk load): the
                    # article keeps its own keys, and its buckets are found by key.
                    (blob,) = conn.execute("SELECT band_keys FROM articles WHERE doc=?", (doc,)).fetchone()
                    old_keys = np.frombuffer(blob, dtype="<i8").tolist()
                    conn.executemany("DELETE FROM buckets WHERE key=? AND doc=?", [(k, doc) for k in old_keys])
                    # The story it was in is re-clustered: its other members may no longer belong together.
                    conn.execute(
                        "UPDATE articles SET prev_story=story_id, story_id=NULL WHERE story_id=("
                        "SELECT story_id FROM articles WHERE doc=?)",
                        (doc,),
                    )
                    conn.execute(
                        "UPDATE articles SET id=?, url=?, outlet=?, title=?, text=?, published_at=?, "
                        "time_precision=?, published_raw=?, record_hash=?, n_shingles=?, signature=?, "
                        "band_keys=?, stripped=?, indexed_at=?, story_id=NULL WHERE doc=?",
                        (*values, doc),
                    )
                buckets.extend((key, doc) for key in a.band_keys.tolist())
                docs.append(doc)
            conn.executemany(
                "INSERT INTO articles(doc, id, url, outlet, title, text, published_at, time_precision, "
                "published_raw, record_hash, n_shingles, signature, band_keys, stripped, indexed_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                inserts,
            )
            conn.executemany("INSERT INTO buckets(key, doc) VALUES (?,?)", buckets)
        return docs

    def article_count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def is_empty(self) -> bool:
        return self._conn.execute("SELECT NOT EXISTS (SELECT 1 FROM articles)").fetchone()[0] == 1

    def begin_bulk(self) -> None:
        """Drop the bucket indexes while loading many articles (see _BUCKET_INDEXES)."""
        self._conn.execute("DROP INDEX IF EXISTS buckets_key")
        self._conn.execute("DROP INDEX IF EXISTS buckets_doc")  # stores made before it was dropped
        # No WAL checkpoints while loading: each would copy the pages just written
        # into the database file again; one checkpoint at the end does it once.
        self._conn.execute("PRAGMA wal_autocheckpoint=0")

    def end_bulk(self) -> None:
        self._conn.executescript(_BUCKET_INDEXES)
        self._conn.execute("PRAGMA wal_autocheckpoint=1000")
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def pending(self) -> list[int]:
        return [r[0] for r in self._conn.execute("SELECT doc FROM articles WHERE story_id IS NULL ORDER BY doc")]

    def candidates(self, docs: Sequence[int]) -> np.ndarray:
        conn = self._conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS q(doc INTEGER PRIMARY KEY)")
        conn.execute("DELETE FROM q")
        conn.executemany("INSERT OR IGNORE INTO q(doc) VALUES (?)", ((d,) for d in docs))
        rows = conn.execute(
            "SELECT DISTINCT p.doc, o.doc FROM q JOIN buckets p ON p.doc = q.doc "
            "JOIN buckets o ON o.key = p.key AND o.doc != p.doc"
        ).fetchall()
        conn.execute("DELETE FROM q")
        return np.array(rows, dtype=np.int64).reshape(-1, 2)

    def candidates_for_keys(self, band_keys: np.ndarray) -> list[int]:
        keys = [int(k) for k in band_keys.tolist()]
        q = f"SELECT DISTINCT doc FROM buckets WHERE key IN ({','.join('?' * len(keys))})"
        return [r[0] for r in self._conn.execute(q, keys)]

    def all_signatures(self) -> tuple[np.ndarray, np.ndarray]:
        """(docs int64[n], signatures uint32[n, num_perm]) of every stored article."""
        docs: list[int] = []
        blobs: list[bytes] = []
        for doc, sig in self._conn.execute("SELECT doc, signature FROM articles ORDER BY doc"):
            docs.append(doc)
            blobs.append(sig)
        if not docs:
            return np.empty(0, dtype=np.int64), np.empty((0, 0), dtype=np.uint32)
        sigs = np.frombuffer(b"".join(blobs), dtype="<u4").reshape(len(docs), -1).astype(np.uint32, copy=False)
        return np.array(docs, dtype=np.int64), sigs

    def signatures(self, docs: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        found: dict[int, tuple[bytes, int]] = {}
        for doc, sig, n in _select_in(self._conn, "SELECT doc, signature, n_shingles FROM articles WHERE doc IN ({in})", docs):
            found[doc] = (sig, n)
        if not docs:
            return np.empty((0, 0), dtype=np.uint32), np.empty(0, dtype=np.int64)
        sigs = np.stack([np.frombuffer(found[d][0], dtype="<u4") for d in docs]).astype(np.uint32, copy=False)
        sizes = np.array([found[d][1] for d in docs], dtype=np.int64)
        return sigs, sizes

    # -- stories ------------------------------------------------------------
    def stories_of(self, docs: Iterable[int]) -> dict[int, str | None]:
        q = "SELECT doc, COALESCE(story_id, prev_story) FROM articles WHERE doc IN ({in})"
        return dict(_select_in(self._conn, q, list(docs)))

    def story_members(self, story_ids: Iterable[str]) -> dict[str, list[int]]:
        ids = list(set(story_ids))
        out: dict[str, list[int]] = {s: [] for s in ids}
        # A story's rows all come in the chunk holding its id, so ORDER BY holds per story.
        for sid, doc in _select_in(self._conn, "SELECT story_id, doc FROM articles WHERE story_id IN ({in}) ORDER BY doc", ids):
            out[sid].append(doc)
        return out

    def story_created(self, story_ids: Iterable[str]) -> dict[str, str]:
        q = "SELECT story_id, created_at FROM stories WHERE story_id IN ({in})"
        return dict(_select_in(self._conn, q, list(set(story_ids))))

    def assign(self, assignments: dict[int, str], created: dict[str, str], touched: Iterable[str], dropped: Iterable[str], now: str) -> None:
        conn = self._conn
        with self._transaction():
            conn.executemany("INSERT OR IGNORE INTO stories(story_id, created_at, updated_at) VALUES (?,?,?)", [(s, c, now) for s, c in created.items()])
            conn.executemany("UPDATE stories SET updated_at=? WHERE story_id=?", [(now, s) for s in set(touched)])
            conn.executemany("DELETE FROM stories WHERE story_id=?", [(s,) for s in set(dropped)])
            conn.executemany("UPDATE articles SET story_id=?, prev_story=NULL WHERE doc=?", [(s, d) for d, s in assignments.items()])

    # -- reading ------------------------------------------------------------
    def articles(self, docs: Iterable[int] | None = None) -> Iterator[StoredArticle]:
        if docs is None:
            for r in self._conn.execute(f"SELECT {_ARTICLE_COLS} FROM articles ORDER BY doc"):
                yield _row_to_article(r)
            return
        for r in _select_in(self._conn, "SELECT {cols} FROM articles WHERE doc IN ({in}) ORDER BY doc", list(docs)):
            yield _row_to_article(r)

    def article_by(self, *, id: str | None = None, url: str | None = None) -> StoredArticle | None:
        if id is not None:
            r = self._conn.execute(f"SELECT {_ARTICLE_COLS} FROM articles WHERE id=?", (id,)).fetchone()
        else:
            r = self._conn.execute(f"SELECT {_ARTICLE_COLS} FROM articles WHERE url=? ORDER BY doc LIMIT 1", (url,)).fetchone()
        return None if r is None else _row_to_article(r)

    def signature_of(self, doc: int) -> np.ndarray:
        return self.signatures([doc])[0][0]

    def stories_changed_since(self, since: str | None) -> list[tuple[str, str, str]]:
        q = (
            "SELECT s.story_id, s.created_at, s.updated_at FROM stories s "
            "WHERE (? IS NULL OR s.updated_at > ?) AND "
            "(SELECT COUNT(*) FROM articles a WHERE a.story_id = s.story_id) > 1 ORDER BY s.created_at, s.story_id"
        )
        return [tuple(r) for r in self._conn.execute(q, (since, since))]  # type: ignore[misc]

    # -- outlet boilerplate ---------------------------------------------------
    def count_lines(self, articles: dict[str, int], lines: Sequence[tuple[str, int, str, int]], now: str) -> None:
        """Atomically add ``articles`` (outlet → articles counted) and, per (outlet, line key,
        line text, n), n more articles containing that line."""
        conn = self._conn
        with self._transaction():
            conn.executemany(
                "INSERT INTO outlet_articles(outlet, articles) VALUES (?, ?) "
                "ON CONFLICT(outlet) DO UPDATE SET articles = articles + excluded.articles",
                list(articles.items()),
            )
            # The text is stored once a line has been seen in two articles (see the schema).
            conn.executemany(
                "INSERT INTO outlet_lines(outlet, key, line, articles, first_seen) "
                "VALUES (?1, ?2, CASE WHEN ?4 > 1 THEN ?3 END, ?4, ?5) "
                "ON CONFLICT(outlet, key) DO UPDATE SET articles = articles + excluded.articles, line = COALESCE(line, ?3)",
                ((o, k, text, n, now) for o, k, text, n in lines),
            )

    def outlet_articles(self, outlets: Iterable[str]) -> dict[str, int]:
        """outlet → articles counted for boilerplate so far (outlets never counted are absent)."""
        q = "SELECT outlet, articles FROM outlet_articles WHERE outlet IN ({in})"
        return dict(_select_in(self._conn, q, sorted(set(outlets))))

    def outlet_lines(
        self, outlets: Iterable[str] | None, min_articles: int, min_share: float
    ) -> dict[str, tuple[int, list[tuple[str, int, str]]]]:
        """outlet → (articles counted, [(line, articles with it, first seen)]) for lines in at
        least ``min_articles`` and ``min_share`` of the outlet's articles; every counted
        outlet when ``outlets`` is None. Most frequent lines first."""
        totals = dict(self._conn.execute("SELECT outlet, articles FROM outlet_articles"))
        wanted = sorted(totals) if outlets is None else sorted({o for o in outlets if o in totals})
        out: dict[str, tuple[int, list[tuple[str, int, str]]]] = {}
        for o in wanted:
            floor = max(min_articles, min_share * totals[o])
            rows = self._conn.execute(
                "SELECT line, articles, first_seen FROM outlet_lines WHERE outlet = ? AND articles >= ? "
                "AND articles >= 2 AND line IS NOT NULL ORDER BY articles DESC, line",
                (o, floor),
            ).fetchall()
            out[o] = (totals[o], [(str(r[0]), int(r[1]), str(r[2])) for r in rows])
        return out

    def counts(self) -> dict[str, int]:
        c = self._conn
        return {
            "articles": c.execute("SELECT COUNT(*) FROM articles").fetchone()[0],
            "outlets": c.execute("SELECT COUNT(DISTINCT outlet) FROM articles").fetchone()[0],
            "stories": c.execute("SELECT COUNT(*) FROM stories").fetchone()[0],
            "stories_with_copies": c.execute(
                "SELECT COUNT(*) FROM (SELECT story_id FROM articles WHERE story_id IS NOT NULL GROUP BY story_id HAVING COUNT(*) > 1)"
            ).fetchone()[0],
            "pending": c.execute("SELECT COUNT(*) FROM articles WHERE story_id IS NULL").fetchone()[0],
            "buckets": c.execute("SELECT COUNT(*) FROM buckets").fetchone()[0],
        }

    def size_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.path.glob(DB_NAME + "*"))

    def close(self) -> None:
        try:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self._conn.close()
