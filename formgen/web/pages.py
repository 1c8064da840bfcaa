"""The applicant's pages: the form, its actions, the saved-answers file, and staff links.

Everything works without JavaScript: one form, whose buttons name what to do (check,
add or delete a row, open a file, save, download). What leads to another view of the
form answers with a redirect to it (see :mod:`formgen.web.session`); downloads answer
with the file. The form keeps what was typed through every action, failed ones included.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePath
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from formgen.exceptions import ConversionError, DataFileError, FormgenError
from formgen.forms.blank import blank_documents, render_blank
from formgen.forms.carry import KEY
from formgen.forms.documents import documents_needed
from formgen.links.store import key_of
from formgen.links.tokens import LinkExpired, LinkInvalid, LinkRevoked, json_safe, open_link
from formgen.model.applicant import LANGUAGES, Language
from formgen.web import answers, formdata, formfields, sections
from formgen.web.files import Busy, Download, attachment, make_document, make_pack_download
from formgen.web.i18n import N_, TRANSLATORS, Translator, pick_language
from formgen.web.messages import input_id
from formgen.web.parsing import ParseRefused
from formgen.web.records import Outcome, check_record
from formgen.web.security import read_form
from formgen.web.session import load_page, redirect_to_page
from formgen.web.state import MULTIPART_SLACK, language_of, state_of
from formgen.web.uploads import (
    FORM_SUFFIXES,
    converted_form,
    form_kind,
    forms_still_needed,
    pick_person,
    prune,
    read_upload,
    upload_message,
)
from formgen.web.view import Alert, page_state, problem_texts, render_form

router = APIRouter(include_in_schema=False)

MAX_FORM_FIELDS = 3000
FORMATS = ("pdf", "docx")
_DOC_ACTION = re.compile(r"^doc:([a-z0-9_]+):(zh|en):(pdf|docx)$")
_BLANK_ACTION = re.compile(r"^blank:([a-z0-9_]+):(zh|en)$")


@router.api_route("/", methods=["GET", "HEAD"], name="form")
async def show_form(request: Request) -> Response:
    lang = language_of(request)
    page_id = request.query_params.get("page", "")
    if not page_id:
        return render_form(request, page_state(lang))
    page = await load_page(request, page_id)
    if page is None:
        return render_form(request, page_state(lang, notice="page-gone"))
    page["lang"] = lang
    return render_form(request, page, page_id=page_id)


@router.get("/blank.yaml", name="blank")
async def blank_file(request: Request) -> Response:
    """A blank answers file to fill in offline."""
    state = state_of(request)
    tr = TRANSLATORS[language_of(request)]
    programmes: dict[str, list[str]] = {pid: list(p.grades) for pid, p in state.manifest.programmes.items()}
    name = tr(N_("blank-answers")) + ".yaml"
    return attachment(Download(name, answers.blank_answers(tr, programmes), "yaml", "blank-answers.yaml"))


async def _link_context(request: Request, token: str) -> dict[str, Any]:
    """What a page opened from a staff link keeps of it: the token, its expiry, saved state."""
    state = state_of(request)
    if not token:
        return {}
    try:
        link = await run_in_threadpool(open_link, token, state.vault, state.secret)
    except (LinkInvalid, LinkExpired, LinkRevoked):
        return {}
    return {"link": token, "link_expires": link.expires.isoformat(), "has_saved": link.has_saved,
            "short": link.short}


async def _show(request: Request, page: dict[str, Any], anchor: str = "") -> Response:
    redirect = await redirect_to_page(request, page, anchor)
    return redirect if redirect is not None else render_form(request, page)


@router.post("/", name="submit")
async def submit_form(request: Request) -> Response:
    pairs, upload_item, upload_data = await read_form(
        request, state_of(request).max_upload + MULTIPART_SLACK, MAX_FORM_FIELDS, max_files=1)
    return await _act(request, pairs, upload_item, upload_data)


@router.post("/upload", name="upload")
async def upload(request: Request) -> Response:
    """A file sent on its own (the form sends files with action=upload)."""
    pairs, upload_item, upload_data = await read_form(
        request, state_of(request).max_upload + MULTIPART_SLACK, MAX_FORM_FIELDS, max_files=1)
    return await _act(request, [*pairs, ("action", "upload")], upload_item, upload_data)


async def _act(
    request: Request, pairs: list[tuple[str, str]], upload_item: UploadFile | None, upload_data: bytes
) -> Response:
    fields = dict(pairs)
    lang = pick_language(request.query_params.get("lang") or fields.get("lang"))
    action = fields.get("action", "check")
    shown = formdata.rows_shown(pairs)
    record = formdata.record_from_form(pairs)
    blanks = {g: max(0, n - len(record.get(g) or [])) for g, n in shown.items()}
    link = await _link_context(request, fields.get("link", ""))
    page = page_state(lang, record, checked=bool(fields.get("checked")), rows=blanks, **link)
    if KEY.fullmatch(fields.get("form_key", "")):
        page["form_key"] = fields["form_key"]  # the blank forms of one visit share it

    if action.startswith("switch:"):
        page["lang"] = pick_language(action.removeprefix("switch:"))
        return await _show(request, page)
    if action.startswith("add:") and action[4:] in formfields.GROUPS:
        group = action[4:]
        page["rows"] = {**blanks, group: blanks.get(group, formfields.BLANK_ROWS) + 1}
        rows = len(record.get(group) or []) + page["rows"][group]
        return await _show(request, page, "#" + input_id(f"{group}[{rows}]"))
    if action.startswith("delete:"):
        group, _, number = action[7:].partition(":")
        if group in formfields.GROUPS and number.isdigit():
            rest = formdata.without(pairs, f"{group}[{number}].")
            page["record"] = formdata.record_from_form(rest)
            filled = len(page["record"].get(group) or [])
            page["rows"] = {**blanks, group: max(0, shown.get(group, 0) - 1 - filled)}
            return await _show(request, page, "#" + input_id(group))
    if action.startswith("clear:"):
        code = action[6:]
        page["record"] = formdata.record_from_form(formdata.without(pairs, f"competences.{code}."))
        return await _show(request, page, "#" + input_id(f"competences.{code}"))
    if action == "update":
        return await _show(request, page, "#" + input_id("programme"))
    if action == "save":
        tr = TRANSLATORS[lang]
        name, data = answers.saved_answers(json_safe(page["record"]), tr, state_of(request).today)
        return attachment(Download(name, data, "yaml", "answers.yaml"))
    if action == "save-link":
        return await _save_to_link(request, page)
    if action == "upload":
        return await _upload(request, page, upload_item, upload_data)
    if action == "choose":
        return await _choose(request, page, fields)
    if action in ("pack", "document") or _DOC_ACTION.match(action):
        return await _download(request, page, action, fields)
    blank = _BLANK_ACTION.match(action)
    if blank:
        return await _blank_form(request, page, fields.get("programme_grade", ""), blank[1],
                                 pick_language(blank[2]))
    page["checked"] = True
    return await _show(request, page)


async def _save_to_link(request: Request, page: dict[str, Any]) -> Response:
    state = state_of(request)
    key = key_of(page.get("link", ""))
    saved = key is not None and await run_in_threadpool(state.vault.save_to_link, key, json_safe(page["record"]))
    if saved:
        page.update(notice="link-saved", has_saved=True, saved_at=dt.datetime.now(dt.UTC).isoformat())
    else:
        page["notice"] = "link-not-saved"
    return await _show(request, page)


async def _upload(request: Request, page: dict[str, Any], item: UploadFile | None, data: bytes) -> Response:
    state = state_of(request)
    tr = TRANSLATORS[page["lang"]]

    # A refused file is answered at once with its 4xx (not through a redirect), with what
    # was typed; the page's script sends files by fetch, so Refresh still repeats a GET.
    def refused(words: str, status: int = 400, **values: Any) -> Response:
        page["errors"] = [problem_texts("upload", words, values)]
        return render_form(request, page, status)

    if item is None or not item.filename:
        return refused(N_("Choose a file to upload."))
    if len(data) > state.max_upload:
        return refused(N_("The file is larger than %(size)s; it was not read."), 413, size=tr.megabytes(state.max_upload))
    if not data:
        return refused(N_("This file is empty."))
    name = item.filename
    try:
        if PurePath(name).suffix.lower() in FORM_SUFFIXES:
            data = await _as_docx(state, name, data)
        records, forms = await state.parser.run(read_upload, name, data, state.manifest)
    except (DataFileError, ParseRefused) as e:
        page["errors"] = [{"field": "upload", **{lang: upload_message(e, TRANSLATORS[lang]) for lang in LANGUAGES}}]
        return render_form(request, page, e.status if isinstance(e, ParseRefused) else 400)
    except Busy:
        response = refused(N_("Many documents are being made right now. Please try again in a minute; your details are still in the form."), 429)
        response.headers["Retry-After"] = "30"
        return response
    if len(records) == 1 and forms and "registration_form" not in forms:
        # a form that is not the registration form: what it carries, and what is still needed
        record = prune(json_safe(records[0].data))
        if check_record(record, state, state.today, reference_optional=True).applicant is None:
            loaded = _loaded(page, record, checked=False)
            loaded.update(notice="forms-needed", forms_read=forms,
                          forms_needed=forms_still_needed(record, forms, state.manifest))
            return await _show(request, loaded)
    if len(records) == 1:
        return await _show(request, _loaded(page, records[0].data))
    page["people"] = pick_person(records)
    return await _show(request, page, "#people")


async def _as_docx(state: Any, name: str, data: bytes) -> bytes:
    """A form as DOCX: checked in a child process first, then a .doc, .odt or .rtf saved
    as DOCX by the app's LibreOffice, through the conversion queue (Busy when it is full)."""
    kind = await state.parser.run(form_kind, name, data)
    if kind == "docx":
        return data
    assert state.queue is not None
    converted: bytes = await state.queue.run(converted_form, name, data, kind, state.converter)
    return converted


def _loaded(page: dict[str, Any], record: dict[str, Any], checked: bool = True) -> dict[str, Any]:
    """The page showing a record read from a file, checked (unless not ``checked``)."""
    loaded = page_state(page["lang"], prune(json_safe(record)), checked=checked, notice="file-loaded")
    for key in ("link", "link_expires", "has_saved", "short"):
        if key in page:
            loaded[key] = page[key]
    return loaded


async def _choose(request: Request, page: dict[str, Any], fields: dict[str, str]) -> Response:
    earlier = await load_page(request, fields.get("page", ""))
    people = (earlier or {}).get("people") or []
    choice = fields.get("person", "")
    if not choice.isdigit() or not 0 <= int(choice) < len(people):
        page["people"] = people
        page["errors"] = [problem_texts("person", N_("Choose the person whose answers to open."))]
        return await _show(request, page, "#errors")
    return await _show(request, _loaded(page, people[int(choice)]["record"]))


async def _download(request: Request, page: dict[str, Any], action: str, fields: dict[str, str]) -> Response:
    state = state_of(request)
    lang: Language = page["lang"]
    tr = TRANSLATORS[lang]
    today = state.today
    page["checked"] = True
    outcome = check_record(page["record"], state, today, reference_optional=True)
    if outcome.applicant is None:
        return await _show(request, page, "#errors")
    if action == "pack":
        return await _run(request, page, outcome, tr, make_pack_download, outcome.applicant,
                          state.manifest, state.converter, today)
    if action == "document":  # the earlier form's fields
        doc_id, doc_lang = fields.get("doc", ""), pick_language(fields.get("doc_lang"))
        fmt = fields.get("format") or "pdf"
        fmt = fmt if fmt in FORMATS else "pdf"
    else:
        m = _DOC_ACTION.match(action)
        assert m is not None
        doc_id, doc_lang, fmt = m.group(1), pick_language(m.group(2)), m.group(3)
    if doc_id not in documents_needed(outcome.applicant, state.manifest):
        page["errors"] = [_not_needed(state, outcome, doc_id)]
        return await _show(request, page, "#errors")
    args = (outcome.applicant, doc_id, doc_lang, fmt, state.manifest, state.converter, today,
            page.get("form_key"))
    if fmt == "docx":
        return attachment(await run_in_threadpool(make_document, *args))
    return await _run(request, page, outcome, tr, make_document, *args)


async def _blank_form(request: Request, page: dict[str, Any], choice: str, doc_id: str,
                      doc_lang: Language) -> Response:
    """A blank fillable form of the chosen programme and grade: the answers are not checked."""
    state = state_of(request)
    programme, grade = sections.split(choice)
    try:
        wanted = blank_documents(state.manifest, programme, grade)
    except FormgenError:
        page["errors"] = [problem_texts("programme_grade", N_("Choose your programme and grade above."))]
        return await _show(request, page, "#errors")
    if doc_id not in wanted:
        page["errors"] = [problem_texts("doc", N_("Choose a document."))]
        return await _show(request, page, "#errors")
    unit = page["record"].get("unit")
    doc = await run_in_threadpool(render_blank, state.manifest, programme, grade, doc_id, doc_lang,
                                  state.today, page.get("form_key") or None,
                                  unit.strip() if isinstance(unit, str) else "")
    return attachment(Download(doc.filename, doc.docx, "docx", f"{doc_id}-{grade}-{doc_lang}-blank.docx"))


def _not_needed(state: Any, outcome: Outcome, doc_id: str) -> dict[str, str]:
    applicant = outcome.applicant
    assert applicant is not None
    prog = state.manifest.programmes[applicant.programme]
    if doc_id not in state.manifest.documents:
        return problem_texts("doc", N_("Choose a document."))
    texts = {"field": "doc"}
    for lang in LANGUAGES:
        texts[lang] = TRANSLATORS[lang](
            N_("“%(document)s” is not needed for %(programme)s %(grade)s applicants; choose another document."),
            document=state.manifest.documents[doc_id].title.get(lang), programme=prog.short_name,
            grade=prog.grades[applicant.grade].get(lang))
    return texts


async def _run(
    request: Request, page: dict[str, Any], outcome: Outcome, tr: Translator, func: Any, *args: Any
) -> Response:
    """A conversion through the queue; the form comes back with a notice if it cannot run."""
    state = state_of(request)
    assert state.queue is not None
    try:
        download = await state.queue.run(func, *args)
    except Busy:
        alert = Alert("busy", tr(N_("Many documents are being made right now. Please try again in a minute; your details are still in the form.")))
        response = render_form(request, page, 429, alert=alert, outcome=outcome)
        response.headers["Retry-After"] = "30"
        return response
    except ConversionError:
        alert = Alert("error", tr(N_("PDF documents cannot be made on this site right now. Please try again later, or choose Word (DOCX); your details are still in the form.")))
        return render_form(request, page, 503, alert=alert, outcome=outcome)
    except FormgenError:
        alert = Alert("error", tr(N_("Your documents could not be made just now. Please try again; if it happens again, contact the programme office.")))
        return render_form(request, page, 500, alert=alert, outcome=outcome)
    return attachment(download)


# ----------------------------------------------------------------------------- links

@router.api_route("/f/{token}", methods=["GET", "HEAD"], name="link")
async def open_staff_link(request: Request, token: str) -> Response:
    state = state_of(request)
    lang = language_of(request)
    tr = TRANSLATORS[lang]
    original = request.query_params.get("original") == "1"
    try:
        link = await run_in_threadpool(open_link, token, state.vault, state.secret, original=original)
    except LinkExpired as e:
        return state.render(
            request, "problem.html", lang, 410, title=tr(N_("This link has expired")),
            message=tr(N_("This link expired on %(date)s. Please ask the programme office for a new link."),
                       date=tr.date(e.expired_at.date())),
        )
    except LinkRevoked as e:
        return state.render(
            request, "problem.html", lang, 410, title=tr(N_("This link was withdrawn")),
            message=tr(N_("The programme office withdrew this link on %(date)s. Please ask them for a new one."),
                       date=tr.date(e.revoked_at.date())),
        )
    except LinkInvalid:
        return state.render(
            request, "problem.html", lang, 403, title=tr(N_("This link is not valid")),
            message=tr(N_("This link has been changed or is incomplete, so it cannot be opened. Copy the whole link from your message, or ask the programme office for a new one.")),
        )
    page = page_state(
        lang, link.record, checked=True, link=token, link_expires=link.expires.isoformat(),
        saved_at=link.saved_at.isoformat() if link.saved_at else "", has_saved=link.has_saved,
        original=original, short=link.short, opened_link=True,
    )
    return render_form(request, page)
