"""Fixtures of the store tests: ``store`` is each backend in turn (the contract both keep),
``sqlite_store`` the embedded one (tests of its files and SQLite itself)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dedup.store import SQLiteStore, Store, open_store


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a new store goes: a directory, or a new database on the test server."""
    if request.param == "sqlite":
        return tmp_path / "store"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(location: Path | str) -> Iterator[Store]:
    """A new, empty store of each backend, closed after the test."""
    s = open_store(location)
    assert isinstance(s, SQLiteStore) == isinstance(location, Path)  # a server address opens the server's store
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A new, empty embedded store, closed after the test."""
    s = SQLiteStore.open(tmp_path / "store")
    yield s
    s.close()
