"""`relance db upgrade|current`."""

from __future__ import annotations

import click

from daemon.cli import french
from daemon.cli.base import Context, console, pass_context
from db.engine import database_missing, make_engine
from db.migrate import current_revision, head_revision, upgrade


@click.group("db", subcommand_metavar=french.SUBCOMMAND_METAVAR)
def db_group() -> None:
    """Base de données : migrations."""


@db_group.command("upgrade")
@pass_context
def upgrade_cmd(ctx: Context) -> None:
    """Amène la base (vide ou ancienne) au schéma courant."""
    engine = make_engine(ctx.settings.effective_database_url)
    try:
        before = current_revision(engine=engine)
        upgrade(engine=engine)
        after = current_revision(engine=engine)
    finally:
        engine.dispose()
    if before == after:
        console.print(f"base déjà à jour (révision {after})")
    else:
        console.print(f"base migrée : {before or 'vide'} → {after}")


@db_group.command("current")
@pass_context
def current_cmd(ctx: Context) -> None:
    """Affiche la révision de la base et celle du code."""
    url = ctx.settings.effective_database_url
    missing = database_missing(url)  # looking must not create it
    engine = make_engine("sqlite://" if missing else url)
    try:
        stored = "absente" if missing else current_revision(engine=engine) or "vide"
        console.print(f"base : {stored} ; code : {head_revision(engine=engine)}")
    finally:
        engine.dispose()
