"""`relance outbox`: the mails waiting in the ledger (and the failed ones); `--send` sends what
is due once."""

from __future__ import annotations

import asyncio

import click
from rich.table import Table

from daemon.cli import french
from daemon.cli.base import Context, console, parse_now, pass_context
from daemon.wording import plural
from db.states import REMINDER_STATUS_LABELS, SMTP_STATE_LABELS


@click.command("outbox")
@click.option("--send", is_flag=True, help="Envoyer une fois ce qui est dû, puis lister.")
@click.option(
    "--now",
    "now_text",
    metavar="DATE",
    help="Heure de référence (ISO, Europe/Paris sans décalage).",
)
@click.option(
    "--limit",
    type=french.IntRange(min=1),
    default=200,
    show_default=True,
    help="Nombre maximal de mails listés.",
)
@pass_context
def outbox_cmd(ctx: Context, send: bool, now_text: str | None, limit: int) -> None:
    """Mails en attente d'envoi ou en échec ; --send envoie ceux qui sont dus."""
    from daemon.delivery.health import read_smtp_health
    from daemon.delivery.outbox import queued
    from daemon.delivery.sender import send_due
    from daemon.school.links import link_maker

    app = ctx.app if send else ctx.reading_app
    if now_text:
        now = parse_now(now_text)
        app.clock = lambda: now
    if send:
        handled = asyncio.run(send_due(app, links=link_maker(app.settings)))
        health = read_smtp_health(app)
        console.print(
            f"{plural(handled, 'mail traité', 'mails traités')} ; "
            f"serveur SMTP : {SMTP_STATE_LABELS.get(health.state, health.state)}"
        )
        if health.last_error:
            console.print(f"dernière erreur : {health.last_error}")
    rows = queued(app.engine, limit=limit)
    if not rows:
        console.print("Aucun mail en attente ni en échec.")
        return
    table = Table("clé", "destinataire", "état", "essais", "prochain essai", "erreur")
    for row in rows:
        table.add_row(
            row.key,
            row.recipient,
            REMINDER_STATUS_LABELS.get(row.status, row.status),
            str(row.attempts),
            row.next_attempt_at.isoformat(timespec="seconds"),
            row.last_error[:80],
        )
    console.print(table)
