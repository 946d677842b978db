"""A throwaway PostgreSQL server for the tests: initdb and pg_ctl in a temporary directory,
on a free port, as an unprivileged user when the tests run as root (the server refuses
root). Started once per test session (about 1 s); each test gets a database of its own.

``make test`` installs Debian's ``postgresql`` when ``initdb`` is missing; without it the
tests that need a server are skipped with the reason, or fail in CI (``$CI`` set).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

# The system user the server runs as when the tests run as root.
TEST_USER = "dedup-test"


def find_bin(name: str) -> str | None:
    """``name`` on PATH, else in Debian's versioned directory (the newest)."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return versions[-1] if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One running server; :meth:`stop` removes it and its files."""

    def __init__(self) -> None:
        self.initdb, self.pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
        if self.initdb is None or self.pg_ctl is None:
            raise RuntimeError("PostgreSQL's initdb is not installed (Debian: apt-get install postgresql; 'make test' does it)")
        self.as_user: list[str] = []
        self.dir = Path(tempfile.mkdtemp(prefix="dedup-pg-"))
        if os.geteuid() == 0:
            # The server will not run as root: a system user of its own, created once.
            if subprocess.run(["id", TEST_USER], capture_output=True).returncode != 0:
                subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER],
                               check=True, capture_output=True)
            shutil.chown(self.dir, TEST_USER)
            self.as_user = ["runuser", "-u", TEST_USER, "--"]
        self.data = self.dir / "data"
        self.port = _free_port()
        self._names = itertools.count(1)
        self._run(self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
        self.start()

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True, cwd=self.dir)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> None:
        # fsync off: the tests crash the server (immediate shutdown), never the machine.
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.dir / "log"), "-o", opts, "-w", "start")  # type: ignore[arg-type]

    def restart_immediate(self) -> None:
        """``pg_ctl restart -m immediate``: every connection is cut, no shutdown checkpoint."""
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.dir / "log"), "-o", opts, "-m", "immediate", "-w", "restart")  # type: ignore[arg-type]

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        """The address of a new, empty database."""
        import psycopg

        name = f"t{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")  # type: ignore[arg-type]
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
