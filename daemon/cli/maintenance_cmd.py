"""`relance backup`, `relance restore`, `relance purge`."""

from __future__ import annotations

from pathlib import Path

import click

from daemon.cli import french
from daemon.cli.base import Context, console, fail, pass_context
from daemon.ingest.intake.storage import Store
from daemon.runtime.backup import BackupError, backup, backup_file_name, backups_in, prune, restore
from daemon.runtime.purge import PurgeRefused, purge_campaign
from daemon.wording import agree, plural
from db.campaigns import get_campaign
from db.engine import compact, transaction


@click.command("backup")
@click.option(
    "--to",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier de sauvegarde (défaut : <state_dir>/backups/relance-<date>.sqlite3).",
)
@click.option(
    "--keep",
    type=french.INTEGER,
    metavar="N",
    default=0,
    help="Ne garder que les N sauvegardes les plus récentes.",
)
@pass_context
def backup_cmd(ctx: Context, target: Path | None, keep: int) -> None:
    """Sauvegarde la base SQLite (à chaud, API de sauvegarde de SQLite)."""
    settings = ctx.settings
    folder = _backup_folder(ctx)
    target = target or folder / backup_file_name(ctx.app.now())
    try:
        written = backup(settings.effective_database_url, target)
    except BackupError as exc:
        fail(str(exc))
    console.print(f"sauvegarde écrite : {written}")
    if keep:
        for old in prune(written.parent, keep):
            console.print(f"ancienne sauvegarde supprimée : {old.name}")


@click.command("restore")
@click.argument(
    "source", metavar="SAUVEGARDE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
@pass_context
def restore_cmd(ctx: Context, source: Path, yes: bool) -> None:
    """Remplace la base SQLite par une sauvegarde (arrêtez le démon avant)."""
    if not yes:
        french.confirm("Remplacer toute la base par cette sauvegarde ?", abort=True)
    try:
        revision = restore(ctx.settings.effective_database_url, source)
    except BackupError as exc:
        fail(str(exc))
    console.print(
        f"base restaurée depuis {source} (révision {revision}) ; relance db upgrade si besoin"
    )


@click.command("purge")
@click.option(
    "--campaign", "name", required=True, metavar="NOM", help="Nom de la campagne (ex. 2025-2026)."
)
@click.option("--force", is_flag=True, help="Purger avant la fin de la durée de conservation.")
@click.option(
    "--backups",
    "with_backups",
    is_flag=True,
    help="Supprimer aussi les sauvegardes SQLite antérieures (elles contiennent ces données).",
)
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
@pass_context
def purge_cmd(ctx: Context, name: str, force: bool, with_backups: bool, yes: bool) -> None:
    """Supprime les données personnelles d'une campagne terminée (les comptes restent)."""
    app = ctx.app
    if not yes:
        french.confirm(f"Supprimer élèves, fichiers et détails de la campagne {name} ?", abort=True)
    try:
        with transaction(app.engine) as session:
            campaign = get_campaign(session, name=name)
            if campaign is None:
                fail(f"campagne {name} inconnue")
            if campaign.purged_at is not None and with_backups:  # the notice's advice, later
                _delete_backups(backups_in(_backup_folder(ctx)))
                return
            report = purge_campaign(
                session,
                campaign=campaign,
                store=Store.of(ctx.settings),
                now=app.now(),
                force=force,
                actor="cli",
            )
    except PurgeRefused as exc:
        fail(str(exc))
    compact(app.engine)  # nothing deleted lingers in the SQLite file
    console.print(
        f"campagne {name} purgée : {plural(report.pupils, 'élève')}, "
        f"{plural(report.anomalies, 'anomalie')}, {plural(report.files, 'fichier')} supprimés ; "
        f"{plural(report.documents, 'document')} et {plural(report.submissions, 'archive')} "
        "gardés en comptes seulement"
    )
    # The nightly copies of the database still hold what was just purged.
    older = backups_in(_backup_folder(ctx))
    if with_backups:
        _delete_backups(older)
    elif older:
        console.print(
            f"attention : {plural(len(older), 'ancienne sauvegarde', 'anciennes sauvegardes')} "
            f"dans {older[0].parent} {agree(len(older), 'contient', 'contiennent')} encore ces "
            f"données ; {agree(len(older), 'elle disparaîtra', 'elles disparaîtront')} avec "
            "la rotation, ou tout de suite avec --backups"
        )


def _backup_folder(ctx: Context) -> Path:
    return ctx.settings.state_path / "backups"


def _delete_backups(backups: list[Path]) -> None:
    for path in backups:
        path.unlink(missing_ok=True)
    console.print(
        plural(len(backups), "ancienne sauvegarde supprimée", "anciennes sauvegardes supprimées")
    )
