"""One module per ``formgen`` sub-command."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import click

from ..exceptions import Problem


def show_problems(problems: Iterable[Problem]) -> None:
    for p in problems:
        click.echo(str(p), err=True)


def progress_bar(total: int, label: str) -> Any:
    """A progress bar on a terminal; a silent stand-in when output is piped."""
    return click.progressbar(
        length=total, label=label, file=sys.stderr, show_pos=True
    ) if sys.stderr.isatty() else _Silent()


class _Silent:
    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None
