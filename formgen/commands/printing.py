"""The options that say how certificates are printed, numbered, addressed and signed: one
definition for the commands that print them (``formgen certificates``, ``formgen
reissue``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from formgen.certificates.signing import (
    PASSPHRASE_VARIABLE,
    SigningKey,
    needs_passphrase,
    signing_key_from_options,
)
from formgen.messages import environment_language, msg

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = [
    click.option("--verify-url", "verify_url", default=None, metavar="BASE",
                 help="Where the certificates are verified (formgen serve --register): the QR "
                      "code links to BASE/c/CODE (default: the manifest's, per programme)."),
    click.option("--workers", type=click.IntRange(1, 32), default=None,
                 help="LibreOffice processes converting at once (default: CPU cores, at most 4)."),
    click.option("--sign-key", "sign_key", type=click.Path(dir_okay=False, path_type=Path),
                 help="Sign each holder's PDF with this private key (PEM or DER), with "
                      "--sign-cert."),
    click.option("--sign-cert", "sign_cert", type=click.Path(dir_okay=False, path_type=Path),
                 help="The signing key's certificate (PEM or DER)."),
    click.option("--sign-p12", "sign_p12", type=click.Path(dir_okay=False, path_type=Path),
                 help=f"Sign with the key and certificates of this PKCS#12 file instead; its "
                      f"passphrase comes from {PASSPHRASE_VARIABLE} or is asked for."),
    click.option("--sign-chain", "sign_chain", multiple=True,
                 type=click.Path(dir_okay=False, path_type=Path),
                 help="Other certificates of the signing chain (intermediates, root); "
                      "repeatable."),
    click.option("--timestamp-url", "timestamp_url", metavar="URL",
                 help="Time-stamping authority (RFC 3161): signatures become PAdES B-T."),
    click.option("--ltv", is_flag=True,
                 help="Embed the chain's revocation information (PAdES B-LT; needs "
                      "--timestamp-url and the whole chain)."),
]


def print_options(function: F) -> F:
    """--verify-url, --workers and the signing options (--sign-key, --sign-cert,
    --sign-p12, --sign-chain, --timestamp-url, --ltv)."""
    for option in reversed(_OPTIONS):
        function = option(function)
    return function


def signing_from(sign_key: Path | None, sign_cert: Path | None, sign_p12: Path | None,
                 sign_chain: tuple[Path, ...], timestamp_url: str | None,
                 ltv: bool) -> SigningKey | None:
    """The signing key the options name (its passphrase asked for when needed), or None."""
    signing = signing_key_from_options(sign_key, sign_cert, sign_p12, sign_chain,
                                       timestamp_url, ltv)
    if signing is not None and needs_passphrase(signing):
        asked = click.prompt(msg("cli.sign-passphrase").text(environment_language()),
                             hide_input=True, err=True)
        signing = SigningKey(**{**signing.__dict__, "passphrase": asked.encode("utf-8")})
    return signing
