"""The form's fields: what each input holds, its label and hint, in the seed form's order.

Inputs are named by the record's own field paths (``name.zh``, ``career[2].end``), so a
problem's field is the name of the input it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from formgen.web.i18n import N_

MAX_ROWS = 30
"""Rows kept per repeating group; more are ignored."""
MIN_ROWS = {"education": 1, "career": 1, "cpd": 1}
"""Rows shown in a group at least, blank ones included."""
BLANK_ROWS = 1
"""Blank rows shown under the filled ones unless the applicant added or deleted some."""


@dataclass(frozen=True)
class Field:
    """One field of the form: a record path relative to its group, and how it is typed."""

    key: str
    label: str
    kind: str = "text"
    """text, email, tel, month, date, number, local, longlocal, gender, yesno, select."""
    hint: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False


PERSONAL = (  # in the order of the seed form, packed for a four-column grid
    Field("name", N_("Name"), "local", N_("The English name as it should appear on certificates, e.g. LI Xiaoming."), required=True),
    Field("gender", N_("Gender"), "gender", required=True),
    Field("mobile", N_("Mobile"), "tel", required=True),
    Field("job_title", N_("Job title"), "local", required=True),
    Field("expertise", N_("Field of expertise"), "local", required=True),
    Field("company", N_("Company"), "local", required=True),
    Field("company_phone", N_("Company phone"), "tel", required=True),
    Field("email", N_("Email"), "email", required=True),
    Field("company_address", N_("Company address"), "local", required=True),
    Field("english_level", N_("English level"), "local", N_("e.g. 大学英语六级 / CET-6"), required=True),
    Field("english_interview", N_("English interview"), "yesno", required=True),
)
DESCRIPTION = Field(
    "description", N_("Personal description"), "longlocal",
    N_("Awards, patents and papers; at most 300 characters in each language."),
)
GROUPS: dict[str, tuple[Field, ...]] = {
    "education": (
        Field("start", N_("Start"), "month", required=True),
        Field("end", N_("End"), "month", required=True),
        Field("qualification", N_("Degree or qualification"), "local", required=True),
        Field("course", N_("Course"), "local", required=True),
        Field("institution", N_("University or college"), "local", required=True),
    ),
    "career": (
        Field("start", N_("Start"), "month", required=True),
        Field("end", N_("End"), "month", N_("Leave empty for the post you hold now.")),
        Field("company", N_("Company"), "local", required=True),
        Field("job_title", N_("Job title"), "local", required=True),
        Field("responsibilities", N_("Responsibilities"), "longlocal", required=True),
    ),
    "cpd": (
        Field("date", N_("Date"), "date", required=True),
        Field("description", N_("What was learnt or done"), "local", required=True),
        Field("organizer", N_("Organizer"), "local", required=True),
        Field("hours", N_("Hours"), "number", required=True),
        Field("initials", N_("Initials of ES/RP"), "text", N_("Engineering Supervisor or Responsible Person")),
    ),
}
GROUP_TITLES = {
    "education": N_("Education"),
    "career": N_("Career"),
    "cpd": N_("Continuing professional development"),
}
GROUP_HINTS = {
    "education": N_("Your highest engineering degree only."),
    "career": N_("The posts you held during the latest %(years)s years (since %(since)s), latest first. Delete older rows."),
    "cpd": N_("CPD activities of the past %(years)s years (on or after %(since)s). Delete older rows."),
}
KIND_HINTS = {
    "month": N_("For example 2020-09."),
    "date": N_("For example 2025-06-18."),
    "number": N_("For example 24 or 7.5."),
}
COMPETENCE_FIELDS = (
    Field("roles", N_("Roles and responsibilities"), "longlocal",
          N_("What you did, in which post, that shows this competence.")),
    Field("education_base", N_("Education base"), "longlocal",
          N_("The degree, course or training that gave you the knowledge for it.")),
    Field("ipd", N_("Initial professional development (IPD)"), "longlocal",
          N_("How you developed it in your first years: training, supervised work, mentoring.")),
    Field("dap", N_("Development action plan (DAP)"), "longlocal",
          N_("What you plan to do to strengthen it, and by when.")),
    Field("evidence", N_("Sources of evidence (codes)"), "longlocal",
          N_("Short codes of the documents that show it (for example R1 for a report, P2 for a project), as you number them in what you send with the application.")),
)
CMES = (
    Field("membership_no", N_("CMES membership number"), "text", required=True),
    Field("member_grade", N_("CMES member grade"), "select",
          choices=(("senior_member", N_("Senior member")), ("member", N_("Member"))), required=True),
)
SOE = (
    Field("membership", N_("SOE membership applied for"), "select",
          choices=(("member", N_("Member")), ("associate_member", N_("Associate member"))), required=True),
    Field("division", N_("SOE division"), "select", required=True),  # choices: the manifest's divisions
)
OTHER_LABELS = {
    "id": N_("Application reference"),
    "programme": N_("Programme and grade"),
    "grade": N_("Programme and grade"),
    "programme_grade": N_("Programme and grade"),
    "unit": N_("Nominating unit"),
    "competences": N_("Competences"),
    "cmes": N_("CMES membership"),
    "soe": N_("SOE membership"),
    "certificate": N_("Certificate"),
    "certificate.issued_on": N_("Certificate"),
    "doc": N_("Document"),
}
LANGUAGE_NAMES = {"zh": N_("Chinese"), "en": N_("English")}
LOCAL_KINDS = ("local", "longlocal")


def fields_by_key(fields: Iterable[Field]) -> dict[str, Field]:
    return {f.key: f for f in fields}
