"""What the commands share: user errors on stderr, the --manifest option, the run's ending
and its progress bar.

Everything a command says is a :class:`~formgen.messages.Message`, shown in the locale's
language (LC_ALL, then LC_MESSAGES, then LANG: ``zh…`` gives Chinese, anything else
English); click's own usage errors follow it too (:mod:`formgen.commands.clicktext`),
its help stays English.
"""

from __future__ import annotations

import functools
import getpass
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from formgen.certificates.keys import KEY_ENV
from formgen.certificates.register import DEFAULT_PATH
from formgen.database import DATABASE_ENV, Location, locate
from formgen.exceptions import FormgenError, Problem
from formgen.messages import Message, environment_language, msg
from formgen.settings import Paths, Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(func: F) -> F:
    """Show a FormgenError as one clear message on stderr and exit 1; bugs keep their traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FormgenError as e:
            say(msg("cli.error", error=e.message))
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def require_inputs(paths: Iterable[Path]) -> None:
    """FormgenError naming every input that does not exist (before anything is written)."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FormgenError(msg("cli.no-such-input", files=tuple(missing)))


def force_option(what: str) -> Callable[[F], F]:
    """``--force``: replace ``what`` when it exists (never one of the command's inputs)."""
    return click.option(
        "--force", is_flag=True,
        help=f"Replace {what} if it exists (any existing file: formgen does not replace a "
             "file without it; never one of the command's inputs).",
    )


report_force_option = click.option(
    "--force", is_flag=True,
    help="Replace an errors.csv in --out that formgen did not write (its own report of an "
         "earlier run is replaced without it).",
)


manifest_option = click.option(
    "--manifest",
    "manifest_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Manifest file (default: manifest.yaml here, else the one shipped with formgen).",
)


def settings_from(
    manifest_path: str | None,
    *,
    langs: Sequence[str] = (),
    workers: int | None = None,
    timeout: float = 60.0,
    register: Path | None = None,
    register_key: Path | None = None,
    link_store: Path | None = None,
    secret_file: Path | None = None,
    database: Location | None = None,
) -> Settings:
    """The command's settings, from its options (the day pinned as the command starts);
    ``register`` and ``database`` as :func:`register_place` weighs them."""
    if register is not None:
        where = register_place(register, database)
        register, database = where.path, (where if where.is_postgres else None)
    return load_settings(
        manifest_path, languages=list(langs) or None, workers=workers, timeout=timeout,
        paths=Paths(register=register, register_key=register_key, link_store=link_store,
                    secret_file=secret_file, database=database),
    )


def register_place(register: Path, database: Location | None, name: str = "register") -> Location:
    """Where the command's register is: the file ``--register`` (the option ``name``)
    names on the command line; else ``--database`` (or ``$FORMGEN_DATABASE``); else the
    file ``--register`` defaults to. Both options given on the command line are refused."""
    ctx = click.get_current_context(silent=True)
    given = ctx.get_parameter_source(name) if ctx is not None else None
    register_given = given is not None and given.name != "DEFAULT"
    if register_given and database is not None:
        source = ctx.get_parameter_source("database") if ctx is not None else None
        if source is not None and source.name == "COMMANDLINE":
            raise FormgenError(msg("cli.register-and-database"))
    if register_given or database is None:
        return Location(path=register)
    return database


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


by_option = click.option(
    "--by", "by", default=None, metavar="NAME",
    help="Who makes the change, as the register's events record it (default: your user name).",
)
"""``--by NAME``; pass the value through :func:`who`."""


def who(by: str | None) -> str:
    """The name ``--by`` gave, else the user running the command."""
    return (by or "").strip() or _user()


register_option = click.option(
    "--register", "register", type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_PATH, show_default=True,
    help="Certificate register (made by formgen register init).",
)


def _database(ctx: click.Context, param: click.Parameter, value: str | None) -> Location | None:
    if value is None or not value.strip():
        return None
    try:
        return locate(value)
    except ValueError:
        raise click.BadParameter(str(msg("cli.database-url")), param_hint="--database") from None


database_option = click.option(
    "--database", "database", metavar="URL", default=None, envvar=DATABASE_ENV,
    callback=_database,
    help=("The database of the register and the link store: postgresql://… (shared by several "
          f"hosts), or a SQLite file's path (default: ${DATABASE_ENV}, else the files "
          "--register and --link-store name)."),
)
"""``--database URL``: a :class:`~formgen.database.Location`, or None when not given."""
register_key_option = click.option(
    "--register-key", "register_key", type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"The register's key file (default: ${KEY_ENV}, else the .key file beside the register).",
)


def say(message: Message | Problem, err: bool = True) -> None:
    """One line in the command line's language, on stderr unless ``err`` is False."""
    click.echo(str(message), err=err)


def show_problems(problems: Iterable[Problem]) -> None:
    """Each problem on a line of stderr, written a thousand lines at a time (a batch of many
    thousands has as many lines)."""
    lang = environment_language()
    lines: list[str] = []
    for p in problems:
        lines.append(p.text(lang))
        if len(lines) == 1000:
            click.echo("\n".join(lines), err=True)
            lines.clear()
    if lines:
        click.echo("\n".join(lines), err=True)


def see_errors(errors_csv: object, failed: bool) -> Message | str:
    """`` (see …/errors.csv)`` after a run's summary when records failed and errors.csv
    was written, else nothing."""
    return msg("cli.see-errors", path=str(errors_csv)) if failed and errors_csv else ""


def finish(
    problems: Iterable[Problem], summary: Message, failed: bool, unreadable: Sequence[str] = (),
    unwritten: Sequence[Message] = (),
) -> None:
    """Show every problem, then the run's summary, the files that could not be read and
    the run's own files that could not be written, on stderr; exit 1 when something
    failed, or a file could not be read or written."""
    show_problems(problems)
    say(summary)
    if unreadable:
        say(msg("cli.files-unreadable", count=len(unreadable), files=tuple(unreadable)))
    for reason in unwritten:
        say(msg("cli.error", error=reason))
    if failed or unreadable or unwritten:
        sys.exit(1)


def progress_bar(total: int, label: str) -> Any:
    """A progress bar on a terminal; a silent stand-in when output is piped."""
    return click.progressbar(
        length=total, label=label, file=sys.stderr, show_pos=True
    ) if sys.stderr.isatty() else _Silent()


@contextmanager
def progress_callbacks(
    label: str,
) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """``(on_total, progress)`` for a run: the bar opens when ``on_total(n)`` gives the
    total, ``progress(k)`` moves it k steps, and it is closed however the run ends."""
    bar: Any = None

    def on_total(total: int) -> None:
        nonlocal bar
        bar = progress_bar(total, label)
        bar.__enter__()

    def progress(n: int) -> None:
        if bar is not None:
            bar.update(n)

    try:
        yield on_total, progress
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


class _Silent:
    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None
