"""Moving the key out of a register made before version 2 (``formgen register migrate-key``).

A version-1 register kept its key in its own ``meta`` table, so whoever could write the
file could also seal an edited row. formgen no longer opens such a register; this step,
run once by staff, moves it to version 2:

1. every row is checked against its version-1 seal and code (any mismatch: nothing is
   changed, and the numbers are named);
2. the key is written to the key file (0600), or found equal in ``$FORMGEN_REGISTER_KEY``;
3. in one transaction the rows are copied into the version-2 table (status ``valid``,
   sealed again with the same key, so every printed code keeps verifying), the events
   table is made, the key is deleted from ``meta`` and a ``key-moved`` event recorded;
4. the file is vacuumed, with ``secure_delete`` on, so the old key is not left in free pages.

Copies of the register taken before the move still hold the key: replace them. The
register moved is of the current version: its head is written beside the key.

A version-2 register kept its key apart but no head (:mod:`formgen.certificates.head`),
so events taken off its end went unnoticed. ``formgen register migrate-head`` audits it
(every event's seal in one chain, every row's seal and status against its events; any
failure: nothing is changed) and writes its head beside the key; from then on the
register is version 3. Run on a register whose head file was lost, it writes a new head
the same way (a roll-back made before then can no longer show).

A register that kept certificates' places in the status lists before they were sealed
(:mod:`formgen.certificates.places`) is refused by the audit and the status lists until
``formgen register migrate-status`` seals them: it audits the rest of the register
(any failure: nothing is changed), seals each place as it is, and records the mark and
the ``status-kept`` event. A place moved before then can no longer show.
"""

from __future__ import annotations

import datetime
import hmac
from pathlib import Path

from formgen.certificates.audit import audit
from formgen.certificates.head import Head, head_place
from formgen.certificates.keys import RegisterKey, create_key, load_key
from formgen.certificates.numbers import Issued, group_code
from formgen.certificates.places import NAME, TABLE, mark, seal, unsealed_problem
from formgen.certificates.register import Register
from formgen.certificates.seals import Sealer
from formgen.certificates.store import FORMAT, SCHEMA, VERSION, RegisterFile
from formgen.database import Database, DriverError, Location, connect
from formgen.exceptions import RegisterError
from formgen.messages import Joined, msg

_V1_COLUMNS = "number, code, applicant_id, name, certificate, programme, grade, issued_on, seal"


def migrate_key(path: Path, key_file: Path | None = None, by: str = "") -> tuple[RegisterKey, int]:
    """Move the key of the version-1 register ``path`` out of it; return the key (with
    where it now is) and the number of certificates carried over."""
    path = Path(path)
    RegisterFile.check_file(path)
    try:
        with connect(Location(path=path)) as db:
            return _migrate(db, path, key_file, by)
    except DriverError as e:
        raise RegisterError(msg("register.cannot-write", path=str(path), detail=e.detail)) from e


def _migrate(db: Database, path: Path, key_file: Path | None,
             by: str) -> tuple[RegisterKey, int]:
    tables = db.tables()
    meta = {str(k): str(v) for k, v in db.execute("SELECT key, value FROM meta")} if "meta" in tables else {}
    if meta.get("format") != FORMAT or "certificates" not in tables:
        raise RegisterError(msg("register.other-database", path=str(path)))
    if "secret" not in meta:
        raise RegisterError(msg("register.key-already-apart", path=str(path)))
    secret = bytes.fromhex(meta["secret"])
    rows = db.execute(f"SELECT {_V1_COLUMNS} FROM certificates ORDER BY rowid")
    altered = [str(r[0]) for r in rows if not _v1_genuine(secret, tuple(map(str, r)))]
    if altered:
        raise RegisterError(msg("register.migrate-altered", path=str(path), numbers=altered))
    key = _write_key(path, key_file, secret)
    sealer = Sealer(key)
    db.execute("PRAGMA secure_delete = ON")
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("ALTER TABLE certificates RENAME TO certificates_v1")
        for statement in SCHEMA:
            db.execute(statement)
        for number, code, applicant_id, name, cert, programme, grade, issued_on, _ in rows:
            issued = Issued(number, group_code(code), applicant_id, name, cert, programme, grade,
                            datetime.date.fromisoformat(issued_on))
            sealer.store(db, issued, new=True)
        db.execute("DROP TABLE certificates_v1")
        db.execute("DELETE FROM meta WHERE key = 'secret'")
        db.executemany("INSERT INTO meta (key, value) VALUES (?, ?) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                       [("version", str(VERSION)), ("key_id", key.key_id)])
        sealer.add_event(db, by, "key-moved", detail=f"{len(rows)} certificate(s) carried over")
        last = db.one("SELECT id, seal FROM events ORDER BY id DESC LIMIT 1")
        db.commit()
    except BaseException:
        db.rollback()
        raise
    assert last is not None
    head_place(path, key).write(Head(int(last[0]), str(last[1])))
    db.execute("VACUUM")
    return key, len(rows)


def migrate_head(path: Path, key_file: Path | None = None, by: str = "") -> Register:
    """Give the version-2 register ``path`` its head, once it passes the audit (or a
    register whose head was lost a new one: it cannot show a roll-back made before);
    return it (closed) as it is now."""
    with Register(path, key_file=key_file, upgrading=True) as reg:
        if reg.meta.get("version") == str(VERSION) and reg.head_place.read() is not None:
            raise RegisterError(msg("register.head-already", path=str(path),
                                    head=reg.head_place.source))
        last = reg.last_head()
        found = audit(reg)
        problems = [p for p in found.problems if p.id != "audit.head-missing"]
        if problems:
            raise RegisterError(msg("register.migrate-head-refused", path=str(path),
                                    problems=Joined(tuple(problems[:20]), msg("list.semicolon"))))
        if last is not None:
            reg.head_place.write(last)
        with reg.transaction() as db:
            reg.upsert_meta(db, "version", str(VERSION))
            db.create(SCHEMA)
            reg.add_event(db, by, "head-kept", detail=reg.head_place.source)
        return reg


def migrate_status(path: Path, key_file: Path | None = None, by: str = "") -> int:
    """Seal the places in the status lists that the register ``path`` kept before they
    were sealed, once it passes the rest of its audit; return how many were sealed."""
    with Register(path, key_file=key_file) as reg:
        unsealed = unsealed_problem(reg)
        if unsealed is None:
            raise RegisterError(msg("register.status-already", path=str(path)))
        problems = [p for p in audit(reg).problems if p.id != unsealed.id]
        if problems:
            raise RegisterError(msg("register.migrate-status-refused", path=str(path),
                                    problems=Joined(tuple(problems[:20]), msg("list.semicolon"))))
        with reg.transaction() as db:
            rows = db.execute(f"SELECT number, list, position FROM {NAME} ORDER BY rowid")
            db.execute(f"ALTER TABLE {NAME} RENAME TO {NAME}_unsealed")
            db.create(TABLE)
            db.executemany(
                f"INSERT INTO {NAME} (number, list, position, seal) VALUES (?, ?, ?, ?)",
                [(str(n), int(li), int(p), seal(reg, str(n), int(li), int(p))) for n, li, p in rows])
            db.execute(f"DROP TABLE {NAME}_unsealed")
            mark(reg, db, by)
        return len(rows)


def _v1_genuine(secret: bytes, row: tuple[str, ...]) -> bool:
    """Whether a version 1 row (its key kept in the register) is as sealed."""
    sealer = Sealer(RegisterKey(secret))
    number, code, applicant_id, *_, issued_on, seal = row
    return hmac.compare_digest(code, sealer.code_for(number, applicant_id, issued_on)) and (
        hmac.compare_digest(seal, sealer.mac("seal", *row[:-1]).hex()))


def _write_key(path: Path, key_file: Path | None, secret: bytes) -> RegisterKey:
    """The key written out; a key file left by an interrupted move is used when it holds
    the same key."""
    try:
        return create_key(path, key_file, secret=secret)
    except RegisterError as e:
        if e.code != "register.key-exists":
            raise
        existing = load_key(path, key_file)
        if not hmac.compare_digest(existing.secret, secret):
            raise
        return existing
