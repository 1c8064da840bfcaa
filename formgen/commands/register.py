"""``formgen register init|migrate|migrate-key|migrate-head|migrate-status|audit|export``:
the certificate register itself."""

from __future__ import annotations

from pathlib import Path

import click

from formgen.certificates.audit import audit, events_to_export
from formgen.certificates.keys import key_location
from formgen.certificates.migrate import migrate_head, migrate_key, migrate_status
from formgen.certificates.numbers import write_csv
from formgen.certificates.register import DEFAULT_PATH, Register
from formgen.certificates.transfer import copy_register
from formgen.commands.common import (
    by_option,
    database_option,
    force_option,
    register_key_option,
    register_option,
    register_place,
    say,
    user_errors,
    who,
)
from formgen.commands.credentialopts import issuer_keys_option
from formgen.credentials.keys import add_issuer_key, issuer_keys_exist, load_issuer_keys
from formgen.database import Location, locate
from formgen.exceptions import FormgenError, RegisterError
from formgen.links.store import vault_path
from formgen.links.transfer import check_copy, copy_store
from formgen.messages import joined, msg
from formgen.paths import check_target

_PATH = click.argument("path", type=click.Path(dir_okay=False, path_type=Path), required=False,
                       default=DEFAULT_PATH)


@click.group("register")
def command() -> None:
    """Make, upgrade and list the certificate register."""


@command.command("init")
@_PATH
@database_option
@register_key_option
@issuer_keys_option
@by_option
@user_errors
def init(path: Path, database: Location | None, register_key: Path | None,
         issuer_keys: Path | None, by: str | None) -> None:
    """Make a new, empty register at PATH (default build/register.sqlite) and its key;
    with --database postgresql://…, in that database (which must hold no register yet;
    its other tables are left alone).

    The key goes to --register-key, else to PATH with the suffix .key (permissions 0600),
    unless FORMGEN_REGISTER_KEY holds it. Refuses an existing PATH or key file. The
    issuer's key that signs digital credentials is made too (--issuer-keys, else
    PATH with the suffix .issuer-keys.json, 0600), unless there is one already. A
    register in PostgreSQL needs --register-key (or FORMGEN_REGISTER_KEY) and
    --issuer-keys (or FORMGEN_ISSUER_KEYS): there is no file beside which they could be.
    """
    where = register_place(path, database, "path")
    missing: list[FormgenError] = []  # in PostgreSQL: both keys named, or both said at once
    try:
        key_location(where, register_key)
    except FormgenError as e:
        missing.append(e)
    try:
        keys_there = issuer_keys_exist(where, issuer_keys)
    except FormgenError as e:
        missing.append(e)
    if len(missing) == 1:
        raise missing[0]
    if missing:
        raise RegisterError(joined([e.message for e in missing], "\n"))
    with Register.create(where, key_file=register_key, by=who(by)) as reg:
        say(msg("cli.register-made", path=where.shown, key=reg.key.source,
                head=reg.head_place.source))
    if keys_there:
        say(msg("cli.issuer-keys-kept", keys=load_issuer_keys(where, issuer_keys).source))
    else:
        keys, _ = add_issuer_key(where, issuer_keys)
        say(msg("cli.issuer-key-made", keys=keys.source))


@command.command("issuer-key")
@_PATH
@issuer_keys_option
@user_errors
def issuer_key(path: Path, issuer_keys: Path | None) -> None:
    """Make the issuer's key that signs digital credentials and status lists, for a
    register made before there were any; when there is one, add a new one (rotation).

    The newest key signs from now on; older keys are kept, and stay in the DID document,
    so credentials they signed keep verifying. The keys go to --issuer-keys, else beside
    PATH with the suffix .issuer-keys.json (0600).
    """
    keys, made = add_issuer_key(path, issuer_keys)
    if made:
        say(msg("cli.issuer-key-made", keys=keys.source))
    else:
        say(msg("cli.issuer-key-added", keys=keys.source, count=len(keys.keys)))


@command.command("migrate-key")
@_PATH
@register_key_option
@by_option
@user_errors
def migrate(path: Path, register_key: Path | None, by: str | None) -> None:
    """Move the key out of a register made by an earlier formgen (it kept the key inside).

    Every row is checked first; the key goes where `init` would put it. The codes
    already printed keep verifying.
    """
    key, count = migrate_key(path, register_key, who(by))
    say(msg("cli.key-moved", path=str(path), key=key.source, count=count))


@command.command("migrate-head")
@_PATH
@register_key_option
@by_option
@user_errors
def migrate_head_command(path: Path, register_key: Path | None, by: str | None) -> None:
    """Give a register made by an earlier formgen (without a head) its head, beside its key.

    The register is audited first (every event in one chain, every row as sealed and as
    its events make it); when that fails, nothing is changed.
    """
    reg = migrate_head(path, register_key, who(by))
    say(msg("cli.head-kept", path=str(path), head=reg.head_place.source))


@command.command("migrate-status")
@_PATH
@register_key_option
@by_option
@user_errors
def migrate_status_command(path: Path, register_key: Path | None, by: str | None) -> None:
    """Seal the certificates' places in the status lists that a register kept before
    they were sealed (made by an earlier formgen).

    The register is audited first; when the rest of it fails, nothing is changed.
    """
    count = migrate_status(path, register_key, who(by))
    say(msg("cli.status-sealed", path=str(path), count=count))


def _postgres(ctx: click.Context, param: click.Parameter, value: str) -> Location:
    try:
        found = locate(value)
    except ValueError:
        found = None
    if found is None or not found.is_postgres:
        raise click.BadParameter(str(msg("cli.migrate-to-postgres")), param_hint="--to")
    return found


@command.command("migrate")
@register_option
@register_key_option
@click.option("--link-store", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The link store to copy with it (default: $FORMGEN_LINK_STORE, else "
                   "build/links.sqlite, when there is one).")
@click.option("--to", "to", required=True, metavar="URL", callback=_postgres,
              help="The PostgreSQL database to copy the register into (postgresql://…); "
                   "it must hold no register.")
@user_errors
def migrate_database(register: Path, register_key: Path | None, link_store: Path | None,
                     to: Location) -> None:
    """Copy the register (the SQLite file --register) and the link store into a
    PostgreSQL database, then check the copy: every table's rows counted and compared,
    every seal and the whole audit, with the same key and head. The files are left as
    they were.

    The key and head stay where they are: from then on give --database URL with
    --register-key (or FORMGEN_REGISTER_KEY). Refused when the register fails its audit,
    or the database already holds a register or links. Without a link store at
    --link-store (or its default), the register alone is copied.
    """
    store = vault_path(link_store)
    links = store.exists() or store.is_symlink()
    if links:
        check_copy(store, to)  # before the register is copied
    copied = copy_register(register, to, register_key)
    counts = [f"{table} {count}" for table, count in copied.counts.items()]
    say(msg("cli.register-copied", path=str(register), database=to.shown, counts=counts,
            events=copied.audit.events, head=str(copied.audit.head), key=copied.key,
            kept=copied.audit.kept), err=False)
    if not links:
        say(msg("cli.links-none-to-copy", path=str(store)), err=False)
        return
    rows = copy_store(store, to)
    say(msg("cli.links-copied", path=str(store), database=to.shown,
            counts=[f"{table} {count}" for table, count in rows.items()]), err=False)


@command.command("audit")
@register_option
@database_option
@register_key_option
@user_errors
def audit_command(register: Path, database: Location | None, register_key: Path | None) -> None:
    """Check the whole register: every event sealed in one chain up to the head kept
    beside the key, every certificate row as sealed and as its events make it.

    Prints what failed and exits 1, or says that the register holds (with its head, to
    compare with the one published) and exits 0.
    """
    where = register_place(register, database)
    with Register(where, key_file=register_key, read_only=True) as reg:
        found = audit(reg)
    for note in found.notes:
        say(note)
    if not found.holds:
        say(msg("cli.audit-failed", path=where.shown))
        for problem in found.problems:
            say(msg("cli.audit-problem", problem=problem))
        raise SystemExit(1)
    say(msg("cli.audit-holds", path=where.shown, events=found.events,
            certificates=found.certificates, head=str(found.head), kept=found.kept), err=False)


@command.command("export")
@register_option
@database_option
@register_key_option
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="CSV file to write (or a folder, for register.csv in it).")
@force_option("the CSV file")
@user_errors
def export(register: Path, database: Location | None, register_key: Path | None, out: Path,
           force: bool) -> None:
    """Write every event of the register (numbered, printed, reprinted, voided, revoked,
    superseded …) with its certificate as it is now, oldest first, as CSV.

    The last row is the register's head (event "head", its detail "<event>:<seal>").
    Writes nothing and exits 1 when the register fails its audit (see `register audit`).
    Never writes over the register or its key; an existing CSV file only with --force.
    """
    where = register_place(register, database)
    target = out / "register.csv" if out.is_dir() else out
    kept = [p for p in (where.path, key_location(where, register_key)[0]) if p is not None]
    check_target(target, kept, force=force)
    with Register(where, key_file=register_key, read_only=True) as reg:
        events, found = events_to_export(reg)
    written = write_csv(events, out)
    say(msg("cli.register-exported", count=found.events, path=str(written), head=str(found.head)))
