"""The pages: the form, the upload, and the prefilled form behind a staff link.

Everything works without JavaScript; the form keeps what was typed when it comes back
with problems, and keeps its language across every submit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response

from formgen.exceptions import DataFileError, FormgenError
from formgen.forms.documents import documents_needed
from formgen.load import load_bytes
from formgen.model.applicant import LANGUAGES, Language
from formgen.model.manifest import Programme
from formgen.run import today_default
from formgen.web import formdata, formfields
from formgen.web.files import Busy, attachment, make_document, make_pack_download
from formgen.web.i18n import N_, TRANSLATORS, Translator, pick_language
from formgen.web.links import LinkExpired, LinkInvalid, read_token
from formgen.web.messages import form_messages
from formgen.web.records import Outcome, check_record
from formgen.web.security import read_body, replay
from formgen.web.state import MULTIPART_SLACK, WebState, language_of, state_of

router = APIRouter(include_in_schema=False)

MAX_FORM_FIELDS = 3000
FORMATS = ("pdf", "docx")


@dataclass
class Alert:
    kind: str
    """error, busy or info."""
    text: str


def form_page(
    request: Request,
    lang: Language,
    *,
    record: dict[str, Any] | None = None,
    outcome: Outcome | None = None,
    status: int = 200,
    alert: Alert | None = None,
    upload_error: str = "",
    choice: dict[str, str] | None = None,
    link_expires: dt.datetime | None = None,
    min_rows: dict[str, int] | None = None,
    doc_error: str = "",
) -> Response:
    state = state_of(request)
    tr = TRANSLATORS[lang]
    if outcome is not None:
        record = outcome.record
    values = formdata.form_values(record, min_rows)
    messages = form_messages(outcome.report.problems if outcome else [], tr)
    applicant = outcome.applicant if outcome else None
    manifest = state.manifest
    documents = [(doc_id, doc.title.get(lang)) for doc_id, doc in manifest.documents.items() if doc.kind == "form"]
    needed: list[str] = []
    if applicant is not None:
        needed = documents_needed(applicant, manifest)
    programme, _, grade = values["programme_grade"].partition(":")
    statement_grade = grade if grade in state.statements else "CEng"
    choice = {"doc": "", "doc_lang": lang, "format": "pdf", **(choice or {})}
    return state.render(
        request, "form.html", lang, status,
        f=formfields,
        values=values,
        messages=messages,
        applicant=applicant,
        documents=documents,
        needed=needed,
        programmes=_programme_choices(state, lang),
        units=_units(state, programme),
        unit_programmes=_names(state, lambda p: "unit" in p.requires or bool(p.quota)),
        membership_programmes=_names(state, lambda p: bool({"cmes", "soe"} & set(p.requires))),
        statements=state.statements.get(statement_grade, {}),
        alert=alert,
        upload_error=upload_error,
        doc_error=doc_error,
        choice=choice,
        link_expires=link_expires,
        checked=outcome is not None,
        languages=LANGUAGES,
        divisions=_division_labels(state, lang),
        show_competences=bool(messages.at("competences", children=True)) or any(
            v for c in values["competences"].values() for pair in c.values() for v in pair.values()
        ),
    )


def _programme_choices(state: WebState, lang: Language) -> list[dict[str, Any]]:
    out = []
    for programme_id, prog in state.manifest.programmes.items():
        out.append({
            "id": programme_id,
            "label": f"{prog.short_name} · {prog.title.get(lang)}",
            "grades": [
                (f"{programme_id}:{code}", f"{prog.short_name} · {term.get(lang)} ({code})")
                for code, term in prog.grades.items()
            ],
        })
    return out


def _division_labels(state: WebState, lang: Language) -> dict[str, str]:
    """Every programme's divisions, as ``code · name``."""
    labels: dict[str, str] = {}
    for prog in state.manifest.programmes.values():
        for code, div in prog.divisions.items():
            labels.setdefault(code, f"{code} · {div.name.get(lang)}")
    return labels


def _units(state: WebState, programme_id: str) -> list[str]:
    """The units of the chosen programme's quota table, else of every programme's."""
    chosen = state.manifest.programmes.get(programme_id)
    if chosen is not None and chosen.quota:
        return list(chosen.quota)
    return list(dict.fromkeys(u for p in state.manifest.programmes.values() for u in p.quota))


def _names(state: WebState, which: Callable[[Programme], bool]) -> str:
    """The short names (CSEE–IET) of the programmes ``which`` picks, joined by '/'."""
    return "/".join(p.short_name for p in state.manifest.programmes.values() if which(p))


@router.api_route("/", methods=["GET", "HEAD"], name="form")
async def show_form(request: Request) -> Response:
    return form_page(request, language_of(request))


def _rows_shown(pairs: list[tuple[str, str]]) -> dict[str, int]:
    shown: dict[str, int] = {}
    for name, _ in pairs:
        m = formdata.ROW_KEY.match(name)
        if m:
            shown[m.group(1)] = max(shown.get(m.group(1), 0), int(m.group(2)))
    return shown


@router.post("/", name="submit")
async def submit_form(request: Request) -> Response:
    state = state_of(request)
    body = await read_body(request, state.max_upload)
    try:
        pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True,
                          max_num_fields=MAX_FORM_FIELDS)
    except ValueError:
        pairs = []
    fields = dict(pairs)
    lang = pick_language(request.query_params.get("lang") or fields.get("lang"))
    action = fields.get("action", "check")
    choice: dict[str, str] = {k: fields[k] for k in ("doc", "doc_lang", "format") if k in fields}
    record = formdata.record_from_form(pairs)

    if action.startswith("switch:"):
        target = pick_language(action.removeprefix("switch:"))
        if fields.get("checked"):  # the page showed its problems: show them again
            return form_page(request, target, outcome=check_record(record, state, today_default(), assign_reference=True), choice=choice)
        return form_page(request, target, record=record, choice=choice)
    if action.startswith("add:"):
        group = action.removeprefix("add:")
        shown = _rows_shown(pairs)
        if group in formfields.GROUPS:
            shown[group] = shown.get(group, 0) + 1
        return form_page(request, lang, record=record, choice=choice, min_rows=shown)

    tr = TRANSLATORS[lang]
    today = today_default()
    outcome = check_record(record, state, today, assign_reference=True)
    page: dict[str, Any] = {"outcome": outcome, "choice": choice}
    if outcome.applicant is None:
        return form_page(request, lang, status=422, **page)
    if action == "document":
        return await _document(request, lang, tr, outcome, choice, today, page)
    if action == "pack":
        return await _run(request, lang, tr, page, make_pack_download, outcome.applicant,
                          state.manifest, state.converter, today)
    return form_page(request, lang, **page)


async def _document(
    request: Request, lang: Language, tr: Translator, outcome: Outcome,
    choice: dict[str, str], today: dt.date, page: dict[str, Any],
) -> Response:
    state = state_of(request)
    applicant = outcome.applicant
    assert applicant is not None
    doc_id = choice.get("doc", "")
    doc_lang = pick_language(choice.get("doc_lang"))
    fmt = choice.get("format") if choice.get("format") in FORMATS else "pdf"
    needed = documents_needed(applicant, state.manifest)
    if doc_id not in needed:
        prog = state.manifest.programmes[applicant.programme]
        if doc_id in state.manifest.documents:
            text = tr(N_("“%(document)s” is not needed for %(programme)s %(grade)s applicants; choose another document."),
                      document=state.manifest.documents[doc_id].title.get(lang),
                      programme=prog.short_name,
                      grade=prog.grades[applicant.grade].get(lang))
        else:
            text = tr(N_("Choose a document."))
        return form_page(request, lang, status=422, doc_error=text, **page)
    if fmt == "docx":
        download = await run_in_threadpool(
            make_document, applicant, doc_id, doc_lang, fmt, state.manifest, state.converter, today)
        return attachment(download)
    return await _run(request, lang, tr, page, make_document, applicant, doc_id, doc_lang, fmt,
                      state.manifest, state.converter, today)


async def _run(request: Request, lang: Language, tr: Translator, page: dict[str, Any], func: Any, *args: Any) -> Response:
    """A conversion through the queue; the form comes back with a notice if it cannot run."""
    state = state_of(request)
    assert state.queue is not None
    try:
        download = await state.queue.run(func, *args)
    except Busy:
        alert = Alert("busy", tr(N_("Many documents are being made right now. Please try again in a minute; your details are still in the form.")))
        response = form_page(request, lang, status=429, alert=alert, **page)
        response.headers["Retry-After"] = "30"
        return response
    except FormgenError:
        alert = Alert("error", tr(N_("Your documents could not be made just now. Please try again; if it happens again, contact the programme office.")))
        return form_page(request, lang, status=500, alert=alert, **page)
    return attachment(download)


# ----------------------------------------------------------------------------- upload

# The page words a file that cannot be read for the applicant, who did not make its format.
_UPLOAD_MESSAGES = {
    "file.xlsx-not-zip": N_("This is not an XLSX workbook: the file is not a valid XLSX (zip) file."),
    "file.xlsx-unreadable": N_("This XLSX workbook cannot be read; it may be damaged."),
    "file.xlsx-doctype": N_("This workbook contains XML declarations (DOCTYPE or ENTITY) that are not allowed; it was refused."),
    "file.xlsx-too-large": N_("This workbook unpacks to far more data than a workbook holds; it was refused."),
    "file.yaml-tag": N_("This YAML file uses tags that are not allowed (such as code tags); write plain values."),
    "file.not-yaml": N_("This is not a valid YAML file."),
    "file.not-yaml-at-line": N_("This is not a valid YAML file."),
    "file.not-json": N_("This is not a valid JSON file."),
    "file.not-text": N_("This file is not text in UTF-8 or GB18030."),
    "file.unknown-upload-type": N_("Upload a .yaml, .yml, .json or .xlsx file."),
    "file.empty": N_("This file is empty."),
    "file.no-applicants": N_("This file holds no applicant."),
    "file.xlsx-no-sheet": N_("This workbook has no sheet of applicants."),
    "file.not-applicants": N_("This file must hold one applicant (a mapping of fields)."),
}


def upload_message(error: DataFileError, tr: Translator) -> str:
    """Why an uploaded file cannot be read, by the reason's message id."""
    words = _UPLOAD_MESSAGES.get(error.reason.id)
    if words is not None:
        return tr(words)
    return tr(N_("The file could not be read (%(detail)s)."), detail=error.reason.text(tr.lang))


@router.post("/upload", name="upload")
async def upload(request: Request) -> Response:
    state = state_of(request)
    lang = language_of(request)
    tr = TRANSLATORS[lang]
    body = await read_body(request, state.max_upload + MULTIPART_SLACK)

    def refused(text: str, status: int = 400) -> Response:
        return form_page(request, lang, status=status, upload_error=text)

    if "multipart/form-data" not in request.headers.get("content-type", ""):
        return refused(tr(N_("Choose a file to upload.")))
    parser = MultiPartParser(request.headers, replay(body), max_files=1, max_fields=10)
    parser.spool_max_size = len(body) + 1  # keep the upload in memory
    try:
        form = await parser.parse()
    except MultiPartException:
        return refused(tr(N_("The upload could not be read; choose the file again.")))
    try:
        item = form.get("file")
        if not isinstance(item, UploadFile) or not item.filename:
            return refused(tr(N_("Choose a file to upload.")))
        data = await item.read()
        name = item.filename
    finally:
        await form.close()
    if len(data) > state.max_upload:
        return refused(tr(N_("The file is larger than %(size)s; it was not read."), size=tr.megabytes(state.max_upload)), 413)
    if not data:
        return refused(tr(N_("This file is empty.")))
    try:
        records = await run_in_threadpool(load_bytes, name, data)
    except DataFileError as e:
        return refused(upload_message(e, tr))
    if len(records) != 1:
        return refused(tr(N_("This file holds %(count)s applicants; upload a file with yours only."), count=tr.number(len(records))))
    outcome = check_record(records[0].data, state, today_default(), assign_reference=True)
    return form_page(request, lang, outcome=outcome)


# ----------------------------------------------------------------------------- links

@router.api_route("/f/{token}", methods=["GET", "HEAD"], name="link")
async def open_link(request: Request, token: str) -> Response:
    state = state_of(request)
    lang = language_of(request)
    tr = TRANSLATORS[lang]
    try:
        link = read_token(token, state.secret)
    except LinkExpired as e:
        return state.render(
            request, "problem.html", lang, 410, title=tr(N_("This link has expired")),
            message=tr(N_("This link expired on %(date)s. Please ask the programme office for a new link."),
                       date=tr.date(e.expired_at.date())),
        )
    except LinkInvalid:
        return state.render(
            request, "problem.html", lang, 403, title=tr(N_("This link is not valid")),
            message=tr(N_("This link has been changed or is incomplete, so it cannot be opened. Copy the whole link from your message, or ask the programme office for a new one.")),
        )
    outcome = check_record(link.record, state, today_default(), assign_reference=True)
    return form_page(request, lang, outcome=outcome, link_expires=link.expires)
