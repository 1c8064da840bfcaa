"""The ``formgen`` command: parses arguments and calls the library, nothing more."""

from __future__ import annotations

import importlib

import click

from formgen.commands import clicktext

COMMANDS: dict[str, str] = {
    "validate": "formgen.commands.validate",
    "roster": "formgen.commands.roster",
    "extract": "formgen.commands.extract",
    "render": "formgen.commands.render",
    "check": "formgen.commands.check",
    "pack": "formgen.commands.pack",
    "certificates": "formgen.commands.certificates",
    "verify": "formgen.commands.verify",
    "revoke": "formgen.commands.revoke",
    "reissue": "formgen.commands.reissue",
    "register": "formgen.commands.register",
    "links": "formgen.commands.links",
    "send": "formgen.commands.send",
    "serve": "formgen.commands.serve",
}
"""Every sub-command and the module that holds it (as ``command``), in the order
``formgen --help`` lists them. A command's module is imported when it is run (or listed),
so that ``formgen validate`` does not load the certificates, the forms or the web."""


class Commands(click.Group):
    """A group whose commands are loaded from :data:`COMMANDS` when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        if cmd_name not in self.commands:
            command: click.Command = importlib.import_module(module).command
            clicktext.use_context(command)
            self.add_command(command, cmd_name)
        return self.commands[cmd_name]


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="formgen")
def main() -> None:
    """Bilingual forms, packs and certificates for international engineer registration."""


clicktext.install(main)  # click's usage errors in the user's language
