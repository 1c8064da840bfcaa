"""Typed applicant records, as staff and applicants write them.

Field names are the data contract (see ``applicant-example.yaml`` in the sample data).
A text given as ``{zh, en}`` is used per language; a plain value is used in both.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from formgen.language import LANGUAGES, Language
from formgen.messages import Message, msg

GradeCode = Literal["CEng", "IEng", "EngTech"]
GRADE_CODES: tuple[str, ...] = typing.get_args(GradeCode)
"""The Engineering Council's grades, in order."""
ProgrammeId = str
"""A programme's id, a key of the manifest's ``programmes`` (e.g. ``csee-iet``)."""

# Characters XML 1.0 cannot hold: a DOCX containing them is corrupt.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def invalid(message: Message) -> PydanticCustomError:
    """A validation error carrying its message; :mod:`formgen.validate.fields` shows it."""
    return PydanticCustomError(message.id, message.id, {"message": message})


def _check_xml_text(value: str) -> str:
    bad = _XML_INVALID.search(value)
    if bad:
        raise invalid(msg("value.control-character", char=f"U+{ord(bad.group()):04X}"))
    return value


def _as_text(value: Any) -> Any:
    if value is None or type(value) is str:
        return value
    if isinstance(value, bool):
        raise invalid(msg("value.not-text-but-yes-no"))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


Text = Annotated[str, BeforeValidator(_as_text), AfterValidator(_check_xml_text)]


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, str_strip_whitespace=True, frozen=True
    )


class LocalText(Model):
    """A text in Chinese and English; either may be missing (the other stands in)."""

    zh: str | None = None
    """The Chinese text."""
    en: str | None = None
    """The English text."""

    @field_validator("zh", "en", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if type(value) is str:  # the usual case, as below (the text checked here)
            if _XML_INVALID.search(value) is None:
                return value.strip() or None
            return _check_xml_text(value)
        value = _as_text(value)
        if isinstance(value, str):
            value = _check_xml_text(value)
            return value.strip() or None
        return value

    def get(self, lang: Language) -> str:
        """The text in ``lang``, falling back to the other language, else ''."""
        other = "en" if lang == "zh" else "zh"
        return getattr(self, lang) or getattr(self, other) or ""

    def missing(self) -> list[Language]:
        return [lang for lang in LANGUAGES if not getattr(self, lang)]


def _to_local_text(value: Any) -> Any:
    if value is None or isinstance(value, (dict, LocalText)):
        return value
    text = _as_text(value)
    return {"zh": text, "en": text}


Local = Annotated[LocalText, BeforeValidator(_to_local_text)]

# Year first: 2012-07, 2012.07, 2012/07, 2012年7月 (a day may follow: 2012-07-15, 2012年7月15日).
_MONTH = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月)?\s*(?:[-/.]?\s*(\d{1,2})\s*日?)?\s*$")
# Month first, with a four-digit year: 07/2012, 7.2012, 07-2012 (never a day first: 03/04/2012 is not read).
_MONTH_FIRST = re.compile(r"^\s*(\d{1,2})\s*[-/.]\s*(\d{4})\s*$")


_PLAIN_MONTH = re.compile(r"\d{4}-\d\d\Z", re.ASCII)
"""2012-07, as most data gives a month: read without the general rules."""
_PLAIN_DAY = re.compile(r"\d{4}-\d\d-\d\d\Z", re.ASCII)
"""2025-06-18, as most data gives a day: read without the general rules."""


def _month_parts(value: str) -> tuple[int, int, int | None] | None:
    """(year, month, day or None) of a month or date as people write them, or None."""
    if _PLAIN_DAY.match(value):
        return int(value[:4]), int(value[5:7]), int(value[8:])
    value = unicodedata.normalize("NFKC", value)
    m = _MONTH.match(value)
    if m and (m.group(3) is None or "年" in value or re.search(r"\d\s*[-/.]\s*\d+\s*[-/.]\s*\d", value)):
        return int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None
    m = _MONTH_FIRST.match(value)
    if m:
        return int(m.group(2)), int(m.group(1)), None
    return None


def _to_month(value: Any) -> Any:
    if type(value) is str and _PLAIN_MONTH.match(value) and "01" <= value[5:] <= "12":
        return dt.date(int(value[:4]), int(value[5:]), 1)
    if isinstance(value, dt.datetime):
        return value.date().replace(day=1)
    if isinstance(value, dt.date):
        return value.replace(day=1)
    if isinstance(value, str):
        parts = _month_parts(value)
        if parts is None:
            raise invalid(msg("value.not-a-month", value=value))
        year, month = parts[0], parts[1]
        if not 1 <= month <= 12:
            raise invalid(msg("value.no-such-month", value=value, month=str(month)))
        return dt.date(year, month, 1)
    raise invalid(msg("value.month-expected"))


def _to_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        parts = _month_parts(value)
        if parts is None or parts[2] is None:
            raise invalid(msg("value.not-a-date", value=value))
        try:
            return dt.date(parts[0], parts[1], parts[2])
        except ValueError:
            raise invalid(msg("value.no-such-day", value=value)) from None
    return value


Month = Annotated[dt.date, BeforeValidator(_to_month)]
Day = Annotated[dt.date, BeforeValidator(_to_date)]

_TRUE = {"true", "yes", "y", "1", "是", "可以", "ok", "x", "☑"}
_FALSE = {"false", "no", "n", "0", "否", "需要翻译", "with translation", "☐"}


def _to_bool(value: Any) -> Any:
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        raise invalid(msg("value.not-yes-or-no", value=value))
    return value


YesNo = Annotated[bool, BeforeValidator(_to_bool)]


class Education(Model):
    """The highest engineering degree or qualification."""

    start: Month
    """Month the course began (YYYY-MM)."""
    end: Month
    """Month the course ended (YYYY-MM)."""
    qualification: Local
    """Degree or qualification, e.g. 工学学士 / BEng."""
    course: Local
    """Subject studied."""
    institution: Local
    """University or college."""


class Career(Model):
    """One post held during the latest five years."""

    start: Month
    """Month the post began (YYYY-MM)."""
    end: Month | None = None
    """Month the post ended; empty while the post is held."""
    company: Local
    """Employer."""
    job_title: Local
    """Post held."""
    responsibilities: Local
    """What the post involved."""


class CpdEntry(Model):
    """One continuing professional development activity."""

    date: Day
    """Day of the activity (YYYY-MM-DD)."""
    description: Local
    """What was learnt or done."""
    organizer: Local
    """Who ran it."""
    hours: float = Field(ge=0)
    """Hours claimed."""
    initials: Text = ""
    """Initials of the Engineering Supervisor or Responsible Person who confirms it."""

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                raise invalid(msg("value.not-hours", value=value)) from None
        return value


class Competence(Model):
    """The applicant's entries against one competence (A1 … E4) of the cross-reference table."""

    roles: Local = LocalText()
    """Roles and responsibilities that show the competence."""
    education_base: Local = LocalText()
    """Education that underpins it."""
    ipd: Local = LocalText()
    """Initial professional development."""
    dap: Local = LocalText()
    """Development action plan."""
    evidence: Local = LocalText()
    """Illustrative sources of evidence (codes)."""


class Cmes(Model):
    """Membership of the Chinese Mechanical Engineering Society (for programmes that require it)."""

    membership_no: Text
    """Valid CMES membership number."""
    member_grade: Literal["senior_member", "member"]
    """``senior_member`` or ``member``."""


class Soe(Model):
    """The SOE membership applied for (for programmes that require it)."""

    membership: Literal["member", "associate_member"]
    """``member`` or ``associate_member``."""
    division: Text = Field(min_length=1)
    """Professional sector, one of the programme's divisions in the manifest (e.g. IRTE, IPlantE, BES)."""


_ECUK_NUMBER = re.compile(r"\d{5,8}")
_SOE_NUMBER = re.compile(r"(?:[A-Z]{1,4}[-/]?)?\d{4,8}")


def _compact(value: str) -> str:
    """A holder's number as compared and printed: no spaces, upper case."""
    return "".join(value.split()).upper()


def _ecuk_number(value: str) -> str:
    number = _compact(value)
    if number and not _ECUK_NUMBER.fullmatch(number):
        raise invalid(msg("value.not-an-ecuk-number", value=value))
    return number


def _soe_number(value: str) -> str:
    number = _compact(value)
    if number and not _SOE_NUMBER.fullmatch(number):
        raise invalid(msg("value.not-an-soe-number", value=value))
    return number


class CertificateInfo(Model):
    """Details of certificates issued to a successful applicant."""

    issued_on: Day | None = None
    """Date of issue printed on the certificates; today when empty."""
    ecuk_number: Annotated[Text, AfterValidator(_ecuk_number)] = ""
    """The holder's Engineering Council registration number (5 to 8 digits, e.g. 654321),
    printed as the registration number on the ECUK certificate."""
    soe_membership_number: Annotated[Text, AfterValidator(_soe_number)] = ""
    """The holder's SOE membership number (4 to 8 digits, with or without a letter prefix:
    123456, M123456), printed on the SOE membership certificate."""


COMPETENCE_CODES = tuple(["A1", "A2", "B1", "B2", "B3", "C1", "C2", "C3", "C4", "D1", "D2", "D3", "E1", "E2", "E3", "E4"])


class Applicant(Model):
    """One applicant, with everything any of their documents needs."""

    id: Text = Field(min_length=1)
    """Unique reference of the application, e.g. CSEE-2026-0007."""
    programme: Text = Field(min_length=1)
    """The programme applied to: one of the manifest's programmes (``csee-iet``, ``cmes-soe`` …)."""
    grade: GradeCode
    """Grade applied for: CEng, IEng or EngTech (those the programme offers)."""
    unit: Text = ""
    """Nominating unit, as named in the programme's quota table (where it has one)."""
    name: Local
    """Full name; the English form as it should appear on certificates (e.g. LI Xiaoming)."""
    gender: Literal["male", "female"]
    """``male`` or ``female``."""
    job_title: Local
    """Current job title."""
    expertise: Local
    """Field or industry of expertise."""
    mobile: Text
    """Mobile phone number."""
    email: Text
    """Email address."""
    company: Local
    """Employer."""
    company_address: Local
    """Employer's address."""
    company_phone: Text
    """Employer's phone number."""
    english_level: Local
    """English level, e.g. 大学英语六级 / CET-6."""
    english_interview: YesNo
    """true: the interview can be in English; false: it needs translation."""
    education: list[Education] = Field(min_length=1)
    """Highest engineering degree(s) only."""
    career: list[Career] = Field(min_length=1)
    """Posts held during the latest five years."""
    description: Local = LocalText()
    """Awards, patents and papers; at most 300 characters per language."""
    cpd: list[CpdEntry] = []
    """CPD activities of the past three years."""
    competences: dict[str, Competence] = {}
    """Cross-reference table entries, keyed A1 … E4."""
    cmes: Cmes | None = None
    """CMES membership (programmes whose manifest entry requires ``cmes``)."""
    soe: Soe | None = None
    """SOE membership applied for (programmes whose manifest entry requires ``soe``)."""
    certificate: CertificateInfo = CertificateInfo()
    """Certificate details, for successful applicants."""

    @field_validator("email", mode="after")
    @classmethod
    def _email(cls, value: str) -> str:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s.]+", value):
            raise invalid(msg("value.not-an-email-address", value=value))
        return value

    @field_validator("competences", mode="before")
    @classmethod
    def _competence_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            value = {str(k).strip().upper(): v for k, v in value.items()}
            unknown = [k for k in value if k not in COMPETENCE_CODES]
            if unknown:
                raise invalid(msg("value.unknown-competence", codes=unknown))
        return value
