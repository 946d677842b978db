"""A shared store on a PostgreSQL server: many machines index into one index at once.

Selected by a ``postgresql://`` (or ``postgres://``) address as ``--store`` or
``$DEDUP_STORE``; the same :class:`~dedup.store.interface.Store` protocol and the same
semantics as the embedded store (``sqlite.py``), with these differences:

* The LSH buckets are a table of (band key, doc) rows, loaded by binary COPY and
  probed for a whole batch of articles in one join; nothing is derived outside the
  database, so there are no segment files to seal or rebuild.
* Several ``dedup index`` runs may write at once. Each batch is one transaction;
  doc numbers come from a sequence. Story assignment (``cluster.cluster_pending``
  inside :meth:`PostgresStore.story_lock`) runs one at a time under an advisory lock,
  on a snapshot taken once the lock is held, so story ids stay stable; a run killed
  anywhere leaves whole batches, and its articles pending for the next run to cluster.
* The schema is versioned (``schema_version`` in the ``meta`` table) and brought up
  to date by numbered migrations when a store is opened.

Every error of the server or the connection becomes one :class:`StoreError` line
naming the server (never the password) and what to do.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import numpy as np

from ..errors import DedupError, StoreError
from ..outlets import outlet_key
from ..urls import url_key
from .interface import Finding, LineCounts, NewArticle, PruneResult, StoredArticle, expired, expiry
from .segments import bucket_join, clique_cap, packed_pairs, sorted_unique, unpacked_pairs

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg.conninfo import conninfo_to_dict
except ImportError:  # pragma: no cover -- the optional extra is not installed
    psycopg = None  # type: ignore[assignment]

T = TypeVar("T")

# One numbered migration per schema version, applied in order to bring a store up to date:
# SQL, or a function given the connection (inside the migration's transaction).
MIGRATIONS: tuple[tuple[int, str | Callable[[Any], None]], ...] = (
    (1, """
CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text NOT NULL);
CREATE SEQUENCE docs_seq;
CREATE TABLE articles (
    doc bigint PRIMARY KEY,
    id text NOT NULL UNIQUE,
    url text NOT NULL,
    outlet text NOT NULL,
    title text NOT NULL,
    text text NOT NULL,
    published_at text,
    time_precision text NOT NULL,
    published_raw text,
    record_hash text NOT NULL,
    n_shingles integer NOT NULL,
    signature bytea NOT NULL,
    stripped text NOT NULL,
    indexed_at text NOT NULL,
    url_key text,
    page_key text
);
CREATE INDEX articles_url ON articles(url);
CREATE INDEX articles_url_key ON articles(url_key) WHERE url_key IS NOT NULL;
CREATE INDEX articles_page_key ON articles(page_key) WHERE page_key IS NOT NULL;
-- As in the embedded store: story_id NULL while the article waits to be clustered,
-- prev_story the story it was in before a member of that story was replaced.
CREATE TABLE memberships (doc bigint PRIMARY KEY, story_id text, prev_story text);
CREATE INDEX memberships_story ON memberships(story_id);
CREATE INDEX memberships_pending ON memberships(doc) WHERE story_id IS NULL;
-- The LSH buckets: one row per (band key, doc); each key already encodes its band.
-- (band_key, doc) is the probe's index (an index-only scan); doc finds a replaced article's rows.
CREATE TABLE bands (band_key bigint NOT NULL, doc bigint NOT NULL);
CREATE INDEX bands_key ON bands(band_key, doc);
CREATE INDEX bands_doc ON bands(doc);
CREATE TABLE stories (
    story_id text PRIMARY KEY, created_at text NOT NULL, updated_at text NOT NULL,
    created_seq bigint NOT NULL DEFAULT 0, changed_seq bigint NOT NULL DEFAULT 0
);
CREATE TABLE outlet_articles (outlet text PRIMARY KEY, articles bigint NOT NULL);
CREATE TABLE outlet_lines (
    outlet text NOT NULL, key bigint NOT NULL, line text, articles bigint NOT NULL, first_seen text NOT NULL,
    PRIMARY KEY (outlet, key)
);
CREATE INDEX outlet_lines_recurring ON outlet_lines(outlet, articles) WHERE articles >= 2;
CREATE TABLE outlet_aliases (key text PRIMARY KEY, name text NOT NULL, target text NOT NULL);
"""),
    (2, lambda conn: _partition_bands(conn)),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

# Advisory lock keys (one space per database): migrations, story assignment, writers.
_MIGRATE_LOCK = 0x6465647570_01
_STORY_LOCK = 0x6465647570_02
_WRITERS_LOCK = 0x6465647570_03
_PARTITION_LOCK = 0x6465647570_04


# -- the bands table, partitioned by month ---------------------------------------------
# Each article's band rows sit in the partition of the month (UTC) of its expiry: when it
# starts to go in a prune (interface.expiry: its publication time, a bare date's end, or,
# with no known time, when it was indexed). So a prune before a cutoff drops every month
# before the cutoff's whole, and reads and deletes rows in the cutoff's own month only.
# Months, not weeks: every probe descends each partition's index, and a year of news is
# 12 partitions, not 52; a prune's row-by-row part is at most one month's articles.


def month_of(when: datetime) -> int:
    """The month number of ``when`` in UTC (year * 12 + month - 1): the partition key.

    >>> month_of(datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc)), month_of(datetime(2026, 12, 1, 6, 0, tzinfo=timezone(timedelta(hours=7))))
    (24322, 24322)
    """
    t = when.astimezone(timezone.utc)
    return t.year * 12 + t.month - 1


def _article_month(published_at: str | None, precision: str, raw: str | None, indexed_at: str) -> int:
    return month_of(expiry(published_at, precision, raw, indexed_at))


def _partition_name(month: int) -> str:
    return f"bands_{month // 12:04d}_{month % 12 + 1:02d}"


def _partition_month(name: str) -> int | None:
    m = re.fullmatch(r"bands_(\d{4})_(\d{2})", name)
    return None if m is None else int(m[1]) * 12 + int(m[2]) - 1


def _partitions(conn: Any) -> dict[int, str]:
    """month → name of each partition of the bands table."""
    rows = conn.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'bands'::regclass")
    return {m: name for (name,) in rows if (m := _partition_month(name)) is not None}


def _create_partitions(conn: Any, months: Iterable[int]) -> None:
    """The partitions of ``months`` that do not exist yet (in the caller's transaction; under
    a lock: two runs needing the same new month create it once)."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_PARTITION_LOCK,))
    have = _partitions(conn)
    for m in sorted(set(months) - set(have)):
        conn.execute(f"CREATE TABLE {_partition_name(m)} PARTITION OF bands FOR VALUES FROM ({m}) TO ({m + 1})")


def _partition_bands(conn: Any) -> None:
    """Schema 2: the bands table partitioned by the month of each article's expiry
    (recorded as ``articles.month``); an existing store's rows are moved over."""
    conn.execute("ALTER TABLE articles ADD COLUMN month integer")
    last = 0
    while rows := conn.execute(
        "SELECT doc, published_at, time_precision, published_raw, indexed_at FROM articles WHERE doc > %s ORDER BY doc LIMIT %s",
        (last, _READ_CHUNK * 4),
    ).fetchall():
        conn.execute(
            "UPDATE articles a SET month = t.m FROM unnest(%s::bigint[], %s::int[]) AS t(d, m) WHERE a.doc = t.d",
            ([r[0] for r in rows], [_article_month(*r[1:]) for r in rows]),
        )
        last = rows[-1][0]
    conn.execute("ALTER TABLE articles ALTER COLUMN month SET NOT NULL")
    conn.execute("CREATE INDEX articles_month ON articles(month)")
    conn.execute("DROP INDEX bands_key, bands_doc")
    conn.execute("ALTER TABLE bands RENAME TO bands_unpartitioned")
    conn.execute("CREATE TABLE bands (band_key bigint NOT NULL, doc bigint NOT NULL, month integer NOT NULL) PARTITION BY RANGE (month)")
    _create_partitions(conn, [m for (m,) in conn.execute("SELECT DISTINCT month FROM articles")])
    conn.execute("INSERT INTO bands SELECT b.band_key, b.doc, a.month FROM bands_unpartitioned b JOIN articles a USING (doc) "
                 "ORDER BY b.band_key, b.doc")
    conn.execute("DROP TABLE bands_unpartitioned")
    # On the parent: each partition gets its own, and so does every partition created later.
    conn.execute("CREATE INDEX bands_key ON bands(band_key, doc)")
    conn.execute("CREATE INDEX bands_doc ON bands(doc)")

_ARTICLE_COLS = (
    "a.doc, a.id, a.url, a.outlet, a.title, a.text, a.published_at, a.time_precision, a.published_raw, "
    "a.record_hash, a.n_shingles, a.stripped, a.indexed_at, m.story_id"
)
_ARTICLES = "articles a LEFT JOIN memberships m ON m.doc = a.doc"
_ALIASED = "LEFT JOIN outlet_aliases al ON al.key = lower(a.outlet)"
_COPIES = "HAVING COUNT(DISTINCT lower(COALESCE(al.target, a.outlet))) > 1"
# Docs probed in one join (candidates), and rows read at once (articles, look-ups by doc).
_PROBE_CHUNK = 20000
_READ_CHUNK = 5000

# Whether the store's tables exist: read from the catalog tables (an MVCC read), not by
# to_regclass, whose cached answer can predate a commit of another session's CREATE TABLE.
_HAS_META = "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'meta')"
_AGAIN = "each batch is committed whole, so the store is consistent: run the same command again"


def display_name(url: str) -> str:
    """``postgresql://user@host:port/db``: the address without its password or options."""
    try:
        info = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 -- a malformed address is named as given, up to any credentials
        return url.split("@")[-1] if "@" in url else url
    user = f"{info['user']}@" if info.get("user") else ""
    return f"postgresql://{user}{info.get('host') or 'localhost'}:{info.get('port') or 5432}/{info.get('dbname') or ''}"


def _where(url: str) -> tuple[str, str]:
    try:
        info = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001
        return "localhost", "5432"
    return str(info.get("host") or "localhost"), str(info.get("port") or "5432")


def _first_line(exc: BaseException) -> str:
    """The server's own words: the first line, without libpq's "connection to server at … failed: FATAL:" lead."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    line = lines[0] if lines else type(exc).__name__
    return re.sub(r"^(connection failed: )?(connection to server at .*? failed: )?(FATAL: +)?", "", line) or line


def pg_error(exc: Exception, url: str, connecting: bool = False) -> StoreError:
    """One clear line for a server or connection error on the store at ``url``."""
    name = display_name(url)
    detail = _first_line(exc)
    host, port = _where(url)
    low = str(exc).lower()
    if isinstance(exc, pg_errors.UniqueViolation) and "articles_id_key" in low:
        return StoreError(f"{name}: another run stored one of these articles at the same moment ({detail}); {_AGAIN}")
    if isinstance(exc, pg_errors.DiskFull):
        return StoreError(f"{name}: the server's disk is full ({detail}): free space on the database server, then {_AGAIN}")
    if not isinstance(exc, psycopg.OperationalError):
        return StoreError(f"{name}: database error ({detail})")
    if "connection refused" in low or ("no such file or directory" in low and connecting):
        return StoreError(
            f"{name}: cannot connect to PostgreSQL at {host}:{port} (connection refused): start the server there "
            "(pg_ctl start, or systemctl start postgresql) or fix the address in --store / $DEDUP_STORE"
        )
    if re.search(r'database ".*" does not exist', low):
        return StoreError(f"{name}: {detail}: create it first (createdb), or fix the address in --store / $DEDUP_STORE")
    if "authentication failed" in low or "no pg_hba.conf entry" in low or re.search(r'role ".*" does not exist', low):
        return StoreError(f"{name}: PostgreSQL refused the login ({detail}): check the user and password in the address")
    if connecting:
        return StoreError(f"{name}: cannot connect to PostgreSQL at {host}:{port} ({detail}): check the server and the address")
    return StoreError(f"{name}: lost the connection to PostgreSQL at {host}:{port} ({detail}): {_AGAIN} when the server is back")


@contextmanager
def _translated(url: str, connecting: bool = False) -> Iterator[None]:
    try:
        yield
    except DedupError:
        raise
    except psycopg.Error as exc:
        if isinstance(exc, psycopg.ProgrammingError) and not isinstance(exc, pg_errors.DataError):
            raise  # SQL the code got wrong: a bug, not a fault of the store
        raise pg_error(exc, url, connecting) from exc


def _guarded(cls: type[T]) -> type[T]:
    """Every public method runs inside :func:`_translated` (generators included)."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
                with _translated(self.url):
                    yield from fn(self, *args, **kwargs)
            return gen

        @functools.wraps(fn)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            with _translated(self.url):
                return fn(self, *args, **kwargs)
        return call

    for name, attr in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(attr) and name != "story_lock" and name != "reading":
            setattr(cls, name, wrap(attr))
    return cls


def _connect(url: str) -> Any:
    if psycopg is None:
        raise StoreError(f"{display_name(url)}: the PostgreSQL store needs psycopg: pip install 'dedup[postgres]'")
    with _translated(url, connecting=True):
        return psycopg.connect(url, autocommit=True, application_name="dedup", connect_timeout=10)


def _row_to_article(r: Sequence[Any]) -> StoredArticle:
    return StoredArticle(
        doc=int(r[0]), id=r[1], url=r[2], outlet=r[3], title=r[4], text=r[5], published_at=r[6],
        time_precision=r[7], published_raw=r[8], record_hash=r[9], n_shingles=int(r[10]),
        stripped=tuple(json.loads(r[11])), indexed_at=r[12], story_id=r[13],
    )


# PostgreSQL's binary COPY format for rows of two bigints (band_key, doc), built by numpy.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_BAND_ROW = np.dtype([("n", ">i2"), ("l1", ">i4"), ("key", ">i8"), ("l2", ">i4"), ("doc", ">i8")])


_BAND_WRITE_ROW = np.dtype([("n", ">i2"), ("l1", ">i4"), ("key", ">i8"), ("l2", ">i4"), ("doc", ">i8"), ("l3", ">i4"), ("month", ">i4")])


def _band_rows(docs: Sequence[int], keys: Sequence[np.ndarray], months: Sequence[int]) -> bytes:
    """Binary COPY rows (band_key, doc, month) of each doc's keys."""
    width = max((k.size for k in keys), default=0)
    rows = np.empty(sum(k.size for k in keys), dtype=_BAND_WRITE_ROW)
    rows["n"], rows["l1"], rows["l2"], rows["l3"] = 3, 8, 8, 4
    rows["key"] = np.concatenate(keys) if keys else np.empty(0, dtype=np.int64)
    sizes = [k.size for k in keys]
    rows["doc"] = np.repeat(np.asarray(docs, dtype=np.int64), sizes) if width else np.empty(0, dtype=np.int64)
    rows["month"] = np.repeat(np.asarray(months, dtype=np.int32), sizes) if width else np.empty(0, dtype=np.int32)
    # In key order: the index on (band_key, doc) then takes a batch's entries leaf by leaf,
    # not at random (20k articles: 9.8 s of COPY before).
    rows = rows[np.argsort(rows["key"], kind="stable")]
    return _COPY_HEADER + rows.tobytes() + (-1).to_bytes(2, "big", signed=True)


_DOC_ROW = np.dtype([("n", ">i2"), ("l", ">i4"), ("doc", ">i8")])


def _doc_rows(docs: np.ndarray) -> bytes:
    """Binary COPY rows of one bigint."""
    rows = np.empty(docs.size, dtype=_DOC_ROW)
    rows["n"], rows["l"], rows["doc"] = 1, 8, docs
    return _COPY_HEADER + rows.tobytes() + (-1).to_bytes(2, "big", signed=True)


class _StoredPages:
    """Page key → id of the article stored from that page before the run began (docs up to
    ``upto``); its own connection, opened in the process that asks (a forked reader)."""

    def __init__(self, url: str, upto: int) -> None:
        self._url = url
        self._upto = upto
        self._conn: Any = None
        self._pid = 0

    def __call__(self, page_key: str) -> str | None:
        if self._upto == 0:
            return None
        if self._conn is None or self._pid != os.getpid():
            self._conn = _connect(self._url)
            self._pid = os.getpid()
        with _translated(self._url):
            row = self._conn.execute("SELECT id FROM articles WHERE page_key = %s AND doc <= %s", (page_key, self._upto)).fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None


def store_exists(url: str) -> bool:
    """Whether the database at ``url`` holds a dedup store (StoreError when it cannot be reached)."""
    conn = _connect(url)
    try:
        with _translated(url):
            return conn.execute(_HAS_META).fetchone()[0]
    finally:
        conn.close()


@_guarded
class PostgresStore:
    """The store in the PostgreSQL database at ``url`` (tables in its search path)."""

    def __init__(self, conn: Any, url: str) -> None:
        self._conn = conn
        self.url = url
        self.name = display_name(url)
        self._months: set[int] = set()  # months whose band partition is known to exist

    @classmethod
    def open(cls, url: str, *, create: bool = True) -> PostgresStore:
        conn = _connect(url)
        try:
            store = cls(conn, url)
            store._migrate(create)
        except BaseException:
            conn.close()
            raise
        return store

    def _migrate(self, create: bool) -> None:
        """Bring the schema up to date, one numbered migration at a time (under a lock:
        two runs opening a new store at once create it once)."""
        with _translated(self.url):
            if not self._conn.execute(_HAS_META).fetchone()[0] and not create:
                raise StoreError(f"no store at {self.name}: run 'dedup index' first, or pass --store / set DEDUP_STORE")
            version = self._version()
            if version == SCHEMA_VERSION:
                return
            with self._transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_LOCK,))
                version = self._version()  # another run may have migrated it meanwhile
                if version > SCHEMA_VERSION:
                    raise StoreError(f"{self.name}: store schema {version}, this dedup reads {SCHEMA_VERSION}; upgrade dedup")
                for number, ddl in MIGRATIONS:
                    if number > version:
                        ddl(self._conn) if callable(ddl) else self._conn.execute(ddl)
                        self.set_meta("schema_version", str(number))
            if 0 < version < 2:
                # The rows moved into new partitions: their statistics and visibility map
                # (index-only probes) now, not when autovacuum comes (outside the transaction).
                self._conn.execute("VACUUM (ANALYZE) articles, bands")

    def _version(self) -> int:
        if not self._conn.execute(_HAS_META).fetchone()[0]:
            return 0
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return 0 if row is None else int(row[0])

    # -- transactions ---------------------------------------------------------
    @property
    def _in_transaction(self) -> bool:
        return self._conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    @contextmanager
    def _transaction(self, isolation: str = "READ COMMITTED") -> Iterator[None]:
        """One atomic write: all of it is committed, or none (nested: the outer one decides)."""
        if self._in_transaction:
            yield
            return
        self._conn.execute(f"BEGIN ISOLATION LEVEL {isolation}")
        try:
            yield
        except BaseException:
            with suppress(psycopg.Error):  # a lost connection: the server discards the transaction
                self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Reads inside see one committed state (a repeatable-read snapshot); nested, the outer holds."""
        with _translated(self.url), self._transaction("REPEATABLE READ READ ONLY"):
            yield

    @contextmanager
    def story_lock(self) -> Iterator[None]:
        """Story assignment, one run at a time: the lock is taken first, then the snapshot
        the assignment reads (a repeatable-read transaction begun once the lock is held, so
        it sees every earlier assignment and no article committed half-way through it).

        A session lock, not pg_advisory_xact_lock: a transaction's snapshot would be taken
        by the statement that waits for the lock, before the previous holder committed.
        A killed run's connection ends, and with it the lock and the open transaction."""
        with _translated(self.url):
            self._conn.execute("SELECT pg_advisory_lock(%s)", (_STORY_LOCK,))
        try:
            with _translated(self.url), self._transaction("REPEATABLE READ"):
                yield
        finally:
            with suppress(psycopg.Error):
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (_STORY_LOCK,))

    # -- meta -------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO meta(key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value)
        )

    # -- articles -----------------------------------------------------------------
    def known(self, ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        rows = self._conn.execute("SELECT id, doc, record_hash FROM articles WHERE id = ANY(%s)", (list(ids),))
        return {i: (int(d), h) for i, d, h in rows}

    def write_articles(
        self, new: Sequence[NewArticle], replace: dict[str, int], now: str, counts: LineCounts | None = None
    ) -> list[int]:
        conn = self._conn
        months = [_article_month(a.published_at, a.time_precision, a.published_raw, now) for a in new]
        if not set(months) <= self._months:
            # In a transaction of its own where it can be: an empty partition left by a
            # failed batch is harmless, and the batch's own holds no lock on the catalog.
            with self._transaction():
                _create_partitions(conn, months)
            self._months = set(_partitions(conn))
        with self._transaction():
            members: list[tuple[int, str | None]] = []
            if replace:
                # Reopening a story must not cross an assignment in progress (story_lock).
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_STORY_LOCK,))
            docs = [int(d) for (d,) in conn.execute("SELECT nextval('docs_seq') FROM generate_series(1, %s)", (len(new),))]
            for a, doc in zip(new, docs):
                prev: str | None = None
                old = replace.get(a.id)
                if old is not None:
                    # A new doc number, as in the embedded store; the story it was in is re-clustered.
                    row = conn.execute("SELECT COALESCE(story_id, prev_story) FROM memberships WHERE doc = %s", (old,)).fetchone()
                    prev = None if row is None else row[0]
                    if prev is not None:
                        conn.execute("UPDATE memberships SET prev_story = story_id, story_id = NULL WHERE story_id = %s", (prev,))
                    for table in ("bands", "memberships", "articles"):
                        conn.execute(f"DELETE FROM {table} WHERE doc = %s", (old,))
                members.append((doc, prev))
            with conn.cursor() as cur:
                with cur.copy(
                    "COPY articles(doc, id, url, outlet, title, text, published_at, time_precision, published_raw, record_hash, "
                    "n_shingles, signature, stripped, indexed_at, url_key, page_key, month) FROM STDIN"
                ) as copy:
                    for a, doc, month in zip(new, docs, months):
                        copy.write_row((
                            doc, a.id, a.url, a.outlet, a.title, a.text, a.published_at, a.time_precision, a.published_raw,
                            a.record_hash, a.n_shingles, a.signature.astype("<u4", copy=False).tobytes(),
                            json.dumps(list(a.stripped), ensure_ascii=False) if a.stripped else "[]", now,
                            url_key(a.url) or None, a.page_key or None, month,
                        ))
                with cur.copy("COPY memberships(doc, story_id, prev_story) FROM STDIN") as copy:
                    for doc, prev in members:
                        copy.write_row((doc, None, prev))
                with cur.copy("COPY bands(band_key, doc, month) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(_band_rows(docs, [np.asarray(a.band_keys, dtype=np.int64).ravel() for a in new], months))
            if counts is not None:
                self._count_lines(counts)
        return docs

    def article_count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def is_empty(self) -> bool:
        return not self._conn.execute("SELECT EXISTS (SELECT 1 FROM articles)").fetchone()[0]

    def lock_writer(self) -> None:
        """Many index runs may write at once (see the module's docstring): a shared lock
        only, held until close, which a task needing the store to itself could wait for."""
        self._conn.execute("SELECT pg_advisory_lock_shared(%s)", (_WRITERS_LOCK,))

    def begin_bulk(self) -> None:
        """Nothing to defer: other runs may be writing and reading the same tables."""

    def end_bulk(self) -> None:
        """A load into an empty store ends: the planner's statistics and the visibility map
        (index-only scans of the bands) are brought up to date before clustering joins the
        new rows; autovacuum would do it, later. (Outside a transaction: VACUUM needs that.)"""
        if not self._in_transaction:
            self._conn.execute("VACUUM (ANALYZE) articles, memberships, bands")

    def pending(self) -> list[int]:
        return [int(d) for (d,) in self._conn.execute("SELECT doc FROM memberships WHERE story_id IS NULL ORDER BY doc")]

    # -- LSH buckets (the bands table) ----------------------------------------------
    def candidates(self, docs: Sequence[int], keep: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
        """Per chunk of docs, one join on the server: every bucket entry sharing a key with
        them (the docs go in by COPY to a temporary table); then the pairs as the embedded
        store makes them (``segments.bucket_join``, a bucket of more than ``segments.clique_cap``
        members linking to its first member only)."""
        conn = self._conn
        params = self.get_meta("params")
        cap = clique_cap(int(json.loads(params)["rows"])) if params else clique_cap(3)
        parts: list[np.ndarray] = []
        asked = np.unique(np.asarray(docs, dtype=np.int64))
        with self._transaction():
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS dedup_asked (doc bigint PRIMARY KEY) ON COMMIT DELETE ROWS")
            for i in range(0, asked.size, _PROBE_CHUNK):
                chunk = asked[i : i + _PROBE_CHUNK]
                conn.execute("TRUNCATE dedup_asked")
                with conn.cursor() as cur:
                    with cur.copy("COPY dedup_asked(doc) FROM STDIN (FORMAT BINARY)") as copy:
                        copy.write(_doc_rows(chunk))
                    # The asked docs' own keys are read from their months' partitions only (a
                    # night's articles: the newest), named as constants so the planner prunes
                    # the others; the buckets they share are looked up in every month.
                    months = sorted(m for (m,) in cur.execute("SELECT DISTINCT a.month FROM articles a JOIN dedup_asked USING (doc)"))
                    with cur.copy(
                        "COPY (SELECT b.band_key, b.doc FROM bands b WHERE b.band_key IN "
                        f"(SELECT q.band_key FROM bands q JOIN dedup_asked USING (doc) WHERE q.month IN ({', '.join(map(str, months)) or 'NULL'}))) "
                        "TO STDOUT (FORMAT BINARY)"
                    ) as copy:
                        data = b"".join(bytes(block) for block in copy)
                rows = np.frombuffer(data, dtype=_BAND_ROW, offset=len(_COPY_HEADER), count=(len(data) - len(_COPY_HEADER) - 2) // _BAND_ROW.itemsize)
                order = np.lexsort((rows["doc"], rows["key"]))  # by key, then doc: a bucket's first member first
                keys, members = rows["key"][order].astype(np.int64), rows["doc"][order].astype(np.int64)
                mine = np.isin(members, chunk)
                qkeys, qdocs = keys[mine], members[mine]
                hits = bucket_join(keys, members, qkeys, cap)
                a, b = qdocs[hits[:, 0]], hits[:, 1]
                other = a != b
                parts.append(packed_pairs(a[other], b[other], keep))
        packed = sorted_unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
        return unpacked_pairs(packed)

    def candidates_for_keys(self, band_keys: np.ndarray) -> list[int]:
        keys = np.asarray(band_keys, dtype=np.int64).ravel().tolist()
        return [int(d) for (d,) in self._conn.execute("SELECT DISTINCT doc FROM bands WHERE band_key = ANY(%s) ORDER BY doc", (keys,))]

    def seal_index(self) -> list[Finding]:
        """Nothing to seal: the bands table is the index, current at every commit."""
        return []

    def signatures(self, docs: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        if not len(docs):
            return np.empty((0, 0), dtype=np.uint32), np.empty(0, dtype=np.int64)
        where: dict[int, list[int]] = {}
        for i, d in enumerate(docs):
            where.setdefault(int(d), []).append(i)
        sigs: np.ndarray | None = None
        sizes = np.empty(len(docs), dtype=np.int64)
        for doc, sig, n in self._chunked("SELECT doc, signature, n_shingles FROM articles WHERE doc = ANY(%s)", list(where)):
            row = np.frombuffer(sig, dtype="<u4")
            if sigs is None:
                sigs = np.empty((len(docs), row.size), dtype=np.uint32)
            pos = where.pop(int(doc))
            sigs[pos], sizes[pos] = row, n
        if where or sigs is None:
            raise KeyError(next(iter(where)))  # a doc not stored, as a lookup of it would say
        return sigs, sizes

    def _chunked(self, sql: str, values: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """Rows of ``sql`` with its one ``ANY(%s)`` bound to ``values``, a chunk at a time."""
        for i in range(0, len(values), _READ_CHUNK):
            yield from self._conn.execute(sql, (list(values[i : i + _READ_CHUNK]),))

    # -- stories ----------------------------------------------------------------
    def stories_of(self, docs: Iterable[int]) -> dict[int, str]:
        q = ("SELECT doc, COALESCE(story_id, prev_story) FROM memberships "
             "WHERE doc = ANY(%s) AND COALESCE(story_id, prev_story) IS NOT NULL")
        return {int(d): s for d, s in self._chunked(q, [int(d) for d in docs])}

    def identities(self, docs: Sequence[int]) -> dict[int, tuple[str, str]]:
        times: dict[str, str] = {}
        q = "SELECT doc, id, indexed_at FROM articles WHERE doc = ANY(%s)"
        return {int(d): (i, times.setdefault(t, t)) for d, i, t in self._chunked(q, [int(d) for d in docs])}

    def dated(self, docs: Sequence[int]) -> dict[int, tuple[str, str | None, str]]:
        q = "SELECT doc, outlet, published_at, time_precision FROM articles WHERE doc = ANY(%s)"
        return {int(d): (o, p, t) for d, o, p, t in self._chunked(q, [int(d) for d in docs])}

    def story_members(self, story_ids: Iterable[str]) -> dict[str, list[int]]:
        ids = list(set(story_ids))
        out: dict[str, list[int]] = {s: [] for s in ids}
        for sid, doc in self._conn.execute("SELECT story_id, doc FROM memberships WHERE story_id = ANY(%s) ORDER BY doc", (ids,)):
            out[sid].append(int(doc))
        return out

    def multi_outlet_stories(self, story_ids: Iterable[str]) -> set[str]:
        q = (f"SELECT m.story_id FROM memberships m JOIN articles a ON a.doc = m.doc {_ALIASED} WHERE m.story_id = ANY(%s) "
             f"GROUP BY m.story_id {_COPIES}")
        return {s for (s,) in self._conn.execute(q, (list(set(story_ids)),))}

    def story_created(self, story_ids: Iterable[str]) -> dict[str, str]:
        rows = self._conn.execute("SELECT story_id, created_at FROM stories WHERE story_id = ANY(%s)", (list(set(story_ids)),))
        return dict(rows.fetchall())

    def assign(self, assignments: dict[int, str], created: dict[str, str], touched: Iterable[str], dropped: Iterable[str], now: str) -> None:
        conn = self._conn
        with self._transaction():
            # Numbered in the transaction that commits the change (see the Store protocol).
            touched, dropped = list(set(touched)), list(set(dropped))
            seq = int(conn.execute(
                "INSERT INTO meta(key, value) VALUES ('change_seq', '1') "
                "ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text RETURNING value"
            ).fetchone()[0])
            conn.execute(
                "INSERT INTO stories(story_id, created_at, updated_at, created_seq, changed_seq) "
                "SELECT s, c, %(now)s, %(seq)s, %(seq)s FROM unnest(%(s)s::text[], %(c)s::text[]) AS t(s, c) ON CONFLICT DO NOTHING",
                {"now": now, "seq": seq, "s": list(created), "c": list(created.values())},
            )
            conn.execute("UPDATE stories SET updated_at = %s, changed_seq = %s WHERE story_id = ANY(%s)", (now, seq, touched))
            conn.execute("DELETE FROM stories WHERE story_id = ANY(%s)", (dropped,))
            conn.execute(
                "UPDATE memberships m SET story_id = t.s, prev_story = NULL FROM unnest(%s::bigint[], %s::text[]) AS t(d, s) "
                "WHERE m.doc = t.d",
                (list(assignments), list(assignments.values())),
            )

    def change_seq(self) -> int:
        return int(self.get_meta("change_seq") or 0)

    def mark_reported(self, seq: int, at: str) -> None:
        with self._transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_STORY_LOCK + 1,))  # two reports at once: one after the other
            last = self.get_meta("last_report_seq")
            if last is None or int(last) <= seq:
                self.set_meta("last_report_seq", str(seq))
                self.set_meta("last_report_at", at)

    # -- reading ------------------------------------------------------------------
    def articles(self, docs: Iterable[int] | None = None) -> Iterator[StoredArticle]:
        if docs is None:
            # Page by doc (no server-side cursor, which would need a transaction held open).
            last = -1
            while True:
                rows = self._conn.execute(
                    f"SELECT {_ARTICLE_COLS} FROM {_ARTICLES} WHERE a.doc > %s ORDER BY a.doc LIMIT %s", (last, _READ_CHUNK)
                ).fetchall()
                if not rows:
                    return
                for r in rows:
                    yield _row_to_article(r)
                last = rows[-1][0]
        wanted = sorted({int(d) for d in docs})
        for r in self._chunked(f"SELECT {_ARTICLE_COLS} FROM {_ARTICLES} WHERE a.doc = ANY(%s) ORDER BY a.doc", wanted):
            yield _row_to_article(r)

    def article_by(self, *, id: str | None = None, url: str | None = None) -> StoredArticle | None:
        c = self._conn
        if id is not None:
            r = c.execute(f"SELECT {_ARTICLE_COLS} FROM {_ARTICLES} WHERE a.id = %s", (id,)).fetchone()
        else:
            key = url_key(url or "")
            if not key:
                return None
            r = c.execute(f"SELECT {_ARTICLE_COLS} FROM {_ARTICLES} WHERE a.url = %s ORDER BY a.doc LIMIT 1", (url,)).fetchone()
            if r is None:
                r = c.execute(f"SELECT {_ARTICLE_COLS} FROM {_ARTICLES} WHERE a.url_key = %s ORDER BY a.doc LIMIT 1", (key,)).fetchone()
        return None if r is None else _row_to_article(r)

    def stored_pages(self) -> _StoredPages:
        return _StoredPages(self.url, int(self._conn.execute("SELECT COALESCE(MAX(doc), 0) FROM articles").fetchone()[0]))

    def set_page_keys(self, keys: dict[int, str]) -> None:
        with self._transaction():
            self._conn.execute(
                "UPDATE articles a SET page_key = t.k FROM unnest(%s::bigint[], %s::text[]) AS t(d, k) WHERE a.doc = t.d",
                (list(keys), list(keys.values())),
            )

    def signature_of(self, doc: int) -> np.ndarray:
        return self.signatures([doc])[0][0]

    def stories_changed_since(self, since: str | None) -> list[tuple[str, str, str]]:
        q = (
            "SELECT s.story_id, s.created_at, s.updated_at FROM stories s "
            "WHERE (%(since)s::text IS NULL OR s.updated_at > %(since)s) AND "
            "(SELECT COUNT(*) FROM memberships m WHERE m.story_id = s.story_id) > 1 ORDER BY s.created_at, s.story_id"
        )
        return [tuple(r) for r in self._conn.execute(q, {"since": since})]  # type: ignore[misc]

    def stories_changed_after(self, seq: int) -> list[tuple[str, bool]]:
        q = (
            "SELECT s.story_id, s.created_seq > %(seq)s FROM stories s WHERE s.changed_seq > %(seq)s AND "
            "(SELECT COUNT(*) FROM memberships m WHERE m.story_id = s.story_id) > 1 ORDER BY s.created_at, s.story_id"
        )
        return [(str(sid), bool(new)) for sid, new in self._conn.execute(q, {"seq": seq})]

    # -- outlet aliases -------------------------------------------------------------
    def outlet_aliases(self) -> dict[str, str]:
        return {name: target for name, target in self._conn.execute("SELECT name, target FROM outlet_aliases ORDER BY key")}

    def set_outlet_aliases(self, add: Iterable[tuple[str, str]], remove: Iterable[str] = ()) -> list[str]:
        conn = self._conn
        with self._transaction():
            missing = [n for n in remove if conn.execute("DELETE FROM outlet_aliases WHERE key = %s", (outlet_key(n),)).rowcount == 0]
            for n, t in add:
                conn.execute(
                    "INSERT INTO outlet_aliases(key, name, target) VALUES (%s, %s, %s) "
                    "ON CONFLICT (key) DO UPDATE SET name = excluded.name, target = excluded.target",
                    (outlet_key(n), n.strip(), t.strip()),
                )
        return missing

    # -- outlet boilerplate ---------------------------------------------------------
    def _count_lines(self, counts: LineCounts) -> None:
        """Add ``counts`` in the caller's transaction (the one writing the articles counted)."""
        conn = self._conn
        conn.execute(
            "INSERT INTO outlet_articles AS o (outlet, articles) SELECT * FROM unnest(%s::text[], %s::bigint[]) "
            "ON CONFLICT (outlet) DO UPDATE SET articles = o.articles + excluded.articles",
            (list(counts.articles), list(counts.articles.values())),
        )
        if not counts.lines:
            return
        o, k, text, n = (list(c) for c in zip(*counts.lines))
        # A line's text is kept from its second sighting on: inserted with its text, then
        # dropped again from the rows seen once only (as the embedded store keeps them).
        conn.execute(
            "INSERT INTO outlet_lines AS l (outlet, key, line, articles, first_seen) "
            "SELECT o, k, t, n, %s FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::bigint[]) AS u(o, k, t, n) "
            "ON CONFLICT (outlet, key) DO UPDATE SET articles = l.articles + excluded.articles, line = COALESCE(l.line, excluded.line)",
            (counts.at, o, k, text, n),
        )
        conn.execute(
            "UPDATE outlet_lines l SET line = NULL FROM unnest(%s::text[], %s::bigint[]) AS u(o, k) "
            "WHERE l.outlet = u.o AND l.key = u.k AND l.articles < 2",
            (o, k),
        )

    def outlet_articles(self, outlets: Iterable[str]) -> dict[str, int]:
        rows = self._conn.execute("SELECT outlet, articles FROM outlet_articles WHERE outlet = ANY(%s)", (sorted(set(outlets)),))
        return {o: int(n) for o, n in rows}

    def outlet_lines(
        self, outlets: Iterable[str] | None, min_articles: int, min_share: float, pending: LineCounts | None = None
    ) -> dict[str, tuple[int, list[tuple[str, int, str]]]]:
        from .sqlite import select_lines

        conn = self._conn

        def recurring(outlet: str, floor: float) -> list[tuple[str, int, str]]:
            rows = conn.execute(
                "SELECT line, articles, first_seen FROM outlet_lines WHERE outlet = %s AND articles >= %s "
                'AND articles >= 2 AND line IS NOT NULL ORDER BY articles DESC, line COLLATE "C"',
                (outlet, floor),
            )
            return [(str(r[0]), int(r[1]), str(r[2])) for r in rows]

        def reachable(outlet: str, reach: float) -> dict[int, tuple[str | None, int, str]]:
            rows = conn.execute(
                "SELECT key, line, articles, first_seen FROM outlet_lines WHERE outlet = %s AND articles >= %s", (outlet, max(reach, 1))
            )
            return {int(k): (line, int(n), first) for k, line, n, first in rows}

        totals = {o: int(n) for o, n in conn.execute("SELECT outlet, articles FROM outlet_articles")}
        return select_lines(totals, outlets, min_articles, min_share, pending, recurring, reachable)

    # -- retention --------------------------------------------------------------------
    def prune(self, before: datetime, dry_run: bool = False) -> PruneResult:
        """See :meth:`Store.prune`: one transaction, under the story lock (a prune changes
        stories: not while a run assigns them). Band rows go by partition: every month
        before the cutoff's is dropped whole; in the cutoff's own month, the expired
        articles' rows are deleted (only that month's articles are read one by one).
        A star bucket links to its first remaining member."""
        conn = self._conn
        cut_month = month_of(before)
        with self._transaction("REPEATABLE READ"):
            if not dry_run:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_STORY_LOCK,))
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS dedup_pruned (doc bigint PRIMARY KEY) ON COMMIT DELETE ROWS")
            conn.execute("TRUNCATE dedup_pruned")
            # Every article of an earlier month has expired (its expiry is before the month
            # of the cutoff began); of the cutoff's month, those expired by then.
            old = conn.execute("SELECT doc, published_at IS NULL FROM articles WHERE month < %s", (cut_month,)).fetchall()
            gone = [int(d) for d, _ in old]
            undated = sum(bool(u) for _, u in old)
            straddling = conn.execute(
                "SELECT doc, published_at, time_precision, published_raw, indexed_at FROM articles WHERE month = %s", (cut_month,)
            ).fetchall()
            for doc, published, precision, raw, indexed in straddling:
                if expired(published, precision, raw, indexed, before):
                    gone.append(int(doc))
                    undated += published is None
            with conn.cursor() as cur, cur.copy("COPY dedup_pruned(doc) FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(_doc_rows(np.asarray(gone, dtype=np.int64)))
            # A member waiting to be re-clustered holds its story as prev_story.
            hit = {s for (s,) in conn.execute(
                "SELECT DISTINCT COALESCE(m.story_id, m.prev_story) FROM memberships m JOIN dedup_pruned p ON p.doc = m.doc "
                "WHERE COALESCE(m.story_id, m.prev_story) IS NOT NULL"
            )}
            kept = {s for (s,) in conn.execute(
                "SELECT DISTINCT s FROM (SELECT story_id AS s, doc FROM memberships WHERE story_id = ANY(%(hit)s) "
                "UNION ALL SELECT prev_story, doc FROM memberships WHERE prev_story = ANY(%(hit)s)) m "
                "WHERE NOT EXISTS (SELECT 1 FROM dedup_pruned p WHERE p.doc = m.doc)",
                {"hit": sorted(hit)},
            )}
            dropped, changed = hit - kept, hit & kept
            if not dry_run:
                for month, name in sorted(_partitions(conn).items()):
                    if month < cut_month:
                        conn.execute(f"DROP TABLE {name}")
                self._months.clear()
                if gone:
                    conn.execute("DELETE FROM bands t USING dedup_pruned p WHERE t.doc = p.doc AND t.month = %s", (cut_month,))
                    for table in ("memberships", "articles"):
                        conn.execute(f"DELETE FROM {table} t USING dedup_pruned p WHERE t.doc = p.doc")
                conn.execute("DELETE FROM stories WHERE story_id = ANY(%s)", (sorted(dropped),))
        cut = before.astimezone(timezone.utc).isoformat()
        return PruneResult(cut, len(gone), undated, len(dropped), tuple(sorted(changed)), dry_run)

    def counts(self) -> dict[str, int]:
        c = self._conn

        def one(sql: str) -> int:
            return int(c.execute(sql).fetchone()[0])

        return {
            "articles": one("SELECT COUNT(*) FROM articles"),
            "outlets": one("SELECT COUNT(DISTINCT lower(outlet)) FROM articles"),
            "stories": one("SELECT COUNT(*) FROM stories"),
            "stories_with_copies": one(
                "SELECT COUNT(*) FROM (SELECT m.story_id FROM memberships m JOIN articles a ON a.doc = m.doc "
                f"{_ALIASED} WHERE m.story_id IS NOT NULL GROUP BY m.story_id {_COPIES}) x"
            ),
            "pending": one("SELECT COUNT(*) FROM memberships WHERE story_id IS NULL"),
            "buckets": one("SELECT COUNT(*) FROM bands"),
        }

    def size_bytes(self) -> int:
        tables = ["meta", "articles", "memberships", "bands", "stories", "outlet_articles", "outlet_lines", "outlet_aliases"]
        # (A partitioned table has no storage of its own: its partition tree is summed.)
        return int(self._conn.execute(
            "SELECT COALESCE(SUM(pg_total_relation_size(p.relid)), 0) FROM unnest(%s::text[]) AS t, pg_partition_tree(to_regclass(t)) p",
            (tables,),
        ).fetchone()[0])

    # -- integrity ------------------------------------------------------------------
    def check(self, repair: bool = False) -> list[Finding]:
        """The store's own invariants, as the embedded store checks them, and the bands
        table against the articles. Nothing here is derived outside the database, so
        ``repair`` has nothing to rebuild; the server's own storage is PostgreSQL's to
        verify (amcheck, pg_checksums)."""
        from .sqlite import pending_note, row_invariants

        def count(sql: str) -> int:
            return int(self._conn.execute(sql).fetchone()[0])

        out = row_invariants(count, self.name)
        n = count("SELECT COUNT(*) FROM bands b WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.doc = b.doc)")
        if n:
            out.append(Finding(self.name, f"band entries of no article: {n:,}"))
        n = count(
            "SELECT COUNT(*) FROM (SELECT a.doc FROM articles a LEFT JOIN bands b ON b.doc = a.doc GROUP BY a.doc "
            "HAVING COUNT(b.doc) <> (SELECT COUNT(*) FROM bands WHERE doc = (SELECT MIN(doc) FROM articles))) x"
        )
        if n:
            out.append(Finding(self.name, f"articles whose band entries differ in number from the first article's: {n:,}"))
        return out + pending_note(count, self.name)

    def close(self) -> None:
        self._conn.close()
