"""Reading the Annuaire de l'éducation (`fr-en-annuaire-education.csv`) and importing schools.

Both column generations are read by name (`Code postal` / `Code_postal`, …). Problems are
reported row by row with their line number; good rows are still imported, all in one transaction.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlmodel import Session

from daemon.codes import InvalidUAI, fold, is_email_address, parse_uai, printable
from db.schools import inactive_uais, upsert_from_directory

COLUMNS = {
    "uai": ("Identifiant_de_l_etablissement",),
    "name": ("Nom_etablissement",),
    "type": ("Type_etablissement",),
    "statut": ("Statut_public_prive",),
    "contrat": ("Type_contrat_prive",),
    "departement": ("Code_departement",),
    "commune": ("Nom_commune",),
    "postal_code": ("Code postal", "Code_postal"),
    "mail": ("Mail",),
    "circonscription": ("nom_circonscription",),
    "etat": ("etat",),
    "nature": ("libelle_nature",),
}
REQUIRED = ("uai", "name")
SEPARATORS = (";", ",", "\t", "|")


class AnnuaireError(Exception):
    """The file cannot be read at all (no header, no UAI column…): nothing is imported."""


@dataclass(frozen=True)
class Filters:
    departement: str | None = None
    statut: Literal["prive", "public", "all"] = "all"
    contrat: Literal["association", "simple", "hors", "all"] = "all"
    circonscription: str | None = None
    type: Literal["ecole", "all"] = "ecole"


@dataclass
class ImportReport:
    counts: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    warnings: list[str] = field(default_factory=list)
    kept_inactive: list[str] = field(default_factory=list)  # in the file, deactivated by hand


@dataclass(frozen=True)
class DirectoryRow:
    line: int
    uai: str
    fields: dict[str, Any]
    raw: dict[str, str]


def decode(data: bytes, report: ImportReport) -> str:
    """UTF-8 (with or without BOM); lines that are not UTF-8 are read as Windows-1252.

    A file saved as UTF-16 (Excel's "Unicode text") is recognised by its byte-order mark.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise AnnuaireError(f"fichier UTF-16 illisible ({exc.reason})") from exc
        report.warnings.append("fichier en UTF-16 au lieu d'UTF-8 : lu quand même")
        return text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lines = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            lines.append(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError:
            lines.append(raw.decode("cp1252", errors="replace"))
            report.problems.append(
                (number, "ligne non encodée en UTF-8 : lue en Windows-1252, vérifiez les accents")
            )
    return "\n".join(lines)


def _sniff(header: str, report: ImportReport) -> str:
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda s: counts[s])
    if counts[best] == 0:
        raise AnnuaireError("en-tête illisible : aucun séparateur « ; » trouvé sur la ligne 1")
    if best != ";":
        report.warnings.append(f"séparateur « {best!r} » au lieu de « ; » : lu quand même")
    return best


def _column_map(header: list[str]) -> dict[str, str]:
    clean = {name.strip().lstrip("\ufeff"): name for name in header}
    mapping = {}
    for key, names in COLUMNS.items():
        for name in names:
            if name in clean:
                mapping[key] = clean[name]
                break
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in mapping]
    if missing:
        found = ", ".join(printable(name, 40) for name in list(clean)[:8])
        raise AnnuaireError(
            f"colonne obligatoire absente : {', '.join(missing)} (colonnes trouvées : {found}…)"
        )
    return mapping


def read_directory(data: bytes, report: ImportReport) -> list[DirectoryRow]:
    """Every row with a valid UAI; bad rows go to report.problems with their line."""
    text = decode(data, report)
    if not text.strip():
        raise AnnuaireError("fichier vide")
    header_line = text.splitlines()[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff(header_line, report))
    header = next(reader)
    mapping = _column_map(header)
    rows = []
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            report.problems.append(
                (line, f"{len(record)} colonnes au lieu de {len(header)} : ligne ignorée")
            )
            continue
        # control characters (a NUL byte…) are dropped: PostgreSQL refuses them in text
        raw = {
            key: printable(record[header.index(column)]).strip() for key, column in mapping.items()
        }
        problem = row_problem(raw)
        if problem:
            report.problems.append((line, problem))
            continue
        fields = school_fields(raw)
        refused = address_problem(fields["director_email"])
        if refused:  # the school is imported; its address is left as it was
            report.problems.append((line, refused))
            del fields["director_email"]
        rows.append(DirectoryRow(line, parse_uai(raw["uai"]), fields, raw))
    return rows


def address_problem(address: str) -> str | None:
    """Why the directory's address of a director is refused (one address, nothing else: a
    list or a line break would send the reminders elsewhere too), or None."""
    if not address or is_email_address(address):
        return None
    shown = " ".join(address.split())[:120]
    return (
        f"adresse du directeur refusée « {shown} » : une seule adresse attendue, sans virgule, "
        "point-virgule ni retour à la ligne ; école importée sans cette adresse"
    )


def row_problem(raw: dict[str, str]) -> str | None:
    """Why a row cannot be read (its line is then reported and left out), or None."""
    if not raw["uai"]:
        return "UAI absent (colonne Identifiant_de_l_etablissement vide) : ligne ignorée"
    try:
        parse_uai(raw["uai"])
    except InvalidUAI as exc:
        return f"{exc} : ligne ignorée"
    departement = raw.get("departement", "")
    if departement and not is_departement(normalise_departement(departement)):
        return (
            f"code département « {departement} » invalide (attendu 3 caractères : 044, 02A, "
            "974) : ligne ignorée"
        )
    return None


def school_fields(raw: dict[str, str]) -> dict[str, Any]:
    statut = fold(raw.get("statut", "")).lower()
    return {
        "name": raw.get("name", "")[:200] or raw["uai"],
        "commune": raw.get("commune", "")[:120],
        "postal_code": raw.get("postal_code", "")[:10],
        "departement": normalise_departement(raw.get("departement", "")),
        "circonscription": raw.get("circonscription", "")[:200],
        "sector": "public" if statut.startswith("public") else "prive",
        "contract": contract_kind(raw.get("contrat", "")),
        "nature": raw.get("nature", "")[:80],
        "director_email": raw.get("mail", "").strip()[:254],
    }


_DEPARTEMENT = re.compile(r"^(\d{3}|02[AB])$")


def normalise_departement(raw: str) -> str:
    """`44` → `044`, `2a` → `02A`; anything else is returned as it is (see is_departement)."""
    raw = raw.strip().upper()
    if raw.isdigit() or raw in ("2A", "2B"):
        return raw.zfill(3)
    return raw


def is_departement(code: str) -> bool:
    """A normalised département code as the annuaire writes it (044, 02A, 974)."""
    return bool(_DEPARTEMENT.match(code))


def contract_kind(raw: str) -> str:
    """association | simple | hors | sans_objet | '' from the annuaire's wording (C0NTRAT…)."""
    text = fold(raw).upper().replace("0", "O")
    if "ASSOCIATION" in text:
        return "association"
    if "SIMPLE" in text:
        return "simple"
    if "HORS" in text:
        return "hors"
    if "SANS OBJET" in text:
        return "sans_objet"
    return ""


def skip_reason(row: DirectoryRow, filters: Filters) -> str | None:
    """Why a row is left out by the filters (None: imported)."""
    raw, fields = row.raw, row.fields
    if filters.type == "ecole" and fold(raw.get("type", "")).lower() != "ecole":
        return "pas une école"
    if fold(raw.get("etat", "")).upper() == "FERME":
        return "établissement fermé"
    wanted_dep = filters.departement and normalise_departement(filters.departement)
    if wanted_dep and fields["departement"] != wanted_dep:
        return "autre département"
    if filters.statut != "all" and fields["sector"] != filters.statut:
        return "autre statut (public/privé)"
    if filters.contrat != "all" and fields["contract"] != filters.contrat:
        return "autre type de contrat"
    if (
        filters.circonscription
        and fold(filters.circonscription).lower() not in fold(fields["circonscription"]).lower()
    ):
        return "autre circonscription"
    return None


def import_directory(
    session: Session,
    *,
    data: bytes,
    filters: Filters,
    now: dt.datetime,
    actor: str,
) -> ImportReport:
    """Read and import in the caller's transaction; raise AnnuaireError if unreadable."""
    report = ImportReport()
    seen: dict[str, int] = {}
    for row in read_directory(data, report):
        reason = skip_reason(row, filters)
        if reason:
            report.skipped[reason] += 1
            continue
        if row.uai in seen:  # établissement multi-lignes: the first line wins
            report.skipped["UAI déjà lu plus haut (multi-lignes)"] += 1
            continue
        seen[row.uai] = row.line
        outcome = upsert_from_directory(
            session, now=now, uai=row.uai, fields=row.fields, actor=actor
        )
        report.counts[outcome] += 1
    report.kept_inactive = sorted(inactive_uais(session) & seen.keys())
    return report
