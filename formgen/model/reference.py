"""Reference data named by the manifest: the competence statements A1 … E4 per grade."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from formgen.bounds import Refused, load_settings_file
from formgen.exceptions import ManifestError
from formgen.messages import msg
from formgen.model.applicant import COMPETENCE_CODES
from formgen.model.manifest import Manifest

Statements = dict[str, dict[str, dict[str, str]]]
"""grade → competence code → language → statement."""
STATEMENT_GRADES = ("CEng", "IEng")
"""Grades whose cross-reference table lists statements (the notice gives no EngTech table)."""


@lru_cache(maxsize=8)
def _read_statements(path: Path, stamp: float) -> Statements:
    try:
        data = load_settings_file(path)  # bounded: size, nesting, aliases
    except Refused as e:
        raise ManifestError(msg("manifest.statements-unreadable", file=str(path), reason=e.message)) from e
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ManifestError(msg("manifest.statements-unreadable", file=str(path), reason=str(e))) from e
    if not isinstance(data, dict):
        raise ManifestError(msg("manifest.statements-not-a-mapping", file=str(path)))
    for grade in STATEMENT_GRADES:
        missing = [c for c in COMPETENCE_CODES if c not in (data.get(grade) or {})]
        if missing:
            raise ManifestError(msg("manifest.statements-incomplete", file=str(path), grade=grade, codes=missing))
    return data


def competence_statements(manifest: Manifest) -> Statements:
    """The statements of the manifest's reference file, read once per change of the file."""
    path = (manifest.root / manifest.competences).resolve()
    try:
        stamp = path.stat().st_mtime
    except OSError as e:
        raise ManifestError(msg("manifest.statements-unreadable", file=str(path), reason=str(e.strerror))) from e
    return _read_statements(path, stamp)
