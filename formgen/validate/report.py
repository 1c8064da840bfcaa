"""What validation found: the records that passed, the problems, the records that failed."""

from __future__ import annotations

from dataclasses import dataclass, field

from formgen.exceptions import Problem
from formgen.load import RawRecord
from formgen.model.applicant import Applicant


@dataclass
class Validated:
    """A record that passed: the applicant and where it came from."""

    source: RawRecord
    applicant: Applicant


@dataclass
class Report:
    """Outcome of validating a batch."""

    valid: list[Validated] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    failed: list[RawRecord] = field(default_factory=list)
    """The records that failed, and a stand-in for each file that could not be read."""
    valid_count: int = 0
    """How many records passed: ``len(valid)``, unless the applicants were not kept."""
    record_count: int = 0
    """How many records were read (a file that could not be read counts none)."""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def unreadable_files(self) -> list[str]:
        """The files that could not be read at all."""
        return [r.file for r in self.failed if r.whole_file]

    @property
    def failed_records(self) -> int:
        """How many records (not files) failed."""
        return len(self.failed) - len(self.unreadable_files)
