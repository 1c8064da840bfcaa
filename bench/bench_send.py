"""formgen send: 1,000 messages with links to a local SMTP server, against writing the same
messages as previews.

The server is aiosmtpd in its own process (tests/smtp_server.py, which writes each message
to a file); both runs are the command as staff run it (``formgen send``, a process each).
The target: the 1,000 messages sent in under 60 s; the ratio is the send's time over the
preview's (the same messages written as .eml files, no link made, nothing sent), both in
this run, since the machine is shared and noisy.

    python bench/bench_send.py [MESSAGES]
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, applicants, write_yaml  # noqa: E402

TARGET_S = 60.0
SERVER = ROOT / "tests" / "smtp_server.py"


def formgen(*args: str) -> float:
    """Seconds one ``formgen`` command takes; SystemExit when it fails."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", "from formgen.cli import main; main()", *args],
                          capture_output=True, text=True,
                          env=os.environ | {"PYTHONPATH": str(ROOT), "FORMGEN_TODAY": "2026-11-23"})
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"formgen {args[0]} failed: {done.stderr[-2000:]}")
    return elapsed


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        records = applicants(count)
        for i, record in enumerate(records):
            record["email"] = f"applicant{i:05d}@example.com"
        data = write_yaml(records, folder)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([sys.executable, str(SERVER), str(port), str(folder / "box")],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == "ready"
            common = ["send", str(data), "--what", "links", "--out", str(folder / "out"),
                      "--base-url", "https://forms.example.org", "--from",
                      "中国电机工程学会 <office@csee.example.org>",
                      "--link-store", str(folder / "links.sqlite"), "--per-minute", "1000000"]
            preview_s = formgen(*common, "--preview", str(folder / "preview"))
            send_s = formgen(*common, "--smtp", f"smtp://127.0.0.1:{port}", "--yes")
            received = len(list((folder / "box").glob("*.eml")))
        finally:
            server.terminate()
            server.wait()
    print(f"messages: {count}, received by the server: {received}")
    print(f"send: {send_s:.1f} s, {count / send_s:.0f} messages/s (target: under {TARGET_S:.0f} s)")
    print(f"preview of the same messages: {preview_s:.1f} s")
    print(f"send / preview: {send_s / preview_s:.2f}")
    if received != count:
        raise SystemExit(f"the server received {received} of {count} messages")
    if send_s >= TARGET_S:
        raise SystemExit(f"sending took {send_s:.1f} s, not under {TARGET_S:.0f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
