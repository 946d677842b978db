"""Fixtures of the store tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dedup.store import SQLiteStore, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A new, empty store, closed after the test."""
    s = open_store(tmp_path / "store")
    yield s
    s.close()
