"""`relance export check FILE` (nothing written) and `relance export submit FILE` (recorded)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import click
from rich.table import Table
from sqlmodel import col, select

from daemon.cli import french
from daemon.cli.base import Context, console, fail, pass_context, print_json
from daemon.ingest.exports.archive import ArchiveLimits, check_archive
from daemon.ingest.exports.layout import AliasesError
from daemon.ingest.exports.records import ArchiveCheck, Finding
from daemon.ingest.intake.intake import Intake
from daemon.school.archives import school_year_start
from daemon.wording import plural
from db.engine import database_missing, reading
from db.models import Campaign, School
from db.states import IntakeOutcome

SEVERITY_LABELS = {
    "erreur": "erreur",
    "avertissement": "avertissement",
    "donnee_non_autorisee": "donnée non autorisée",
}


@click.group("export", subcommand_metavar=french.SUBCOMMAND_METAVAR)
def export_group() -> None:
    """Archives d'export <UAI>.zip : vérifier, enregistrer."""


@export_group.command("check")
@click.argument(
    "file", metavar="FICHIER", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Le résultat en JSON, pour les scripts.")
@pass_context
def check_cmd(ctx: Context, file: Path, as_json: bool) -> None:
    """Vérifie une archive (test de cohérence) sans rien enregistrer."""
    settings = ctx.settings
    try:
        limits = ArchiveLimits.from_settings(settings.exports)
    except AliasesError as exc:
        fail(str(exc), code=2)
    size = file.stat().st_size
    if size > settings.intake.max_file_mb * 1024 * 1024:
        fail(f"{file.name} : fichier trop gros ({size // (1024 * 1024)} Mo)")
    known: set[str] | None = None  # no database yet: the archive alone is checked
    if not database_missing(settings.effective_database_url):  # a check never creates one
        with reading(ctx.app.engine) as session:
            query = select(School.uai).where(col(School.active).is_(True))
            known = set(session.exec(query).all())
    # The campaign as configured, not stored: only its start gives the school year.
    c = settings.campaign
    campaign = Campaign(
        name=c.name, start=c.start, observation_date=c.observation_date, deadline=c.deadline
    )
    result = check_archive(
        file.read_bytes(),
        file.name,
        limits=limits,
        school_year_start=school_year_start(campaign),
        expected_uai=None,
        known_uais=known,
    )
    if as_json:
        print_json(result.as_json())
    else:
        print_check(file.name, result)
    if not result.accepted:
        raise SystemExit(3)


@export_group.command("submit")
@click.argument(
    "file", metavar="FICHIER", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--channel",
    type=click.Choice(["cli", "api", "page", "mail"]),
    default="cli",
    show_default=True,
    help="Canal de dépôt enregistré (le fichier donné reste en place ; une archive "
    "acceptée n'est pas conservée, une archive refusée est copiée en quarantaine).",
)
@click.option("--json", "as_json", is_flag=True, help="Le résultat en JSON, pour les scripts.")
@pass_context
def submit_cmd(ctx: Context, file: Path, channel: str, as_json: bool) -> None:
    """Enregistre une archive pour son école (comme un dépôt), après l'avoir vérifiée."""
    app = ctx.app
    result = Intake(app).take_path(file, channel=channel, now=app.now())
    if as_json:
        print_json(result.as_json())
    elif result.outcome == IntakeOutcome.QUARANTINED:
        console.print(f"{file.name} : refusée ({result.reason}), mise en quarantaine")
    else:
        console.print(result.message or f"{file.name} : {result.outcome}")
    if result.outcome == IntakeOutcome.QUARANTINED:
        raise SystemExit(3)


def print_check(filename: str, result: ArchiveCheck) -> None:
    if not result.accepted or result.headcount is None:
        console.print(f"{filename} : archive refusée — {result.refusal}")
        return
    headcount = result.headcount
    console.print(
        f"{filename} : archive de l'école {result.uai}, {plural(headcount.total, 'élève')} ; "
        f"fichiers : {', '.join(result.members) or 'aucun'}"
    )
    table = Table(title="Tableau d'effectif")
    table.add_column("Classe", overflow="fold")
    table.add_column("Niveaux")
    table.add_column("Élèves", justify="right")
    for label, levels in headcount.by_class.items():
        table.add_row(
            label,
            ", ".join(f"{lv} : {n}" for lv, n in levels.items()),
            str(sum(levels.values())),
        )
    console.print(table)
    cycles = " ; ".join(f"{c} : {n}" for c, n in headcount.by_cycle.items())
    console.print(f"Par cycle : {cycles or '—'}")
    _print_findings(result.findings)


def _print_findings(findings: Sequence[Finding]) -> None:
    if not findings:
        console.print("Test de cohérence : aucune anomalie.")
        return
    counts = Counter(SEVERITY_LABELS.get(f.severity, f.severity) for f in findings)
    console.print(
        "Test de cohérence : " + " ; ".join(f"{label} : {n}" for label, n in sorted(counts.items()))
    )
    detail = Table()
    for column in ("Élève", "Fichier", "Champ", "Message", "Gravité"):
        detail.add_column(column, overflow="fold")
    for f in findings:
        names = (f.pupil.last_name, f.pupil.first_name) if f.pupil else ()
        who = " ".join(x for x in names if x)
        detail.add_row(
            who or f.id_eleve or "—",
            f.member,
            f.field,
            f.message,
            SEVERITY_LABELS.get(f.severity, f.severity),
        )
    console.print(detail)
