"""The site's secret, which signs the long links of earlier versions
(:func:`formgen.links.tokens.read_token`).

It comes from a file named with ``--secret-file``, else from the environment variable
``FORMGEN_SECRET``, else from ``build/secret.key``, which is generated on first use with
permissions 0600.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from formgen.exceptions import FormgenError
from formgen.messages import msg

SECRET_ENV = "FORMGEN_SECRET"
DEFAULT_SECRET_FILE = Path("build") / "secret.key"
MIN_SECRET_LENGTH = 16


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
