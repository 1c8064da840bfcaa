"""What each side did during a browser test's download, for a failure to explain itself.

:class:`SiteLog` sits in front of the app and notes, for every request, when it came, the
form's action, when its answer's head and its last byte went out, the status and whether
a file was attached. :class:`BrowserLog` notes what the page saw from the click on: the
form's answer, what the page said, downloads begun, requests that failed, script errors.
:func:`explain` puts both on one clock (seconds from the click), with what the site was
doing at that moment (conversions waiting or running, LibreOffice's processes).

Neither changes what it watches: the app gets every message as it was sent.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers

_ACTION = re.compile(rb'name="action"\r\n\r\n([^\r]*)|(?:^|&)action=([^&]*)')


@dataclass
class Exchange:
    came: float
    what: str
    action: str = ""
    status: int | None = None
    file: bool = False
    head: float | None = None
    end: float | None = None
    size: int = 0
    error: str = ""

    def line(self, zero: float) -> str:
        said = f"{self.came - zero:7.2f}  {self.what}" + (f" action={self.action}" if self.action else "")
        if self.head is None:
            return said + (f": failed ({self.error})" if self.error else ": no answer yet")
        said += f": {self.status}{' with a file' if self.file else ''} after {self.head - self.came:.2f} s"
        if self.end is None:
            return said + f", {self.size} bytes sent, the last not yet" + (f" ({self.error})" if self.error else "")
        return said + f", {self.size} bytes, the last after {self.end - self.came:.2f} s"


class SiteLog:
    """An ASGI app that passes everything to ``app`` and notes each HTTP request's course."""

    def __init__(self, app: Any):
        self.app = app
        self.requests: list[Exchange] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        entry = Exchange(time.monotonic(), f"{scope['method']} {scope['path']}")
        self.requests.append(entry)
        body = bytearray()

        async def receiving() -> Any:
            message = await receive()
            if message["type"] == "http.request" and len(body) < 1_000_000:
                body.extend(message.get("body", b""))
            return message

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                found = _ACTION.search(bytes(body))
                entry.action = (found.group(1) or found.group(2) or b"").decode("utf-8", "replace") if found else ""
                entry.status = message["status"]
                entry.file = "attachment" in Headers(raw=message.get("headers", [])).get("content-disposition", "")
                entry.head = time.monotonic()
            elif message["type"] == "http.response.body":
                entry.size += len(message.get("body", b""))
                if not message.get("more_body", False):
                    entry.end = time.monotonic()
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        except BaseException as e:
            entry.error = repr(e)
            raise

    def since(self, zero: float) -> list[str]:
        return [r.line(zero) for r in self.requests if r.came >= zero - 1]


@dataclass
class BrowserLog:
    """What ``page`` shows from now on; :meth:`close` stops listening."""

    page: Any
    zero: float = field(default_factory=time.monotonic)
    lines: list[str] = field(default_factory=list)
    downloads: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listeners = {
            "download": self._download,
            "response": self._response,
            "requestfailed": lambda r: self.note(f"request failed: {r.method} {r.url}: {r.failure}"),
            "console": self._console,
            "pageerror": lambda e: self.note(f"script error: {e}"),
            "crash": lambda _: self.note("the page crashed"),
        }
        for event, listener in self._listeners.items():
            self.page.on(event, listener)

    def note(self, text: str) -> None:
        self.lines.append(f"{time.monotonic() - self.zero:7.2f}  {text}")

    def _download(self, download: Any) -> None:
        self.downloads.append(download)
        self.note(f"download began: {download.suggested_filename}")

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.note(f"console {message.type}: {message.text}")

    def _response(self, response: Any) -> None:
        if response.request.method == "POST":
            disposition = response.headers.get("content-disposition") or ""
            self.note(f"answer {response.status} to POST {response.url}"
                      + (" with a file" if "attachment" in disposition else ""))

    def close(self) -> None:
        for event, listener in self._listeners.items():
            self.page.remove_listener(event, listener)


def explain(what: str, browser: BrowserLog, site: SiteLog, state: Any = None) -> str:
    """``what`` went wrong, then each side's course on one clock, and the site's state now."""
    try:
        said = browser.page.locator("#busy-note").inner_text(timeout=5_000)
    except Exception as e:  # the page itself may be what is stuck
        said = f"(could not be read: {e})"
    parts = [what, f"the page says: {said!r}", "the browser (seconds from the click):", *browser.lines,
             "the site (seconds from the click):", *site.since(browser.zero)]
    if state is not None:
        queue, converter = state.queue, state.converter
        pids = converter.pids() if converter is not None else []
        parts.append(f"the site now: {queue.pending if queue else 0} conversion(s) waiting or running; "
                     f"LibreOffice processes: {pids or 'none'}")
    return "\n".join(parts)
