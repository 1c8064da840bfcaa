"""The links staff send to applicants: ``<base-url>/f/<token>``.

Links made now are short: the token is a random 128-bit key (22 characters) that exists
only in the link. The applicant's record is kept in the link store encrypted under that
key (see :mod:`formgen.web.vault`); opening the link decrypts it, and the applicant can
save their answers back to it. A link is refused once it expires or is withdrawn.

Links made by earlier versions carry the record itself, signed with the site's secret
(itsdangerous) and base64url-encoded: readable by anyone who holds them. They are still
opened until they expire, and no longer made. The secret comes from a file named with
``--secret-file``, else from the environment variable ``FORMGEN_SECRET``, else from
``build/secret.key``, which is generated on first use with permissions 0600.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from formgen import clock
from formgen.exceptions import FormgenError
from formgen.messages import msg
from formgen.web.vault import DEFAULT_VAULT, VAULT_ENV, Undecryptable, Vault, key_of, unseal

SECRET_ENV = "FORMGEN_SECRET"
DEFAULT_SECRET_FILE = Path("build") / "secret.key"
SALT = "formgen.applicant-link.v1"
LINK_PATH = "/f/"
MIN_SECRET_LENGTH = 16


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


def vault_path(path: str | Path | None = None) -> Path:
    """The link store: ``path`` when given, else ``$FORMGEN_LINK_STORE``, else build/links.sqlite."""
    if path is not None:
        return Path(path)
    return Path(os.environ.get(VAULT_ENV) or DEFAULT_VAULT)


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
    now = now or clock.now()
    entry = vault.link(key)
    if entry is None:
        raise LinkInvalid(msg("link.changed"))
    if entry.revoked is not None:
        raise LinkRevoked(entry.revoked)
    if now >= entry.expires or entry.original is None:
        raise LinkExpired(entry.expires)
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


def load_secret(secret_file: str | Path | None = None, *, create: bool = True) -> str:
    """The signing secret: from ``secret_file`` when given, else ``$FORMGEN_SECRET``,
    else ``build/secret.key`` (created with permissions 0600 and a random secret if missing).
    """
    if secret_file is None:
        from_env = os.environ.get(SECRET_ENV)
        if from_env is not None:
            secret = from_env.strip()
            if len(secret) < MIN_SECRET_LENGTH:
                raise FormgenError(msg("secret.env-too-short", variable=SECRET_ENV, length=MIN_SECRET_LENGTH))
            return secret
    path = Path(secret_file) if secret_file is not None else DEFAULT_SECRET_FILE
    if not path.exists() and secret_file is None and create:
        _create_secret_file(path)
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise FormgenError(msg("secret.file-missing", path=str(path))) from None
    except OSError as e:
        raise FormgenError(msg("secret.file-unreadable", path=str(path), reason=str(e.strerror))) from e
    if len(secret) < MIN_SECRET_LENGTH:
        raise FormgenError(msg("secret.file-too-short", path=str(path), length=MIN_SECRET_LENGTH))
    return secret


def _create_secret_file(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # made by another process just now
    except OSError as e:
        raise FormgenError(msg("secret.cannot-create", path=str(path), reason=str(e.strerror))) from e
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_urlsafe(48) + "\n")


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
