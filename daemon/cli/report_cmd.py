"""`relance report parse FILE [--json]`: read a compte rendu or an ONDE extraction, print it.

Never touches the database. A refused file exits 1 with its one-line reason on stderr.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from daemon.cli import french
from daemon.cli.base import Context, console, fail, pass_context, print_json
from daemon.ingest.reports import LabelsError, ReportRefused, load_labels, parse_report
from daemon.ingest.reports.records import CompteRendu, Extraction, IneSection, Report

SEVERITY = {"rejet": "Rejet", "avertissement": "Avertissement"}
STATUS = {
    "en_attente": "en attente",
    "litige": "litige",
    "erreur": "erreur",
    "non_traite": "non traité",
    "bloque": "bloqué",
    "attribue": "attribué",
}
CATEGORY = {"export": "à corriger dans le logiciel", "onde": "ONDE / académie", "other": "autre"}


@click.group("report", subcommand_metavar=french.SUBCOMMAND_METAVAR)
def report_group() -> None:
    """Comptes rendus d'import ONDE et extractions d'élèves."""


@report_group.command("parse")
@click.argument(
    "file", metavar="FICHIER", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Le résultat en JSON (celui de la spec).")
@click.option("--labels", "labels_file", type=click.Path(dir_okay=False), help="Libellés TOML.")
@pass_context
def parse_cmd(ctx: Context, file: Path, as_json: bool, labels_file: str | None) -> None:
    """Lit un compte rendu (PDF ou texte) ou un CSVExtraction.csv, sans rien enregistrer."""
    intake = ctx.settings.intake
    try:
        labels = load_labels(labels_file or intake.labels_file or None)
    except LabelsError as exc:
        fail(f"libellés : {exc}", code=2)
    size = file.stat().st_size
    if size > intake.max_file_mb * 1_000_000:
        fail(f"{file.name} : fichier de {size / 1e6:.0f} Mo, plus que {intake.max_file_mb} Mo")
    try:
        result = parse_report(
            file.read_bytes(), file.name, labels=labels, max_pages=intake.max_pdf_pages
        )
    except ReportRefused as exc:
        fail(f"{file.name} : {exc.reason}")
    if as_json:
        print_json(result.as_json())
    elif isinstance(result, CompteRendu):
        _print_cr(result)
    else:
        _print_extraction(result)


def _french(moment: dt.datetime | None) -> str:
    return moment.strftime("%d/%m/%Y à %H:%M") if moment else "?"


def _day(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "?"


def _n(value: int | None) -> str:
    return "?" if value is None else str(value)


def _print_cr(result: CompteRendu) -> None:
    school = escape(result.school_name or "école inconnue")
    console.print(
        f"[bold]Compte rendu d'import[/] — {school} ({escape(result.uai or 'UAI ?')})",
        markup=True,
    )
    console.print(
        f"Archive : {result.archive or '?'} · déposée le {_french(result.submitted_at)}"
        f" · traitée le {_french(result.processed_at)}"
    )
    counts = result.counts
    console.print(
        f"Élèves : {_n(counts.read)} lus, {_n(counts.integrated)} intégrés, "
        f"{_n(counts.rejected)} rejetés, {_n(counts.warnings)} avertissements"
    )
    anomalies = result.anomalies
    console.print(f"Anomalies : {len(anomalies)}" if anomalies else "Aucune anomalie.")
    for a in anomalies:
        who = escape(f"{a.last_name or '?'} {a.first_name or ''}".strip())
        console.print(
            f"  - [bold]{who}[/] ({_day(a.birth_date)}) · {escape(a.field or '?')} · "
            f"{SEVERITY.get(a.severity or '', '?')} · {CATEGORY[a.category]}",
            markup=True,
        )
        console.print(f"    {a.message or ''}", markup=False)
    _print_ine(result.ine)
    _print_review(result)


def _print_ine(ine: IneSection) -> None:
    console.print(f"INE : {_n(ine.attributed)} élèves immatriculés, {_n(ine.pending)} en attente")
    if ine.waiting:
        table = Table("Nom", "Prénom", "Né(e) le", "Statut INE")
        for p in ine.waiting:
            table.add_row(*_cells(p.last_name, p.first_name), _day(p.birth_date), STATUS[p.status])
        console.print(table)


def _print_extraction(result: Extraction) -> None:
    pupils = result.pupils
    console.print(f"[bold]Extraction ONDE[/] : {len(pupils)} élèves", markup=True)
    if not result.ine_column:
        console.print("Pas de colonne INE (extraction par groupe) : statut INE inconnu.")
    else:
        without = [p for p in pupils if p.ine is None]
        console.print(f"Élèves sans INE : {len(without)}")
        table = Table("Nom", "Prénom", "Né(e) le", "Niveau", "Classe")
        for p in without:
            table.add_row(
                *_cells(p.last_name, p.first_name),
                _day(p.birth_date),
                *_cells(p.level, p.class_label),
            )
        if without:
            console.print(table)
    _print_review(result)


def _cells(*values: str | None) -> list[str]:
    return [value or "" for value in values]


def _print_review(result: Report) -> None:
    if not result.needs_review:
        return
    console.print("[bold yellow]À vérifier[/] :", markup=True)
    for reason in result.review_reasons:
        console.print(f"  - {reason}", markup=False)
    for line in result.unclassified:
        console.print(f"  ? {line}", markup=False)
