from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

import dedup.read.background as background
from dedup.config import ReadConfig
from dedup.errors import InputError
from dedup.model import Article, Notice, Rejected
from dedup.read import read_paths
from dedup.read.background import can_read_in_background, read_in_background

pytestmark = pytest.mark.skipif(not can_read_in_background([]), reason="needs the fork start method")


def _mixed_input(tmp_path: Path, n: int = 700) -> Path:
    lines = []
    for i in range(n):
        if i % 97 == 5:
            lines.append("{not json")
        elif i % 89 == 7:
            lines.append(f'{{"id": "x{i}", "text": "body {i}", "published_at": "someday"}}')
        else:
            lines.append(f'{{"id": "a{i}", "url": "https://www.example.co.uk/{i}", "text": "Body {i}.", "published_at": "2026-11-2{i % 9}T0{i % 10}:00:00"}}')
    lines.append('{"id": "a10", "text": "a repeated id"}')
    p = tmp_path / "in.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_same_items_in_the_same_order_as_reading_in_the_foreground(tmp_path: Path) -> None:
    path = _mixed_input(tmp_path)
    cfg = ReadConfig(tz="Asia/Jakarta")
    fore = list(read_paths([str(path)], cfg))
    back = list(read_in_background([str(path)], cfg, workers=2))
    assert back == fore
    assert {type(i) for i in back} == {Article, Rejected, Notice}
    assert len(back) > 2 * 256  # several batches


def test_page_progress_is_reported(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for i in range(3):
        (pages / f"p{i}.html").write_text(f"<html><head><title>T{i}</title></head><body><article><p>{'Word ' * 80}{i}</p></article></body></html>")
    seen: list[int] = []
    items = list(read_in_background([str(pages)], ReadConfig(), workers=2, progress=seen.append))
    assert len(items) == 3 and sum(seen) == 3


def test_an_error_in_the_reader_reaches_the_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        yield Rejected("x:1", "empty text")
        raise InputError("in.jsonl: cannot read (simulated)")

    monkeypatch.setattr(background, "read_paths", broken)
    got = read_in_background(["in.jsonl"], ReadConfig(), workers=2)
    with pytest.raises(InputError, match="simulated"):
        list(got)


def test_a_reader_that_dies_is_an_input_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def dies(*args, **kwargs):  # type: ignore[no-untyped-def]
        os.kill(os.getpid(), signal.SIGKILL)
        yield  # pragma: no cover

    monkeypatch.setattr(background, "read_paths", dies)
    with pytest.raises(InputError, match="reader process stopped unexpectedly"):
        list(read_in_background(["in.jsonl"], ReadConfig(), workers=2))


def test_stdin_is_never_read_in_the_background() -> None:
    assert not can_read_in_background(["a.jsonl", "-"])
    assert can_read_in_background(["a.jsonl"])


def test_closing_early_stops_the_reader(tmp_path: Path) -> None:
    path = _mixed_input(tmp_path, n=5000)
    it = read_in_background([str(path)], ReadConfig(), workers=2)
    next(it)
    it.close()  # e.g. the indexer failed: the reader must not linger
    import multiprocessing as mp

    assert not [p for p in mp.active_children() if p.name == "dedup-reader"]


def _survivors_of_a_killed_parent(script: str) -> list[int]:
    """Run ``script`` (which prints its children's pids, then dies without clean-up,
    as under SIGKILL); the children still running 10 s later, killed then."""
    import subprocess
    import sys
    import time

    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True).stdout
    pids: list[int] = eval(out)  # noqa: S307 -- our own list of ints
    assert pids
    deadline = time.monotonic() + 10
    while pids and time.monotonic() < deadline:
        for pid in list(pids):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                pids.remove(pid)
        time.sleep(0.2)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return pids


def test_the_reader_exits_when_its_parent_is_killed(tmp_path: Path) -> None:
    path = _mixed_input(tmp_path, n=20000)  # more than the queue holds: the reader blocks on it
    script = (
        "import multiprocessing as mp, os, time\n"
        "from dedup.config import ReadConfig\n"
        "from dedup.read.background import read_in_background\n"
        f"it = read_in_background([{str(path)!r}], ReadConfig(), workers=2)\n"
        "time.sleep(1.5)\n"
        "print([p.pid for p in mp.active_children()], flush=True)\n"
        "os._exit(0)\n"
    )
    assert not _survivors_of_a_killed_parent(script), "the orphaned reader was still running 10 s after its parent died"


def test_page_workers_exit_when_their_parent_is_killed(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for i in range(40):
        (pages / f"p{i}.html").write_text(f"<html><body><article><p>{'Word ' * 200}{i}</p></article></body></html>")
    script = (
        "import multiprocessing as mp, os\n"
        "from dedup.config import ReadConfig\n"
        "from dedup.read import read_paths\n"
        f"it = read_paths([{str(pages)!r}], ReadConfig(), workers=2)\n"
        "next(it)\n"
        "print([p.pid for p in mp.active_children()], flush=True)\n"
        "os._exit(0)\n"
    )
    assert not _survivors_of_a_killed_parent(script), "page workers still running 10 s after their parent died"


def test_a_child_whose_parent_died_before_it_looked_exits() -> None:
    # The parent's pid is taken before the fork: read in the child, a parent killed in
    # the first milliseconds would be PID 1 already, and the child would watch that.
    script = (
        "import os, time\n"
        "from dedup.read.watchdog import exit_with_parent\n"
        "parent = os.getpid()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    time.sleep(1.0)  # the parent is gone by now: this child was re-parented\n"
        "    exit_with_parent(parent, interval=0.1)\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        "print([pid], flush=True)\n"
        "os._exit(0)\n"
    )
    assert not _survivors_of_a_killed_parent(script), "a child re-parented before its watch began was still running 10 s later"
