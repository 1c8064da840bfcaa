"""What keeps applicant data private: headers, body limits, and logs without tokens.

* Every answer but a static file is marked ``Cache-Control: no-store``; pages send no
  referrer and may not be framed, and run only the site's own script and style.
* A request body over the limit is refused with 413: at once when its Content-Length
  says so, else as soon as the limit is passed while reading.
* A request body must arrive within a time limit (30 s, counted from the end of the
  headers): past it the reading stops and the answer is 408. An answer sent before the
  body was read to its end closes the connection, so a body nobody reads cannot hold it.
* An error inside the app (a bug) still answers 500 with these headers: the error page
  or JSON comes from here, and the error goes on to the server's log.
* A request that may change something (any method but GET, HEAD and OPTIONS) sent from
  another site is refused with 403, its body read and dropped first (up to 1 MB, within the
  body's time limit) so that the answer reaches the client (:func:`cross_site`): the
  browser's ``Sec-Fetch-Site``, when it sends one, must say ``same-origin`` (or ``none``:
  the user's own doing), and its ``Origin``, when it names one, must be this request's
  own host. ``Origin: null`` is what browsers send for the site's own forms under its
  ``Referrer-Policy: no-referrer``, so it is judged by ``Sec-Fetch-Site`` alone. A
  request with neither header (a script, the test client, a browser too old to send
  them) passes.
* Access log lines lose their query string (``?page=…``, ``?number=…``), and whatever
  in a path opens personal data is replaced by ``…``: a link's token (``/f/…``, ``/d/…``) and a
  certificate's verification code (``/c/…``, ``/api/certificates/…``), each of which
  shows a holder's name; ``formgen serve`` turns the access log off by default.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_PREFIX = "/static/"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
}


DEFAULT_BODY_TIMEOUT = 30.0
"""Seconds a request's body may take to arrive, from the end of its headers."""


class BodyTimeout(Exception):
    """The request body did not arrive within the time limit."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(f"the request body did not arrive within {seconds} seconds")


class BodyTooLarge(Exception):
    """The request body is larger than the site accepts."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"the request body is larger than {limit} bytes")


TooLargeResponder = Callable[[Request, int], Awaitable[Response]]
TooSlowResponder = Callable[[Request, float], Awaitable[Response]]
ErrorResponder = Callable[[Request], Awaitable[Response]]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing, allowed from anywhere."""
_SAME_SITE_FETCH = frozenset({"same-origin", "none"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def cross_site(scope: Scope) -> bool:
    """True when the request may change something and a browser says another site sent
    it: ``Sec-Fetch-Site`` other than ``same-origin`` or ``none``, or an ``Origin`` other
    than ``null`` that is not the request's own host."""
    if scope.get("method", "GET") in SAFE_METHODS:
        return False
    headers = Headers(scope=scope)
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.strip().lower() not in _SAME_SITE_FETCH:
        return True
    origin = (headers.get("origin") or "null").strip()
    return origin != "null" and not _own_origin(origin, headers.get("host", ""))


def _own_origin(origin: str, host: str) -> bool:
    """Whether ``origin`` (scheme://host[:port]) names ``host`` (the Host header), the
    port defaulting by the origin's scheme on both sides."""
    try:
        sent, own = urlsplit(origin), urlsplit("//" + host.strip())
        default = _DEFAULT_PORTS.get(sent.scheme.lower())
        return (default is not None and bool(sent.hostname) and sent.hostname == own.hostname
                and (sent.port or default) == (own.port or default))
    except ValueError:  # a port that is not a number
        return False


class TimedBody:
    """A request's ``receive`` whose body must arrive by a deadline (BodyTimeout past it);
    ``pending`` while some of the body is still to come."""

    def __init__(self, scope: Scope, receive: Receive, seconds: float):
        headers = Headers(scope=scope)
        length = headers.get("content-length", "")
        self.pending = (length.isdigit() and int(length) > 0) or (
            "chunked" in headers.get("transfer-encoding", "").lower())
        self.receive = receive
        self.seconds = seconds
        self.deadline = asyncio.get_running_loop().time() + seconds

    async def __call__(self) -> Message:
        if not self.pending:
            return await self.receive()
        remaining = self.deadline - asyncio.get_running_loop().time()
        try:
            if remaining <= 0:
                raise TimeoutError
            async with asyncio.timeout(remaining):
                message = await self.receive()
        except TimeoutError:
            raise BodyTimeout(self.seconds) from None
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.pending = False
        return message

    async def drain(self, limit: int) -> None:
        """Read and drop the body, up to ``limit`` bytes and within the deadline, so that an
        answer given without it reaches the client: closing a connection whose body is
        still unread makes the client's system reset it, the answer often lost."""
        size = 0
        try:
            while self.pending and size <= limit:
                message = await self()
                if message["type"] != "http.request":
                    return
                size += len(message.get("body", b""))
        except BodyTimeout:
            return


DRAIN_LIMIT = 1024 * 1024
"""The most of a refused request's body read (and dropped) before answering it."""


class GuardMiddleware:
    """Security headers on every answer, errors included; 403 from ``refused`` for a
    cross-site request that may change something; early 413 for a declared oversized
    body; 408 from ``too_slow`` for a body that does not arrive within ``body_timeout``
    seconds; a 500 answer from ``server_error`` when the app fails."""

    def __init__(
        self, app: ASGIApp, max_body: int, too_large: TooLargeResponder,
        server_error: ErrorResponder | None = None, refused: ErrorResponder | None = None,
        body_timeout: float = DEFAULT_BODY_TIMEOUT, too_slow: TooSlowResponder | None = None,
    ):
        self.app = app
        self.max_body = max_body
        self.too_large = too_large
        self.server_error = server_error
        self.refused = refused
        self.body_timeout = body_timeout
        self.too_slow = too_slow

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith(STATIC_PREFIX)
        started = False
        body = TimedBody(scope, receive, self.body_timeout)

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = Headers(raw=message.get("headers", []))
                extra = [(k, v) for k, v in SECURITY_HEADERS.items() if k.lower() not in headers]
                if "cache-control" not in headers:
                    extra.append(("Cache-Control", "public, max-age=3600" if static else "no-store"))
                if body.pending:  # answered before the body was read: the rest is not awaited
                    extra.append(("Connection", "close"))
                message["headers"] = list(message.get("headers", [])) + [
                    (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra
                ]
            await send(message)

        if self.refused is not None and cross_site(scope):
            await body.drain(min(self.max_body, DRAIN_LIMIT))
            response = await self.refused(Request(scope))
            await response(scope, receive, send_with_headers)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            response = await self.too_large(Request(scope), self.max_body)
            await response(scope, receive, send_with_headers)
            return
        try:
            await self.app(scope, body, send_with_headers)
        except BodyTimeout as e:
            if not started:
                response = (await self.too_slow(Request(scope), e.seconds) if self.too_slow
                            else PlainTextResponse("Request Timeout", status_code=408))
                await response(scope, receive, send_with_headers)
        except Exception:
            if not started:
                await (await self._error_response(Request(scope)))(scope, receive, send_with_headers)
            raise  # on to the server, which logs it and sends nothing more

    async def _error_response(self, request: Request) -> Response:
        plain = PlainTextResponse("Internal Server Error", status_code=500)
        if self.server_error is None:
            return plain
        try:
            return await self.server_error(request)
        except Exception:  # the error page itself failed: the plain answer will do
            return plain


async def read_body(request: Request, limit: int) -> bytes:
    """The whole request body, or BodyTooLarge as soon as it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def replay(body: bytes) -> AsyncGenerator[bytes, None]:
    """A request stream that yields ``body`` (for parsers that want a stream)."""
    yield body


async def read_form(
    request: Request, limit: int, max_fields: int, max_files: int = 0
) -> tuple[list[tuple[str, str]], UploadFile | None, bytes]:
    """The submitted inputs, the uploaded file named ``file`` (if any) and its bytes, the
    body read only up to ``limit`` bytes (BodyTooLarge past it, whether or not it declared
    its length). A body that cannot be parsed gives no inputs."""
    body = await read_body(request, limit)
    if "multipart/form-data" not in request.headers.get("content-type", ""):
        try:
            return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True,
                             max_num_fields=max_fields), None, b""
        except ValueError:
            return [], None, b""
    parser = MultiPartParser(request.headers, replay(body), max_files=max_files, max_fields=max_fields)
    parser.spool_max_size = len(body) + 1  # keep the upload in memory
    try:
        form = await parser.parse()
    except MultiPartException:
        return [], None, b""
    try:
        pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        item = form.get("file")
        if isinstance(item, UploadFile) and item.filename:
            return pairs, item, await item.read()
        return pairs, None, b""
    finally:
        await form.close()


# ----------------------------------------------------------------------------- logs

SECRET_PATHS = ("/f/", "/d/", "/c/", "/api/certificates/")
"""Paths whose rest opens personal data: a link's token, a download link's token, a
certificate's verification code (the page and its JSON show the holder's name)."""
_SECRET_IN_TEXT = re.compile("(" + "|".join(map(re.escape, SECRET_PATHS)) + r")[^\s\"'?#]+")


def redact(text: str) -> str:
    """``text`` without query strings after paths and without the tokens and codes of
    :data:`SECRET_PATHS`."""
    text = _SECRET_IN_TEXT.sub(r"\1…", text)
    return re.sub(r"(/[^\s\"'?]*)\?[^\s\"']*", r"\1", text)


def redact_path(path: str) -> str:
    """A request's path as logged: no query string or fragment, and nothing after the
    first of :data:`SECRET_PATHS` it holds (spaces and all)."""
    path = re.split(r"[?#]", path, maxsplit=1)[0]
    found = [i for i in (path.find(p) for p in SECRET_PATHS) if i >= 0]
    if not found:
        return path
    start = min(found)
    prefix = next(p for p in SECRET_PATHS if path.startswith(p, start))
    return path[: start + len(prefix)] + "…"


def _redacted(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return redact_path(value) if value.startswith("/") else redact(value)


class RedactFilter(logging.Filter):
    """Removes link tokens, verification codes and query strings from log records
    (uvicorn's access lines give the path as an argument of its own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_redacted(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redacted(v) for k, v in record.args.items()}
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_log_filters() -> None:
    """Put the redacting filter on uvicorn's loggers and their handlers."""
    flt = RedactFilter()
    for name in ("uvicorn.access", "uvicorn.error", "uvicorn"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactFilter) for f in logger.filters):
            logger.addFilter(flt)
        for handler in logger.handlers:
            if not any(isinstance(f, RedactFilter) for f in handler.filters):
                handler.addFilter(flt)


def log_config(access_log: bool = False) -> dict[str, Any]:
    """uvicorn's logging set-up with the redacting filter on every handler."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = {
        **LOGGING_CONFIG,
        "filters": {"redact": {"()": "formgen.web.security.RedactFilter"}},
        "handlers": {
            name: {**handler, "filters": ["redact"]}
            for name, handler in LOGGING_CONFIG["handlers"].items()
        },
    }
    if not access_log:
        config["loggers"] = {**config["loggers"], "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False}}
    return config
