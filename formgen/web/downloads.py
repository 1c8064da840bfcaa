"""``GET /d/<token>``: a file ``formgen send`` offered for download instead of attaching
it (a certificate too large for the mail server), from the link store.

The file's name and bytes are sealed under the key the token spells (see
:mod:`formgen.links.downloads`): an unknown or changed token answers 404, an expired or
withdrawn one 410 with a page saying so, in Chinese or English (``?lang=en``). The file
comes as an attachment under its own name (``filename*``, RFC 6266/5987, for Chinese
names), never kept by a cache; access logs show ``/d/…`` without the token.
"""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from formgen.links.downloads import open_download
from formgen.links.tokens import LinkExpired, LinkInvalid, LinkRevoked
from formgen.web.files import ascii_fallback, disposition
from formgen.web.i18n import N_, TRANSLATORS
from formgen.web.state import language_of, state_of

router = APIRouter(include_in_schema=False)


@router.api_route("/d/{token}", methods=["GET", "HEAD"], name="download")
async def download(request: Request, token: str) -> Response:
    state = state_of(request)
    lang = language_of(request)
    tr = TRANSLATORS[lang]
    try:
        found = await run_in_threadpool(open_download, token, state.vault)
    except LinkExpired as e:
        return state.render(
            request, "problem.html", lang, 410, title=tr(N_("This link has expired")),
            message=tr(N_("This link expired on %(date)s. Please ask the programme office for a new link."),
                       date=tr.date(e.expired_at.date())))
    except LinkRevoked as e:
        return state.render(
            request, "problem.html", lang, 410, title=tr(N_("This link was withdrawn")),
            message=tr(N_("The programme office withdrew this link on %(date)s. Please ask them for a new one."),
                       date=tr.date(e.revoked_at.date())))
    except LinkInvalid:
        return state.render(
            request, "problem.html", lang, 404, title=tr(N_("This link is not valid")),
            message=tr(N_("This link has been changed or is incomplete, so it cannot be opened. Copy the whole link from your message, or ask the programme office for a new one.")))
    kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
    return Response(found.data, media_type=kind, headers={
        "Content-Disposition": disposition(found.name, ascii_fallback(found.name, "download")), "Cache-Control": "no-store"})
