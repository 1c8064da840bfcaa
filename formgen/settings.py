"""One set of settings for a run or a server, built once by the door it comes through.

The CLI builds a :class:`Settings` per command from its options, the web app once when
it is made; everything below takes it as it is. It holds what the stages share: the
manifest, the day, the languages, how many LibreOffice processes and how long one
conversion may take, and where the register and the link store are. The features keep
their own defaults for the paths left as None (the register at build/register.sqlite,
the link store at ``$FORMGEN_LINK_STORE`` or build/links.sqlite).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from formgen import clock
from formgen.database import Location
from formgen.exceptions import FormgenError
from formgen.language import Language
from formgen.messages import msg
from formgen.model.applicant import LANGUAGES
from formgen.model.manifest import Manifest, load_manifest


@dataclass(frozen=True)
class Paths:
    """Where the files a run keeps between runs are; None: the feature's default."""

    register: Path | None = None
    """The certificate register (SQLite)."""
    register_key: Path | None = None
    """The register's key file (default: ``$FORMGEN_REGISTER_KEY``, else beside it)."""
    link_store: Path | None = None
    """The encrypted store of short links (default: ``$FORMGEN_LINK_STORE``)."""
    secret_file: Path | None = None
    """The secret of the long signed links of earlier versions."""
    database: Location | None = None
    """One database holding the register and the link store (``--database``,
    ``$FORMGEN_DATABASE``): PostgreSQL shared by several hosts; None: the files above."""


@dataclass(frozen=True)
class Settings:
    """What every stage of a run, and every request of a server, is given."""

    manifest: Manifest
    """The programmes, documents, templates and packs (checked)."""
    languages: tuple[Language, ...] = LANGUAGES
    """The documents' languages a run makes (default: both)."""
    workers: int | None = None
    """LibreOffice processes converting at once (None: one per core)."""
    timeout: float = 60.0
    """Seconds one conversion may take before its LibreOffice is taken as hung."""
    paths: Paths = field(default_factory=Paths)
    """The register, its key, the link store, the links' secret."""
    pinned_today: dt.date | None = None
    """The day a run works on, fixed when it starts; None: :func:`formgen.clock.today`
    at each call (a server that runs for days)."""

    @property
    def today(self) -> dt.date:
        """The day this run works on (FORMGEN_TODAY honoured)."""
        return self.pinned_today or clock.today()

    def with_changes(self, **changes: object) -> Settings:
        """A copy with ``changes`` (field names as keywords)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def load_settings(
    manifest_path: str | Path | None = None,
    *,
    languages: Sequence[str] | None = None,
    workers: int | None = None,
    timeout: float = 60.0,
    paths: Paths | None = None,
    today: dt.date | None = None,
    pinned: bool = True,
) -> Settings:
    """The settings of a run: the manifest at ``manifest_path`` (default: manifest.yaml
    here, else the one shipped with formgen), checked languages, and the day, pinned when
    the run starts unless ``pinned`` is False (a server). FormgenError naming what is wrong."""
    chosen = choose_languages(languages)
    return Settings(
        manifest=load_manifest(manifest_path),
        languages=tuple(chosen),
        workers=workers,
        timeout=timeout,
        paths=paths or Paths(),
        pinned_today=today or (clock.today() if pinned else None),
    )


def choose_languages(langs: Sequence[str] | None) -> list[Language]:
    """The languages asked for (default: both), or FormgenError naming a wrong one."""
    chosen = list(langs or LANGUAGES)
    for lang in chosen:
        if lang not in LANGUAGES:
            raise FormgenError(msg("run.unknown-language", lang=lang))
    return chosen  # type: ignore[return-value]
