"""The names of what formgen writes: document files, applicant folders, packs."""

from __future__ import annotations

from formgen.model.applicant import Applicant
from formgen.paths import safe_filename


def applicant_folder(applicant_id: str) -> str:
    """The folder of one applicant's files: its id, made safe for any file system."""
    return safe_filename(applicant_id, "applicant")


def output_name(pattern: str, applicant_id: str, name: str) -> str:
    """The output file name from the manifest's pattern, made safe for any file system."""
    safe_id = applicant_folder(applicant_id)
    safe_name = safe_filename(name, safe_id)
    filled = pattern.replace("{id}", safe_id).replace("{name}", safe_name)
    return safe_filename(filled, f"{safe_id}.docx")


def pack_filename(applicant: Applicant) -> str:
    """``<id>-<name>.zip`` (``<name>.zip`` without an id), safe on every file system."""
    safe_id = applicant_folder(applicant.id)
    name = safe_filename(applicant.name.get("zh"), "")
    if not applicant.id and name:
        return safe_filename(f"{name}.zip", "applicant.zip")
    return safe_filename(f"{safe_id}-{name}.zip" if name else f"{safe_id}.zip", f"{safe_id}.zip")
