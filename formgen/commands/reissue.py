"""``formgen reissue [NUMBER...] DATA... --out DIR [--holder ID...]``"""

from __future__ import annotations

from pathlib import Path

import click

from formgen.certificates.numbers import NUMBER_RE
from formgen.commands.common import (
    by_option,
    database_option,
    finish,
    manifest_option,
    progress_callbacks,
    register_key_option,
    register_option,
    report_force_option,
    say,
    see_errors,
    settings_from,
    user_errors,
    who,
)
from formgen.commands.credentialopts import (
    credentials_option,
    issuer_keys_option,
    say_credentials,
)
from formgen.commands.printing import print_options, signing_from
from formgen.database import Location
from formgen.exceptions import FormgenError
from formgen.messages import joined, msg


def split_arguments(arguments: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[Path, ...]]:
    """(the certificate numbers first among ``arguments``, the data files after them)."""
    numbers: list[str] = []
    for argument in arguments:
        if not NUMBER_RE.fullmatch(argument.strip().upper()) or Path(argument).exists():
            break
        numbers.append(argument.strip().upper())
    return tuple(numbers), tuple(Path(a) for a in arguments[len(numbers):])


@click.command("reissue")
@click.argument("arguments", nargs=-1, required=True, metavar="[NUMBER]... DATA...")
@click.option("--holder", "holders", multiple=True, metavar="ID",
              help="Reissue every valid certificate of the holder with this id; repeatable.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder.")
@register_option
@database_option
@register_key_option
@print_options
@by_option
@credentials_option
@issuer_keys_option
@report_force_option
@manifest_option
@user_errors
def command(arguments: tuple[str, ...], holders: tuple[str, ...], out: Path, register: Path,
            database: Location | None, register_key: Path | None, verify_url: str | None, workers: int | None,
            sign_key: Path | None, sign_cert: Path | None, sign_p12: Path | None,
            sign_chain: tuple[Path, ...], timestamp_url: str | None, ltv: bool,
            by: str | None, credentials: bool, issuer_keys: Path | None,
            force: bool, manifest_path: str | None) -> None:
    """Print certificates again under new numbers, with their holders' details as
    corrected in DATA (the records with the holders' ids): each certificate NUMBER, and
    with --holder every valid certificate of that holder (their whole set, in one step).

    The new certificates are numbered, stamped and signed as `formgen certificates` does
    (the same options); once one is written, the certificate it replaces verifies as
    superseded by it, and it records the number it replaces. Exits 1, issuing nothing,
    when a NUMBER is not a valid certificate, a holder has none, or a holder's corrected
    record is missing.
    """
    from formgen.main import CertificateOptions, CredentialOptions, print_certificates

    numbers, data = split_arguments(arguments)
    if not data:
        raise FormgenError(msg("reissue.no-data"))
    if not numbers and not holders:
        raise FormgenError(msg("reissue.nothing-named"))
    signing = signing_from(sign_key, sign_cert, sign_p12, sign_chain, timestamp_url, ltv)
    settings = settings_from(manifest_path, workers=workers, register=register,
                             register_key=register_key, database=database)
    options = CertificateOptions(verify_url=verify_url, by=who(by), reissue=numbers,
                                 reissue_holders=holders, signing=signing)
    with progress_callbacks("Certificates") as (on_total, progress):
        run = print_certificates(settings, list(data), out, options, progress=progress,
                                 on_total=on_total,
                                 credentials=CredentialOptions(credentials, issuer_keys),
                                 force=force)
    say_credentials(run)
    if run.signature_level and run.certificates_written:
        say(msg("cli.certificates-signed", level=run.signature_level))
    pairs = [(i.replaces, i.number) for i in run.issued if i.replaces]
    failed = bool(run.failed_ids) or not pairs
    summary = [msg("cli.reissued", old=old, new=new, out=str(out)) for old, new in pairs]
    see = see_errors(run.errors_csv, True)
    if pairs and run.failed_ids:
        summary.append(msg("cli.reissue-some-failed", count=len(run.failed_ids), see=see))
    elif not pairs and numbers:
        summary.append(msg("cli.not-reissued", number=list(numbers), see=see))
    elif not pairs:
        summary.append(msg("cli.holder-not-reissued", id=list(holders), see=see))
    finish(run.problems, joined(summary, "\n"), failed=failed, unwritten=run.unwritten)
