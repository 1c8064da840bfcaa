"""The variables a certificate template sees: one holder and certificate, both languages.

Every certificate template gets ``cert``, ``holder``, ``grade``, ``bodies`` and
``programme`` (CONTEXT_KEYS), each with the Chinese and the English words side by side;
the holder's name comes with a font size that keeps it on the name line. ``cert.link`` is
the certificate's verification page (what its QR code holds) and ``cert.verify`` the
same link as printed under the code (without ``https://``).
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from docxtpl import RichText

from formgen.certificates.numbers import Issued
from formgen.certificates.qr import short_link, verify_link
from formgen.forms import formatting as fmt
from formgen.forms.context import SOE_MEMBERSHIP
from formgen.model.applicant import Applicant, Language
from formgen.model.manifest import Manifest, Term

NAME_LINE_PT = 14.4 / 2.54 * 72
"""Width of the name line on every certificate template (16.4 cm text, 1 cm indents)."""
NAME_MAX_PT: dict[Language, float] = {"zh": 32.0, "en": 30.0}
NAME_MIN_PT = 8.0
_ARTICLE_EXCEPTIONS = {"honour", "hour", "honorary"}

# ----------------------------------------------------------------------------- sizes


def _char_em(ch: str) -> float:
    """Width of one character in em of a bold serif face, on the generous side."""
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if ch.isspace():
        return 0.28
    if ch.isdigit():
        return 0.52
    if ch.isalpha():
        if ch.isupper():
            return 0.96 if ch in "MW" else 0.76
        return 0.82 if ch in "mw" else 0.56
    return 0.45


def name_size(name: str, lang: Language, line_pt: float = NAME_LINE_PT) -> float:
    """Font size (pt) that keeps ``name`` on one line: the language's size, smaller if long.

    Rounded down to half points; never below NAME_MIN_PT (a longer name would wrap to a
    second line rather than be cut).
    """
    width = sum(_char_em(ch) for ch in name) or 1.0
    size = min(NAME_MAX_PT[lang], line_pt * 0.94 / width)
    return max(NAME_MIN_PT, math.floor(size * 2) / 2)


def _name_run(name: str, lang: Language) -> RichText:
    half_points = int(name_size(name, lang) * 2)
    return RichText(name, size=half_points)


def _article(word: str) -> str:
    first = word.split()[0].lower() if word.strip() else ""
    if first in _ARTICLE_EXCEPTIONS:
        return "an"
    return "an" if first[:1] in ("a", "e", "i", "o", "u") else "a"


# ----------------------------------------------------------------------------- context


def certificate_context(
    applicant: Applicant, doc_id: str, issued: Issued, manifest: Manifest, verify_base: str
) -> dict[str, Any]:
    """The variables of a certificate template: both languages of everything.

    ``verify_base`` is where the certificate is verified (its link is
    ``<verify_base>/c/<code>``)."""
    prog = manifest.programmes[applicant.programme]
    doc = manifest.documents[doc_id]
    a = applicant

    def both(term: Term | None) -> dict[str, str]:
        return {"zh": term.zh, "en": term.en} if term else {"zh": "", "en": ""}

    def body(b: Any) -> dict[str, Any]:
        return {"abbr": b.abbr, "name": both(b.name)} if b else {"abbr": "", "name": both(None)}

    names: dict[Language, str] = {"zh": a.name.get("zh"), "en": a.name.en or ""}
    grade = prog.grades[a.grade]
    soe = a.soe
    division = prog.divisions.get(soe.division) if soe else None
    membership = SOE_MEMBERSHIP[soe.membership] if soe else None
    link = verify_link(verify_base, issued.short_code)
    return {
        "cert": {
            "id": doc_id,
            "title": both(doc.title),
            "number": issued.number,
            "code": issued.short_code,
            "link": link,
            "verify": short_link(link),
            "issued_on": {
                "zh": fmt.day(issued.issued_on, "zh", "long"),
                "en": fmt.day(issued.issued_on, "en", "long"),
                "iso": issued.issued_on.isoformat(),
            },
        },
        "holder": {
            "id": a.id,
            "unit": a.unit,
            "ecuk_number": a.certificate.ecuk_number,
            "soe_membership_number": a.certificate.soe_membership_number,
            "name": names,
            "name_size": {lang: name_size(names[lang], lang) for lang in names},
            "name_run": {lang: _name_run(names[lang], lang) for lang in names},
            "membership": {
                "code": soe.membership if soe else "",
                "name": both(membership),
                "article": {"en": _article(membership.en) if membership else ""},
            },
            "division": {
                "code": soe.division if soe else "",
                "name": both(division.name if division else None),
                "field": both(division.field if division else None),
            },
        },
        "grade": {
            "code": a.grade,
            "name": both(grade),
            "article": {"en": _article(grade.en)},
        },
        "bodies": {
            "society": body(prog.society),
            "partner": body(prog.partner),
            "partner_branch": body(prog.partner_branch),
            "registration_body": body(prog.registration_body),
        },
        "programme": {"id": a.programme, "title": both(prog.title)},
    }


CONTEXT_KEYS = ("cert", "holder", "grade", "bodies", "programme")
"""The top-level names of a certificate's context (bound for each copy of a batch's body)."""
