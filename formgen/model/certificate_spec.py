"""The manifest's terms and what it says about signing certificates: officers, seals,
signature lines and the particulars a certificate prints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from formgen.messages import msg
from formgen.model.applicant import Language, invalid


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


class Term(Spec):
    """A term in both languages."""

    zh: str
    """Chinese."""
    en: str
    """English."""

    def get(self, lang: Language) -> str:
        return self.zh if lang == "zh" else self.en


class Officer(Spec):
    """Someone who signs certificates for a society."""

    name: Term | None = None
    """Their name, printed under the signature line; until it is given, the line shows the
    office only (a name is never made up)."""
    title: Term
    """Their office, e.g. 理事长 / President."""
    signature: str | None = None
    """A picture of their signature (PNG or JPEG, relative to the manifest), drawn above
    the line; without one the line stays blank for ink."""


class Signatories(Spec):
    """A society's officers who sign certificates, and its seal."""

    officers: dict[str, Officer] = {}
    """By a key the certificates' signature lines name, e.g. ``president``."""
    seal: str | None = None
    """A picture of the society's seal (PNG with a transparent background, or JPEG on
    white), drawn over the signature lines that ask for it; without one they stay blank
    for a stamp."""


BodyRole = Literal["society", "partner", "partner_branch", "registration_body"]


class SignatureLine(Spec):
    """One signature line of a certificate."""

    body: BodyRole
    """Which of the holder's programme bodies signs here."""
    officer: str | None = None
    """The key of the body's officer who signs (see ``signatories``)."""
    seal: bool = False
    """The body's seal goes over this line."""

    @model_validator(mode="after")
    def _someone(self) -> SignatureLine:
        if self.officer is None and not self.seal:
            raise invalid(msg("manifest.signature-line-empty"))
        return self


class Particular(Spec):
    """One particular a certificate prints, as the verification page shows it: the paper's
    own label (or the words it prints before the value) and the value, each a template
    over the certificate's context (``{{ holder.membership.name.en }}``), as in its
    template. A value that renders empty is not shown; a line break starts a new line."""

    label: str
    """The label as printed, e.g. ``Class of membership``, ``证书编号 Certificate No.``."""
    value: str
    """What the certificate prints there, e.g. ``{{ holder.soe_membership_number }}``."""
