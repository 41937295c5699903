"""`GET /api/v1/schools/<UAI>`: what the school's page shows — its stage and next reminder, the
open anomalies, the pupils without INE, the last archive's tableau d'effectif and test de
cohérence, and the headcount each source gives."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from daemon.ingest.exports.records import Finding, HeadcountTable
from daemon.school.headcounts import Headcounts
from db.school_file import SchoolFile


class ApiError(BaseModel):
    """An error of every API route (FastAPI's shape: one `detail`, in French)."""

    detail: str = Field(description="Pourquoi, en français.")


def answers(*codes: int) -> dict[int | str, dict[str, object]]:
    """The OpenAPI `responses` of a read route: each error it really gives, with its schema."""
    described = {
        401: "Jeton absent ou invalide",
        403: "Jeton d'une école : route réservée au jeton du district",
        404: "École inconnue, ou d'une autre école que celle du jeton",
    }
    return {code: {"model": ApiError, "description": described[code]} for code in codes}


class AnomalyOut(BaseModel):
    last_name: str
    first_name: str
    birth_date: dt.date | None
    field: str = Field(description="Rubrique du compte rendu.")
    message: str
    severity: str = Field(description="rejet, avertissement, ou inconnue (gravité non lue).")
    category: str = Field(description="Qui peut corriger : export, onde ou other.")


class PendingOut(BaseModel):
    last_name: str
    first_name: str
    birth_date: dt.date | None
    level: str
    class_label: str
    ine_status: str = Field(description="en_attente, litige, erreur, non_traite, bloque…")


class FindingOut(BaseModel):
    id_eleve: str | None
    last_name: str | None
    first_name: str | None
    member: str = Field(description="Fichier de l'archive.")
    field: str
    message: str
    severity: str = Field(description="erreur, avertissement ou donnee_non_autorisee.")


class HeadcountOut(BaseModel):
    total: int
    by_level: dict[str, int]
    by_class: dict[str, dict[str, int]]
    by_cycle: dict[str, int]


class SourceOut(BaseModel):
    source: str = Field(description="archive d'export, dernier compte rendu, dernière extraction.")
    at: dt.datetime | None
    total: int | None = Field(description="Élèves d'après cette source (null : inconnu).")


class SchoolFacts(BaseModel):
    open_anomalies: list[AnomalyOut]
    without_ine: list[PendingOut]
    headcount: HeadcountOut | None = Field(
        description="Tableau d'effectif de la dernière archive acceptée."
    )
    findings: list[FindingOut] = Field(description="Test de cohérence de cette archive.")
    headcounts: list[SourceOut]
    headcounts_differ: bool


def _finding(f: Finding) -> FindingOut:
    pupil = f.pupil
    return FindingOut(
        id_eleve=f.id_eleve,
        last_name=pupil.last_name if pupil else None,
        first_name=pupil.first_name if pupil else None,
        member=f.member,
        field=f.field,
        message=f.message,
        severity=f.severity,
    )


def _headcount(table: HeadcountTable | None) -> HeadcountOut | None:
    if table is None:
        return None
    return HeadcountOut(
        total=table.total,
        by_level=dict(table.by_level),
        by_class={k: dict(v) for k, v in table.by_class.items()},
        by_cycle=dict(table.by_cycle),
    )


def school_facts(found: SchoolFile, counts: Headcounts) -> SchoolFacts:
    anomalies = []
    for a in found.open_anomalies:
        pupil = found.pupils.get(a.pupil_id) if a.pupil_id is not None else None
        anomalies.append(
            AnomalyOut(
                last_name=pupil.last_name if pupil else "",
                first_name=pupil.first_name if pupil else "",
                birth_date=pupil.birth_date if pupil else None,
                field=a.field,
                message=a.message,
                severity=a.severity,
                category=a.category,
            )
        )
    pending = [
        PendingOut(
            last_name=p.last_name,
            first_name=p.first_name,
            birth_date=p.birth_date,
            level=p.level,
            class_label=p.class_label,
            ine_status=p.ine_status,
        )
        for p in found.without_ine
    ]
    return SchoolFacts(
        open_anomalies=anomalies,
        without_ine=pending,
        headcount=_headcount(counts.archive),
        findings=[_finding(f) for f in counts.findings],
        headcounts=[SourceOut(source=s.label, at=s.at, total=s.total) for s in counts.sources],
        headcounts_differ=counts.differs,
    )
