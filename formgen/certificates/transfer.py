"""Moving a register from its SQLite file into PostgreSQL (``formgen register migrate
--to postgresql://…``), for a centre that outgrows one machine.

1. The database must hold no register (its other tables are left alone).
2. The file is opened to read only (it is left as it was, byte for byte) and audited:
   a register that fails its audit is not copied. The register's
   key and head stay where they are, and must be reachable from the database's side too:
   a key file (the head beside it), or the key and ``$FORMGEN_REGISTER_HEAD`` in the
   environment.
3. In one transaction, every table of the register (``meta``, ``certificates``,
   ``events``, ``particulars``, ``credential_status``, those it has) is made in the
   database and every row copied as it is; before it commits, each table's rows are
   counted and compared with the file's, row for row (a digest of every row): on any
   difference nothing is kept.
4. Once committed, the copy is opened with the same key and head and audited as a whole
   (every seal, every event in one chain up to the head).

The copy keeps the file's key and head: once the copy has events the file lacks, the
file is behind its head and refused, so that nobody goes on writing to it by mistake.
The link store is not part of the register and is copied on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from formgen.certificates.audit import Audit, audit
from formgen.certificates.head import head_place
from formgen.certificates.keys import KEY_ENV
from formgen.certificates.places import TABLE as PLACES_TABLE
from formgen.certificates.printed import TABLE as PARTICULARS_TABLE
from formgen.certificates.register import Register
from formgen.certificates.schema import new_register, refuse_held
from formgen.certificates.store import TABLES
from formgen.database import Location
from formgen.database.copy import read_tables, write_tables
from formgen.exceptions import RegisterError
from formgen.messages import Joined, msg

_KEYS = {"meta": "key", "certificates": "number", "events": "id", "particulars": "number",
         "credential_status": "number"}
ORDER = {table: _KEYS[table] for table in TABLES}
"""Each of the register's tables, in order, with its key: the order its rows are read and
compared in (every table has one, or this fails at import)."""
_MADE = {"particulars": PARTICULARS_TABLE, "credential_status": PLACES_TABLE}


@dataclass(frozen=True)
class Copied:
    """What was copied, and the copy's audit."""

    counts: dict[str, int]
    """Rows copied, by table."""
    audit: Audit
    """The audit of the copy (it holds)."""
    key: str
    """Where the register's key is (the same for the file and the copy)."""


def copy_register(source: Path, target: Location, key_file: Path | None = None,
                  timeout: float = 10.0) -> Copied:
    """Copy the SQLite register ``source`` into the empty PostgreSQL database ``target``
    and check the copy (see the module); RegisterError saying why when it cannot be done."""
    refuse_held(target, timeout)
    with Register(source, timeout, key_file=key_file, read_only=True) as src:
        audit(src).check()
        key = src.key
        head_place(target, key)  # the copy's head must be found from the database's side
        tables = read_tables(src.database, ORDER)
    with new_register(target, timeout) as db:
        for table in tables:
            db.create(_MADE.get(table, []))
        differs = write_tables(db, tables, ORDER)
        if differs is not None:
            raise RegisterError(msg("register.copy-differs", database=target.shown, table=differs))
    with Register(target, timeout, key_file=None if key.source == KEY_ENV else Path(key.source),
                  read_only=True) as copy:
        found_audit = audit(copy)
    if not found_audit.holds:
        raise RegisterError(msg("register.copy-audit-failed", database=target.shown,
                                problems=Joined(tuple(found_audit.problems[:20]),
                                                msg("list.semicolon"))))
    return Copied({t: len(rows) for t, (_, rows) in tables.items()}, found_audit, key.source)
