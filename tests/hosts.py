"""Several ``formgen serve`` processes behind a real HAProxy, as a site on several hosts runs.

:class:`Host` is one ``formgen serve`` in its own process and its own working folder (so
nothing is shared through files but what the options name); :class:`Balancer` is
``haproxy -f CONFIG -db`` in the foreground, sending requests to the hosts in turn
(round robin), asking each ``/health`` every second and passing the client's address
on in ``X-Forwarded-For``. Both are stopped by ``stop()`` (or as context managers).
Used by tests/test_serve_hosts.py and bench/bench_hosts.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Self

HAPROXY = "/usr/sbin/haproxy"


def haproxy_missing() -> str | None:
    """Why HAProxy cannot run here, or None when it can."""
    if shutil.which("haproxy") is None and not os.access(HAPROXY, os.X_OK):
        return "needs HAProxy: install haproxy (scripts/setup-system.sh)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    """Until ``url`` answers 200; AssertionError with the log when the process ends first."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise AssertionError(f"{url} stopped ({process.returncode}):\n"
                                 + log.read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer:\n" + log.read_text(errors="replace")[-3000:])
        time.sleep(0.1)


class Served:
    """A server process that answers ``/health`` at ``url``, logging to ``log``; stopped
    (SIGTERM, then SIGKILL after ``grace`` seconds) when the ``with`` block ends."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path
    grace: float = 10.0

    def ready(self, grace: float) -> None:
        """Wait until it answers; stop it and raise when it does not."""
        self.grace = grace
        try:
            wait_for(self.url + "/health", self.process, self.log)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=self.grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Host(Served):
    """``formgen serve ARGS --port P`` in ``folder``, with ``env`` added to this environment."""

    def __init__(self, folder: Path, *args: str, env: dict[str, str] | None = None):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "serve.log"
        environment = {**os.environ, **(env or {})}
        root = str(Path(__file__).resolve().parent.parent)  # this copy of formgen
        environment["PYTHONPATH"] = os.pathsep.join(
            p for p in (root, environment.get("PYTHONPATH", "")) if p)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from formgen.cli import main; main()", "serve",
                 "--host", "127.0.0.1", "--port", str(self.port), *args],
                cwd=folder, env=environment, stdout=out, stderr=subprocess.STDOUT)
        self.ready(20)


CONFIG = """global
    maxconn 512

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout check 5s
    retries 3
    option redispatch 1

frontend site
    bind 127.0.0.1:{port}
    default_backend hosts

backend hosts
    balance {balance}
    option forwardfor
    option httpchk
    http-check send meth GET uri /health ver HTTP/1.1 hdr Host localhost
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
{servers}
"""


class Balancer(Served):
    """HAProxy in front of ``hosts`` (``balance``: roundrobin, or source), in ``folder``."""

    def __init__(self, folder: Path, hosts: list[Host], balance: str = "roundrobin"):
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = folder / "haproxy.cfg"
        self.log = folder / "haproxy.log"
        servers = "\n".join(f"    server host{n} 127.0.0.1:{h.port} check"
                            for n, h in enumerate(hosts, 1))
        self.config.write_text(CONFIG.format(port=self.port, balance=balance, servers=servers))
        program = shutil.which("haproxy") or HAPROXY
        with self.log.open("wb") as out:
            self.process = subprocess.Popen([program, "-f", str(self.config), "-db"],
                                            stdout=out, stderr=subprocess.STDOUT)
        self.ready(10)
