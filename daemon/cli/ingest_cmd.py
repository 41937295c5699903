"""`relance ingest PATH...`: files and folders given on the command line, as if dropped."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import click
from rich.progress import Progress
from rich.table import Table

from daemon.cli.base import Context, console, fail, pass_context, print_json
from daemon.codes import InvalidUAI, parse_uai
from daemon.ingest.intake.intake import Intake, IntakeResult
from daemon.ingest.intake.storage import is_junk
from daemon.wording import plural
from db.states import IntakeOutcome

OUTCOME_LABELS = {
    IntakeOutcome.PROCESSED: "traité",
    IntakeOutcome.DUPLICATE: "doublon",
    IntakeOutcome.QUARANTINED: "quarantaine",
    IntakeOutcome.IGNORED: "ignoré",
}


def files_under(paths: tuple[Path, ...]) -> list[tuple[Path, Path]]:
    """(file, root) for each file given or found in a folder given (junk skipped)."""
    found: list[tuple[Path, Path]] = []
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            for folder, _dirs, files in os.walk(path):
                found.extend((Path(folder) / f, path) for f in sorted(files) if not is_junk(f))
        else:
            found.append((path, path.parent))
    return found


@click.command("ingest")
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    metavar="CHEMIN...",
    type=click.Path(exists=True, path_type=Path),
)
@click.option(
    "--school", "school", metavar="UAI", help="UAI de l'école à qui appartiennent ces fichiers."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Un objet JSON par fichier, pour les scripts."
)
@pass_context
def ingest_cmd(ctx: Context, paths: tuple[Path, ...], school: str | None, as_json: bool) -> None:
    """Traite des comptes rendus, extractions ONDE et archives (fichiers ou dossiers)."""
    if school:
        try:
            school = parse_uai(school)
        except InvalidUAI as exc:
            fail(str(exc))
    intake = Intake(ctx.app, read_scans_now=True)  # a scan is read by OCR (in a worker) here
    files = files_under(paths)
    results: list[IntakeResult] = []
    with Progress(console=console, transient=True, disable=as_json) as progress:
        task = progress.add_task("traitement", total=len(files))
        for path, root in files:
            if school:
                result = intake.take_bytes(
                    path.read_bytes(),
                    filename=path.name,
                    channel="cli",
                    now=ctx.app.now(),
                    school_uai=school,
                    actor="cli",
                )
            else:
                result = intake.take_path(path, channel="cli", now=ctx.app.now(), root=root)
            results.append(result)
            progress.advance(task)
    if as_json:
        print_json([r.as_json() for r in results])
    else:
        _print_summary(results)
    if any(r.outcome == IntakeOutcome.QUARANTINED for r in results):
        raise SystemExit(3)


def _print_summary(results: list[IntakeResult]) -> None:
    table = Table(title=plural(len(results), "fichier"))
    for column in ("Fichier", "Résultat", "École", "Détail"):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(
            r.filename,
            OUTCOME_LABELS.get(r.outcome, r.outcome),
            r.uai or "—",
            r.reason if r.outcome != IntakeOutcome.PROCESSED else r.message,
        )
    console.print(table)
    counts = Counter(OUTCOME_LABELS.get(r.outcome, r.outcome) for r in results)
    console.print(" ; ".join(f"{label} : {n}" for label, n in sorted(counts.items())))
