"""The certificate register: numbers, verification codes, statuses and their history, in
one SQLite file or PostgreSQL database (:mod:`formgen.certificates.store`) whose key is kept apart
(:mod:`formgen.certificates.keys`).

A certificate is numbered ``pending`` and becomes ``valid`` once its PDF is written
(:meth:`Register.confirm`); a number whose certificate was never written is ``void``
(:meth:`Register.void`) and never used again. Printing a holder again keeps the number,
code and date of issue of the certificate they hold; if their details changed, the
certificate is reissued under a new number (``replaces``), and the old one becomes
``superseded`` when the new one is written. A revoked certificate keeps its row, with
the date and one of REASONS. Every change is an event (who, when, what).
"""

from __future__ import annotations

import dataclasses
import datetime
import hmac

from formgen import clock
from formgen.certificates.history import Standing, disagreement, replay
from formgen.certificates.numbers import (
    MAX_SEQUENCE,
    NUMBER_RE,
    PREFIX_RE,
    REASONS,
    Event,
    Issued,
    IssueRequest,
    group_code,
    normalize_code,
)
from formgen.certificates.qr import parse_payload
from formgen.certificates.seals import CERTIFICATE_COLUMNS
from formgen.certificates.store import DEFAULT_PATH, FORMAT, SCHEMA, VERSION, RegisterFile
from formgen.exceptions import RegisterError, VerificationError
from formgen.messages import Message, msg

__all__ = ["DEFAULT_PATH", "FORMAT", "SCHEMA", "VERSION", "Register"]

_COLUMNS = ", ".join(CERTIFICATE_COLUMNS)
NUMBERED = ("COALESCE((SELECT MIN(e.id) FROM events e WHERE e.number = c.number "
            "AND e.action = 'numbered'), 0)")
"""The event that numbered the certificate ``c`` (0 for one carried over from a version-1
register): the order certificates were numbered in."""
_REASON_WORDS = {
    "issued-in-error": msg("revocation.issued-in-error"),
    "withdrawn": msg("revocation.withdrawn"),
}


def reason_words(reason: str) -> Message | str:
    """A revocation reason as people read it (颁发有误 / issued in error)."""
    return _REASON_WORDS.get(reason, reason)


class Register(RegisterFile):
    """An open certificate register; use as a context manager (see :class:`RegisterFile`)."""

    # -- codes and rows --------------------------------------------------------------

    def row(self, number: str) -> tuple[str, ...] | None:
        """The stored row of ``number`` (CERTIFICATE_COLUMNS), not checked."""
        found = self.query(f"SELECT {_COLUMNS} FROM certificates WHERE number = ?", (number,))
        return found[0] if found else None

    def genuine(self, row: tuple[str, ...]) -> Issued:
        """The Issued for a stored row, or VerificationError when it was not sealed with
        this register's key or was altered since."""
        issued, key_id = self.unseal(row)
        if key_id != self.key.key_id:
            raise VerificationError(msg("verify.other-key", number=issued.number))
        code = self.code_for(issued.number, issued.applicant_id, issued.issued_on.isoformat())
        if not self.seal_matches(row) or group_code(code) != issued.short_code:
            raise VerificationError(msg("verify.record-altered", number=issued.number))
        disagrees = disagreement(issued, self.standing(issued.number))
        if disagrees is not None:
            raise VerificationError(msg("verify.events-disagree", problem=disagrees))
        return issued

    def standing(self, number: str) -> Standing | None:
        """What the events of certificate ``number`` make of it (not re-checked: see
        :func:`formgen.certificates.audit.audit`)."""
        actions = self.query("SELECT action, detail FROM events WHERE number = ? ORDER BY id",
                             (number,))
        return replay([(a, d) for a, d in actions], self.carried_over())

    def carried_over(self) -> bool:
        """Whether the register was moved from version 1 (its first event is
        ``key-moved``), so certificates not numbered since start valid."""
        if self._carried is None:  # the first event never changes (and is sealed)
            found = self.query("SELECT action FROM events WHERE id = 1")
            self._carried = bool(found) and found[0][0] == "key-moved"
        return self._carried

    def _checked(self, row: tuple[str, ...]) -> Issued:
        """:meth:`genuine`, for changes: an altered row stops the change."""
        try:
            return self.genuine(row)
        except VerificationError as e:
            raise RegisterError(msg("register.altered", path=self.shown, error=e.message)) from e

    # -- verifying -------------------------------------------------------------------

    def lookup(self, code: str) -> Issued:
        """The certificate with this number or short code, checked as genuine, whatever
        its status.

        Raises :class:`VerificationError` when the text is neither, when no certificate
        has it, or when the stored record does not match its verification code.
        """
        text = code.strip().upper()
        if NUMBER_RE.fullmatch(text):
            column, key, shown = "number", text, text
        else:
            short = normalize_code(text)
            if short is None:
                raise VerificationError(msg("verify.not-a-code", code=code.strip()[:60]))
            column, key, shown = "code", short, group_code(short)
        found = self.query(f"SELECT {_COLUMNS} FROM certificates WHERE {column} = ?", (key,))
        if not found:
            raise VerificationError(msg("verify.unknown-code", code=shown))
        return self.genuine(found[0])

    def verify_payload(self, qr_text: str) -> Issued:
        """Check the text of a QR code printed before certificates carried a link
        (``FORMGEN-CERT|number|code``)."""
        number, code = parse_payload(qr_text)
        if not NUMBER_RE.fullmatch(number.upper()):
            raise VerificationError(msg("verify.qr-not-a-number", number=number))
        issued = self.lookup(number)
        short = normalize_code(code)
        if short is None or not hmac.compare_digest(short, issued.short_code.replace("-", "")):
            raise VerificationError(msg("verify.qr-code-mismatch", number=issued.number))
        return issued

    # -- numbering -------------------------------------------------------------------

    def refusals(self, requests: list[IssueRequest]) -> dict[str, list[Message]]:
        """Why some holders cannot be numbered now, by applicant id: their certificate was
        withdrawn, or it records other details than those printed now (then it is
        reissued, not printed again)."""
        refused: dict[str, list[Message]] = {}
        for req in requests:
            problem = None if req.replaces else self._refusal(req)
            if problem is not None:
                refused.setdefault(req.applicant_id, []).append(problem)
        return refused

    def issue(self, requests: list[IssueRequest], by: str = "",
              on: datetime.date | None = None) -> list[Issued]:
        """Number a batch of certificates in one transaction, in request order.

        A holder who already holds this kind of certificate keeps its number, code and
        date of issue (``reused=True``). A request that ``replaces`` a certificate gets a
        new number. Raises RegisterError, numbering nothing, when a holder is refused
        (see :meth:`refusals`) or a request is not usable.
        """
        for req in requests:
            _check_request(req)
        on = on or clock.today()
        with self.transaction() as db:
            for messages in self.refusals(requests).values():
                raise RegisterError(messages[0])
            out = []
            for req in requests:
                if req.replaces:
                    old = self.reissuable(req.replaces)
                    if (old.applicant_id, old.certificate) != (req.applicant_id, req.certificate):
                        raise RegisterError(msg(
                            "register.reissue-other-holder", number=old.number, id=req.applicant_id,
                        ))
                    out.append(self._new_number(req, by, detail=old.number))
                    continue
                held = self._held(req)
                if held is not None and held.status in ("valid", "pending") and _mismatch(held, req) is None:
                    out.append(dataclasses.replace(held, reused=True))
                    continue
                if held is not None and held.status == "pending":  # changed before it was printed
                    self.store(db, self.changed(held, status="void", changed_on=on), new=False)
                    self.add_event(db, by, "voided", held.number, "details changed before printing")
                out.append(self._new_number(req, by))
        return out

    def _held(self, req: IssueRequest) -> Issued | None:
        """The holder's latest certificate of this kind that is not void (a reissue still
        being printed left aside), checked as genuine."""
        for row in self.query(
            f"SELECT {_COLUMNS} FROM certificates c WHERE applicant_id = ? AND certificate = ? "
            f"AND status != 'void' ORDER BY {NUMBERED} DESC, number DESC",
            (req.applicant_id, req.certificate),
        ):
            issued = self._checked(row)
            if not (issued.status == "pending" and issued.replaces):
                return issued
        return None

    def _refusal(self, req: IssueRequest) -> Message | None:
        held = self._held(req)
        if held is None:
            return None
        if held.status == "revoked" and held.reason == "withdrawn":
            return msg("register.holder-withdrawn", number=held.number, id=req.applicant_id,
                       date=held.changed_on)
        if held.status != "valid":
            return None
        return _mismatch(held, req)

    def _new_number(self, req: IssueRequest, by: str, detail: str = "") -> Issued:
        db = self.database
        year = req.issued_on.year
        ((last,),) = self.query(
            "SELECT COALESCE(MAX(seq), 0) FROM certificates WHERE prefix = ? AND year = ?",
            (req.prefix, year),
        )
        seq = int(last) + 1
        if seq > MAX_SEQUENCE:
            raise RegisterError(msg("register.numbers-used-up", prefix=req.prefix, year=str(year)))
        number = f"{req.prefix}-{year}-{seq:06d}"
        issued_on = req.issued_on.isoformat()
        issued = Issued(
            number=number,
            short_code=group_code(self.code_for(number, req.applicant_id, issued_on)),
            applicant_id=req.applicant_id, name=req.name, certificate=req.certificate,
            programme=req.programme, grade=req.grade, issued_on=req.issued_on,
            status="pending", replaces=req.replaces,
        )
        self.store(db, issued, new=True)
        self.add_event(db, by, "numbered", number, f"reissue of {detail}" if detail else "")
        return issued

    # -- after printing --------------------------------------------------------------

    def confirm(self, numbers: list[str], by: str = "", detail: str = "",
                on: datetime.date | None = None) -> list[str]:
        """Record that these certificates were written (``detail``: where): pending ones
        become valid, and the certificate a reissue replaces becomes superseded. Returns
        the numbers that could not be confirmed (voided or revoked meanwhile)."""
        on = on or clock.today()
        refused = []
        with self.transaction() as db:
            for number in numbers:
                row = self.row(number)
                issued = self._checked(row) if row else None
                if issued is None or issued.status not in ("pending", "valid"):
                    refused.append(number)
                    continue
                if issued.status == "valid":
                    self.add_event(db, by, "reprinted", number, detail)
                    continue
                self.store(db, self.changed(issued, status="valid"), new=False)
                self.add_event(db, by, "printed", number, detail)
                old_row = self.row(issued.replaces) if issued.replaces else None
                old = self._checked(old_row) if old_row else None
                if old is not None and old.status == "valid":
                    self.store(db, self.changed(old, status="superseded", changed_on=on,
                                                replaced_by=number), new=False)
                    self.add_event(db, by, "superseded", old.number, f"by {number}")
        return refused

    def void(self, numbers: list[str], by: str = "", why: str = "",
             on: datetime.date | None = None) -> None:
        """Mark pending certificates that were never written as void; their numbers are
        never used again. Certificates already valid are left as they are."""
        on = on or clock.today()
        with self.transaction() as db:
            for number in numbers:
                row = self.row(number)
                issued = self._checked(row) if row else None
                if issued is not None and issued.status == "pending":
                    self.store(db, self.changed(issued, status="void", changed_on=on), new=False)
                    self.add_event(db, by, "voided", number, why)

    # -- revoking and reissuing ------------------------------------------------------

    def reissuable(self, number: str) -> Issued:
        """The valid certificate ``number``; RegisterError saying why when it is not one."""
        issued = self._current(number)
        if issued.status != "valid":
            raise RegisterError(_not_valid(issued))
        return issued

    def reissue_set(self, numbers: tuple[str, ...] = (), holders: tuple[str, ...] = ()) -> list[Issued]:
        """The certificates to reissue: ``numbers``, and every valid certificate of each of
        ``holders``, each once; RegisterError saying why when a number is not a valid
        certificate or a holder has none."""
        found = {i.number: i for i in map(self.reissuable, numbers)}
        for holder in holders:
            rows = self.query(f"SELECT {_COLUMNS} FROM certificates c WHERE applicant_id = ? "
                              f"AND status = 'valid' ORDER BY {NUMBERED}, number",
                              (holder.strip(),))
            if not rows:
                raise RegisterError(msg("reissue.holder-has-none", id=holder.strip()[:60],
                                        path=self.shown))
            found.update((i.number, i) for i in map(self._checked, rows))
        return list(found.values())

    def revoke(self, number: str, reason: str, by: str = "",
               on: datetime.date | None = None) -> Issued:
        """Revoke a valid certificate for one of REASONS; return it as it is now."""
        if reason not in REASONS:
            raise RegisterError(msg("register.bad-reason", reason=reason, reasons=list(REASONS)))
        on = on or clock.today()
        with self.transaction() as db:
            issued = self.reissuable(number)
            revoked = self.changed(issued, status="revoked", changed_on=on, reason=reason)
            self.store(db, revoked, new=False)
            self.add_event(db, by, "revoked", revoked.number, reason)
        return revoked

    def _current(self, number: str) -> Issued:
        text = number.strip().upper()
        row = self.row(text) if NUMBER_RE.fullmatch(text) else None
        if row is None:
            raise RegisterError(msg("register.no-such-certificate", number=number.strip()[:60],
                                    path=self.shown))
        return self._checked(row)

    # -- listing ---------------------------------------------------------------------

    def rows(self) -> list[Issued]:
        """Every certificate in the register, by prefix, year and sequence (not re-checked)."""
        found = self.query(f"SELECT {_COLUMNS} FROM certificates ORDER BY prefix, year, seq")
        return [self.unseal(r)[0] for r in found]

    def events(self, numbers: set[str] | None = None, since: int = 0) -> list[Event]:
        """The events after event ``since`` (all by default), oldest first, each with its
        certificate as it is now; only those of ``numbers`` when given (not re-checked:
        see :meth:`first_altered_event`)."""
        out: list[Event] = []
        certificates: dict[str, Issued] = {}
        for event_id, at, by, action, number, detail in self.query(
            "SELECT id, at, by, action, number, detail FROM events WHERE id > ? ORDER BY id",
            (since,),
        ):
            if numbers is not None and number not in numbers:
                continue
            if number and number not in certificates:
                stored = self.row(number)
                if stored is not None:
                    certificates[number] = self.unseal(stored)[0]
            out.append(Event(int(event_id), at, by, action, number, detail,
                             certificates.get(number)))
        return out

    def first_altered_event(self) -> int | None:
        """The first event that does not match its seal (the register was altered outside
        formgen from there on, or an event was taken out before it), or None."""
        previous = ""
        expected_id = 1
        for event_id, at, by, action, number, detail, seal in self.query(
            "SELECT id, at, by, action, number, detail, seal FROM events ORDER BY id"
        ):
            if int(event_id) != expected_id or not self.event_seal_matches(
                previous, int(event_id), at, by, action, number, detail, seal
            ):
                return int(event_id)
            previous, expected_id = seal, expected_id + 1
        return None

    def last_event(self) -> int:
        """The id of the latest event (0 when there is none)."""
        ((found,),) = self.query("SELECT COALESCE(MAX(id), 0) FROM events")
        return int(found)


def _check_request(req: IssueRequest) -> None:
    if not req.applicant_id.strip():
        raise RegisterError(msg("register.no-id", name=req.name))
    if not req.certificate.strip():
        raise RegisterError(msg("register.no-kind", id=req.applicant_id))
    if not PREFIX_RE.fullmatch(req.prefix):
        raise RegisterError(msg("register.bad-prefix", prefix=req.prefix))
    if not 1000 <= req.issued_on.year <= 9999:
        raise RegisterError(msg("register.date-out-of-range", date=req.issued_on.isoformat()))


def _mismatch(held: Issued, req: IssueRequest) -> Message | None:
    """Why ``held`` cannot be printed again for ``req``: another numbering prefix, or other
    details recorded than those printed now; None when it can."""
    if not held.number.startswith(req.prefix + "-"):
        return msg("register.cannot-renumber", id=req.applicant_id, number=held.number,
                   certificate=req.certificate, prefix=req.prefix)
    for field in ("name", "grade", "programme"):
        recorded, now = getattr(held, field), getattr(req, field)
        if not _same_value(field, recorded, now):
            return msg("register.details-changed", number=held.number, field=field,
                       recorded=recorded, now=now)
    return None


def _same_value(field: str, recorded: str, now: str) -> bool:
    # Registers made before version 2 recorded both languages of the name
    # (李晓明 / LI Xiaoming) on every certificate, also those printing one.
    return recorded == now or (field == "name" and " / " in recorded and now in recorded.split(" / "))


def _not_valid(issued: Issued) -> Message:
    """Why a certificate cannot be revoked or reissued."""
    if issued.status == "revoked":
        return msg("register.already-revoked", number=issued.number, date=issued.changed_on,
                   reason=reason_words(issued.reason))
    if issued.status == "superseded":
        return msg("register.already-superseded", number=issued.number, new=issued.replaced_by,
                   date=issued.changed_on)
    return msg("register.not-in-use", number=issued.number)
