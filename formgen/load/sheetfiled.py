"""The rows of a workbook's group sheets filed by applicant id, for a workbook whose group
sheets are not in the order of its applicants (sorted by date, by name, by hand …).

Each group sheet is read once, from start to end, into a SQLite database in a temporary
folder, each row under its applicant's id; the applicants' sheet is then read a row at a
time, as in order, and each applicant takes its rows from the file. Memory stays that of
a few rows, whatever the number of applicants; the file holds the group sheets' values
(about the size of the workbook's sheets once unzipped) and is gone when the read ends.
"""

from __future__ import annotations

import pickle
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from formgen.load.records import ReadWhole

Row = tuple[int, list[Any]]
"""A row read: its number and its values."""
Filed = tuple[int, str, list[Any]]
"""A row read: its number, the id it gives ('' for none) and its values."""

_BATCH = 2_000
"""Rows written to the file in one statement."""


class RowFile:
    """The group sheets' rows by applicant id, in a database of its own that
    :meth:`close` deletes. A file that cannot be written (a full disk) asks for the workbook
    to be read whole (ReadWhole), as before filing."""

    def __init__(self) -> None:
        try:
            self.folder = tempfile.TemporaryDirectory(prefix="formgen-rows-")
        except OSError as e:
            raise ReadWhole() from e
        try:
            self.db = sqlite3.connect(Path(self.folder.name) / "rows.sqlite", isolation_level=None)
            self.db.executescript(
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                "CREATE TABLE row (sheet INTEGER, id TEXT, seq INTEGER, number INTEGER, cells BLOB);"
            )
        except sqlite3.Error as e:
            self.folder.cleanup()
            raise ReadWhole() from e
        self.sheets = 0
        self.looked_up: tuple[str | None, dict[int, list[Row]]] = (None, {})
        """The applicant whose rows were looked up last, and their rows by sheet."""

    def add(self, rows: Iterator[Filed]) -> int:
        """File a sheet's ``rows``; the number the sheet is filed under."""
        sheet = self.sheets
        self.sheets += 1
        batch: list[tuple[int, str, int, int, bytes]] = []
        try:
            self.db.execute("BEGIN")
            for seq, (number, given, values) in enumerate(rows):
                batch.append((sheet, given, seq, number, pickle.dumps(values, pickle.HIGHEST_PROTOCOL)))
                if len(batch) >= _BATCH:
                    self.db.executemany("INSERT INTO row VALUES (?, ?, ?, ?, ?)", batch)
                    batch.clear()
            self.db.executemany("INSERT INTO row VALUES (?, ?, ?, ?, ?)", batch)
            self.db.execute("COMMIT")
        except sqlite3.Error as e:
            raise ReadWhole() from e
        return sheet

    def index(self) -> None:
        """Make looking rows up by id quick (once every sheet is filed)."""
        try:
            self.db.execute("CREATE INDEX row_by_id ON row (id, sheet, seq)")
        except sqlite3.Error as e:
            raise ReadWhole() from e

    def rows_of(self, sheet: int, applicant_id: str) -> list[Row]:
        """The rows of ``sheet`` that give ``applicant_id``, in the sheet's order (those of
        every sheet looked up at once, as each sheet's are asked for in turn)."""
        if self.looked_up[0] != applicant_id:
            found: dict[int, list[Row]] = {}
            for filed_in, number, cells in self.db.execute(
                    "SELECT sheet, number, cells FROM row WHERE id = ? ORDER BY sheet, seq",
                    (applicant_id,)):
                found.setdefault(filed_in, []).append((number, pickle.loads(cells)))
            self.looked_up = (applicant_id, found)
        return self.looked_up[1].get(sheet, [])

    def left(self, sheet: int, taken: set[str]) -> Iterator[Filed]:
        """The rows of ``sheet`` whose id is not in ``taken``, in the sheet's order."""
        ids = self.db.execute("SELECT rowid, id FROM row WHERE sheet = ? ORDER BY rowid", (sheet,))
        for rowid, given in ids:
            if given not in taken:
                number, cells = self.db.execute(
                    "SELECT number, cells FROM row WHERE rowid = ?", (rowid,)).fetchone()
                yield number, given, pickle.loads(cells)

    def close(self) -> None:
        self.db.close()
        self.folder.cleanup()
