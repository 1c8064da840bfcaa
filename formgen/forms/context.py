"""The variables a template sees: one applicant, in one language, with its programme's terms.

Every value is a ready-to-print string (or a list of row dicts), so templates hold no
logic beyond loops. Both languages get the same variables; only the words differ.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from formgen import clock
from formgen.forms import formatting as fmt
from formgen.model.applicant import COMPETENCE_CODES, Applicant, Language, LocalText
from formgen.model.manifest import FEE_PLACEHOLDER as _FEE
from formgen.model.manifest import Fee, Manifest, Term
from formgen.model.reference import competence_statements
from formgen.model.tags import value_tag

GENDER: dict[str, Term] = {
    "male": Term(zh="男", en="Male"),
    "female": Term(zh="女", en="Female"),
}
MEMBER_GRADE: dict[str, Term] = {
    "senior_member": Term(zh="高级会员", en="Senior Member"),
    "member": Term(zh="会员", en="Member"),
}
SOE_MEMBERSHIP: dict[str, Term] = {
    "member": Term(zh="会员", en="Member"),
    "associate_member": Term(zh="仲会员", en="Associate Member"),
}
REFERENCE_BY_OFFICE = Term(zh="由项目办公室编号", en="assigned by the programme office")
"""Printed where the reference is empty: an application from the web that has none yet."""
REFERENCE_AFTER_NAME = {
    True: (Term(zh="（", en=" ("), Term(zh="）", en=")")),
    False: (Term(zh="　编号：", en=" · Application no.: "), Term(zh="", en="")),
}
"""What stands either side of the reference after the applicant's name: in brackets when
there is one (申请人：李晓明（CSEE-2026-0007）); labelled when the office is still to give
it, so that it never reads as if the office gave the applicant."""
NAME_PLACEHOLDER = Term(zh="[姓名]", en="[Name]")
"""Where the name goes in a heading of a blank form (the notice's "[姓名]-过去三年…")."""
WRITING_LINE = "_" * 20
"""Printed beside an empty value that a blank form asks for, as the notice leaves a line
to write on (有效CMES 会员编号: ____)."""
DATE_LINE = "_" * 12
"""The line for a date of a post in a blank career history report."""
FEES_TOTAL_NOTE = Term(
    zh="不含按年或按期缴纳的费用及附条件的费用",
    en="Yearly or other recurring fees and conditional fees are not included",
)
ESTIMATE = Term(zh="预计{amount}", en="{amount} (estimate)")
"""An amount the notice gives as an estimate (预计为8000元/人)."""
IN_PACK = Term(zh="本材料包已附", en="In this pack")
APPLICANT_ADDS = Term(zh="申请人自备", en="Added by the applicant")
# The seed forms leave this many rows in each table; filled rows take their place first,
# and at least MIN_BLANK rows always stay free for the applicant to add more.
TABLE_ROWS = {"education": 2, "career": 5, "cpd": 18}
MIN_BLANK = {"education": 1, "career": 0, "cpd": 3}
"""The career table's five rows hold the latest five years whole (the notice's form):
five posts leave no spare row, which would run the registration form onto a second page."""
SPARE_POSTS = 2
"""Empty posts of the career history report when the record has none (a blank form)."""


ROW_FIELDS = {
    "education": ("start", "end", "qualification", "course", "institution"),
    "career": ("start", "end", "company", "job_title", "responsibilities"),
    "cpd": ("date", "description", "organizer", "hours", "initials"),
}
LOCAL_FIELDS = {"qualification", "course", "institution", "company", "job_title",
                "responsibilities", "description", "organizer"}


def _blank_rows(group: str, filled: int, lang: Language, count: int | None = None
                ) -> list[dict[str, Any]]:
    """Spare rows: each cell's tag names the entry it would be (``career[3].company.zh``)."""
    if count is None:
        count = max(MIN_BLANK[group], TABLE_ROWS[group] - filled)
    return [
        {"tag": {f: f"{group}[{filled + i}].{f}" + (f".{lang}" if f in LOCAL_FIELDS else "")
                 for f in ROW_FIELDS[group]}, "line": DATE_LINE}
        for i in range(1, count + 1)
    ]


def fees_note(note: Term, fees: list[Fee], lang: Language) -> str:
    """The remark under the fee table, each ``{feeN}`` in it the N-th fee's amount written as
    the table writes it (预计为{fee1}/人 → 预计为8,000元/人)."""
    return _FEE.sub(lambda m: fmt.money(fees[int(m.group(1)) - 1].amount, lang), note.get(lang))


def local_tag(path: str, value: LocalText, lang: Language) -> str:
    """The tag of a text shown in ``lang``: its path, marked as a stand-in when the text
    is the other language's (see :mod:`formgen.model.tags`)."""
    other: Language = "en" if lang == "zh" else "zh"
    if getattr(value, lang) or not getattr(value, other):
        return value_tag(f"{path}.{lang}")
    return value_tag(f"{path}.{lang}", other, getattr(value, other))


def _text(value: LocalText, lang: Language) -> str:
    return value.get(lang)


def blank_applicant(programme: str, grade: str) -> Applicant:
    """An applicant with nothing filled in, for the blank forms of a programme and grade."""
    empty: dict[str, Any] = {
        "id": "", "programme": programme, "grade": grade, "unit": "", "gender": "",
        "mobile": "", "email": "", "company_phone": "", "english_interview": None,
        "education": [], "career": [], "cpd": [], "competences": {}, "cmes": None, "soe": None,
        **{f: LocalText() for f in ("name", "job_title", "expertise", "company",
                                    "company_address", "english_level", "description")},
    }
    return Applicant.model_construct(**empty)


def build_context(
    applicant: Applicant,
    lang: Language,
    manifest: Manifest,
    doc_id: str = "",
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Everything a template may use, for one applicant in one language."""
    today = today or clock.today()
    prog = manifest.programmes[applicant.programme]
    a = applicant

    def t(value: LocalText | Term) -> str:
        return value.get(lang)

    def body(b: Any) -> dict[str, str]:
        if b is None:
            return {"abbr": "", "name": ""}
        return {"abbr": b.abbr, "name": t(b.name)}

    grade_name = t(prog.grades[a.grade])
    grade_label = f"{grade_name}（{a.grade}）" if lang == "zh" else f"{grade_name} ({a.grade})"
    def tags(path: str, entry: Any, fields: tuple[str, ...]) -> dict[str, str]:
        return {f: local_tag(f"{path}.{f}", getattr(entry, f), lang) if f in LOCAL_FIELDS
                else f"{path}.{f}" for f in fields}

    education = [
        {
            "start": fmt.month(e.start, lang),
            "end": fmt.month(e.end, lang),
            "qualification": t(e.qualification),
            "course": t(e.course),
            "institution": t(e.institution),
            "tag": tags(f"education[{i}]", e, ROW_FIELDS["education"]),
        }
        for i, e in enumerate(a.education, start=1)
    ]
    career = [
        {
            "start": fmt.month(c.start, lang),
            "end": fmt.month(c.end, lang),
            "company": t(c.company),
            "job_title": t(c.job_title),
            "responsibilities": t(c.responsibilities),
            "tag": tags(f"career[{i}]", c, ROW_FIELDS["career"]),
        }
        for i, c in enumerate(a.career, start=1)
    ]
    # printed by date; each row's tags keep its place in the record
    cpd = [
        {
            "date": fmt.day(c.date, lang),
            "description": t(c.description),
            "organizer": t(c.organizer),
            "hours": fmt.number(c.hours, lang),
            "initials": c.initials,
            "tag": tags(f"cpd[{i}]", c, ROW_FIELDS["cpd"]),
        }
        for i, c in sorted(enumerate(a.cpd, start=1), key=lambda ic: ic[1].date)
    ]
    statements = competence_statements(manifest).get(a.grade, {})
    competences = []
    for code in COMPETENCE_CODES:
        entry = a.competences.get(code)
        competences.append(
            {
                "code": code,
                # every row carries its group's letter, so a group that runs onto
                # the next page keeps it; the group's first row shows it strongest
                "letter": code[0],
                "group_start": code.endswith("1"),
                "number": code[1],
                "statement": statements.get(code, {}).get(lang, ""),
                "roles": t(entry.roles) if entry else "",
                "education_base": t(entry.education_base) if entry else "",
                "ipd": t(entry.ipd) if entry else "",
                "dap": t(entry.dap) if entry else "",
                "evidence": t(entry.evidence) if entry else "",
                "tag": {
                    f: local_tag(f"competences.{code}.{f}", getattr(entry, f) if entry else LocalText(), lang)
                    for f in ("roles", "education_base", "ipd", "dap", "evidence")
                },
            }
        )
    fees = [f for f in prog.fees if a.grade in f.grades]
    one_off = [f for f in fees if f.per is None and not f.conditional]
    in_pack = set(manifest.documents_for(a.programme, a.grade))
    if manifest.default_pack in manifest.packs:
        in_pack &= set(manifest.packs[manifest.default_pack].documents)

    def amount(value: int, estimate: bool) -> str:
        money = fmt.money(value, lang)
        return t(ESTIMATE).format(amount=money) if estimate else money
    cmes = a.cmes
    soe = a.soe
    before_id, after_id = REFERENCE_AFTER_NAME[bool(a.id)]
    division = prog.divisions.get(soe.division) if soe else None
    return {
        "lang": lang,
        "today": fmt.day(today, lang),
        "document": {
            "id": doc_id,
            "title": t(manifest.documents[doc_id].title) if doc_id in manifest.documents else "",
        },
        "programme": {
            "id": a.programme,
            "title": t(prog.title),
            "society": body(prog.society),
            "partner": body(prog.partner),
            "partner_branch": body(prog.partner_branch),
            "registration_body": body(prog.registration_body),
            "contact": [t(line) for line in prog.contact],
            "fees_note": fees_note(prog.fees_note, prog.fees, lang) if prog.fees_note else "",
        },
        "grade": {"code": a.grade, "name": grade_name, "label": grade_label},
        "grades": [
            {"code": code, "name": t(term), "box": fmt.box(code == a.grade)}
            for code, term in prog.grades.items()
        ],
        "a": {
            "id": a.id or t(REFERENCE_BY_OFFICE),
            "before_id": t(before_id),
            "after_id": t(after_id),
            "unit": a.unit,
            "name": t(a.name),
            "name_line": "" if t(a.name) else WRITING_LINE,
            "name_placeholder": "" if t(a.name) else t(NAME_PLACEHOLDER),
            "gender": t(GENDER[a.gender]) if a.gender in GENDER else "",
            "male_box": fmt.box(a.gender == "male"),
            "female_box": fmt.box(a.gender == "female"),
            "job_title": t(a.job_title),
            "expertise": t(a.expertise),
            "mobile": a.mobile,
            "email": a.email,
            "company": t(a.company),
            "company_address": t(a.company_address),
            "company_phone": a.company_phone,
            "english_level": t(a.english_level),
            "interview_ok_box": fmt.box(a.english_interview is True),
            "interview_translation_box": fmt.box(a.english_interview is False),
            "tag": {
                **{f: local_tag(f, getattr(a, f), lang) for f in (
                    "name", "job_title", "expertise", "company", "company_address",
                    "english_level", "description")},
                **{f: f for f in ("mobile", "email", "company_phone")},
            },
            "education": education,
            "career": career,
            "description": t(a.description),
            "cpd": cpd,
            # a blank record leaves the total to be written in, as the notice does
            "cpd_total": fmt.number(sum(c.hours for c in a.cpd), lang) if a.cpd else "",
            "cmes": {
                "membership_no": cmes.membership_no if cmes else "",
                "membership_no_line": "" if cmes and cmes.membership_no else WRITING_LINE,
                "member_grade": t(MEMBER_GRADE[cmes.member_grade]) if cmes else "",
                "senior_member_box": fmt.box(bool(cmes and cmes.member_grade == "senior_member")),
                "member_box": fmt.box(bool(cmes and cmes.member_grade == "member")),
            },
            "soe": {
                "membership": t(SOE_MEMBERSHIP[soe.membership]) if soe else "",
                "member_box": fmt.box(bool(soe and soe.membership == "member")),
                "associate_member_box": fmt.box(bool(soe and soe.membership == "associate_member")),
                "division": soe.division if soe else "",
                "division_line": "" if soe and soe.division else WRITING_LINE,
                "division_name": t(division.name) if division else "",
                "division_field": t(division.field) if division else "",
            },
        },
        "blank_rows": {
            "education": _blank_rows("education", len(education), lang),
            "career": _blank_rows("career", len(career), lang),
            "cpd": _blank_rows("cpd", len(cpd), lang),
            "posts": _blank_rows("career", 0, lang, 0 if career else SPARE_POSTS),
        },
        "competences": competences,
        "fees": [
            {
                "item": t(f.item),
                "amount": amount(f.amount, f.estimate),
                "per": t(f.per) if f.per else "",
                "due": t(f.due),
                "note": t(f.note) if f.note else "",
            }
            for f in fees
        ],
        "fees_total_note": (
            t(FEES_TOTAL_NOTE) if any(f.per or f.conditional for f in fees) else ""
        ),
        "fees_total": amount(sum(f.amount for f in one_off), any(f.estimate for f in one_off)),
        "checklist": [
            {
                "no": str(i),
                "item": t(c.item),
                "copies": t(c.copies),
                "in_pack": c.document in in_pack,
                "source": t(IN_PACK) if c.document in in_pack else t(APPLICANT_ADDS),
            }
            for i, c in enumerate(
                (c for c in prog.checklist if a.grade in c.grades), start=1
            )
        ],
    }
