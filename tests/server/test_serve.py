"""`dedup serve` over real HTTP: a started server (the CLI command, in a subprocess on a
free port) against a temporary store built from examples/sample/, its answers held
against what the CLI and the library say of the same store."""

from __future__ import annotations

import json
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dedup.cli import cli
from dedup.config import Config
from dedup.pipeline import index_corpus
from dedup.report.json import summary_dict
from dedup.store import open_store

pytest.importorskip("fastapi", reason="dedup serve needs the 'serve' extra (in 'test': make setup installs it)")

ROOT = Path(__file__).resolve().parents[2]
NIGHT1, NIGHT2 = ROOT / "examples/sample/night1.jsonl", ROOT / "examples/sample/night2.jsonl"
LIMIT = 100_000  # --max-bytes 100KB: night2 (79 KB) fits, night1 (164 KB) does not


def _cfg(store: Path) -> Config:
    return Config(store=store, chosen=frozenset(), workers=1, progress=False)


@pytest.fixture(scope="module")
def night1_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("serve") / "night1"
    index_corpus([str(NIGHT1)], _cfg(store))
    return store


def _copy(store: Path, to: Path) -> Path:
    shutil.copytree(store, to)
    return to


@contextmanager
def serving(store: Path, max_bytes: str = "100KB") -> Iterator[str]:
    """``dedup serve`` on any free port; its base URL once uvicorn says it listens."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dedup", "serve", "--store", str(store), "--port", "0", "--max-bytes", max_bytes],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    log: list[str] = []

    def drain() -> None:  # read all along: a full pipe would stop the server
        for line in proc.stderr:  # type: ignore[union-attr]
            log.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()
    try:
        while (line := lines.get(timeout=120)) is not None:
            if m := re.search(r"Uvicorn running on (http://\S+)", line):
                break
        else:
            pytest.fail("dedup serve did not start:\n" + "".join(log))
        yield m.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert "Traceback" not in "".join(log), "".join(log)


@pytest.fixture(scope="module")
def url(night1_store: Path) -> Iterator[str]:
    """A server on the night-1 store, for the tests that leave it as it is."""
    with serving(night1_store) as base:
        yield base


def call(method: str, url: str, body: bytes | dict[str, Any] | list[Any] | None = None, kind: str = "") -> tuple[int, str, bytes]:
    """(status, content type, body) of one request; a dict or a list is sent as JSON."""
    if isinstance(body, (dict, list)):
        body, kind = json.dumps(body).encode(), "application/json"
    headers = {"Content-Type": kind} if kind else {}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read()


def call_json(method: str, url: str, body: bytes | dict[str, Any] | list[Any] | None = None) -> tuple[int, Any]:
    status, kind, raw = call(method, url, body)
    assert kind == "application/json", (status, kind, raw[:300])
    return status, json.loads(raw)


def dedup(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _no_times(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k != "generated_at"}


def test_health_names_the_store_and_its_articles(url: str, night1_store: Path) -> None:
    status, body = call_json("GET", f"{url}/health")
    stats = json.loads(dedup("stats", "--json", "--store", str(night1_store)))
    assert status == 200
    assert body == {"status": "ok", "store": str(night1_store), "articles": stats["articles"], "last_report_at": None}


def test_no_store_yet_is_a_503_until_the_first_articles_create_it(tmp_path: Path) -> None:
    store = tmp_path / "new-store"
    with serving(store) as base:
        status, body = call_json("GET", f"{base}/health")
        assert status == 503 and str(store) in body["error"]
        assert call_json("POST", f"{base}/query", {"text": "anything at all"})[0] == 503
        status, summary = call_json("POST", f"{base}/articles", NIGHT2.read_bytes())
        assert status == 200 and summary["added"] > 0
        status, body = call_json("GET", f"{base}/health")
    assert status == 200 and body["articles"] == summary["added"]
    assert json.loads(dedup("stats", "--json", "--store", str(store)))["articles"] == summary["added"]


def test_query_by_id_url_and_text_answers_as_the_cli(url: str, night1_store: Path) -> None:
    first = json.loads(NIGHT1.read_text(encoding="utf-8").splitlines()[0])
    asked = [({"id": "korannews-0001", "top": 5}, ["--id", "korannews-0001", "--top", "5"]),
             ({"url": first["url"]}, ["--url", first["url"]]),
             ({"text": first["text"], "top": 3}, ["--text", first["text"], "--top", "3"])]
    for body, flags in asked:
        status, answer = call_json("POST", f"{url}/query", body)
        assert status == 200, answer
        assert answer["results"], body  # something to compare
        assert answer == json.loads(dedup("query", "--store", str(night1_store), "--json", *flags)), body


def test_query_for_an_unknown_article_is_a_404_and_a_bad_one_a_4xx(url: str) -> None:
    status, body = call_json("POST", f"{url}/query", {"id": "no-such-article"})
    assert status == 404 and "no article with id 'no-such-article'" in body["error"]
    for bad, why in (({"id": "a", "text": "b"}, "exactly one of text, url or id"), ({"id": "a", "top": 0}, "top"),
                     ({"ids": "a"}, "ids"), ({"text": "\ud800 x"}, "not valid Unicode")):
        status, body = call_json("POST", f"{url}/query", bad)
        assert status == 422 and why in body["error"], (bad, body)


def test_adding_articles_stores_what_dedup_index_stores(night1_store: Path, tmp_path: Path) -> None:
    served, by_cli = _copy(night1_store, tmp_path / "served"), _copy(night1_store, tmp_path / "cli")
    with serving(served) as base:
        status, summary = call_json("POST", f"{base}/articles", NIGHT2.read_bytes())
        # The same records again, as a JSON array: read alike, so all unchanged.
        rows = [json.loads(line) for line in NIGHT2.read_text(encoding="utf-8").splitlines() if line.strip()]
        again_status, again = call_json("POST", f"{base}/articles", json.dumps(rows).encode())
    expected = summary_dict(index_corpus([str(NIGHT2)], _cfg(by_cli)))
    assert status == 200 and summary["added"] == len(rows) > 0
    for key in ("seconds", "problems"):
        summary.pop(key), expected.pop(key)
    assert summary == expected
    assert again_status == 200 and (again["added"], again["unchanged"]) == (0, len(rows))
    # Then the same stories, first publishers and relations.
    report = ["report", "--since", "all", "--format", "json", "--limit", "0", "--no-mark", "--store"]
    assert _no_times(json.loads(dedup(*report, str(served)))) == _no_times(json.loads(dedup(*report, str(by_cli))))


def test_a_raw_page_record_is_extracted_as_dedup_index_extracts_it(night1_store: Path, tmp_path: Path) -> None:
    page = (ROOT / "tests/fixtures/html/kabarkota-banjir.html").read_text(encoding="utf-8")
    record = {"url": "https://kabarkota.example/banjir", "html": page}
    path = tmp_path / "page.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    by_cli = _copy(night1_store, tmp_path / "cli")
    dedup("index", "--store", str(by_cli), "--quiet", str(path))
    with serving(_copy(night1_store, tmp_path / "served")) as base:
        status, summary = call_json("POST", f"{base}/articles", [record])  # a JSON array of one
        assert status == 200 and summary["added"] == 1, summary
        _, served = call_json("POST", f"{base}/query", {"url": record["url"], "top": 3})
    assert served == json.loads(dedup("query", "--store", str(by_cli), "--json", "--url", record["url"], "--top", "3"))
    assert served["query"]["title"]  # extracted from the page


BAD_LINES = [
    '{"id": "ok-1", "outlet": "a.com", "text": "A record that is fine and will be stored, with text enough."}',
    '{"id": "no-text", "title": "nothing else"}',
    '{"id": "ctl\\u001b[2J", "text": "an id with a control character in it"}',
    '{"id": "broken", "text": ',
    '[1, 2]',
    '{"id": "ok-1", "text": "the same id again"}',
]


def test_bad_records_are_rejected_as_dedup_index_rejects_them(night1_store: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(BAD_LINES) + "\n", encoding="utf-8")
    cli_run = CliRunner().invoke(cli, ["index", "--store", str(_copy(night1_store, tmp_path / "cli")), "--workers", "1", str(path)])
    cli_rejects = [line.removeprefix("rejected ") for line in cli_run.stderr.splitlines() if line.startswith("rejected ")]
    with serving(_copy(night1_store, tmp_path / "served")) as base:
        status, summary = call_json("POST", f"{base}/articles", path.read_bytes())
        all_bad_status, all_bad = call_json("POST", f"{base}/articles", "\n".join(BAD_LINES[1:-1]).encode())
    assert status == 200 and (summary["added"], summary["rejected"]) == (1, len(BAD_LINES) - 1)
    messages = [p["message"].replace("request:", f"{path}:") for p in summary["problems"] if p["kind"] == "rejected"]
    assert len(cli_rejects) == len(BAD_LINES) - 1 and messages == cli_rejects
    # Nothing indexable at all: refused as `dedup index` refuses it (exit 3), with the summary.
    assert all_bad_status == 422 and all_bad["error"].startswith("nothing in the input could be indexed")
    assert all_bad["summary"]["rejected"] == len(BAD_LINES) - 2


def test_story_by_id_is_the_reports_story_and_an_unknown_one_a_404(url: str, night1_store: Path) -> None:
    report = json.loads(dedup("report", "--store", str(night1_store), "--since", "all", "--format", "json", "--no-mark"))
    wanted = report["stories"][0]
    status, story = call_json("GET", f"{url}/stories/{wanted['story_id']}")
    assert status == 200
    assert {k: v for k, v in story.items() if k != "is_new"} == {k: v for k, v in wanted.items() if k != "is_new"}
    status, body = call_json("GET", f"{url}/stories/s-nothing")
    assert status == 404 and body == {"error": "no story 's-nothing' in the store"}


def test_report_json_and_html_leave_the_nightly_mark_unless_asked(night1_store: Path, tmp_path: Path) -> None:
    store = _copy(night1_store, tmp_path / "store")
    tonight = ["report", "--store", str(store), "--format", "json", "--no-mark"]
    with serving(store) as base:
        status, served = call_json("GET", f"{base}/report?format=json")
        assert status == 200 and served["stories"]
        assert _no_times(served) == _no_times(json.loads(dedup(*tonight)))
        status, kind, html = call("GET", f"{base}/report?since=all&format=html")
        assert status == 200 and kind.startswith("text/html") and b"<html" in html
        assert call("GET", f"{base}/report?since=2026-11-24&tz=Asia/Jakarta")[0] == 200
        # The looks moved nothing: tonight's report still holds every story.
        assert json.loads(dedup("stats", "--json", "--store", str(store)))["last_report_at"] is None
        assert len(json.loads(dedup(*tonight))["stories"]) == len(served["stories"])
        assert call_json("GET", f"{base}/report?since=all&mark=true")[0] == 400  # only the nightly one is marked
        assert call("GET", f"{base}/report?mark=true")[0] == 200
        assert json.loads(dedup(*tonight))["stories"] == []
        status, body = call_json("GET", f"{base}/report?since=someday")
        assert status == 400 and "'someday'" in body["error"]


def test_malformed_bodies_get_a_4xx_with_a_json_error(url: str, night1_store: Path) -> None:
    before = json.loads(dedup("stats", "--json", "--store", str(night1_store)))["articles"]
    cases = [
        ("/query", b'{"id": ', 400, "malformed JSON"),
        ("/query", b'["korannews-0001"]', 422, "JSON object"),
        ("/query", b"id=korannews-0001", 422, "Content-Type: application/json"),  # curl -d without -H
        ("/articles", b'[{"id": "a", "text": "b"}, ', 400, "malformed JSON array at line 1"),
        ("/articles", b"  \n", 400, "empty body"),
        ("/articles?tz=Mars/Olympus", b'{"id": "a", "text": "b"}', 400, "--tz 'Mars/Olympus'"),
    ]
    for path, body, want, why in cases:
        status, kind, raw = call("POST", f"{url}{path}", body, "application/json" if b"{" in body or b"[" in body else "")
        assert (status, kind) == (want, "application/json"), (path, body, raw)
        error = json.loads(raw)["error"]
        assert why in error and "\n" not in error, error
    assert json.loads(dedup("stats", "--json", "--store", str(night1_store)))["articles"] == before


def test_an_oversized_body_is_refused_with_413_as_it_is_read(url: str, night1_store: Path) -> None:
    before = json.loads(dedup("stats", "--json", "--store", str(night1_store)))["articles"]
    status, body = call_json("POST", f"{url}/articles", NIGHT1.read_bytes())  # 164 KB, by its Content-Length
    assert status == 413 and "100,000 bytes" in body["error"]
    # Chunked, no length given: refused once what was read passes the limit. The body's last
    # chunk is never sent, so a server that read the whole body first would not answer at all.
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as s:
        s.sendall(b"POST /articles HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = NIGHT1.read_bytes()[:16_384]
        for _ in range(LIMIT // len(chunk) + 1):
            s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        answer = b""
        while b"\r\n\r\n" not in answer and (got := s.recv(65536)):
            answer += got
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert json.loads(dedup("stats", "--json", "--store", str(night1_store)))["articles"] == before


def test_concurrent_additions_are_written_one_at_a_time(night1_store: Path, tmp_path: Path) -> None:
    """Each request indexes as the store's one writer: side by side, none is refused as a
    second writer (a 503) and every article is stored."""
    lines = [line for line in NIGHT2.read_text(encoding="utf-8").splitlines() if line.strip()]
    parts = [("\n".join(lines[i::3]) + "\n").encode() for i in range(3)]
    store = _copy(night1_store, tmp_path / "store")
    with serving(store) as base:
        answers: list[tuple[int, Any]] = [(0, None)] * len(parts)
        start = threading.Barrier(len(parts))

        def post(i: int) -> None:
            start.wait()
            answers[i] = call_json("POST", f"{base}/articles", parts[i])

        threads = [threading.Thread(target=post, args=(i,)) for i in range(len(parts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert [s for s, _ in answers] == [200] * len(parts), answers
    assert sum(a["added"] for _, a in answers) == len(lines)
    night1 = json.loads(dedup("stats", "--json", "--store", str(night1_store)))["articles"]
    assert json.loads(dedup("stats", "--json", "--store", str(store)))["articles"] == night1 + len(lines)


def test_another_writer_makes_additions_503_while_queries_go_on(url: str, night1_store: Path) -> None:
    """While a `dedup index` run holds the embedded store, an addition is refused with a
    503 naming it, and queries, stories and reports are answered all the same."""
    store = open_store(night1_store)
    try:
        store.lock_writer()  # what an index run does first
        status, body = call_json("POST", f"{url}/articles", NIGHT2.read_bytes())
        assert status == 503 and "is being indexed by" in body["error"]
        assert call_json("POST", f"{url}/query", {"id": "korannews-0001"})[0] == 200
        assert call("GET", f"{url}/report?since=all")[0] == 200
    finally:
        store.close()


def test_openapi_docs_list_the_endpoints(url: str) -> None:
    status, kind, page = call("GET", f"{url}/docs")
    assert status == 200 and kind.startswith("text/html") and b"swagger" in page.lower()
    status, spec = call_json("GET", f"{url}/openapi.json")
    assert {"/health", "/query", "/articles", "/stories/{story_id}", "/report"} <= set(spec["paths"])


def test_serve_without_fastapi_says_so_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fastapi", None)  # as if not installed: importing it fails
    result = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert result.exit_code == 2
    assert result.stderr == "error: dedup serve needs FastAPI and uvicorn (fastapi is not installed): pip install 'dedup[serve]'\n"


def test_an_unforeseen_error_is_a_500_with_one_line_and_no_traceback(night1_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """create_app served by uvicorn on a thread, on a socket bound beforehand (requests wait in
    its backlog until the server accepts them), with a bug planted in the library."""
    import uvicorn

    from dedup.server import app as served

    def broken(cfg: Config) -> dict[str, object]:
        raise KeyError("planted")

    monkeypatch.setattr(served, "health", broken)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = uvicorn.Server(uvicorn.Config(served.create_app(_cfg(night1_store)), log_level="critical"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        status, kind, raw = call("GET", f"http://127.0.0.1:{sock.getsockname()[1]}/health")
    finally:
        server.should_exit = True
        thread.join()
        sock.close()
    assert (status, kind) == (500, "application/json")
    assert json.loads(raw) == {"error": "unexpected KeyError: 'planted' (a bug in dedup; the server's log has the traceback)"}


# -- over a PostgreSQL store (the session's throwaway server: tests/_postgres.py) -------------


@pytest.fixture
def pg_night1(pg_server: Any) -> str:
    """A new database on the test server holding night 1, addressed with a password (the
    server trusts every login, so any password does)."""
    store = pg_server.new_database().replace("postgres@", "postgres:s3cret-pw@", 1)
    index_corpus([str(NIGHT1)], Config(store=store, chosen=frozenset(), workers=1, progress=False))
    return store


def test_health_over_postgresql_names_the_server_without_its_password(pg_night1: str) -> None:
    with serving(pg_night1) as base:  # type: ignore[arg-type]
        status, kind, raw = call("GET", f"{base}/health")
    assert status == 200 and kind == "application/json"
    assert b"s3cret-pw" not in raw
    body = json.loads(raw)
    assert body["store"] == pg_night1.replace(":s3cret-pw", "") and body["articles"] > 0


def test_query_add_and_report_over_postgresql_answer_as_the_embedded_store(pg_night1: str, night1_store: Path, tmp_path: Path) -> None:
    embedded = _copy(night1_store, tmp_path / "embedded")
    with serving(pg_night1) as base:  # type: ignore[arg-type]
        status, answer = call_json("POST", f"{base}/query", {"id": "korannews-0001", "top": 5})
        assert status == 200 and answer["results"]
        # As the CLI answers on the same store (not as the embedded store: without a signature
        # scan, PostgreSQL scores the LSH candidates only, so weak matches may be missing).
        assert answer == json.loads(dedup("query", "--store", pg_night1, "--json", "--id", "korannews-0001", "--top", "5"))
        status, summary = call_json("POST", f"{base}/articles", NIGHT2.read_bytes())
        expected = summary_dict(index_corpus([str(NIGHT2)], _cfg(embedded)))
        for key in ("seconds", "problems"):
            summary.pop(key), expected.pop(key)
        assert status == 200 and summary["added"] > 0 and summary == expected
        status, served = call_json("GET", f"{base}/report?since=all&format=json")
        assert status == 200 and served["stories"]
        # The same stories, first publishers and relations as the embedded store's.
        by_cli = json.loads(dedup("report", "--store", str(embedded), "--since", "all", "--format", "json", "--no-mark"))
        assert _no_times(served) == _no_times(by_cli)
        # The report over HTTP moved no mark.
        assert json.loads(dedup("stats", "--json", "--store", pg_night1))["last_report_at"] is None


def test_report_takes_the_desks_filters_as_dedup_report_does(url: str, night1_store: Path) -> None:
    # The same filters as the CLI's flags, named alike; a filtered report never moves the mark.
    look = ["report", "--store", str(night1_store), "--since", "all", "--format", "json", "--no-mark"]
    cases = [
        ("outlet=KoranNews.COM&outlet=reuters.com", ["--outlet", "KoranNews.COM", "--outlet", "reuters.com"]),
        ("relation=partial_copy&min-copies=2", ["--relation", "partial_copy", "--min-copies", "2"]),
        ("source=AFP", ["--source", "AFP"]),
        ("published-from=2026-11-25&published-to=2026-11-25&tz=Asia/Jakarta",
         ["--published-from", "2026-11-25", "--published-to", "2026-11-25", "--tz", "Asia/Jakarta"]),
    ]
    everything = json.loads(dedup(*look))["stories"]
    for query, flags in cases:
        status, served = call_json("GET", f"{url}/report?since=all&format=json&{query}")
        wanted = json.loads(dedup(*look, *flags))
        assert status == 200 and _no_times(served) == _no_times(wanted), query
        assert 0 < len(served["stories"]) < len(everything), query  # each filter keeps some stories, not all
    status, body = call_json("GET", f"{url}/report?outlet=korannews.com&mark=true")
    assert status == 400 and "never moves the nightly mark" in body["error"]
    status, body = call_json("GET", f"{url}/report?since=all&relation=copied")
    assert status == 400 and "copied" in body["error"]
    status, body = call_json("GET", f"{url}/report?since=all&published-from=someday")
    assert status == 400 and "someday" in body["error"]
