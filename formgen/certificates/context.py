"""The variables a certificate template sees: one holder and certificate, both languages.

Every certificate template gets ``cert``, ``holder``, ``grade``, ``bodies``,
``programme`` and ``sign`` (CONTEXT_KEYS), each with the Chinese and the English words
side by side; the holder's name comes with a font size that keeps it on the name line.
``cert.link`` is the certificate's verification page (what its QR code holds) and
``cert.verify`` the same link as printed under the code (without ``https://``). ``sign``
lists the signature lines, left to right: each officer's ``name`` and ``title`` (``zh``,
``en``, and ``both`` for a bilingual certificate) and the signing ``body``.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any, cast

from docxtpl import RichText

from formgen.certificates.numbers import Issued
from formgen.certificates.pictures import LineArt
from formgen.certificates.qr import short_link, verify_link
from formgen.exceptions import ManifestError
from formgen.forms import formatting as fmt
from formgen.forms.context import SOE_MEMBERSHIP
from formgen.messages import msg
from formgen.model.applicant import Applicant, Language
from formgen.model.manifest import Body, Manifest, Term

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
                "zh": fmt.day(issued.issued_on, "zh"),
                "en": fmt.day(issued.issued_on, "en"),
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
        "sign": signature_lines(a, doc_id, manifest)[0],
    }


SEAL_LINE = {"zh": "发证单位（盖章）", "en": "Issuing body (seal)"}
"""What a signature line that only carries the seal says in place of an office (its title)."""


def _body(applicant: Applicant, doc_id: str, role: str, manifest: Manifest) -> Body:
    body = getattr(manifest.programmes[applicant.programme], role)
    if body is None:
        raise ManifestError(msg("manifest.signature-body-missing", document=doc_id,
                                programme=applicant.programme, body=role))
    return cast(Body, body)


def signature_lines(applicant: Applicant, doc_id: str,
                    manifest: Manifest) -> tuple[list[dict[str, Any]], list[LineArt]]:
    """What each signature line of the certificate prints (``sign`` in its template) and
    the pictures drawn over it; ManifestError when the manifest does not say who signs."""
    lines: list[dict[str, Any]] = []
    art: list[LineArt] = []
    for line in manifest.documents[doc_id].signatures:
        body = _body(applicant, doc_id, line.body, manifest)
        signatories = manifest.signatories.get(body.abbr)
        officer = None
        if line.officer is not None:
            officer = signatories.officers.get(line.officer) if signatories else None
            if officer is None:
                raise ManifestError(msg("manifest.signatory-missing", document=doc_id,
                                        body=body.abbr, officer=line.officer))
        if officer is not None:
            given = officer.name
            name = {"zh": given.zh, "en": given.en} if given else {"zh": "", "en": ""}
            title = {"zh": officer.title.zh, "en": officer.title.en}
        else:  # the seal's line says so where the others name the office, in the same type
            name, title = {"zh": "", "en": ""}, dict(SEAL_LINE)
        both = name["zh"] if name["zh"] == name["en"] else f"{name['zh']} {name['en']}"
        lines.append({
            "name": {**name, "both": both},
            "title": {**title, "both": f"{title['zh']} {title['en']}".strip()},
            "body": {"abbr": body.abbr, "name": {"zh": body.name.zh, "en": body.name.en}},
            "seal": line.seal,
        })
        signature = officer.signature if officer is not None else None
        seal = signatories.seal if line.seal and signatories else None
        art.append(LineArt(
            signature=manifest.root / signature if signature else None,
            seal=manifest.root / seal if seal else None,
        ))
    return lines, art


def issuer(applicant: Applicant, doc_id: str, manifest: Manifest) -> str:
    """Who issues the certificate, in English: the bodies that sign it (else the society)."""
    prog = manifest.programmes[applicant.programme]
    names: list[str] = []
    for line in manifest.documents[doc_id].signatures:
        body = getattr(prog, line.body)
        if body is not None and body.name.en not in names:
            names.append(body.name.en)
    return "; ".join(names) or prog.society.name.en


CONTEXT_KEYS = ("cert", "holder", "grade", "bodies", "programme", "sign")
"""The top-level names of a certificate's context (bound for each copy of a batch's body)."""
