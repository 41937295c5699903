"""CSV exports for the coordinators: every pupil without INE and every open anomaly, across the
district or one circonscription — what the coordination sends to the académie or to a
circonscription. The conventions of `/ecoles.csv`: UTF-8 with a BOM, `;`, CRLF, dates the French
way, a cell a spreadsheet would run as a formula kept as text, the day in the file name.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from daemon.school.open_items import INE_STATUS_LABELS
from daemon.web.auth import Coordinator, require_coordinator
from daemon.web.common import current_campaign, reading, relance_app
from db.folding import fold
from db.models import School
from db.pupils import district_open_anomalies, district_pupils_without_ine

router = APIRouter(dependencies=[Depends(require_coordinator)], include_in_schema=False)

WHERE_TO_FIX = {
    "export": "logiciel de l'école (puis nouvel export)",
    "onde": "ONDE (assistance académique)",
    "other": "autre",
}
SCHOOL_COLUMNS = ("Circonscription", "UAI", "École", "Commune")
PUPIL_COLUMNS = ("Nom", "Prénom", "Date de naissance", "Niveau", "Classe")
WITHOUT_INE_COLUMNS = (*SCHOOL_COLUMNS, *PUPIL_COLUMNS, "Statut INE", "Depuis le")
ANOMALY_COLUMNS = (
    *SCHOOL_COLUMNS,
    *PUPIL_COLUMNS,
    "Rubrique",
    "Message",
    "Gravité",
    "À corriger dans",
    "Signalée depuis le",
)
Circonscription = Annotated[str | None, Query(max_length=200)]


def csv_cell(value: str) -> str:
    """Text a spreadsheet will not run as a formula."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Response:
    """A CSV download: UTF-8 with a BOM (what spreadsheets open right), `;`, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def file_name(what: str, circonscription: str | None, day: dt.date) -> str:
    """« eleves-sans-ine-saint-nazaire-2026-09-14.csv » (ASCII, whatever the name holds)."""
    place = re.sub(r"[^a-z0-9]+", "-", fold(circonscription or "").lower()).strip("-")
    return "-".join(part for part in (what, place[:60], f"{day:%Y-%m-%d}") if part) + ".csv"


def _day(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _scope(value: str | None) -> str | None:
    """The circonscription asked for (None: the whole district)."""
    return value.strip() if value and value.strip() else None


Rows = Callable[[Session, int, str | None, ZoneInfo], list[tuple[str, ...]]]


def _export(
    request: Request, what: str, circonscription: str | None, header: Sequence[str], rows_of: Rows
) -> Response:
    """One export of the current campaign: `rows_of(session, campaign id, scope, zone)`."""
    app = relance_app(request)
    scope = _scope(circonscription)
    with reading(app.engine) as session:
        campaign = current_campaign(app, session)
        assert campaign.id is not None
        zone = ZoneInfo(campaign.timezone or "Europe/Paris")
        rows = rows_of(session, campaign.id, scope, zone)
    today = app.now().astimezone(zone).date()
    return csv_response(file_name(what, scope, today), header, rows)


def _without_ine_rows(
    session: Session, campaign_id: int, scope: str | None, zone: ZoneInfo
) -> list[tuple[str, ...]]:
    found = district_pupils_without_ine(session, campaign_id=campaign_id, circonscription=scope)
    return [
        (
            *_school_cells(school),
            pupil.last_name,
            pupil.first_name,
            _day(pupil.birth_date),
            pupil.level,
            pupil.class_label,
            INE_STATUS_LABELS.get(pupil.ine_status, pupil.ine_status),
            _day(pupil.ine_status_since.astimezone(zone) if pupil.ine_status_since else None),
        )
        for school, pupil in found
    ]


def _anomaly_rows(
    session: Session, campaign_id: int, scope: str | None, zone: ZoneInfo
) -> list[tuple[str, ...]]:
    found = district_open_anomalies(session, campaign_id=campaign_id, circonscription=scope)
    return [
        (
            *_school_cells(school),
            pupil.last_name if pupil else "",
            pupil.first_name if pupil else "",
            _day(pupil.birth_date if pupil else None),
            pupil.level if pupil else "",
            pupil.class_label if pupil else "",
            anomaly.field,
            anomaly.message,
            "rejet" if anomaly.severity == "rejet" else "avertissement",
            WHERE_TO_FIX.get(anomaly.category, WHERE_TO_FIX["other"]),
            _day(anomaly.first_seen_at.astimezone(zone)),
        )
        for school, anomaly, pupil in found
    ]


def _school_cells(school: School) -> tuple[str, str, str, str]:
    return (school.circonscription, school.uai, school.name, school.commune)


@router.get("/eleves-sans-ine.csv")
def pupils_without_ine_csv(
    request: Request, user: Coordinator, circonscription: Circonscription = None
) -> Response:
    return _export(
        request, "eleves-sans-ine", circonscription, WITHOUT_INE_COLUMNS, _without_ine_rows
    )


@router.get("/anomalies.csv")
def open_anomalies_csv(
    request: Request, user: Coordinator, circonscription: Circonscription = None
) -> Response:
    return _export(request, "anomalies", circonscription, ANOMALY_COLUMNS, _anomaly_rows)
