"""The ``formgen`` command: parses arguments and calls the library, nothing more."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .exceptions import FormgenError

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(func: F) -> F:
    """Show a FormgenError as one clear message on stderr and exit 1; bugs keep their traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FormgenError as e:
            click.echo(f"Error: {e}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


manifest_option = click.option(
    "--manifest",
    "manifest_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Manifest file (default: manifest.yaml here, else the one shipped with formgen).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="formgen")
def main() -> None:
    """Bilingual forms, packs and certificates for international engineer registration."""


def _register() -> None:
    from .commands import check, render, validate

    for module in (validate, render, check):
        main.add_command(module.command)
    for name in ("pack", "certificates", "verify", "links", "serve"):
        try:
            module = __import__(f"formgen.commands.{name}", fromlist=["command"])
        except ModuleNotFoundError:
            continue
        main.add_command(module.command)


_register()
