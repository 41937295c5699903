"""`relance config show|check|example`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from daemon.cli import french
from daemon.cli.base import Context, console, err_console, fail, pass_context
from daemon.config.example import example_toml
from daemon.config.loading import check_file
from daemon.config.toml_out import masked_url, render


@click.group("config", subcommand_metavar=french.SUBCOMMAND_METAVAR)
def config_group() -> None:
    """Configuration : afficher, vérifier, exemple commenté."""


@config_group.command("show")
@pass_context
def show(ctx: Context) -> None:
    """Affiche la configuration effective (secrets masqués)."""
    source = ctx.config_file or "(aucun fichier : valeurs par défaut)"
    click.echo(f"# fichier : {source}")
    click.echo(f"# base de données : {masked_url(ctx.settings.effective_database_url)}")
    click.echo(
        render(ctx.settings, mask_secrets=True, with_help=False, value_of=_mask_url), nl=False
    )


@config_group.command("check")
@click.argument(
    "file", required=False, metavar="[FICHIER]", type=click.Path(dir_okay=False, path_type=Path)
)
@pass_context
def check(ctx: Context, file: Path | None) -> None:
    """Vérifie un fichier ; nomme chaque clé ou valeur fausse avec sa ligne."""
    path = file or ctx.config_file
    if path is None:
        fail("aucun fichier à vérifier (donnez un chemin ou --config)")
    problems = check_file(path)
    if not problems:
        console.print(f"{path} : configuration valide")
        return
    for problem in problems:
        err_console.print(f"{path}:{problem}", markup=False)
    fail(f"{len(problems)} problème(s) dans {path}", code=2)


@config_group.command("example")
def example() -> None:
    """Imprime l'exemple commenté de tous les réglages (relance.example.toml)."""
    click.echo(example_toml(), nl=False)


def _mask_url(path: tuple[str, ...], value: Any) -> Any:
    return masked_url(value) if path == ("database_url",) and value else value
