"""Which parts of the form apply to which programme and grade.

A choice is ``programme:grade`` (``csee-iet:IEng``), the value of the form's first
select. Every part that applies only to some choices lists them; the page shows it only
for those (the server when it renders, the page's script as soon as the choice changes),
and the check ignores the parts that do not apply, so a value typed under another
programme never becomes an error the applicant cannot see.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from formgen.model.manifest import Manifest

CROSS_REFERENCE = "cross_reference"


def split(choice: str) -> tuple[str, str]:
    programme, _, grade = choice.partition(":")
    return programme, grade


def shown_for(manifest: Manifest) -> dict[str, list[str]]:
    """Each part of the form that depends on the choice, with the choices it applies to.

    Parts: ``unit-required``, ``cmes``, ``soe``, ``competences``, ``grade:CEng`` … (the
    competence statements of a grade), and ``doc:<id>`` for each document.
    """
    parts: dict[str, list[str]] = {}

    def add(part: str, choice: str) -> None:
        parts.setdefault(part, []).append(choice)

    for pid, prog in manifest.programmes.items():
        for grade in prog.grades:
            choice = f"{pid}:{grade}"
            if "unit" in prog.requires:
                add("unit-required", choice)
            for need in ("cmes", "soe"):
                if need in prog.requires:
                    add(need, choice)
            add(f"grade:{grade}", choice)
            needed = manifest.documents_for(pid, grade)
            if CROSS_REFERENCE in needed:
                add("competences", choice)
            for doc_id in needed:
                add(f"doc:{doc_id}", choice)
    return parts


def applies(manifest: Manifest, choice: str) -> set[str]:
    """The parts that apply to ``choice``."""
    return {part for part, where in shown_for(manifest).items() if choice in where}


def for_check(record: Mapping[str, Any], manifest: Manifest) -> dict[str, Any]:
    """``record`` without the parts that do not apply to its programme and grade."""
    out = dict(record)
    programme = str(out.get("programme") or "")
    if programme not in manifest.programmes:
        return out
    for need in ("cmes", "soe"):
        if need not in manifest.programmes[programme].requires:
            out.pop(need, None)
    grade = str(out.get("grade") or "")
    if grade and "competences" not in applies(manifest, f"{programme}:{grade}"):
        out.pop("competences", None)
    return out
