"""`relance config show|check|example`."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from daemon.cli import french
from daemon.cli.base import Context, console, err_console, fail, parse_now, pass_context
from daemon.wording import plural

EXIT_WARNINGS = 3  # `config check`: usable, but a setting looks like a mistake


@click.group("config", subcommand_metavar=french.SUBCOMMAND_METAVAR)
def config_group() -> None:
    """Configuration : afficher, vérifier, appliquer à la campagne, exemple commenté."""


@config_group.command("show")
@pass_context
def show(ctx: Context) -> None:
    """Affiche la configuration effective (secrets masqués)."""
    from daemon.config.toml_out import masked_url, render

    source = ctx.config_file or "(aucun fichier : valeurs par défaut)"
    click.echo(f"# fichier : {source}")
    click.echo(f"# base de données : {masked_url(ctx.settings.effective_database_url)}")
    click.echo(
        render(ctx.settings, mask_secrets=True, with_help=False, value_of=_mask_url), nl=False
    )


@config_group.command("apply")
@pass_context
def apply(ctx: Context) -> None:
    """Applique à la campagne les réglages de la configuration (le démon le fait à son
    démarrage ; aucune autre commande ne les change)."""
    changed = ctx.app.apply_settings(ctx.app.now(), actor="ligne de commande")
    if changed:
        click.echo(f"réglages de la campagne modifiés : {', '.join(changed)}")
    else:
        click.echo("la campagne a déjà ces réglages : rien à changer")


@config_group.command("check")
@click.argument(
    "file", required=False, metavar="[FICHIER]", type=click.Path(dir_okay=False, path_type=Path)
)
@pass_context
def check(ctx: Context, file: Path | None) -> None:
    """Vérifie un fichier ; nomme chaque clé ou valeur fausse avec sa ligne.

    Code de sortie : 0 si tout va bien, 2 si la configuration est refusée, 3 si elle est
    utilisable mais qu'un réglage semble être une erreur (avertissements)."""
    from daemon.config import check_file, load_settings
    from daemon.runtime.config_advice import advice, as_problems

    path = file or ctx.config_file
    if path is None:
        fail("aucun fichier à vérifier (donnez un chemin ou --config)")
    problems = check_file(path)
    for problem in problems:
        err_console.print(f"{path}:{problem}", markup=False)
    if problems:
        fail(f"{plural(len(problems), 'problème')} dans {path} : configuration refusée", code=2)
    settings = load_settings(path, {})
    today = parse_now(None).astimezone(ZoneInfo(settings.campaign.timezone)).date()
    warnings = as_problems(advice(settings, today=today), path.read_text(encoding="utf-8"))
    for warning in warnings:
        err_console.print(f"{path}:{warning}", markup=False)
    if warnings:
        console.print(
            f"{path} : configuration utilisable, mais "
            f"{plural(len(warnings), 'avertissement')} ci-dessus"
        )
        raise SystemExit(EXIT_WARNINGS)
    console.print(f"{path} : configuration valide")


@config_group.command("example")
def example() -> None:
    """Imprime l'exemple commenté de tous les réglages (relance.example.toml)."""
    from daemon.config.example import example_toml

    click.echo(example_toml(), nl=False)


def _mask_url(path: tuple[str, ...], value: Any) -> Any:
    from daemon.config.toml_out import masked_url

    return masked_url(value) if path == ("database_url",) and value else value
