"""What every request shares (:class:`WebState`), and the helpers pages and API use to answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from formgen.links.store import Vault
from formgen.messages import Message, msg
from formgen.model.applicant import Language
from formgen.model.manifest import Manifest
from formgen.model.reference import Statements
from formgen.send.single import Mailer
from formgen.settings import Settings
from formgen.web.files import ConversionQueue
from formgen.web.i18n import N_, TRANSLATORS, pick_language
from formgen.web.parsing import Parser
from formgen.web.ratelimit import MailLimits

MAX_UPLOAD = 2 * 1024 * 1024
"""Largest upload or request body accepted, in bytes."""
MULTIPART_SLACK = 1024 * 1024
"""Room for the form's own fields and headers around an uploaded file."""
DEFAULT_MAX_QUEUE = 32
"""Conversions running or waiting before new ones get 429."""

@dataclass
class WebState:
    """What every request shares: settings, the converter, the job queue, the templates."""

    settings: Settings
    """The manifest, the day (taken afresh on each request), workers, timeout, paths."""
    secret: str
    vault: Vault
    max_upload: int
    max_queue: int
    converter: Any = None
    owns_converter: bool = False
    queue: ConversionQueue | None = None
    parser: Parser = field(default_factory=Parser)
    """Reads uploads and API bodies in child processes, under their own limits."""
    envs: dict[Language, jinja2.Environment] = field(default_factory=dict)
    statements: Statements = field(default_factory=dict)
    mailer: Mailer | None = None
    """Set when the site may email applicants their own link (see :mod:`formgen.web.mail`)."""
    mail_limits: MailLimits = field(default_factory=MailLimits.hourly)
    """How often an address may be sent its link, and a client ask for one."""

    @property
    def manifest(self) -> Manifest:
        return self.settings.manifest

    @property
    def today(self) -> dt.date:
        """Today (FORMGEN_TODAY honoured), on each request: a server runs for days."""
        return self.settings.today

    def render(
        self, request: Request, template: str, lang: Language, status: int = 200, *,
        switch_path: str | None = None, **context: Any
    ) -> HTMLResponse:
        """``template`` in ``lang``; the language switch links to ``switch_path`` (default:
        this page when it was a GET, else the form)."""
        tr = TRANSLATORS[lang]
        other: Language = "en" if lang == "zh" else "zh"
        root = request.scope.get("root_path", "").rstrip("/")
        if switch_path is None:
            switch_path = request.url.path if request.method in ("GET", "HEAD") else "/"
        kept = ""
        if request.method in ("GET", "HEAD"):
            kept = "".join(f"&{k}={quote(v)}" for k, v in request.query_params.items() if k in ("page", "original"))
        html = self.envs[lang].get_template(template).render(
            tr=tr,
            lang=lang,
            other_lang=other,
            other_name=TRANSLATORS[other].gettext("Name of this language"),
            switch_url=f"{root}{switch_path}?lang={other}{kept}",
            root=root,
            max_upload=self.max_upload,
            **context,
        )
        return HTMLResponse(html, status_code=status)


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def language_of(request: Request) -> Language:
    return pick_language(request.query_params.get("lang"))


def api_error(field: str, message: Message) -> dict[str, str]:
    """One entry of an API error answer: the field, the message in English, and its id as
    ``code``."""
    return {"field": field, "message": message.english, "code": message.id}


def api_errors(
    errors: list[dict[str, str]], status: int, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"errors": errors}, status_code=status, headers=dict(headers or {}))


async def too_large_response(request: Request, limit: int) -> Response:
    """413, as JSON for the API and as a page in the visitor's language elsewhere."""
    state = state_of(request)
    message = N_("The file or form is larger than %(size)s; it was not read.")
    if request.url.path.startswith("/api/"):
        megabytes = round(state.max_upload / (1024 * 1024), 1)
        return api_errors([api_error("", msg("api.too-large", megabytes=megabytes))], 413)
    lang = language_of(request)
    tr = TRANSLATORS[lang]
    return state.render(
        request, "problem.html", lang, 413,
        title=tr("Too large"), message=tr(message, size=tr.megabytes(state.max_upload)),
    )


async def too_slow_response(request: Request, seconds: float) -> Response:
    """408 for a body that did not arrive within ``seconds``, as JSON for the API and as a
    page in the visitor's language elsewhere."""
    if request.url.path.startswith("/api/"):
        return api_errors([api_error("", msg("api.too-slow", seconds=round(seconds)))], 408)
    lang = language_of(request)
    tr = TRANSLATORS[lang]
    return state_of(request).render(request, "problem.html", lang, 408, title=tr("Too slow"), message=tr(
        N_("What you sent did not arrive within %(seconds)s seconds, so it was not read. "
           "Please try again."), seconds=tr.number(round(seconds))))


async def cross_site_response(request: Request) -> Response:
    """403 for a request another site made a browser send (see formgen.web.security)."""
    if request.url.path.startswith("/api/"):
        return api_errors([api_error("", msg("api.cross-site"))], 403)
    lang = language_of(request)
    tr = TRANSLATORS[lang]
    return state_of(request).render(request, "problem.html", lang, 403, title=tr("Refused"), message=tr(
        N_("This was sent to us from another website, so it was refused and nothing was "
           "changed. If you filled in the form on this site, go back to it and send it again.")))
