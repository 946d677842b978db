"""Small read-only views of a store, shared by the cluster and pipeline tests."""

from __future__ import annotations

from dedup.config import Config
from dedup.store import open_store


def story_ids(cfg: Config) -> dict[str, str | None]:
    """article id → story id."""
    store = open_store(cfg.store, create=False)
    try:
        return {a.id: a.story_id for a in store.articles()}
    finally:
        store.close()


def store_counts(cfg: Config) -> dict[str, int]:
    store = open_store(cfg.store, create=False)
    try:
        return store.counts()
    finally:
        store.close()
