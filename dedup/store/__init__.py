"""Storage backends behind one protocol (:class:`Store`): SQLite is the embedded default;
a ``postgresql://`` address selects the shared PostgreSQL store (``postgres.py``)."""

from __future__ import annotations

from pathlib import Path

from ..config import SERVER_PREFIXES
from .interface import Finding, LineCounts, NewArticle, PruneResult, Store, StoredArticle, expired
from .sqlite import DB_NAME, SQLiteStore
from .sqlite import discard_if_empty as _discard_directory

__all__ = [
    "Finding", "LineCounts", "NewArticle", "PruneResult", "Store", "StoredArticle", "SQLiteStore", "discard_if_empty", "expired",
    "is_server", "open_store", "store_exists", "store_name",
]


def is_server(location: Path | str) -> bool:
    """Whether ``location`` names a PostgreSQL server rather than a directory."""
    return isinstance(location, str) and location.startswith(SERVER_PREFIXES)


def open_store(location: Path | str, *, create: bool = True) -> Store:
    """Open (or create) the store at ``location``: a directory, or a ``postgresql://`` address."""
    if is_server(location):
        from .postgres import PostgresStore  # psycopg is an optional extra

        return PostgresStore.open(str(location), create=create)
    return SQLiteStore.open(Path(location), create=create)


def store_exists(location: Path | str) -> bool:
    """Whether a store is at ``location`` already."""
    if is_server(location):
        from .postgres import store_exists as on_server

        return on_server(str(location))
    return (Path(location) / DB_NAME).exists()


def store_name(location: Path | str) -> str:
    """``location`` as it may be shown: a server's address without its password."""
    if is_server(location):
        from .postgres import display_name

        return display_name(str(location))
    return str(location)


def discard_if_empty(location: Path | str, *, keep_settings: bool = True) -> bool:
    """Remove an embedded store that holds nothing (see :func:`.sqlite.discard_if_empty`);
    a server's tables are left alone (other runs may be starting on them)."""
    if is_server(location):
        return False
    return _discard_directory(Path(location), keep_settings=keep_settings)
