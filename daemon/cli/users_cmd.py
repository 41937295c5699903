"""`relance users add|list|disable|enable`: coordinator accounts of the web pages."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.table import Table

from daemon.cli import french
from daemon.cli.base import Context, console, fail, pass_context, print_json
from daemon.clock import utc_now
from daemon.school.stage import french_date
from daemon.web.accounts import AccountError, add_user, list_users, set_user_active
from db.engine import reading, transaction


@click.group("users", subcommand_metavar=french.SUBCOMMAND_METAVAR)
def users_group() -> None:
    """Comptes de la coordination (pages web)."""


@users_group.command("add")
@click.argument("email", metavar="ADRESSE")
@click.option("--name", default="", metavar="NOM", help="Nom affiché.")
@click.option("--password-stdin", is_flag=True, help="Lire le mot de passe sur l'entrée standard.")
@pass_context
def add_cmd(ctx: Context, email: str, name: str, password_stdin: bool) -> None:
    """Créer un compte (mot de passe demandé, haché avec argon2)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            "Mot de passe", hide_input=True, confirmation_prompt=True, prompt_suffix=" : "
        )
    try:
        with transaction(ctx.app.engine) as session:
            user = add_user(session, email=email, password=password, name=name, now=utc_now())
            created = user.email
    except AccountError as exc:
        fail(str(exc))
    console.print(f"Compte créé : {created}")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Résultat en JSON.")
@pass_context
def list_cmd(ctx: Context, as_json: bool) -> None:
    """Lister les comptes."""
    with reading(ctx.reading_app.engine) as session:
        users: list[dict[str, Any]] = [
            {
                "email": u.email,
                "name": u.name,
                "active": u.active,
                "last_login_at": u.last_login_at,
            }
            for u in list_users(session)
        ]
    if as_json:
        print_json(users)
        return
    if not users:
        console.print("Aucun compte. Créez-en un avec « relance users add ADRESSE ».")
        return
    table = Table("Adresse", "Nom", "Actif", "Dernière connexion")
    for u in users:
        last = french_date(u["last_login_at"]) if u["last_login_at"] else "jamais"
        table.add_row(u["email"], u["name"], "oui" if u["active"] else "non", last)
    console.print(table)


def _set_active(ctx: Context, email: str, active: bool) -> None:
    try:
        with transaction(ctx.app.engine) as session:
            user = set_user_active(session, email=email, active=active, now=utc_now())
            done = user.email
    except AccountError as exc:
        fail(str(exc))
    console.print(f"Compte {'réactivé' if active else 'désactivé'} : {done}")


@users_group.command("disable")
@click.argument("email", metavar="ADRESSE")
@pass_context
def disable_cmd(ctx: Context, email: str) -> None:
    """Désactiver un compte (ses sessions cessent aussitôt)."""
    _set_active(ctx, email, False)


@users_group.command("enable")
@click.argument("email", metavar="ADRESSE")
@pass_context
def enable_cmd(ctx: Context, email: str) -> None:
    """Réactiver un compte."""
    _set_active(ctx, email, True)
