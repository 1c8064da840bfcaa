"""Load benchmark: applicants downloading at once from the running web app.

    .venv/bin/python bench/bench_web.py [--clients 1 10 30] [--rounds 1]

The app runs on uvicorn with its own LibreOffice pool (2 processes, each replaced after
``--recycle-after`` conversions), as ``formgen serve`` runs it. For DOCX, one PDF, and the
whole pack, ``N`` clients each send one request at the same moment (``--rounds`` times);
the table gives p50 and p95 latency, the ratio of each to the single-client figure, the
answers by status, and the peak memory of the server and its LibreOffice processes. A
last run with a queue of 8 shows the 429s (with Retry-After) a full queue gives.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import applicants  # noqa: E402
from formgen.links.tokens import json_safe  # noqa: E402
from formgen.load import load_bytes  # noqa: E402
from formgen.office.converter import Converter  # noqa: E402
from formgen.settings import Paths  # noqa: E402
from formgen.web import create_app, web_settings  # noqa: E402
from formgen.web.server import bind, server  # noqa: E402

KINDS = {
    "DOCX": ("/api/render?doc=registration_form&lang=zh&format=docx", 120),
    "PDF": ("/api/render?doc=registration_form&lang=zh&format=pdf", 300),
    "pack": ("/api/pack", 600),
}


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Watch:
    """Peak memory of this process (the server) and of the LibreOffice processes, and every
    LibreOffice process id seen."""

    def __init__(self, converter: Converter):
        self.converter = converter
        self.peak_server = self.peak_office = 0.0
        self.pids: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = self.converter.pids()
            self.pids.update(pids)
            self.peak_server = max(self.peak_server, rss_mb(os.getpid()))
            self.peak_office = max(self.peak_office, sum(rss_mb(p) for p in pids))
            time.sleep(0.2)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def serve(app: Any) -> tuple[str, Any, threading.Thread]:
    sock = bind("127.0.0.1", 0)
    srv = server(app, "127.0.0.1", sock.getsockname()[1])
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", srv, thread


def burst(url: str, path: str, records: list[dict[str, Any]], timeout: float) -> list[tuple[float, httpx.Response]]:
    """Every record sent at the same moment by its own client; (seconds, answer) each."""
    start = threading.Barrier(len(records))

    def one(record: dict[str, Any]) -> tuple[float, httpx.Response]:
        with httpx.Client(base_url=url, timeout=timeout) as http:
            start.wait()
            began = time.perf_counter()
            response = http.post(path, json=record)
            return time.perf_counter() - began, response

    with ThreadPoolExecutor(len(records)) as pool:
        return list(pool.map(one, records))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10, 30])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--recycle-after", type=int, default=100)
    args = parser.parse_args()
    os.environ.setdefault("FORMGEN_TODAY", "2026-11-23")
    pool = [json_safe(load_bytes("a.yaml", _yaml(r))[0].data) for r in applicants(max(args.clients))]
    pool = [r for r in pool if r["programme"] == "csee-iet"] or pool
    with tempfile.TemporaryDirectory() as tmp, Converter(workers=2, recycle_after=args.recycle_after) as converter:
        app = create_app(web_settings(paths=Paths(link_store=Path(tmp) / "links.sqlite")),
                         secret="bench-secret-0123456789", converter=converter)
        url, srv, thread = serve(app)
        with httpx.Client(base_url=url, timeout=300) as http:  # warm: templates compiled, LibreOffice up
            for path, _ in KINDS.values():
                http.post(path, json=pool[0]).raise_for_status()
        rows = []
        with Watch(converter) as watch:
            for kind, (path, timeout) in KINDS.items():
                single: tuple[float, float] | None = None
                for clients in args.clients:
                    times: list[float] = []
                    statuses: Counter[int] = Counter()
                    for _ in range(args.rounds):
                        records = [{**pool[i % len(pool)], "id": f"BENCH-{i:04d}"} for i in range(clients)]
                        for seconds, response in burst(url, path, records, timeout):
                            times.append(seconds)
                            statuses[response.status_code] += 1
                    p50, p95 = statistics.median(times), percentile(times, 0.95)
                    single = single or (p50, p95)
                    rows.append((kind, clients, p50, p95, p50 / single[0], p95 / single[1], dict(statuses)))
        srv.should_exit = True
        thread.join(timeout=30)

        print(f"{'kind':<6} {'clients':>7} {'p50 s':>8} {'p95 s':>8} {'p50 ×1':>7} {'p95 ×1':>7}  answers")
        for kind, clients, p50, p95, r50, r95, statuses in rows:
            print(f"{kind:<6} {clients:>7} {p50:>8.2f} {p95:>8.2f} {r50:>7.1f} {r95:>7.1f}  {statuses}")
        print(f"peak memory: server {watch.peak_server:.0f} MB, LibreOffice {watch.peak_office:.0f} MB "
              f"(2 processes, {len(watch.pids)} started in all: each replaced after {args.recycle_after} conversions)")
        fives = sum(n for *_, statuses in rows for code, n in statuses.items() if code >= 500)
        print(f"5xx answers: {fives}")

        small = create_app(web_settings(paths=Paths(link_store=Path(tmp) / "links2.sqlite")),
                           secret="bench-secret-0123456789", converter=converter, max_queue=8)
        url, srv, thread = serve(small)
        answers = burst(url, KINDS["pack"][0], [{**pool[i % len(pool)], "id": f"FULL-{i:04d}"} for i in range(30)], 600)
        srv.should_exit = True
        thread.join(timeout=30)
        busy = [r for _, r in answers if r.status_code == 429]
        refused = max((s for s, r in answers if r.status_code == 429), default=0.0)
        print(f"queue of 8, 30 packs at once: {Counter(r.status_code for _, r in answers)}; "
              f"every 429 has Retry-After: {all(r.headers.get('retry-after') == '30' for r in busy)}; "
              f"slowest 429 answered in {refused:.2f} s")


def _yaml(record: dict[str, Any]) -> bytes:
    import yaml

    return yaml.safe_dump(record, allow_unicode=True).encode()


if __name__ == "__main__":
    main()
