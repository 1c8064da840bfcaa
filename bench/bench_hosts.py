"""Verification look-ups a second: one ``formgen serve`` host, and two behind HAProxy.

    python bench/bench_hosts.py [--seconds 8] [--clients 16] [--certificates 200]

Starts a PostgreSQL server (tests/postgres_server.py) and ``formgen serve`` processes on
one database (the link store and the look-up limits live there), each in its own folder,
and HAProxy in front of two of them (round robin, health checks; tests/hosts.py). For
``--seconds`` each, ``--clients`` threads ask ``/api/certificates/CODE`` for random codes of
the ``--certificates`` issued, each request from one of 1,000 client addresses (passed on
in X-Forwarded-For, which the hosts believe from the proxy), and the look-ups a second
and their p50/p95 latency are printed for: one host asked directly, one host behind the
proxy, two hosts behind the proxy (in turn, the best of two runs of each, since the
machine is shared), and the ratio of the last to the first, all measured in this run.

The register is read from PostgreSQL when this formgen can put it there (``formgen
register migrate --to``); until then it is one SQLite file both hosts read, which only
hosts on one machine can share: the figures then measure the look-up as the page makes
it (register read, audit reused, limit counted in PostgreSQL), not a register in
PostgreSQL. Said in the output either way.

Target: two hosts serve at least 1.3× the look-ups of one when the machine has 4 cores
or more for them; on fewer, where both hosts and the clients share the same cores, at
least 0.8× (the proxy and the second host cost little, and nothing is gained either).
Exits 1 when the target is missed, 2 when PostgreSQL or HAProxy is not installed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from hosts import Balancer, Host, haproxy_missing  # noqa: E402
from postgres_server import PostgresServer, postgres_missing  # noqa: E402

from formgen.certificates.numbers import IssueRequest  # noqa: E402
from formgen.certificates.register import Register  # noqa: E402

DAY = dt.date(2026, 3, 14)
ENV = {"FORMGEN_SECRET": "bench-secret-the-same-on-every-host-0123", "LANG": "C.UTF-8"}


def build(register: Path, count: int) -> list[str]:
    """A register of ``count`` valid certificates; their codes."""
    with Register.create(register) as reg:
        issued = reg.issue([IssueRequest(f"CSEE-2026-{i:05d}", f"李{i} / LI {i}", "csee_iet_joint",
                                         "csee-iet", "IEng", "CSEE-IET", DAY)
                            for i in range(count)], on=DAY)
        reg.confirm([i.number for i in issued], on=DAY)
        return [i.short_code.replace("-", "") for i in issued]


def register_in_postgres(register: Path, database: str) -> bool:
    """Move the register into ``database`` when this formgen can; whether it did."""
    command = [sys.executable, "-c", "from formgen.cli import main; main()", "register", "migrate"]
    helped = subprocess.run([*command, "--help"], capture_output=True, text=True, cwd=ROOT)
    if helped.returncode != 0 or "--to" not in helped.stdout:
        return False
    moved = subprocess.run([*command, "--register", str(register), "--to", database],
                           capture_output=True, text=True, cwd=ROOT)
    if moved.returncode != 0:
        raise SystemExit("formgen register migrate failed:\n" + moved.stderr)
    return True


def load(url: str, codes: list[str], seconds: float, clients: int) -> tuple[float, float, float, int]:
    """(look-ups a second, p50 ms, p95 ms, answers other than 200) over ``seconds``."""
    latencies: list[float] = []
    failed = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(n: int) -> None:
        rng = random.Random(n)
        mine: list[float] = []
        bad = 0
        with httpx.Client(base_url=url, timeout=30) as http:
            while time.perf_counter() < stop:
                address = f"10.{n}.{rng.randrange(4)}.{rng.randrange(250)}"
                started = time.perf_counter()
                r = http.get(f"/api/certificates/{rng.choice(codes)}",
                             headers={"X-Forwarded-For": address})
                mine.append(time.perf_counter() - started)
                bad += r.status_code != 200
        with lock:
            latencies.extend(mine)
            failed[0] += bad

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95)] if latencies else 0.0
    p50 = statistics.median(latencies) if latencies else 0.0
    return len(latencies) / elapsed, p50 * 1000, p95 * 1000, failed[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--certificates", type=int, default=200)
    args = parser.parse_args()
    missing = postgres_missing() or haproxy_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    server = PostgresServer()
    try:
        server.start()
        server.wait_ready()
        database = server.new_database()
        with tempfile.TemporaryDirectory(prefix="formgen-bench-hosts-") as tmp:
            folder = Path(tmp)
            register = folder / "register.sqlite"
            codes = build(register, args.certificates)
            shared = register_in_postgres(register, database)
            where = ["--register-key", str(folder / "register.key")] if shared else \
                    ["--register", str(register)]
            common = ["--database", database, *where, "--trusted-proxy", "127.0.0.1",
                      "--verify-rate", "10000"]
            print(f"register: {'in PostgreSQL' if shared else 'one SQLite file both hosts read'}"
                  f" ({args.certificates} certificates); link store and look-up limits in PostgreSQL;"
                  f" {args.clients} clients, {args.seconds:g} s each; {os.cpu_count()} cores")
            with Host(folder / "a", *common, env=ENV) as a, Host(folder / "b", *common, env=ENV) as b:
                for host in (a, b):  # warm up: the audit, the connection pools
                    for code in codes[:20]:
                        httpx.get(f"{host.url}/api/certificates/{code}", timeout=60)
                with Balancer(folder / "one", [a]) as proxy_one, \
                        Balancer(folder / "two", [a, b]) as proxy_two:
                    runs: dict[str, list[tuple[float, float, float, int]]] = {}
                    for _ in range(2):  # in turn, best of two each: the machine is shared
                        for label, url in (("one", a.url), ("two", proxy_two.url),
                                           ("one proxied", proxy_one.url)):
                            runs.setdefault(label, []).append(
                                load(url, codes, args.seconds, args.clients))
                    one, two, one_proxied = (max(runs[k]) for k in ("one", "two", "one proxied"))
    finally:
        server.remove()
    for label, (rate, p50, p95, bad) in (("one host", one), ("one host, behind HAProxy", one_proxied),
                                         ("two hosts, behind HAProxy", two)):
        print(f"{label:<28} {rate:8.0f} look-ups/s   p50 {p50:6.1f} ms   p95 {p95:6.1f} ms"
              f"   not 200: {bad}")
    ratio = two[0] / one[0]
    target = 1.3 if (os.cpu_count() or 1) >= 4 else 0.8
    print(f"two hosts / one host: ×{ratio:.2f} (target: at least {target})")
    if one[3] or one_proxied[3] or two[3]:
        print("some look-ups were not answered 200", file=sys.stderr)
        return 1
    return 0 if ratio >= target else 1


if __name__ == "__main__":
    sys.exit(main())
