""""Email me this link": the applicant's own saved link sent to the address they type.

The address is read from the form, checked, counted against two limits (per address and
per client, see :class:`MailLimits`) and handed to the mail server with the ``link``
message in the page's language (:mod:`formgen.send.single`); then it is gone. It is not
logged, not put in the link store, not put in a URL (the access log shows only
``POST /email-link``); the limit per address counts a keyed hash of it, kept in memory,
whose key is made afresh each time the app starts.

Without a mail server (``formgen serve --smtp …`` or the manifest's ``mail.smtp``) the
form is not shown and a POST gets a page saying sending is not set up. Whatever goes
wrong, the page that answers still shows the link itself.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from formgen.exceptions import FormgenError
from formgen.links.tokens import (
    LinkData,
    LinkExpired,
    LinkInvalid,
    LinkRevoked,
    make_link,
    open_link,
)
from formgen.messages import msg
from formgen.model.applicant import Applicant, Language
from formgen.send.single import NotSent, recipient, send_link
from formgen.web.i18n import N_, TRANSLATORS, pick_language
from formgen.web.records import check_record
from formgen.web.security import read_form
from formgen.web.state import WebState, state_of

router = APIRouter(include_in_schema=False)
log = logging.getLogger("formgen.web.mail")
_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")
"""An address in a server's answer, cut out before the answer is logged."""

MAX_BODY = 16 * 1024
MAX_FIELDS = 10


@router.post("/email-link", name="email-link")
async def email_link(request: Request) -> Response:
    state = state_of(request)
    pairs, _, _ = await read_form(request, MAX_BODY, MAX_FIELDS)
    fields = dict(pairs)
    lang = pick_language(request.query_params.get("lang") or fields.get("lang"))
    tr = TRANSLATORS[lang]
    token = fields.get("link", "")
    try:
        link = await run_in_threadpool(open_link, token, state.vault, state.secret)
    except (LinkInvalid, LinkExpired, LinkRevoked):
        link = None
    if link is None or not link.short:
        return state.render(request, "problem.html", lang, 403, title=tr(N_("This link cannot be emailed")),
                            message=tr(N_("This link is not valid, has expired or was withdrawn, so it was not sent. Please ask the programme office for a new one.")))
    mailer = state.mailer
    base = mailer.base_url if mailer is not None else str(request.base_url)
    page: dict[str, Any] = {"token": token, "link_url": make_link(base, token),
                            "link_path": f"{request.scope.get('root_path', '').rstrip('/')}/f/{token}"}
    if mailer is None:
        return _page(request, state, lang, 503, page, title=tr(N_("Sending by email is not set up")),
                     message=tr(N_("This site cannot send email, so your link was not sent. Copy the link below, or bookmark it, to come back to your answers.")))
    typed = fields.get("email", "").strip()
    if not typed:
        return _asked(request, state, lang, 400, page, typed, tr(N_("Enter your email address")))
    try:
        to = recipient(typed)
    except FormgenError:
        return _asked(request, state, lang, 400, page, typed,
                      tr(N_("Enter an email address in the correct format, like name@example.com")))
    client = request.client.host if request.client else "unknown"
    wait = state.mail_limits.take(client, to.addr_spec)
    if wait:
        response = _page(request, state, lang, 429, page, title=tr(N_("Too many messages")), message=tr(
            N_("Your link has been sent too many times just now, so it was not sent again. Please wait %(minutes)s minutes and try again, or copy the link below."),
            minutes=tr.number(max(1, -(-wait // 60)))))
        response.headers["Retry-After"] = str(wait)
        return response
    applicant = await run_in_threadpool(_applicant, state, link, token)
    if applicant is None:
        return _page(request, state, lang, 422, page, title=tr(N_("Your link was not sent")), message=tr(
            N_("The message could not be written from the answers on this link. Copy the link below instead.")))
    try:
        await run_in_threadpool(send_link, mailer, state.manifest, applicant, lang, token,
                                link.expires.date(), to, state.today)
    except NotSent as e:
        if e.refused:
            return _asked(request, state, lang, 400, page, typed, tr(
                N_("The mail server did not accept this address. Check it, or enter another one")))
        log.warning("%s", msg("send.web-not-sent", answer=_ADDRESS.sub("…", e.answer)).english)
        return _page(request, state, lang, 502, page, title=tr(N_("Your link was not sent")), message=tr(
            N_("Your link could not be emailed just now: the mail server could not be reached or did not take the message. Please try again later; until then, copy the link below.")))
    except FormgenError as e:  # a message template staff broke
        log.error("%s", e.message.english)
        return _page(request, state, lang, 500, page, title=tr(N_("Your link was not sent")), message=tr(
            N_("The message could not be written from the answers on this link. Copy the link below instead.")))
    return _page(request, state, lang, 200, page, title=tr(N_("Your link is on its way")), message=tr(
        N_("We sent your link to %(address)s. The address was not kept. If the message does not arrive within a few minutes, look in your spam folder."),
        address=to.addr_spec), sent=True)


def _applicant(state: WebState, link: LinkData, token: str) -> Applicant | None:
    """Whom the message is to: the answers saved to the link when they are complete, else
    the programme office's original."""
    found = check_record(link.record, state, state.today, reference_optional=True).applicant
    if found is not None:
        return found
    original = open_link(token, state.vault, state.secret, original=True)
    return check_record(original.record, state, state.today, reference_optional=True).applicant


def _page(request: Request, state: WebState, lang: Language, status: int, page: dict[str, Any], *,
          title: str, message: str = "", sent: bool = False) -> Response:
    return state.render(request, "email_link.html", lang, status, switch_path=f"/f/{page['token']}",
                        title=title, message=message, sent=sent, ask=False, email_value="",
                        email_error="", **page)


def _asked(request: Request, state: WebState, lang: Language, status: int, page: dict[str, Any],
           typed: str, error: str) -> Response:
    """The form again, with what was typed and what is wrong with it."""
    tr = TRANSLATORS[lang]
    return state.render(request, "email_link.html", lang, status, switch_path=f"/f/{page['token']}",
                        title=tr(N_("Email me this link")), message="", sent=False, ask=True,
                        email_value=typed, email_error=error, **page)
