"""A real SMTP server (aiosmtpd) for the tests of ``formgen send``, run in its own process.

    python tests/smtp_server.py PORT MAILBOX [--tls CERT KEY --login USER PASSWORD]
        [--refuse ADDRESS=CODE]... [--drop-at N] [--hang-at N] [--delay SECONDS]

Each message the server accepts is written to MAILBOX as ``<n>.eml`` (the bytes received)
with ``<n>.rcpt`` (the envelope's recipients); it prints ``ready`` once it listens.
``--tls`` makes it require STARTTLS, and ``--login`` a login (only after STARTTLS);
``--refuse`` answers a recipient with CODE (550 no such user, 552 mailbox full, 451 try
later); ``--drop-at N`` closes the connection instead of answering the Nth message (once);
``--hang-at N`` never answers the Nth message; ``--delay`` waits before each answer.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import sys
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

WORDS = {"550": "5.1.1 User unknown", "552": "5.2.2 Mailbox full",
         "451": "4.3.0 Try again later"}


class Handler:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.mailbox = Path(args.mailbox)
        self.refuse = dict(r.split("=", 1) for r in args.refuse)
        self.seen = 0
        self.stored = 0
        self.dropped = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        code = self.refuse.get(address)
        if code:
            return f"{code} {WORDS.get(code, '5.0.0 Refused')} <{address}>"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.seen += 1
        if self.args.delay:
            await asyncio.sleep(self.args.delay)
        if self.seen == self.args.drop_at and not self.dropped:
            self.dropped = True
            server.transport.close()
            return "421 4.3.0 closing"
        if self.seen == self.args.hang_at:
            await asyncio.sleep(3600)
        self.stored += 1
        count = self.stored
        (self.mailbox / f"{count}.rcpt").write_text("\n".join(envelope.rcpt_tos))
        (self.mailbox / f"{count}.eml").write_bytes(envelope.original_content)
        return f"250 2.0.0 Ok: queued as Q{count:04d}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("mailbox")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--login", nargs=2, metavar=("USER", "PASSWORD"))
    parser.add_argument("--refuse", action="append", default=[])
    parser.add_argument("--drop-at", type=int, default=0)
    parser.add_argument("--hang-at", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    Path(args.mailbox).mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"enable_SMTPUTF8": True}
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*args.tls)
        kwargs.update(tls_context=context, require_starttls=True)
    if args.login:
        user, password = args.login

        def check(server: Any, session: Any, envelope: Any, mechanism: str,
                  data: Any) -> AuthResult:
            ok = (isinstance(data, LoginPassword) and data.login.decode() == user
                  and data.password.decode() == password)
            return AuthResult(success=ok, handled=False)

        kwargs.update(authenticator=check, auth_required=True, auth_require_tls=True)
    controller = Controller(Handler(args), hostname="127.0.0.1", port=args.port,
                            ready_timeout=10, **kwargs)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()
        sys.exit(0)


if __name__ == "__main__":
    main()
