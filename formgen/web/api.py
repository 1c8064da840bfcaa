"""The JSON API: one applicant record in, one document or the whole pack out.

    POST /api/render?doc=registration_form&lang=zh&format=pdf   (body: the record as JSON)
    POST /api/pack                                              (body: the record as JSON)

Invalid data gets 422 with ``{"errors": [{"field": "email", "message": "...", "code": "..."}]}``:
the message in English, the code its message id (see :mod:`formgen.messages`), the same
in every language.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from formgen.exceptions import ConversionError, DataFileError, FormgenError, Problem
from formgen.forms.documents import documents_needed
from formgen.messages import msg
from formgen.model.applicant import Applicant
from formgen.web.files import MEDIA_TYPES, Busy, attachment, make_document, make_pack_download
from formgen.web.parsing import ParseRefused
from formgen.web.records import check_record
from formgen.web.security import read_body
from formgen.web.state import api_error as error
from formgen.web.state import api_errors, state_of

router = APIRouter(prefix="/api", tags=["documents"])


class FieldError(BaseModel):
    """One problem with the request."""

    field: str
    """The field's path, e.g. ``career[2].end``; empty for the request as a whole."""
    message: str
    """What is wrong, in English."""
    code: str
    """The message id: what is wrong, in no language (e.g. ``field.missing``)."""


class Errors(BaseModel):
    """Why the request was refused."""

    errors: list[FieldError]


_APPLICANT_BODY = {
    "requestBody": {
        "required": True,
        "description": "One applicant record: the fields of the YAML data files.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Applicant"}}},
    }
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Errors, "description": "The body is not JSON."},
    413: {"model": Errors, "description": "The body is larger than the limit (2 MB)."},
    422: {"model": Errors, "description": "The record or the parameters are not valid."},
    429: {"model": Errors, "description": "Too many documents are being made; try again later."},
    503: {"model": Errors, "description": "PDF documents cannot be made right now; try again later."},
}


def _file_response(*kinds: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": "The file, as an attachment.",
            "content": {MEDIA_TYPES[k]: {"schema": {"type": "string", "format": "binary"}} for k in kinds},
        },
        **_ERRORS,
    }


def _problem(p: Problem) -> dict[str, str]:
    return error(p.field, p.message)


async def _applicant(request: Request) -> Applicant | Response:
    """The applicant in the body, or the error answer."""
    state = state_of(request)
    body = await read_body(request, state.max_upload)
    try:
        data = await state.parser.json_body(body)
    except DataFileError as e:
        return api_errors([error("", e.reason)], 400)
    except ParseRefused as e:
        return api_errors([error("", e.message)], e.status)
    if not isinstance(data, dict):
        return api_errors([error("", msg("api.body-not-a-record"))], 422)
    outcome = check_record(data, state, state.today)
    if outcome.applicant is None:
        return api_errors([_problem(p) for p in outcome.report.errors], 422)
    return outcome.applicant


def _no_pdf() -> Response:
    """503: LibreOffice is missing or failed; DOCX still works."""
    return api_errors([error("", msg("api.pdf-unavailable"))], 503, headers={"Retry-After": "60"})


def _busy() -> Response:
    return api_errors(
        [error("", msg("api.busy"))],
        429, headers={"Retry-After": "30"},
    )


@router.post(
    "/render",
    summary="One document of one applicant",
    response_class=Response,
    responses=_file_response("docx", "pdf"),
    openapi_extra=_APPLICANT_BODY,
)
async def render(
    request: Request,
    doc: str = Query(description="Document id from the manifest, e.g. registration_form."),
    lang: Literal["zh", "en"] = Query("zh", description="Language of the document."),
    format: Literal["docx", "pdf"] = Query("docx", description="File format."),  # noqa: A002
) -> Response:
    """The document ``doc`` for the applicant in the body, in ``lang``, as DOCX or PDF."""
    state = state_of(request)
    if doc not in state.manifest.documents or state.manifest.documents[doc].kind != "form":
        known = [d for d, spec in state.manifest.documents.items() if spec.kind == "form"]
        return api_errors([error("doc", msg("api.unknown-document", document=doc, known=known))], 422)
    applicant = await _applicant(request)
    if isinstance(applicant, Response):
        return applicant
    if doc not in documents_needed(applicant, state.manifest):
        return api_errors([error("doc", msg(
            "api.document-not-needed", programme=applicant.programme, grade=applicant.grade,
            document=doc,
        ))], 422)
    args = (applicant, doc, lang, format, state.manifest, state.converter, state.today)
    try:
        if format == "docx":
            download = await run_in_threadpool(make_document, *args)
        else:
            assert state.queue is not None
            download = await state.queue.run(make_document, *args)
    except Busy:
        return _busy()
    except ConversionError:
        return _no_pdf()
    except FormgenError as e:
        return api_errors([error("", e.message)], 500)
    return attachment(download)


@router.post(
    "/pack",
    summary="The whole pack of one applicant",
    response_class=Response,
    responses=_file_response("zip"),
    openapi_extra=_APPLICANT_BODY,
)
async def pack(request: Request) -> Response:
    """A ZIP with every document the applicant in the body needs, in Chinese and English, as DOCX and PDF."""
    state = state_of(request)
    applicant = await _applicant(request)
    if isinstance(applicant, Response):
        return applicant
    assert state.queue is not None
    try:
        download = await state.queue.run(make_pack_download, applicant, state.manifest, state.converter, state.today)
    except Busy:
        return _busy()
    except ConversionError:
        return _no_pdf()
    except FormgenError as e:
        return api_errors([error("", e.message)], 500)
    return attachment(download)
