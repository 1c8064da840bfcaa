"""The links staff send to applicants: ``<base-url>/f/<token>``, made by ``formgen links``
and opened by the web app.

Links made now are short: the token is a random 128-bit key (22 characters) that exists
only in the link. The applicant's record is kept in the link store encrypted under that
key (see :mod:`formgen.links.store`); opening the link decrypts it, and the applicant can
save their answers back to it. A link is refused once it expires or is withdrawn.

Links made by earlier versions carry the record itself, signed with the site's secret
(itsdangerous, see :mod:`formgen.links.secret`) and base64url-encoded: readable by anyone
who holds them. They are still opened until they expire, and no longer made.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from formgen import clock
from formgen.exceptions import FormgenError
from formgen.links.store import Undecryptable, Vault, key_of, unseal
from formgen.messages import msg

SALT = "formgen.applicant-link.v1"
LINK_PATH = "/f/"


class LinkError(FormgenError):
    """A link that cannot be used."""


class LinkInvalid(LinkError):
    """The token was changed, cut short or signed with another secret."""


class LinkExpired(LinkError):
    """The token is genuine but past its expiry."""

    def __init__(self, expired_at: dt.datetime):
        self.expired_at = expired_at
        super().__init__(msg("link.expired", date=expired_at.date()))


class LinkRevoked(LinkError):
    """The programme office withdrew the link."""

    def __init__(self, revoked_at: dt.datetime):
        self.revoked_at = revoked_at
        super().__init__(msg("link.revoked", date=revoked_at.date()))


@dataclass(frozen=True)
class LinkData:
    """What a valid link carries."""

    record: dict[str, Any]
    expires: dt.datetime
    saved_at: dt.datetime | None = None
    """When the record shown is the applicant's own saved version: when it was saved."""
    has_saved: bool = False
    """The link holds a saved version (shown unless the original was asked for)."""
    short: bool = False
    """A short link (the applicant can save to it); False for a signed long link."""


def make_short_link(
    vault: Vault, base_url: str, record: dict[str, Any], *, days: float = 30, now: dt.datetime | None = None
) -> str:
    """Keep ``record`` encrypted in ``vault`` and return the link that opens it."""
    now = now or clock.now()
    token = vault.add_link(json_safe(record), now + dt.timedelta(days=days), now)
    return make_link(base_url, token)


def token_in(link: str) -> str:
    """The token of a link (or the token itself)."""
    return link.strip().split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1]


def open_link(
    token: str, vault: Vault, secret: str, *, original: bool = False, now: dt.datetime | None = None
) -> LinkData:
    """The record a link opens (its saved version unless ``original``); LinkInvalid,
    LinkExpired or LinkRevoked when it cannot be used."""
    key = key_of(token)
    if key is None:
        return read_token(token, secret, now=now)
    entry = vault.link(key)
    if entry is None:
        raise LinkInvalid(msg("link.changed"))
    check_in_force(entry.revoked, entry.expires, entry.original is not None, now)
    assert entry.original is not None
    use_saved = entry.saved is not None and not original
    try:
        if use_saved:
            assert entry.saved is not None
            record = unseal(key, entry.saved, "link.saved")
        else:
            record = unseal(key, entry.original, "link.original")
    except Undecryptable:
        raise LinkInvalid(msg("link.changed")) from None
    if not isinstance(record, dict):
        raise LinkInvalid(msg("link.no-record"))
    return LinkData(record, entry.expires, entry.saved_at if use_saved else None,
                    entry.saved is not None, short=True)


def check_in_force(revoked: dt.datetime | None, expires: dt.datetime, kept: bool,
                   now: dt.datetime | None = None) -> None:
    """LinkRevoked when a stored link (or download) was withdrawn, LinkExpired when it has
    expired or its data is no longer ``kept`` (wiped once expired)."""
    if revoked is not None:
        raise LinkRevoked(revoked)
    if (now or clock.now()) >= expires or not kept:
        raise LinkExpired(expires)


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(
        secret,
        salt=SALT,
        serializer_kwargs={"ensure_ascii": False, "separators": (",", ":"), "default": _json_default},
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot put a {type(value).__name__} in a link")


def json_safe(record: dict[str, Any]) -> dict[str, Any]:
    """The record with dates as ISO text, as it will come back out of a link."""
    result: dict[str, Any] = json.loads(json.dumps(record, ensure_ascii=False, default=_json_default))
    return result


def make_token(
    record: dict[str, Any], secret: str, *, days: float = 30, now: dt.datetime | None = None
) -> str:
    """A signed token carrying ``record`` that is valid for ``days``."""
    now = now or clock.now()
    expires = now + dt.timedelta(days=days)
    payload = {"exp": int(expires.timestamp()), "data": record}
    return str(_serializer(secret).dumps(payload))


def read_token(token: str, secret: str, *, now: dt.datetime | None = None) -> LinkData:
    """The record a token carries; LinkInvalid or LinkExpired when it cannot be used."""
    try:
        payload = _serializer(secret).loads(token)
    except BadSignature:
        raise LinkInvalid(msg("link.changed")) from None
    except (ValueError, TypeError, UnicodeDecodeError):  # not produced by make_token
        raise LinkInvalid(msg("link.changed")) from None
    if not (isinstance(payload, dict) and isinstance(payload.get("data"), dict)
            and isinstance(payload.get("exp"), int)):
        raise LinkInvalid(msg("link.no-record"))
    expires = dt.datetime.fromtimestamp(payload["exp"], dt.UTC)
    if (now or clock.now()) >= expires:
        raise LinkExpired(expires)
    return LinkData(payload["data"], expires)


def make_link(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + LINK_PATH + token
