"""A throwaway PostgreSQL server for the tests: initdb, pg_ctl, a Unix socket, no TCP.

The server runs from a fresh data folder under the system's temporary folder, listens
only on a socket in that folder, trusts local connections, and is stopped (and its folder
removed) at the end of the session. PostgreSQL refuses to run as root, so under root the
server runs as the ``postgres`` user that Debian's package creates.

``.ci/run`` installs Debian's PostgreSQL when it is missing. Outside CI a machine without
it skips the PostgreSQL tests with a message; in CI (``$CI`` set) they fail instead.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


class PgUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def _bindir() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if versions:
        return Path(versions[-1]).parent
    raise PgUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; install Debian's "
        "'postgresql' package (.ci/run does)"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """A running throwaway server; :meth:`new_database` gives a fresh database's URL."""

    def __init__(self, fsync: bool = False) -> None:
        self.fsync = fsync
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="detente-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_user: str | None = None
        self.superuser = pwd.getpwuid(os.geteuid()).pw_name
        if os.geteuid() == 0:
            self.as_user = "postgres"
            self.superuser = "postgres"
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._count = 0
        self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "--auth=trust",
                "--encoding=UTF8",
                "--no-instructions",
                "-U",
                self.superuser,
            ]
        )
        self.start()

    def start(self) -> None:
        """Start the server (again, after :meth:`crash`: it recovers from its WAL)."""
        # Test servers run without fsync (fast tests; an immediate stop still replays the
        # WAL from the page cache). The ledger refuses such a server unless
        # DETENTE_LEDGER_ALLOW_UNSAFE_FSYNC=1, which pg_server() below sets for the tests.
        # Benchmarks ask for fsync=True: a durable server, as in production.
        sync = "on" if self.fsync else "off"
        opts = (
            f"-k {self.root} -p {self.port} -c listen_addresses='' "
            f"-c fsync={sync} -c full_page_writes={sync}"
        )
        self._run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                opts,
                "-l",
                str(self.root / "server.log"),
                "-w",
                "start",
            ]
        )

    def crash(self) -> None:
        """Stop the server the way a crash would: no shutdown checkpoint, WAL replay on start."""
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"])

    def _run(self, cmd: list[str]) -> None:
        if self.as_user is not None:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{tail}"
            )

    def url(self, dbname: str) -> str:
        """The URL of database ``dbname`` on this server (over the socket)."""
        return f"postgresql://{self.superuser}@/{dbname}?host={self.root}&port={self.port}"

    def new_database(self) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        self._count += 1
        name = f"ledger_{self._count}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        try:
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"])
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def pg_server() -> Iterator[PgServer]:
    """Start a server for the session; skip (outside CI) or fail (in CI) without one."""
    import pytest

    from detente.ledger.postgres import UNSAFE_FSYNC_ENV

    # The explicit, documented opt-in for fsync=off servers: set for the tests only (and
    # inherited by the writer processes they start).
    os.environ[UNSAFE_FSYNC_ENV] = "1"
    try:
        server = PgServer()
    except PgUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()
