"""The `relance` command: one entry point, one module per group of subcommands.

Commands are thin: parse, call the code that does the work, print.
"""

from __future__ import annotations

import sys

import click

from daemon import __version__

# First: click's own words are French from here on, including those it looks up while the
# commands below are declared.
from daemon.cli import french
from daemon.cli.base import Context, fail
from daemon.cli.config_cmd import config_group
from daemon.cli.db_cmd import db_group
from daemon.cli.demo_cmd import demo_cmd
from daemon.cli.export_cmd import export_group
from daemon.cli.ingest_cmd import ingest_cmd
from daemon.cli.maintenance_cmd import backup_cmd, purge_cmd, restore_cmd
from daemon.cli.outbox_cmd import outbox_cmd
from daemon.cli.reminders_cmd import mail_group, sweep_cmd
from daemon.cli.report_cmd import report_group
from daemon.cli.schools_cmd import school_show, schools_group
from daemon.cli.serve_cmd import serve_cmd
from daemon.cli.users_cmd import users_group


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    subcommand_metavar=french.SUBCOMMAND_METAVAR,
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    envvar="RELANCE_CONFIG",
    help="Fichier de configuration (défaut : ./relance.toml s'il existe).",
)
@click.version_option(__version__, prog_name="relance")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None) -> None:
    """relance : relance les écoles jusqu'à la validation du constat de rentrée."""
    ctx.obj = Context(config_file)
    ctx.call_on_close(ctx.obj.close)


cli.add_command(config_group)
cli.add_command(db_group)
cli.add_command(schools_group)
cli.add_command(demo_cmd)
cli.add_command(report_group)
cli.add_command(ingest_cmd)
cli.add_command(export_group)
cli.add_command(serve_cmd)
cli.add_command(outbox_cmd)
cli.add_command(users_group)
cli.add_command(sweep_cmd)
cli.add_command(mail_group)
for command in (backup_cmd, restore_cmd, purge_cmd):
    cli.add_command(command)


@cli.group("school", subcommand_metavar=french.SUBCOMMAND_METAVAR)
def school_group() -> None:
    """Une école : son état, ses anomalies, ses élèves sans INE."""


school_group.add_command(school_show)


def main() -> None:
    try:
        cli(prog_name="relance")
    except KeyboardInterrupt:
        fail("interrompu")
    sys.exit(0)


__all__ = ["cli", "main"]
