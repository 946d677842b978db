"""The HTTP API: each endpoint calls the library function its CLI command calls and
answers with the same JSON (``dedup query --json``, the report's JSON, the index
summary's counts). Needs FastAPI; :mod:`dedup.server` checks for it first.

Errors: a :class:`~dedup.errors.DedupError` is a 4xx (a store that cannot be used
a 503) with ``{"error": "one line"}``, as the CLI prints ``error: one line``; so
is a request FastAPI refuses (422, malformed JSON 400, unknown path 404); an error
dedup did not foresee is a 500 with one line, its traceback only in the server's log.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import Config, ReadConfig, ReportFilter
from ..errors import ConfigError, DedupError, InputError, QueryError, StoreError
from ..pipeline import QueryTarget, build_report, health, index_corpus, mark_reported, parse_since, query, story
from ..read import Records
from ..report import render
from ..report.json import query_dict, story_dict, summary_dict
from ..report.text import json_text


_MEDIA = {"json": "application/json", "html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8",
          "csv": "text/csv; charset=utf-8"}
# What records in a request are called in a reject: request:N, the Nth line or array element.
BODY_NAME = "request"


def _json(value: object, status: int = 200) -> Response:
    # json_text, as the CLI prints: the same keys, numbers and escapes.
    return Response(json_text(value) + "\n", status_code=status, media_type="application/json")


def _error(status: int, message: str, **more: object) -> Response:
    return _json({"error": " ".join(message.split()), **more}, status)


def _status(exc: DedupError) -> int:
    if isinstance(exc, StoreError):
        return 503  # missing, busy (another writer) or damaged: not the request's fault
    if isinstance(exc, QueryError):
        return 422  # a text with nothing left to compare (an unknown id is a 404 at /query)
    return 400


class QueryRequest(BaseModel):
    """``POST /query``: exactly one of ``text``, ``url`` or ``id`` (a stored article's)."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, description="Query with this text.")
    url: str | None = Field(None, description="Query with a stored article, by url (any form of it).")
    id: str | None = Field(None, description="Query with a stored article, by id.")
    top: int = Field(10, ge=1, le=1000, description="How many results.")

    @model_validator(mode="after")
    def _one_target(self) -> QueryRequest:
        given = [n for n in ("text", "url", "id") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of text, url or id" + (f" (got {', '.join(given)})" if given else ""))
        value = getattr(self, given[0])
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:  # JSON's "\ud800": half a UTF-16 pair, no character
            raise ValueError(f"{given[0]}: not valid Unicode (a lone surrogate at character {exc.start + 1})") from None
        return self


class BodyLimit:
    """Answers 413 to a request body of more than ``limit`` bytes while it is read: by its
    Content-Length before reading any of it, else (chunked) as soon as what was read passes
    the limit. A body within it is held and handed on whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = _error(413, f"request body over {self.limit:,} bytes (the server's --max-bytes)")
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            await too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: no one to answer
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.limit:
                await too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        handed = False

        async def replay() -> Message:
            nonlocal handed
            if handed:
                return await receive()  # (a disconnect, for whoever waits for one)
            handed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def records_of(body: bytes) -> Records:
    """A request body as records: a JSON array of them (or one JSON object), else JSON Lines.
    An array's elements are handed to the reader one a line, so that each is read and
    validated exactly as a line of a file is (``request:N`` is the Nth element)."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if not start:
        raise InputError("empty body: send records as a JSON array or as JSON Lines (one object a line)")
    if start in (b"[", b"{"):
        try:
            whole = json.loads(body.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            if start == b"[":  # an array that is not one: no line of it is a record
                where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
                raise InputError(f"malformed JSON array{where}: {getattr(exc, 'msg', exc)}") from None
            whole = None  # JSON Lines (or a broken line in them, rejected as such)
        if isinstance(whole, list):
            return Records(BODY_NAME, [json.dumps(row).encode() for row in whole])
        if isinstance(whole, dict):
            return Records(BODY_NAME, [json.dumps(whole).encode()])
    return Records(BODY_NAME, io.BytesIO(body))


def _validation_message(errors: Sequence[Any]) -> tuple[int, str]:
    """FastAPI's validation errors as (status, one line): malformed JSON is a 400."""
    if any(e.get("type") == "json_invalid" for e in errors):
        e = next(e for e in errors if e.get("type") == "json_invalid")
        return 400, f"malformed JSON: {e.get('ctx', {}).get('error', e.get('msg', ''))}"
    if any(e.get("type") == "model_attributes_type" and tuple(e.get("loc", ())) == ("body",) for e in errors):
        return 422, "the body must be a JSON object, sent as Content-Type: application/json"
    parts = []
    for e in errors:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
        parts.append(f"{where}: {e.get('msg', '')}" if where else str(e.get("msg", "")))
    return 422, "; ".join(parts).replace("Value error, ", "")


def create_app(cfg: Config) -> FastAPI:
    """The API over the store at ``cfg.store``. Articles are added with the store's own
    settings and ``cfg.read`` (its ``max_bytes`` also bounds a request body), one request
    at a time; queries and reports go on meanwhile (they only read)."""
    # Index with the store's settings (a new store: the defaults), as `dedup index` without them.
    # Raw pages (records with "html") are extracted on the page pool, as by `dedup index`:
    # its 30 s limit per page needs a process of its own off the main thread.
    cfg = replace(cfg, chosen=frozenset(), workers=max(cfg.effective_workers(), 2), progress=False)
    # The embedded store takes one writer process, and this process is it while indexing;
    # the compiled kernels (numba) also take one caller at a time, and only indexing calls them.
    # Waiting requests wait here, on the event loop, not each holding a thread of the pool
    # that queries and reports run on.
    writing = asyncio.Lock()
    app = FastAPI(
        title="dedup", summary="Near-duplicate and syndication detector for news: query, add articles, report.",
        version=_version(),
    )
    app.add_middleware(BodyLimit, limit=cfg.read.max_bytes)

    @app.exception_handler(DedupError)
    async def _dedup_error(request: Request, exc: DedupError) -> Response:
        return _error(_status(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        status, message = _validation_message(exc.errors())
        return _error(status, message)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # One line to the client; the traceback goes to the server's log (uvicorn logs it).
        what = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        return _error(500, f"unexpected {what} (a bug in dedup; the server's log has the traceback)")

    @app.get("/health", summary="The server is up and its store opens")
    def get_health() -> Response:
        """``{"status": "ok", "store", "articles", "last_report_at"}``; 503 when the store cannot be opened
        (none yet: ``POST /articles`` creates it)."""
        return _json({"status": "ok", **health(cfg)})

    @app.post("/query", summary="Articles similar to a text or a stored article (dedup query --json)")
    def post_query(body: QueryRequest) -> Response:
        """The ``top`` stored articles most similar to ``text``, or to the stored article ``id`` or
        ``url`` (404 when there is none), best first: ``{"query": {...}, "results": [...]}``."""
        target = QueryTarget(text=body.text, url=body.url, id=body.id)
        try:
            info, matches = query(cfg, target, k=body.top)
        except QueryError as exc:
            if body.text is None:
                return _error(404, str(exc))
            raise
        return _json(query_dict(info, matches))

    @app.post(
        "/articles", summary="Add articles (dedup index): a JSON array or JSON Lines",
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        }}},
    )
    async def post_articles(
        request: Request,
        tz: Annotated[str, Query(description="Time zone of naive timestamps, e.g. Asia/Jakarta.")] = "UTC",
        outlet: Annotated[str, Query(description="Outlet of records that name none and have no URL.")] = "",
    ) -> Response:
        """Records as ``dedup index`` reads a JSON Lines file (``id``, ``url``, ``outlet``, ``title``,
        ``text`` or ``html``, ``published_at``), validated and rejected alike: a rejected record is
        named ``request:N`` (the Nth line or element) with its reason, and the rest are stored.
        Answers the run's summary; 422 (with the summary) when every record was rejected."""
        body = await request.body()
        read_cfg = replace(cfg.read, tz=tz, outlet=outlet)  # a mistyped zone: ConfigError, a 400
        records = records_of(body)

        async with writing:
            summary = await run_in_threadpool(index_corpus, [records], replace(cfg, read=read_cfg))
        if summary.nothing_indexed:
            return _error(422, summary.nothing_indexed_message(), summary=summary_dict(summary))
        return _json(summary_dict(summary))

    @app.get("/stories/{story_id}", summary="One story: its members, origin and evidence (as in the report)")
    def get_story(story_id: str) -> Response:
        """The story as the JSON report lists it; 404 when the store has no such story."""
        found = story(cfg, story_id)
        if found is None:
            return _error(404, f"no story {story_id!r} in the store")
        return _json(story_dict(found))

    @app.get("/report", summary="The report (dedup report), without moving the nightly mark unless mark=true")
    def get_report(
        since: Annotated[str, Query(description="'last' (since the last marked report), 'all', or a date/time.")] = "last",
        format: Annotated[Literal["json", "html", "md", "csv"], Query(description="As dedup report --format.")] = "json",
        mark: Annotated[bool, Query(description="Remember this report as the last one (since=last only), as dedup report does.")] = False,
        limit: Annotated[int | None, Query(ge=0, description="Stories listed (0: all); default as dedup report.")] = None,
        tz: Annotated[str, Query(description="Zone of a since, published-from or published-to given without an offset.")] = "UTC",
        published_from: Annotated[str | None, Query(alias="published-from", description="As dedup report --published-from.")] = None,
        published_to: Annotated[str | None, Query(alias="published-to", description="As dedup report --published-to.")] = None,
        outlet: Annotated[list[str] | None, Query(description="As dedup report --outlet (repeatable).")] = None,
        relation: Annotated[list[str] | None, Query(description="As dedup report --relation (repeatable).")] = None,
        min_copies: Annotated[int, Query(alias="min-copies", ge=0, description="As dedup report --min-copies.")] = 0,
        source: Annotated[str | None, Query(description="As dedup report --source, e.g. AFP.")] = None,
    ) -> Response:
        """Stories new or grown since ``since``, with the desk's filters of ``dedup report``. A look
        (the default) leaves the mark where it is, so that tonight's ``dedup report`` still holds
        everything; ``mark=true`` moves it (the nightly report only: since=last, unfiltered)."""
        if mark and since != "last":
            raise ConfigError(f"mark=true: only the nightly report (since=last) is marked, not since={since!r}")
        ReadConfig(tz=tz)  # a mistyped zone: one clear line, as the CLI's --tz
        where = ReportFilter.of_text(published_from, published_to, tz, outlet or (), relation or (), min_copies, source, prefix="")
        if mark and where.active:
            raise ConfigError("mark=true: a filtered report leaves stories out, so it never moves the nightly mark")
        rep = build_report(cfg, since=parse_since(since, tz), mark=False, limit=limit, where=where)
        text = render(rep, format)
        if mark:  # once rendered: a report that failed to render is not lost
            mark_reported(cfg, rep)
        return Response(text, media_type=_MEDIA[format])

    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dedup")
    except PackageNotFoundError:  # run from a source tree
        return "0"
