"""A real PostgreSQL server for the tests, from Debian's package, in a temporary folder.

:class:`PostgresServer` runs ``initdb`` and ``pg_ctl`` (as the unprivileged user
``nobody`` when the tests run as root, since PostgreSQL refuses to run as root), listens
on 127.0.0.1 on a free port with ``trust`` authentication, and is stopped and removed
after. :func:`postgres_missing` says why it cannot run here (the tests that need it are
marked ``postgres`` and skipped with that reason).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

PG_ROOTS = [Path("/usr/lib/postgresql")]
UNPRIVILEGED = "nobody"


def pg_bin() -> Path | None:
    """The folder of the newest installed PostgreSQL server's programs, or None."""
    found = []
    for root in PG_ROOTS:
        if root.is_dir():
            for version in root.iterdir():
                if (version / "bin" / "pg_ctl").is_file() and (version / "bin" / "initdb").is_file():
                    found.append(version / "bin")
    if not found:
        return None
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


def postgres_missing() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None when they can."""
    if pg_bin() is None:
        return "needs the PostgreSQL server: install postgresql (scripts/setup-system.sh)"
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return "needs psycopg and psycopg-pool: install formgen's dependencies (make setup)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(UNPRIVILEGED)
        except KeyError:
            return f"runs PostgreSQL as the user {UNPRIVILEGED!r}, which this machine lacks"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One PostgreSQL server in its own folder; ``start()``, ``stop()``, ``restart()``."""

    def __init__(self) -> None:
        binaries = pg_bin()
        assert binaries is not None
        self.bin = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="formgen-pg-"))
        self.data = self.folder / "data"
        self.socket_dir = self.folder / "run"
        self.log = self.folder / "server.log"
        self.port = free_port()
        self.user = None if os.geteuid() != 0 else pwd.getpwnam(UNPRIVILEGED)
        for folder in (self.folder, self.socket_dir):
            folder.mkdir(exist_ok=True)
            if self.user is not None:
                os.chown(folder, self.user.pw_uid, self.user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / program), *args]
        kwargs: dict[str, object] = {}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120,
                              cwd=self.folder, **kwargs)  # type: ignore[call-overload]

    @property
    def url(self) -> str:
        """The URL of the server's ``postgres`` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self) -> None:
        self.stop()
        self.start()

    def new_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        end = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.1)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
