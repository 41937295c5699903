"""`relance ingest PATH...`: files and folders given on the command line, as if dropped."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from daemon.cli.base import Context, console, fail, json_text, pass_context
from daemon.codes import InvalidUAI, parse_uai
from daemon.ingest.intake.intake import Intake, IntakeResult
from daemon.ingest.intake.storage import is_junk
from daemon.wording import agree, plural
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
    intake = Intake(ctx.app)
    files = files_under(paths)
    summary = Summary()
    # Each result is let go once counted (and printed with --json): what was read of a file
    # is never kept, so the memory stays flat however many files are given.
    with _progress(as_json) as progress:
        task = progress.add_task("Traitement des fichiers", total=len(files))
        if as_json:
            click.echo("[")
        for number, (path, root) in enumerate(files):
            result = _take(ctx, intake, path, root, school)
            summary.add(result)
            if as_json:
                separator = "," if number < len(files) - 1 else ""
                click.echo(json_text(result.as_json()) + separator)
            progress.advance(task)
        if as_json:
            click.echo("]")
    if not as_json:
        summary.print()
    if summary.counts[IntakeOutcome.QUARANTINED]:
        raise SystemExit(3)


def _progress(as_json: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("reste"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=as_json,
    )


def _take(ctx: Context, intake: Intake, path: Path, root: Path, school: str | None) -> IntakeResult:
    if school:
        return intake.take_bytes(
            path.read_bytes(),
            filename=path.name,
            channel="cli",
            now=ctx.app.now(),
            school_uai=school,
            actor="cli",
        )
    return intake.take_path(path, channel="cli", now=ctx.app.now(), root=root)


class Summary:
    """What the summary prints: the count of each outcome and at most `TABLE_ROWS` lines, the
    files that were not processed first (a few strings each, never what was read)."""

    TABLE_ROWS = 50

    def __init__(self) -> None:
        self.counts: Counter[IntakeOutcome] = Counter()
        self.problems: list[tuple[str, str, str, str]] = []
        self.processed: list[tuple[str, str, str, str]] = []

    def add(self, r: IntakeResult) -> None:
        self.counts[r.outcome] += 1
        label = _label(r.outcome)
        if r.outcome == IntakeOutcome.PROCESSED:
            if len(self.processed) < self.TABLE_ROWS:
                self.processed.append((r.filename, label, r.uai or "—", r.message))
        elif len(self.problems) < self.TABLE_ROWS:
            self.problems.append((r.filename, label, r.uai or "—", r.reason))

    def print(self) -> None:
        total = sum(self.counts.values())
        shown = (self.problems + self.processed)[: self.TABLE_ROWS]
        table = Table(title=plural(total, "fichier"))
        for column in ("Fichier", "Résultat", "École", "Détail"):
            table.add_column(column, overflow="fold")
        for row in shown:
            table.add_row(*row)
        console.print(table)
        if total > len(shown):
            hidden = total - len(shown)
            console.print(
                f"{hidden} {agree(hidden, 'autre fichier', 'autres fichiers')} non "
                f"{agree(hidden, 'affiché', 'affichés')} (--json pour le détail de chacun)"
            )
        counts = Counter({_label(outcome): n for outcome, n in self.counts.items()})
        console.print(" ; ".join(f"{label} : {n}" for label, n in sorted(counts.items())))


def _label(outcome: IntakeOutcome) -> str:
    return OUTCOME_LABELS.get(outcome, outcome.value)
