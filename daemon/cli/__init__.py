"""The `relance` command: one entry point, one module per group of subcommands.

Commands are thin: parse, call the code that does the work, print. Each is imported only when
it is run (`relance --version` and `relance --help` import none of them, nor the database, the
configuration or the web stack): `COMMANDS` names the module of each and the line `--help`
shows for it (tests/test_cli_main.py checks the line is the command's own).
"""

from __future__ import annotations

import gc
import importlib
import logging
import sys
from gettext import gettext as _

import click

from daemon import __version__

# First: click's own words are French from here on, including those it looks up while the
# commands are declared (on first use, below).
from daemon.cli import french

# name -> ("module:attribute", the line `relance --help` shows)
COMMANDS: dict[str, tuple[str, str]] = {
    "backup": (
        "daemon.cli.maintenance_cmd:backup_cmd",
        "Sauvegarde la base SQLite (à chaud, API de sauvegarde de SQLite).",
    ),
    "campaign": (
        "daemon.cli.campaign_cmd:campaign_group",
        "Campagnes : ouvrir la nouvelle année scolaire, lister les campagnes gardées.",
    ),
    "config": (
        "daemon.cli.config_cmd:config_group",
        "Configuration : afficher, vérifier, appliquer à la campagne, exemple commenté.",
    ),
    "db": ("daemon.cli.db_cmd:db_group", "Base de données : migrations."),
    "demo": (
        "daemon.cli.demo_cmd:demo_cmd",
        "Prépare et lance une installation de démonstration (SQLite, courriels locaux).",
    ),
    "export": (
        "daemon.cli.export_cmd:export_group",
        "Archives d'export <UAI>.zip : vérifier, enregistrer.",
    ),
    "ingest": (
        "daemon.cli.ingest_cmd:ingest_cmd",
        "Traite des comptes rendus, extractions ONDE et archives (fichiers ou dossiers).",
    ),
    "mail": ("daemon.cli.reminders_cmd:mail_group", "Les mails de relance."),
    "outbox": (
        "daemon.cli.outbox_cmd:outbox_cmd",
        "Mails en attente d'envoi ou en échec ; --send envoie ceux qui sont dus.",
    ),
    "purge": (
        "daemon.cli.maintenance_cmd:purge_cmd",
        "Supprime les données personnelles d'une campagne terminée (les comptes restent).",
    ),
    "report": (
        "daemon.cli.report_cmd:report_group",
        "Comptes rendus d'import ONDE et extractions d'élèves.",
    ),
    "restore": (
        "daemon.cli.maintenance_cmd:restore_cmd",
        "Remplace la base SQLite par une sauvegarde (arrêtez le démon avant).",
    ),
    "school": (
        "daemon.cli.schools_cmd:school_group",
        "Une école : son état, ses anomalies, ses élèves sans INE.",
    ),
    "schools": (
        "daemon.cli.schools_cmd:schools_group",
        "Écoles suivies : import de l'annuaire, ajout, modification, liste.",
    ),
    "serve": (
        "daemon.cli.serve_cmd:serve_cmd",
        "Lance le démon : pages web, relances, envoi des mails, dossier de dépôt.",
    ),
    "sweep": (
        "daemon.cli.reminders_cmd:sweep_cmd",
        "Un passage des relances : prépare les mails dus (relances, signalements, points du jour).",
    ),
    "users": ("daemon.cli.users_cmd:users_group", "Comptes de la coordination (pages web)."),
}


class LazyGroup(click.Group):
    """A group whose commands are imported when run, listed in `--help` from `COMMANDS`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _sep, attribute = target[0].partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
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
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Montrer aussi le journal technique (en anglais) sur la sortie d'erreur.",
)
@click.version_option(__version__, prog_name="relance")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None, verbose: bool) -> None:
    """relance : relance les écoles jusqu'à la validation du constat de rentrée."""
    from daemon.cli.base import Context

    if not gc.isenabled():  # started by main(): the command's imports are done
        gc.freeze()
        gc.enable()
    quiet_logs(verbose)
    ctx.obj = Context(config_file)
    ctx.call_on_close(ctx.obj.close)


def quiet_logs(verbose: bool) -> None:
    """The operators' log lines (English) stay off the terminal of a command a person runs:
    what it did is said in French by the command itself. `--verbose` shows them; `relance
    serve` and `relance demo` set up their own logging (the journal)."""
    root = logging.getLogger()
    if verbose:
        from daemon.logs import setup_logging

        setup_logging("INFO")
    elif not root.handlers:
        root.addHandler(logging.NullHandler())


def main() -> None:
    """The console script. Importing a command's modules (SQLAlchemy, pydantic) makes hundreds
    of thousands of objects and no garbage: the collector is off until they are imported (then
    they are frozen out of its way, `cli` above), and at exit it does not walk them again."""
    gc.disable()
    try:
        cli(prog_name="relance")
    except KeyboardInterrupt:
        from daemon.cli.base import fail

        fail("interrompu")
    finally:
        gc.freeze()
    sys.exit(0)


__all__ = ["COMMANDS", "cli", "main"]
