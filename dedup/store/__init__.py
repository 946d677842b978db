"""Storage backends behind one protocol (:class:`Store`); SQLite is the embedded default."""

from __future__ import annotations

from pathlib import Path

from .interface import Finding, LineCounts, NewArticle, PruneResult, Store, StoredArticle, expired
from .sqlite import SQLiteStore, discard_if_empty

__all__ = ["Finding", "LineCounts", "NewArticle", "PruneResult", "Store", "expired", "StoredArticle", "SQLiteStore", "discard_if_empty", "open_store"]


def open_store(path: Path, *, create: bool = True) -> SQLiteStore:
    """Open (or create) the store at ``path``."""
    return SQLiteStore.open(path, create=create)
