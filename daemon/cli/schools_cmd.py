"""`relance schools import|add|edit|list|show|deactivate|activate` and `relance school show`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from daemon.cli import french
from daemon.cli.base import (
    Context,
    console,
    err_console,
    fail,
    pass_context,
    print_columns,
    print_json,
)
from daemon.codes import InvalidUAI, parse_uai
from daemon.school.actions import EMAIL
from daemon.school.annuaire import (
    AnnuaireError,
    Filters,
    import_directory,
    is_departement,
    normalise_departement,
)
from daemon.school.followup import refresh_stage
from daemon.school.open_items import INE_STATUS_LABELS
from daemon.school.stage import Stage, french_date
from daemon.wording import agree, plural
from db.campaigns import get_follow_up
from db.engine import transaction
from db.events import school_events
from db.models import School
from db.pupils import open_anomalies, pupils_by_id, pupils_without_ine
from db.schools import (
    FIELD_LABELS,
    add_school,
    edit_school,
    get_school,
    list_schools,
    set_active,
)

STAGES = [s.value for s in Stage]


@click.group("schools", subcommand_metavar=french.SUBCOMMAND_METAVAR)
def schools_group() -> None:
    """Écoles suivies : import de l'annuaire, ajout, modification, liste."""


def _uai(value: str) -> str:
    try:
        return parse_uai(value)
    except InvalidUAI as exc:
        fail(str(exc), code=2)


def _uai_param(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    return _uai(value)


def _departement_param(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> str | None:
    if value is None:
        return None
    code = normalise_departement(value)
    if not is_departement(code):
        fail(f"--departement : « {value} » invalide, attendu 044, 35, 02A, 974…", code=2)
    return code


def _checked_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Hand-typed school fields, trimmed; a wrong one is named (exit code 2)."""
    checked = {}
    for name, value in values.items():
        value = value.strip()
        label = FIELD_LABELS.get(name, name)
        if name == "name" and not value:
            fail("--name : le nom de l'école est vide", code=2)
        if name == "director_email" and value and not EMAIL.fullmatch(value):
            fail(f"--email : adresse e-mail invalide : {value}", code=2)
        limit = School.__table__.c[name].type.length  # type: ignore[attr-defined]
        if limit and len(value) > limit:
            fail(f"{label} trop long : {len(value)} caractères, {limit} au plus", code=2)
        checked[name] = value
    return checked


@schools_group.command("import")
@click.argument(
    "file", metavar="FICHIER", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--departement",
    metavar="CODE",
    callback=_departement_param,
    help="Code du département (044, 35, 02A…).",
)
@click.option(
    "--statut",
    type=click.Choice(["prive", "public", "all"]),
    default="all",
    show_default=True,
    help="Secteur des écoles importées (all : tous).",
)
@click.option(
    "--contrat",
    type=click.Choice(["association", "simple", "hors", "all"]),
    default="all",
    show_default=True,
    help="Contrat des écoles privées importées (all : tous).",
)
@click.option(
    "--circonscription", metavar="TEXTE", help="Texte contenu dans le nom de la circonscription."
)
@click.option(
    "--type",
    "kind",
    type=click.Choice(["ecole", "all"]),
    default="ecole",
    show_default=True,
    help="Écoles seulement, ou tous les établissements (all).",
)
@click.option("--json", "as_json", is_flag=True, help="Résultat en JSON.")
@pass_context
def import_cmd(
    ctx: Context,
    file: Path,
    departement: str | None,
    statut: Any,
    contrat: Any,
    circonscription: str | None,
    kind: Any,
    as_json: bool,
) -> None:
    """Importe les écoles de l'Annuaire de l'éducation (idempotent)."""
    filters = Filters(departement, statut, contrat, circonscription, kind)
    app = ctx.app
    now = app.now()
    try:
        with transaction(app.engine) as session:
            report = import_directory(
                session, data=file.read_bytes(), filters=filters, now=now, actor="cli"
            )
            app.campaign(session, now)
    except AnnuaireError as exc:
        fail(f"{file} : {exc} — rien n'a été importé")
    if as_json:
        print_json(
            {
                "added": report.counts["added"],
                "updated": report.counts["updated"],
                "unchanged": report.counts["unchanged"],
                "skipped": dict(report.skipped),
                "problems": [{"line": n, "message": m} for n, m in report.problems],
                "warnings": report.warnings,
                "kept_inactive": report.kept_inactive,
            }
        )
        return
    _print_import(file, report)


def _print_import(file: Path, report: Any) -> None:
    for warning in report.warnings:
        err_console.print(f"attention : {warning}", markup=False)
    for line, message in report.problems:
        err_console.print(f"{file}:{line}: {message}", markup=False)
    table = Table(title=f"Import de {file.name}")
    table.add_column("résultat")
    table.add_column("écoles", justify="right")
    for key, label in (
        ("added", "ajoutées"),
        ("updated", "mises à jour"),
        ("unchanged", "inchangées"),
    ):
        table.add_row(label, str(report.counts[key]))
    for reason, count in sorted(report.skipped.items()):
        table.add_row(f"ignorées : {reason}", str(count))
    if report.problems:
        table.add_row("lignes en erreur", str(len(report.problems)))
    console.print(table)
    if report.kept_inactive:
        kept = len(report.kept_inactive)
        console.print(
            f"{plural(kept, 'école désactivée', 'écoles désactivées')} à la main "
            f"{agree(kept, 'le reste', 'le restent')} "
            f"({', '.join(report.kept_inactive[:10])}"
            f"{'…' if len(report.kept_inactive) > 10 else ''}) : relance schools activate UAI "
            "pour en reprendre une.",
            markup=False,
        )


@schools_group.command("add")
@click.argument("uai", metavar="UAI", callback=_uai_param)
@click.option("--name", required=True, metavar="NOM", help="Nom de l'école.")
@click.option("--email", default="", metavar="ADRESSE", help="Adresse du directeur.")
@click.option("--director", default="", metavar="NOM", help="Nom du directeur.")
@click.option("--commune", default="", metavar="NOM", help="Commune de l'école.")
@click.option("--circonscription", default="", metavar="NOM", help="Circonscription de l'école.")
@click.option(
    "--sector",
    type=click.Choice(["prive", "public"]),
    default="prive",
    show_default=True,
    help="Secteur de l'école.",
)
@click.option(
    "--contract",
    type=click.Choice(["association", "simple", "hors", "sans_objet", ""]),
    default="association",
    show_default=True,
    help="Contrat de l'école (sans_objet pour le public).",
)
@pass_context
def add_cmd(
    ctx: Context,
    uai: str,
    name: str,
    email: str,
    director: str,
    commune: str,
    circonscription: str,
    sector: str,
    contract: str,
) -> None:
    """Ajoute une école à la main."""
    fields = _checked_fields(
        {
            "name": name,
            "director_email": email,
            "director_name": director,
            "commune": commune,
            "circonscription": circonscription,
        }
    )
    app = ctx.app
    now = app.now()
    try:
        with transaction(app.engine) as session:
            add_school(
                session,
                now=now,
                uai=uai,
                actor="cli",
                departement=uai[:3],
                sector=sector,
                contract=contract,
                **fields,
            )
            app.campaign(session, now)
    except ValueError as exc:
        fail(str(exc))
    console.print(f"école {uai} ajoutée")


@schools_group.command("edit")
@click.argument("uai", metavar="UAI", callback=_uai_param)
@click.option("--name", metavar="NOM", help="Nom de l'école.")
@click.option("--email", "director_email", metavar="ADRESSE", help="Adresse du directeur.")
@click.option("--director", "director_name", metavar="NOM", help="Nom du directeur.")
@click.option("--commune", metavar="NOM", help="Commune de l'école.")
@click.option("--circonscription", metavar="NOM", help="Circonscription de l'école.")
@pass_context
def edit_cmd(ctx: Context, /, uai: str, **changes: str | None) -> None:
    """Modifie une école (adresse du directeur, nom…)."""
    values = _checked_fields({k: v for k, v in changes.items() if v is not None})
    if not values:
        fail("rien à modifier (voir --help)")
    app = ctx.app
    with transaction(app.engine) as session:
        school = _school_or_fail(session, uai)
        changed = edit_school(session, now=app.now(), school=school, actor="cli", **values)
    console.print(
        f"{uai} : {plural(len(changed), 'champ modifié', 'champs modifiés')}"
        if changed
        else f"{uai} : inchangé"
    )


@schools_group.command("deactivate")
@click.argument("uai", metavar="UAI", callback=_uai_param)
@pass_context
def deactivate_cmd(ctx: Context, uai: str) -> None:
    """Désactive une école : plus aucune relance."""
    _set_active(ctx, uai, False)


@schools_group.command("activate")
@click.argument("uai", metavar="UAI", callback=_uai_param)
@pass_context
def activate_cmd(ctx: Context, uai: str) -> None:
    """Réactive une école."""
    _set_active(ctx, uai, True)


def _set_active(ctx: Context, uai: str, active: bool) -> None:
    app = ctx.app
    with transaction(app.engine) as session:
        school = _school_or_fail(session, uai)
        changed = set_active(session, now=app.now(), school=school, active=active, actor="cli")
    state = "active" if active else "désactivée"
    console.print(f"{uai} : {state}" + ("" if changed else " (déjà)"))


@schools_group.command("list")
@click.option(
    "--stage", "stages", multiple=True, type=click.Choice(STAGES), help="Étape (répétable)."
)
@click.option(
    "--circonscription", metavar="TEXTE", help="Texte contenu dans le nom de la circonscription."
)
@click.option("--search", metavar="TEXTE", help="Nom, UAI ou commune.")
@click.option("--all", "show_all", is_flag=True, help="Inclure les écoles désactivées.")
@click.option("--json", "as_json", is_flag=True, help="Un tableau JSON, un objet par école.")
@pass_context
def list_cmd(
    ctx: Context,
    stages: tuple[str, ...],
    circonscription: str | None,
    search: str | None,
    show_all: bool,
    as_json: bool,
) -> None:
    """Liste les écoles, filtrées par étape et circonscription."""
    app = ctx.reading_app
    with transaction(app.engine) as session:
        campaign = app.campaign(session, app.now())
        rows = list_schools(
            session,
            active=None if show_all else True,
            circonscription=circonscription,
            stages=stages or None,
            campaign_id=campaign.id,
            search=search,
        )
        records = [school_record(school, follow_up) for school, follow_up in rows]
    if as_json:
        print_json(records)
        return
    console.print(f"{plural(len(records), 'école')} — campagne {campaign.name}")
    print_columns(
        ("UAI", "Étape", "École", "Commune", "Circonscription", "Directeur"),
        [
            (
                r["uai"],
                r["stage_label"],
                r["name"],
                r["commune"],
                _short_circ(r["circonscription"]),
                r["director_email"] or "—",
            )
            for r in records
        ],
        widths=(8, 29, 40, 22, 22, 45),
    )


def school_record(school: School, follow_up: Any) -> dict[str, Any]:
    stage = Stage(follow_up.stage) if follow_up else Stage.AWAITING_EXPORT
    return {
        "uai": school.uai,
        "name": school.name,
        "commune": school.commune,
        "postal_code": school.postal_code,
        "departement": school.departement,
        "circonscription": school.circonscription,
        "sector": school.sector,
        "contract": school.contract,
        "director_name": school.director_name,
        "director_email": school.director_email,
        "email_failing": school.email_failing_since is not None,
        "active": school.active,
        "stage": stage.value,
        "stage_label": stage.label,
        "stage_reason": follow_up.stage_reason if follow_up else "",
        "next_reminder_at": follow_up.next_reminder_at.isoformat()
        if follow_up and follow_up.next_reminder_at
        else None,
    }


def _plain(*values: str) -> list[Text]:
    """Table cells shown as written: a `[` in a name or a message is not rich markup."""
    return [Text(value) for value in values]


def _short_circ(name: str) -> str:
    marker = "degré de "
    return name.split(marker, 1)[1] if marker in name else name


def _school_or_fail(session: Any, uai: str) -> School:
    school = get_school(session, uai=uai)
    if school is None:
        fail(f"école {uai} inconnue (voir relance schools list)")
    return school


@schools_group.command("show")
@click.argument("uai", metavar="UAI", callback=_uai_param)
@click.option("--json", "as_json", is_flag=True, help="Résultat en JSON.")
@pass_context
def show_cmd(ctx: Context, uai: str, as_json: bool) -> None:
    """Une école : étape et raison, anomalies ouvertes, élèves sans INE, historique."""
    app = ctx.reading_app
    now = app.now()
    with transaction(app.engine) as session:
        school = _school_or_fail(session, uai)
        campaign = app.campaign(session, now)
        assert school.id is not None and campaign.id is not None
        result = refresh_stage(session, school=school, campaign=campaign, now=now)
        follow_up = get_follow_up(session, school_id=school.id, campaign_id=campaign.id)
        anomalies = open_anomalies(session, school_id=school.id, campaign_id=campaign.id)
        pending = pupils_without_ine(session, school_id=school.id, campaign_id=campaign.id)
        events = school_events(session, school_id=school.id, campaign_id=campaign.id, limit=15)
        names = {
            pid: f"{p.last_name} {p.first_name}"
            for pid, p in pupils_by_id(
                session, ids=[a.pupil_id for a in anomalies if a.pupil_id]
            ).items()
        }
    record = school_record(school, follow_up)
    if as_json:
        print_json(_with_open_items(record, anomalies, pending, names))
        return
    console.print(
        f"[bold]{escape(school.name)}[/] ({school.uai}) — {escape(school.commune)}", markup=True
    )
    console.print(f"Directeur : {school.director_email or 'adresse inconnue'}", markup=False)
    console.print(f"Étape : [bold]{result.stage.label}[/] — {escape(result.reason)}", markup=True)
    _print_anomalies(anomalies, names)
    _print_pending(pending)
    if events:
        console.print("\n[bold]Historique récent[/]", markup=True)
        for event in events:
            console.print(f"  {french_date(event.at)}  {event.message}", markup=False)


def _with_open_items(
    record: dict[str, Any], anomalies: list[Any], pending: list[Any], names: dict[int, str]
) -> dict[str, Any]:
    """The school's JSON record with its open anomalies and its pupils without INE."""
    record["anomalies"] = [
        {
            "pupil": names.get(a.pupil_id or 0, ""),
            "field": a.field,
            "message": a.message,
            "severity": a.severity,
            "first_seen_at": a.first_seen_at.isoformat(),
        }
        for a in anomalies
    ]
    record["pupils_without_ine"] = [
        {
            "last_name": p.last_name,
            "first_name": p.first_name,
            "birth_date": p.birth_date.isoformat() if p.birth_date else None,
            "status": p.ine_status,
        }
        for p in pending
    ]
    return record


def _print_anomalies(anomalies: list[Any], names: dict[int, str]) -> None:
    if not anomalies:
        console.print("Aucune anomalie ouverte.")
        return
    table = Table(title=plural(len(anomalies), "anomalie ouverte", "anomalies ouvertes"))
    for column in ("Élève", "Rubrique", "Message", "Gravité", "Depuis"):
        table.add_column(column, overflow="fold")
    for a in anomalies:
        name = names.get(a.pupil_id or 0, "?")
        table.add_row(*_plain(name, a.field, a.message, a.severity, french_date(a.first_seen_at)))
    console.print(table)


def _print_pending(pupils: list[Any]) -> None:
    if not pupils:
        console.print("Aucun élève sans INE connu.")
        return
    table = Table(title=plural(len(pupils), "élève sans INE", "élèves sans INE"))
    for column in ("Nom", "Prénom", "Naissance", "Statut INE"):
        table.add_column(column)
    for p in pupils:
        born = p.birth_date.strftime("%d/%m/%Y") if p.birth_date else "—"
        status = INE_STATUS_LABELS.get(p.ine_status, p.ine_status)
        table.add_row(*_plain(p.last_name, p.first_name, born, status))
    console.print(table)


@click.group("school", subcommand_metavar=french.SUBCOMMAND_METAVAR)
def school_group() -> None:
    """Une école : son état, ses anomalies, ses élèves sans INE."""


# `relance school show UAI` is the same command under the singular group.
school_group.add_command(show_cmd)
__all__ = ["school_group", "schools_group"]
