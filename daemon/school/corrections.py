"""A row of a compte rendu as a coordinator corrects it: the values typed in a form, checked.

Names are taken as typed (spaces tidied); a birth date as `03/05/2019` or `2019-05-03`; a
severity and an INE status among ONDE's; an INE in one of its shapes. A value that cannot be
is refused with one French sentence (ValueError), and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace

from daemon.codes import is_valid_ine, normalise_ine
from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.records import ATTRIBUTED, AnomalyRow, IneRow
from daemon.ingest.reports.text import parse_date

SEVERITIES = {"rejet": "Rejet", "avertissement": "Avertissement"}
STATUSES = {
    "en_attente": "en attente",
    "litige": "litige",
    "erreur": "erreur",
    "non_traite": "non traité",
    "bloque": "bloqué",
    ATTRIBUTED: "attribué",
}


def _text(values: Mapping[str, str], name: str, current: str | None) -> str | None:
    if name not in values:
        return current
    return " ".join(values[name].split()) or None


def _date(values: Mapping[str, str], current: dt.date | None) -> dt.date | None:
    raw = values.get("birth_date")
    if raw is None:
        return current
    raw = raw.strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        found = parse_date(raw)
    if found is None:
        raise ValueError(f"date de naissance illisible : « {raw} » (attendu : 03/05/2019)")
    return found


def _choice(values: Mapping[str, str], name: str, allowed: Mapping[str, str], current: str) -> str:
    chosen = values.get(name, current)
    if chosen not in allowed:
        raise ValueError(f"valeur inconnue : « {chosen} »")
    return chosen


def corrected_row(row: AnomalyRow | IneRow, values: Mapping[str, str]) -> AnomalyRow | IneRow:
    """The row with the values typed in (those not given are kept)."""
    last = _text(values, "last_name", row.last_name)
    first = _text(values, "first_name", row.first_name)
    born = _date(values, row.birth_date)
    if isinstance(row, AnomalyRow):
        return replace(_anomaly(row, values), last_name=last, first_name=first, birth_date=born)
    status = _choice(values, "status", STATUSES, row.status)
    ine = normalise_ine(values["ine"]) if "ine" in values else row.ine
    if status == ATTRIBUTED and not is_valid_ine(ine):
        raise ValueError("un INE attribué s'écrit en 11 caractères (123456789AB)")
    ine = ine if status == ATTRIBUTED else None
    return replace(row, last_name=last, first_name=first, birth_date=born, status=status, ine=ine)


def _anomaly(row: AnomalyRow, values: Mapping[str, str]) -> AnomalyRow:
    field = _text(values, "field", row.field)
    message = _text(values, "message", row.message)
    severity = _choice(values, "severity", SEVERITIES, row.severity or "rejet")
    category = row.category
    if (field, message) != (row.field, row.message):
        category = default_labels().category(field, message)
    return replace(row, field=field, message=message, severity=severity, category=category)
