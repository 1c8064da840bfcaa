"""The applicant's page, drawn from a page state.

A page state is a plain dict (kept encrypted between a submit and the page it leads to,
see :mod:`formgen.web.session`)::

    {"lang": "zh", "record": {...}, "rows": {"career": 4}, "checked": true,
     "link": "<token>", "link_expires": "...", "saved_at": "...", "has_saved": true,
     "notice": "link-saved", "errors": [{"field": "doc", "zh": "...", "en": "..."}],
     "people": [{"label": "...", "record": {...}}], "original": false}

Only ``lang`` and ``record`` are needed; a checked page shows every problem of the record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from formgen.forms.blank import is_fillable
from formgen.forms.carry import new_key
from formgen.model.applicant import COMPETENCE_CODES, LANGUAGES, Language
from formgen.model.reference import STATEMENT_GRADES
from formgen.validate.rules import CAREER_YEARS, CPD_YEARS, career_since, cpd_since
from formgen.web import formdata, formfields, sections
from formgen.web.i18n import N_, TRANSLATORS, Translator
from formgen.web.messages import FieldMessage, FormMessages, form_messages, target_of
from formgen.web.records import Outcome, check_record
from formgen.web.state import WebState, state_of

NOTICES = {
    "file-loaded": N_("Your answers were filled in from the file. Check them, then go on."),
    "link-saved": N_("Your answers are saved to your link. Open the same link to come back to them."),
    "link-not-saved": N_("Your answers could not be saved to the link: it has expired or was withdrawn. Save them as a file instead."),
    "page-gone": N_("The answers of that page are no longer kept here (after a day, or in another browser). Open the file you saved, or your link, to go on."),
    "forms-needed": N_("Filled in from your %(read)s: what it carries. Still needed: %(forms)s. Open those forms here too, or fill in the rest below."),
    "forms-read": N_("Filled in from your %(read)s: what it carries. Fill in the rest below."),
}


def _notice(page: dict[str, Any], state: WebState, tr: Translator) -> str:
    """The page's notice; after a form that is not the registration form, the forms read
    and those still needed, by their titles."""
    notice = page.get("notice")
    if notice == "forms-needed":
        documents = state.manifest.documents
        sep = "、" if tr.lang == "zh" else ", "

        def titles(ids: list[str]) -> str:
            return sep.join(documents[d].title.get(tr.lang) for d in ids if d in documents)

        needed = page.get("forms_needed") or []
        return tr(NOTICES["forms-needed" if needed else "forms-read"],
                  read=titles(page.get("forms_read") or []), forms=titles(needed))
    return tr(NOTICES[notice]) if notice in NOTICES else ""


@dataclass
class Alert:
    kind: str
    """error or busy."""
    text: str


def page_state(lang: Language, record: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    return {"lang": lang, "record": record or {}, **more}


def problem_texts(field: str, words: str, tr_values: dict[str, Any] | None = None) -> dict[str, str]:
    """A page-level problem (upload, download) in both languages, to keep in a page state."""
    return {"field": field, **{lang: TRANSLATORS[lang](words, **(tr_values or {})) for lang in LANGUAGES}}


def _extra_messages(page: dict[str, Any], messages: FormMessages, tr: Translator) -> None:
    """The page's own problems (an upload that failed, a document not needed), first."""
    extra = [
        FieldMessage(field=e["field"], target=target_of(e["field"]),
                     label=tr(formfields.OTHER_LABELS.get(e["field"], N_("Your file"))),
                     message=e[tr.lang], severity="error")
        for e in page.get("errors") or []
    ]
    messages.items[:0] = extra
    for number, item in enumerate(messages.items, start=1):
        item.number = number


def check(page: dict[str, Any], state: WebState) -> Outcome | None:
    if not page.get("checked"):
        return None
    return check_record(page.get("record") or {}, state, state.today, reference_optional=True)


def render_form(
    request: Request, page: dict[str, Any], status: int = 200, *,
    alert: Alert | None = None, page_id: str = "", outcome: Outcome | None = None,
) -> HTMLResponse:
    """The form for ``page``; ``outcome`` when the caller has checked it already."""
    state = state_of(request)
    lang: Language = page.get("lang") or "zh"
    tr = TRANSLATORS[lang]
    manifest = state.manifest
    record = page.get("record") or {}
    outcome = outcome or check(page, state)
    values = formdata.form_values(record, page.get("rows"))
    messages = form_messages(outcome.report.problems if outcome else [], tr)
    _extra_messages(page, messages, tr)
    choice = values["programme_grade"]
    applying = sections.applies(manifest, choice)
    today = state.today
    title = tr("Application forms for international engineer registration")
    errors = len(messages.errors)
    if errors:
        count = tr.ngettext("%(num)s problem to correct", "%(num)s problems to correct", errors) % {"num": tr.number(errors)}
        title = tr("%(problems)s – %(title)s", problems=count, title=title)
    documents = [
        {"id": doc_id, "title": doc.title.get(lang), "langs": [c for c in LANGUAGES if c in doc.templates],
         "fillable": is_fillable(manifest, doc_id)}
        for doc_id, doc in manifest.documents.items() if doc.kind == "form"
    ]
    competences = values["competences"]
    return state.render(
        request, "form.html", lang, status,
        page_title=title,
        f=formfields,
        values=values,
        messages=messages,
        applicant=outcome.applicant if outcome else None,
        checked=outcome is not None,
        documents=documents,
        choice=choice,
        applying=applying,
        shown_for=sections.shown_for(manifest),
        programmes=_programme_choices(state, lang),
        units=_units(state, sections.split(choice)[0]),
        unit_programmes="/".join(p.short_name for p in manifest.programmes.values() if "unit" in p.requires or p.quota),
        statements={g: state.statements.get(g, {}) for g in STATEMENT_GRADES},
        statement_grades=STATEMENT_GRADES,
        open_competences={
            code for code in COMPETENCE_CODES
            if messages.at(f"competences.{code}", children=True)
            or any(v for pair in competences[code].values() for v in pair.values())
        },
        group_hints={
            "education": tr(formfields.GROUP_HINTS["education"]),
            "career": tr(formfields.GROUP_HINTS["career"], years=tr.number(CAREER_YEARS), since=tr.date(career_since(today))),
            "cpd": tr(formfields.GROUP_HINTS["cpd"], years=tr.number(CPD_YEARS), since=tr.date(cpd_since(today))),
        },
        divisions=_division_labels(state, lang),
        alert=alert,
        notice=_notice(page, state, tr),
        form_key=page.get("form_key") or new_key(),
        link=page.get("link") or "",
        link_expires=_day(page.get("link_expires")),
        saved_at=_day(page.get("saved_at")),
        has_saved=bool(page.get("has_saved")),
        showing_original=bool(page.get("original")),
        people=page.get("people") or [],
        page_id=page_id,
        short=bool(page.get("short")),
        mail_on=state.mailer is not None,
        clean=page.get("notice") in ("file-loaded", "link-saved") or bool(page.get("opened_link")),
        languages=LANGUAGES,
    )


def _day(value: Any) -> dt.date | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value)).date()


def _programme_choices(state: WebState, lang: Language) -> list[dict[str, Any]]:
    return [
        {
            "id": programme_id,
            "label": f"{prog.short_name} · {prog.title.get(lang)}",
            "grades": [
                (f"{programme_id}:{code}", f"{prog.short_name} · {term.get(lang)} ({code})")
                for code, term in prog.grades.items()
            ],
        }
        for programme_id, prog in state.manifest.programmes.items()
    ]


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
