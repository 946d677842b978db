"""``dedup serve``: query, add articles and report over HTTP (FastAPI + uvicorn).

An optional extra (``pip install 'dedup[serve]'``): the rest of dedup runs without
it, and :func:`create_app` / :func:`run` say in one line what is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config
from ..errors import ConfigError

if TYPE_CHECKING:
    from fastapi import FastAPI

# Loopback only: the API has no authentication and POST /articles writes to the
# store, so listening on every interface is a choice made on purpose (--host 0.0.0.0).
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _require() -> None:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"dedup serve needs FastAPI and uvicorn ({exc.name or exc} is not installed): pip install 'dedup[serve]'") from None


def create_app(cfg: Config) -> FastAPI:
    """The HTTP API over the store at ``cfg.store`` (see :mod:`dedup.server.app`);
    ``cfg.read.max_bytes`` bounds a request body as it bounds a record."""
    _require()
    from .app import create_app as create

    return create(cfg)


def run(cfg: Config, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve :func:`create_app` with uvicorn until interrupted (port 0: any free port,
    which uvicorn's start-up line names). One process: the embedded store takes one
    writer, and the server's own lock is what keeps its writes one at a time."""
    _require()
    import uvicorn

    uvicorn.run(create_app(cfg), host=host, port=port, log_level="info")
