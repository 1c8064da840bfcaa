"""What a certificate's events make of it: its status, revocation reason and successor,
replayed from the events that concern it, oldest first.

A certificate row is sealed on its own, so a row copied back from a backup still matches
its seal; its events (chained, :mod:`formgen.certificates.seals`) say what it became
since. The row must agree with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from formgen.certificates.numbers import Issued
from formgen.messages import Message, msg


@dataclass(frozen=True)
class Standing:
    """A certificate's state as its events make it."""

    status: str
    """pending, valid, void, revoked or superseded."""
    reason: str = ""
    """Why it was revoked."""
    replaced_by: str = ""
    """The certificate that superseded it."""


_CARRIED = Standing("valid")
"""A certificate carried over from a version-1 register (before events were kept)."""


def replay(actions: list[tuple[str, str]], carried_over: bool) -> Standing | None:
    """The state the events ``(action, detail)`` of one certificate leave it in; None
    when it has none. ``carried_over``: the register was moved from version 1 (before any
    of them), so a certificate not numbered since starts valid."""
    state = None
    for action, detail in actions:
        if action == "numbered":
            state = Standing("pending")
        elif state is None and carried_over:
            state = _CARRIED
        if action == "printed":
            state = Standing("valid")
        elif action == "voided":
            state = Standing("void")
        elif action == "revoked":
            state = Standing("revoked", reason=detail)
        elif action == "superseded":
            state = Standing("superseded", replaced_by=detail.removeprefix("by "))
    if state is None and carried_over:
        return _CARRIED
    return state


def disagreement(issued: Issued, state: Standing | None) -> Message | None:
    """Why the row of ``issued`` does not agree with the state its events make; None
    when it does."""
    if state is None:
        return msg("audit.no-events", number=issued.number)
    row = Standing(issued.status, issued.reason if issued.status == "revoked" else "",
                   issued.replaced_by if issued.status == "superseded" else "")
    if row != state:
        return msg("audit.status-disagrees", number=issued.number, status=_words(row),
                   expected=_words(state))
    return None


def _words(state: Standing) -> str:
    if state.status == "revoked":
        return f"revoked ({state.reason})"
    if state.status == "superseded":
        return f"superseded by {state.replaced_by}"
    return state.status
