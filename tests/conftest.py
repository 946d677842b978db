"""Shared fixtures.

The news texts in ``tests/fixtures/news/`` are short articles written for these
tests (English and Indonesian, 150-400 words, unrelated topics except the two
independently written flood reports). Each file is a title line, a blank line,
then paragraphs separated by blank lines.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from dedup.config import Config

FIXTURES = Path(__file__).parent / "fixtures"
NEWS_DIR = FIXTURES / "news"


@dataclass(frozen=True)
class News:
    key: str
    title: str
    body: str

    @property
    def paragraphs(self) -> list[str]:
        return self.body.split("\n\n")


def load_news() -> dict[str, News]:
    out = {}
    for f in sorted(NEWS_DIR.glob("*.txt")):
        title, _, body = f.read_text(encoding="utf-8").partition("\n\n")
        out[f.stem] = News(f.stem, title.strip(), body.strip())
    return out


def junk_wrap(title: str, body: str, site: str = "korannews.com") -> str:
    """A verbatim copy as a scraper sees it: title three times, a protection notice,
    a site dateline, a "Baca juga" line, a share bar and a copyright footer."""
    paras = body.split("\n\n")
    lines = [
        f"{title} {title} {title}",
        "error: Content is protected !!",
        f"{site} – {paras[0]}",
        *paras[1:2],
        "Baca juga: Harga cabai rawit melonjak jelang akhir tahun",
        *paras[2:],
        "Share this article",
        "Subscribe to our newsletter",
        f"© 2026 {site}. All rights reserved.",
    ]
    return "\n".join(lines)


def abridge(body: str, n: int = 2) -> str:
    """The first ``n`` paragraphs only (a common way to copy a story)."""
    return "\n\n".join(body.split("\n\n")[:n])


def make_row(
    ident: str,
    text: str,
    *,
    title: str = "",
    outlet: str | None = None,
    url: str | None = None,
    published_at: str | None = None,
) -> dict[str, object]:
    site = outlet or "example.com"
    row: dict[str, object] = {
        "id": ident,
        "url": url or f"https://www.{site}/news/{ident}",
        "title": title,
        "text": text,
    }
    if outlet is not None:
        row["outlet"] = outlet
    if published_at is not None:
        row["published_at"] = published_at
    return row


def write_jsonl(path: Path, rows: Iterable[dict[str, object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test writes ./dedup-store or uses every core by accident."""
    monkeypatch.setenv("DEDUP_STORE", str(tmp_path / "default-store"))
    monkeypatch.setenv("DEDUP_WORKERS", "1")


@pytest.fixture(scope="session")
def news() -> dict[str, News]:
    texts = load_news()
    assert len(texts) >= 6, "tests/fixtures/news/ is missing"
    return texts


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    return Config(store=tmp_path / "store", progress=False, workers=1)


def scenario_rows(n: dict[str, News]) -> dict[str, dict[str, object]]:
    """Rows of the standard scenario, by id.

    - ``tram-orig`` (riverpost.com, earliest) and its copies ``tram-junk``
      (korannews.com: junk-wrapped verbatim) and ``tram-abr`` (dailyecho.net:
      first two paragraphs only);
    - ``beras-orig`` / ``beras-copy``, ``gempa-orig`` / ``gempa-copy``;
    - ``flood-a`` and ``flood-b``: two independent reports of one event;
    - singletons ``rates``, ``football``, ``krl``.
    """
    rows = [
        make_row("tram-orig", n["tram"].body, title=n["tram"].title, outlet="riverpost.com",
                 published_at="2026-11-24T08:00:00+00:00"),
        make_row("tram-junk", junk_wrap(n["tram"].title, n["tram"].body), title=n["tram"].title,
                 outlet="korannews.com", published_at="2026-11-24T09:30:00+00:00"),
        make_row("tram-abr", abridge(n["tram"].body), title=n["tram"].title, outlet="dailyecho.net",
                 published_at="2026-11-24T12:00:00+00:00"),
        make_row("beras-orig", n["beras"].body, title=n["beras"].title, outlet="kompas.com",
                 published_at="2026-11-24T10:00:00+07:00"),
        make_row("beras-copy", junk_wrap(n["beras"].title, n["beras"].body, "beritaku.id"), title=n["beras"].title,
                 outlet="beritaku.id", published_at="2026-11-24T11:15:00+07:00"),
        make_row("gempa-orig", n["gempa"].body, title=n["gempa"].title, outlet="antaranews.com",
                 published_at="2026-11-25T07:10:00+07:00"),
        make_row("gempa-copy", junk_wrap(n["gempa"].title, n["gempa"].body, "infoterkini.id"), title=n["gempa"].title,
                 outlet="infoterkini.id", published_at="2026-11-25T08:00:00+07:00"),
        make_row("flood-a", n["flood_a"].body, title=n["flood_a"].title, outlet="valleytimes.co.uk",
                 published_at="2026-11-23T09:00:00+00:00"),
        make_row("flood-b", n["flood_b"].body, title=n["flood_b"].title, outlet="northernpost.co.uk",
                 published_at="2026-11-23T10:00:00+00:00"),
        make_row("rates", n["rates"].body, title=n["rates"].title, outlet="finwire.com",
                 published_at="2026-11-25T14:00:00+00:00"),
        make_row("football", n["football"].body, title=n["football"].title, outlet="sportsdesk.com",
                 published_at="2026-11-22T17:45:00+00:00"),
        make_row("krl", n["krl"].body, title=n["krl"].title, outlet="detik.com",
                 published_at="2026-11-25T06:00:00+07:00"),
    ]
    return {str(r["id"]): r for r in rows}


@pytest.fixture
def articles(news: dict[str, News]) -> dict[str, dict[str, object]]:
    """A fresh copy of :func:`scenario_rows` for each test."""
    return scenario_rows(news)


@pytest.fixture
def jsonl(tmp_path: Path) -> Callable[..., Path]:
    """Write rows to ``tmp_path/<name>`` as JSON Lines."""

    def write(name: str, rows: Iterable[dict[str, object]]) -> Path:
        return write_jsonl(tmp_path / name, rows)

    return write


@pytest.fixture
def wrap_junk() -> Callable[..., str]:
    return junk_wrap


@pytest.fixture
def abridged() -> Callable[..., str]:
    return abridge


@pytest.fixture
def row() -> Callable[..., dict[str, object]]:
    return make_row


# -- a throwaway PostgreSQL server (tests/_postgres.py) ------------------------------------


@pytest.fixture(scope="session")
def pg_server():  # type: ignore[no-untyped-def]
    """One PostgreSQL server for the session; skipped (failed in CI) when none can be started."""
    import os

    from _postgres import Server

    try:
        import psycopg  # noqa: F401
        server = Server()
    except (ImportError, RuntimeError, OSError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"no PostgreSQL server for the tests: {exc}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server) -> str:  # type: ignore[no-untyped-def]
    """The address of a new, empty database on the session's server."""
    return pg_server.new_database()
