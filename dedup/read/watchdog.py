"""Forked helpers of an index run die with it.

The background reader and the page-extraction pool are forked children. If
the index run is killed with SIGKILL, nothing tells them: the reader would go
on parsing and the pool extracting pages (20 minutes of a large WARC) for
nobody. A daemon thread in each child checks once a second that its parent is
still the process that forked it, and ends the child when it is not: call
:func:`exit_with_parent` first thing in the child (or as a pool's initializer),
with the parent's pid taken *before* the fork: read in the child, a parent killed
in the first milliseconds would already be PID 1 (or a subreaper), and the child
would watch that for ever (found by benchmarks/faults.py: a reader alive 62 s
after its run was killed, blocked on its full queue).
"""

from __future__ import annotations

import os
import threading
import time


def exit_with_parent(parent: int, interval: float = 1.0) -> None:
    """Start the watch in this (child) process; ``parent`` is ``os.getpid()`` of the
    process that forked it, taken before the fork."""
    if os.getppid() != parent:  # gone already, between the fork and now
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:  # re-parented: the parent is gone
                os._exit(1)

    threading.Thread(target=watch, name="dedup-watchdog", daemon=True).start()
