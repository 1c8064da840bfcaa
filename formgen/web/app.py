"""The web app: self-service forms, prefilled links from staff, and a JSON API.

    from formgen.web import create_app
    app = create_app()            # then serve it with uvicorn (``formgen serve``)

Applicant data lives only for the request that carries it: nothing is stored, work
files are removed before the answer goes out, and no personal data reaches the logs.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from formgen.fonts import read_coverage
from formgen.links.secret import load_secret
from formgen.links.store import Vault, vault_location
from formgen.messages import msg
from formgen.model.applicant import LANGUAGES, Applicant, Language
from formgen.model.reference import competence_statements
from formgen.send.single import Mailer
from formgen.settings import Settings, load_settings
from formgen.web import api, credentials, downloads, mail, pages, verify
from formgen.web.credentials import credential_service
from formgen.web.files import ConversionQueue
from formgen.web.i18n import N_, TRANSLATORS, translations
from formgen.web.messages import described_by, has_error, input_id, label_parts
from formgen.web.parsing import ParseLimits, Parser
from formgen.web.ratelimit import PER_ADDRESS, PER_CLIENT, MailLimits, limiter
from formgen.web.registers import served_register
from formgen.web.security import (
    DEFAULT_BODY_TIMEOUT,
    BodyTooLarge,
    GuardMiddleware,
    install_log_filters,
)
from formgen.web.state import (
    DEFAULT_MAX_QUEUE,
    MAX_UPLOAD,
    MULTIPART_SLACK,
    WebState,
    api_error,
    api_errors,
    cross_site_response,
    language_of,
    too_large_response,
    too_slow_response,
)
from formgen.web.verify import DEFAULT_RATE, Verifier

HERE = Path(__file__).resolve().parent
_HTTP_ERRORS = {404: msg("api.not-found"), 405: msg("api.method-not-allowed")}


def _environment(lang: Language) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["input_id"] = input_id
    env.globals["described_by"] = described_by
    env.globals["has_error"] = has_error
    env.globals["label_parts"] = lambda label, code: label_parts(label, code, TRANSLATORS[lang])
    return env


def web_settings(manifest_path: str | Path | None = None, **given: Any) -> Settings:
    """The settings of a server: as :func:`formgen.settings.load_settings`, with the day
    taken afresh on each request (``paths=Paths(...)``, ``workers``, ``timeout``)."""
    return load_settings(manifest_path, pinned=False, **given)


def create_app(
    settings: Settings | None = None,
    *,
    secret: str | None = None,
    converter: Any = None,
    max_queue: int = DEFAULT_MAX_QUEUE,
    max_upload: int = MAX_UPLOAD,
    verify_rate: float = DEFAULT_RATE,
    recycle_after: int = 200,
    parse_limits: ParseLimits | None = None,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    issuer_keys: Path | None = None,
    mailer: Mailer | None = None,
    mail_per_address: int = PER_ADDRESS,
    mail_per_client: int = PER_CLIENT,
) -> FastAPI:
    """The web app, with ``settings`` (default: :func:`web_settings`, the manifest here or
    the one shipped with formgen).

    ``converter`` is a :class:`formgen.office.converter.Converter` to share (the caller
    closes it); without one the app starts its own at startup (with the settings' workers
    and timeout, each LibreOffice process replaced after ``recycle_after`` conversions)
    and closes it at shutdown. With a register in the settings' paths (``paths.register``,
    else a PostgreSQL ``paths.database`` holding one; its key: ``paths.register_key``, else
    as :func:`formgen.certificates.keys.load_key` finds it) the app also serves the
    certificate verification page and its JSON (:mod:`formgen.web.verify`), each client
    address allowed ``verify_rate`` look-ups a minute (counted in that PostgreSQL database,
    so on every host at once, when the settings have one: :mod:`formgen.web.ratelimit`).

    ``secret`` checks the long signed links of earlier versions (default: see
    :func:`formgen.links.secret.load_secret`, from ``paths.secret_file``); the settings'
    ``paths.link_store`` is the encrypted store of short links and of pages between a
    submit and its redirect (default: ``paths.database``, else see
    :func:`formgen.links.store.vault_path`). At most
    ``max_queue`` conversions run or wait; requests and uploads are limited to
    ``max_upload`` bytes and read under ``parse_limits``; a request's body must arrive
    within ``body_timeout`` seconds (else 408).

    With a register and the issuer's keys (``issuer_keys``, else as
    :func:`formgen.credentials.keys.load_issuer_keys` finds them) the app also serves the
    DID document, the status lists and each certificate's credential
    (:mod:`formgen.web.credentials`).

    With a ``mailer`` (see :func:`formgen.send.single.mailer_from`) a page with a saved
    link offers to email the applicant that link (:mod:`formgen.web.mail`): at most
    ``mail_per_address`` messages an hour to one address and ``mail_per_client`` at the
    asking of one client address.

    Nothing else is kept between requests: several servers on one PostgreSQL database,
    with the same secret and register key, answer alike whichever one a request meets.
    """
    settings = settings or web_settings()
    paths = settings.paths
    place = served_register(paths)
    verifier = (Verifier(place, paths.register_key, verify_rate,
                         limiter(paths.database, "verify", verify_rate))
                if place is not None else None)
    manifest = settings.manifest
    secret = secret if secret is not None else load_secret(paths.secret_file)
    state = WebState(
        settings=settings,
        secret=secret,
        vault=Vault(vault_location(paths.link_store, paths.database)),
        max_upload=max_upload,
        max_queue=max_queue,
        converter=converter,
        envs={lang: _environment(lang) for lang in LANGUAGES},
        statements=competence_statements(manifest),
        parser=Parser(parse_limits),
        mailer=mailer,
        mail_limits=MailLimits.hourly(
            mail_per_address, mail_per_client, database=paths.database,
            key=hmac.new(secret.encode(), b"formgen.mail-limits", hashlib.sha256).digest()),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        install_log_filters()
        read_coverage()  # once, before any request's validation needs it
        await run_in_threadpool(state.parser.start)
        if state.converter is None:
            from formgen.office import open_converter

            state.converter = open_converter(settings, recycle_after=recycle_after)
            state.owns_converter = True
        state.queue = ConversionQueue(state.max_queue)
        try:
            yield
        finally:
            state.queue.close()
            if state.owns_converter:
                state.converter.close()
                state.converter = None
                state.owns_converter = False

    app = FastAPI(
        title="formgen",
        summary="Bilingual application forms for international engineer registration",
        version=_version(),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.web = state

    async def server_error(request: Request) -> Response:
        """500, with the security headers like every answer (the error goes to the log)."""
        if request.url.path.startswith("/api/"):
            return api_errors([api_error("", msg("api.server-error"))], 500)
        lang = language_of(request)
        tr = TRANSLATORS[lang]
        return state.render(request, "problem.html", lang, 500, title=tr("Error"), message=tr(
            N_("Something went wrong on this site; nothing you sent was kept. Please try again later.")))

    app.add_middleware(GuardMiddleware, max_body=max_upload + MULTIPART_SLACK,
                       too_large=too_large_response, server_error=server_error,
                       refused=cross_site_response, body_timeout=body_timeout,
                       too_slow=too_slow_response)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(mail.router)
    app.include_router(downloads.router)

    @app.api_route("/health", methods=["GET", "HEAD"], include_in_schema=False)
    async def health() -> Response:
        """200 while this server can reach its link store (its database), else 503: what
        a load balancer asks before it sends a host requests."""
        reachable = await run_in_threadpool(state.vault.reachable)
        return PlainTextResponse("ok" if reachable else "unavailable", 200 if reachable else 503,
                                 headers={"Cache-Control": "no-store"})
    if verifier is not None:
        app.state.verifier = verifier
        app.include_router(verify.router)
        app.include_router(verify.api)
        issuing = credential_service(verifier.place, paths.register_key, issuer_keys)
        if issuing is not None:
            app.state.credentials = issuing
            app.include_router(credentials.router)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> Response:
        return await too_large_response(request, exc.limit)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            api_error(".".join(str(p) for p in e["loc"] if p not in ("query", "path", "body")),
                      msg("api.invalid-parameter", detail=str(e.get("msg", ""))))
            for e in exc.errors()
        ]
        return api_errors(errors, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
            said = _HTTP_ERRORS.get(exc.status_code) or msg("api.http-error", detail=str(exc.detail))
            return api_errors([api_error("", said)], exc.status_code, exc.headers)
        lang = language_of(request)
        tr = TRANSLATORS[lang]
        if exc.status_code == 404:
            title, message = tr("Not found"), tr("There is no page at this address.")
        elif exc.status_code == 405:
            title, message = tr("Not allowed"), tr("This address cannot be used that way.")
        else:
            title, message = tr("Error"), tr("The request could not be handled.")
        return state.render(request, "problem.html", lang, exc.status_code, title=title, message=message)

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("formgen")
    except PackageNotFoundError:
        return "0"


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with the Applicant model as the API's request body schema."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, summary=app.summary, routes=app.routes,
        description=(
            "POST one applicant record as JSON (the fields of the YAML data files) to get "
            "a document or the whole pack. Invalid data gets 422 with a list of field errors. "
            "Where the site has a certificate register, GET /api/certificates/{code} says "
            "whether a certificate is valid, revoked or superseded."
        ),
    )
    applicant = Applicant.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(applicant.pop("$defs", {}))
    components["Applicant"] = applicant
    app.openapi_schema = schema
    return schema


__all__ = ["create_app", "web_settings", "WebState"]
