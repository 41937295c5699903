"""The test de cohérence of one pupil of the export archive, as pure functions.

Addresses and responsables are only looked at to say whether they are complete: no message
ever quotes their values (only the pupil's identity, which the findings are about)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from daemon.codes import CYCLE_OF_LEVEL, LEVEL_AGE, cycle_of, fold, normalise_cycle, normalise_level
from daemon.wording import plural


@lru_cache(maxsize=8)
def _year_end(start: dt.date) -> dt.date:
    return dt.date(start.year + 1, 8, 31)


_level = lru_cache(maxsize=512)(normalise_level)
_cycle = lru_cache(maxsize=512)(normalise_cycle)
ERROR, WARNING, NOT_ALLOWED = "erreur", "avertissement", "donnee_non_autorisee"
_SEXES = {"M", "F", "m", "f"}
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_YES = {"oui", "o", "yes", "1", "vrai", "true"}
_CYCLE_OF = {level: cycle_of(level) for level in CYCLE_OF_LEVEL}


@lru_cache(maxsize=8192)
def parse_date(text: str) -> dt.date | None:
    """`03/05/2019` or `2019-05-03`; None otherwise."""
    text = text.strip()
    try:
        match = _DMY.match(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


@lru_cache(maxsize=512)
def is_france(country: str) -> bool:
    return fold(country).strip().casefold() in {"france", "fr", "fra", "100"}


@lru_cache(maxsize=512)
def is_yes(value: str) -> bool:
    return fold(value).strip().casefold() in _YES


class Schooling(NamedTuple):
    """One row of scolarites.csv (only what the checks need)."""

    id_classe: str
    code_ecole: str
    niveau: str
    cycle: str
    date_debut: str


@dataclass(frozen=True)
class SchoolClass:
    label: str
    levels: frozenset[str]


def finding(
    id_eleve: str | None,
    pupil: dict[str, Any] | None,
    member: str,
    field: str,
    message: str,
    severity: str = ERROR,
) -> dict[str, Any]:
    return {
        "id_eleve": id_eleve,
        "pupil": pupil,
        "member": member,
        "field": field,
        "message": message,
        "severity": severity,
    }


@lru_cache(maxsize=8192)
def _birth(text: str) -> tuple[dt.date | None, str | None]:
    """A birth date and how it is kept (ISO), read once per distinct string."""
    born = parse_date(text)
    return born, born.isoformat() if born else None


Found = list[tuple[str, str, str, str]]  # member, field, message, severity
SchoolingMemo = dict[
    tuple[Schooling, int | None],
    tuple[str | None, str | None, str | None, tuple[tuple[str, str, str, str], ...]],
]


# The columns of eleves.csv the checks read, in the order `check_pupil` takes their values.
PUPIL_COLUMNS = (
    "id_eleve",
    "nom",
    "prenom",
    "sexe",
    "date_naissance",
    "commune_naissance",
    "departement_naissance",
    "pays_naissance",
    "adresse",
    "code_postal",
    "commune",
    "pays",
)


def pupil_identity(values: Sequence[str]) -> dict[str, Any]:
    """What the findings name a pupil by (`PUPIL_COLUMNS` values of eleves.csv)."""
    return {
        "last_name": values[1][:120],
        "first_name": values[2][:120],
        "birth_date": _birth(values[4])[1],
    }


def check_pupil(
    id_eleve: str,
    values: Sequence[str],  # of eleves.csv, stripped, in PUPIL_COLUMNS order ("" if absent)
    schoolings: list[Schooling],
    classes: dict[str, SchoolClass],
    has_responsable: bool,
    has_authority: bool,
    uai: str,
    year_start: dt.date,
    memo: SchoolingMemo | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The findings about one pupil, and what is kept of them (identity, level, class).

    `memo`, kept by the caller for the pupils of one archive (same classes, UAI and year),
    holds the outcome of each distinct scolarité (and birth year): it depends on nothing else."""
    (
        _id,
        nom,
        prenom,
        sexe,
        date_naissance,
        commune_naissance,
        departement_naissance,
        _pays_naissance,
        adresse,
        code_postal,
        commune,
        pays,
    ) = values
    born, birth_date = _birth(date_naissance)
    found: Found = []
    if not (
        nom
        and prenom
        and sexe in _SEXES
        and born is not None
        and commune_naissance
        and departement_naissance
        and adresse
        and code_postal
        and commune
        and pays
    ):  # the common case is everything there
        _identity(dict(zip(PUPIL_COLUMNS, values, strict=True)), found)
    if not has_authority:
        _responsables(has_responsable, found)
    level, cycle, label = None, None, None
    if len(schoolings) != 1:
        found.append(
            (
                "scolarites.csv",
                "id_eleve",
                "Aucune scolarité en cours"
                if not schoolings
                else f"{len(schoolings)} scolarités en cours au lieu d'une seule",
                ERROR,
            )
        )
    if schoolings:
        if memo is None:
            level, cycle, label = _schooling(schoolings[0], classes, born, uai, year_start, found)
        else:
            key = (schoolings[0], None if born is None else born.year)
            outcome = memo.get(key)
            if outcome is None:
                out: Found = []
                level, cycle, label = _schooling(schoolings[0], classes, born, uai, year_start, out)
                outcome = memo[key] = (level, cycle, label, tuple(out))
            level, cycle, label, schooling_found = outcome
            if schooling_found:
                found += schooling_found
    kept = {
        "last_name": nom[:120],
        "first_name": prenom[:120],
        "birth_date": birth_date,
        "level": level,
        "cycle": cycle,
        "class_label": label,
    }
    if not found:
        return [], kept
    identity = pupil_identity(values)
    findings = [
        finding(id_eleve, identity, member, field, message, severity)
        for member, field, message, severity in found
    ]
    return findings, kept


@dataclass(frozen=True)
class PupilCheck:
    """Everything known about one pupil once the other members are read."""

    id_eleve: str
    row: dict[str, str]  # the known columns of eleves.csv
    schoolings: list[Schooling]
    classes: dict[str, SchoolClass]
    has_responsable: bool
    has_authority: bool
    uai: str
    year_start: dt.date

    def run(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The findings about this pupil, and what is kept of them (identity, level, class)."""
        return check_pupil(
            self.id_eleve,
            [self.row.get(column, "") for column in PUPIL_COLUMNS],
            self.schoolings,
            self.classes,
            self.has_responsable,
            self.has_authority,
            self.uai,
            self.year_start,
        )


def _identity(row: dict[str, str], out: Found) -> None:
    member = "eleves.csv"
    for column, label in (
        ("nom", "Nom"),
        ("prenom", "Prénom"),
        ("sexe", "Sexe"),
        ("date_naissance", "Date de naissance"),
    ):
        if not row.get(column):
            out.append((member, column, f"{label} absent", ERROR))
    sex = row.get("sexe", "")
    if sex and sex.upper() not in {"M", "F"}:
        out.append((member, "sexe", "Sexe invalide : M ou F attendu", ERROR))
    if row.get("date_naissance") and parse_date(row["date_naissance"]) is None:
        out.append((member, "date_naissance", "Date de naissance illisible", ERROR))
    country = row.get("pays_naissance", "")
    born_abroad = bool(country) and not is_france(country)
    place = row.get("commune_naissance") and row.get("departement_naissance")
    if not born_abroad and not place:
        out.append(
            (
                member,
                "commune_naissance",
                "Lieu de naissance absent : commune et département, ou pays étranger",
                ERROR,
            )
        )
    parts = [("adresse", "voie"), ("code_postal", "code postal"), ("commune", "commune")]
    parts.append(("pays", "pays"))
    abroad = bool(row.get("pays")) and not is_france(row.get("pays", ""))
    missing = [
        (column, label)
        for column, label in parts
        if not row.get(column) and not (abroad and column == "code_postal")
    ]
    if missing:
        labels = ", ".join(label for _c, label in missing)
        out.append((member, missing[0][0], f"Adresse de résidence incomplète : {labels}", ERROR))


def _responsables(has_responsable: bool, out: Found) -> None:
    """For a pupil without a responsable with autorité parentale."""
    if not has_responsable:
        out.append(("responsables.csv", "id_eleve", "Aucun responsable", ERROR))
    else:
        out.append(
            (
                "responsables.csv",
                "autorite_parentale",
                "Aucun responsable avec autorité parentale",
                ERROR,
            )
        )


def _schooling(
    s: Schooling,
    classes: dict[str, SchoolClass],
    born: dt.date | None,
    uai: str,
    year_start: dt.date,
    out: Found,
) -> tuple[str | None, str | None, str | None]:
    """Checks the pupil's scolarité into `out`; its level, cycle and class label."""
    member = "scolarites.csv"
    id_classe, code_ecole, niveau, cycle_text, date_debut = s
    level = _level(niveau)
    school_class = classes.get(id_classe)
    label = school_class.label if school_class else None
    if level is None:
        out.append((member, "niveau", f"Niveau inconnu : « {niveau[:20]} »", ERROR))
    if school_class is None:
        out.append((member, "id_classe", "Classe inexistante dans classes.csv", ERROR))
    elif level and level not in school_class.levels:
        out.append(
            (
                member,
                "niveau",
                f"Niveau {level} absent de la classe {school_class.label[:60]}",
                ERROR,
            )
        )
    cycle = None
    if level:
        cycle = _CYCLE_OF[level]
        if _cycle(cycle_text) != cycle:
            out.append(
                (
                    member,
                    "cycle",
                    f"Cycle incohérent avec le niveau {level} : {cycle} attendu",
                    ERROR,
                )
            )
        if born is not None:
            _age(level, born, year_start, out)
    if code_ecole.upper() != uai:
        out.append((member, "code_ecole", f"Code école différent de l'UAI {uai}", ERROR))
    start = parse_date(date_debut)
    if start is None:
        out.append((member, "date_debut", "Date de début de scolarité absente", ERROR))
    elif not year_start <= start <= _year_end(year_start):
        out.append(
            (
                member,
                "date_debut",
                f"Date de début hors de l'année scolaire {year_start.year}-{year_start.year + 1}",
                ERROR,
            )
        )
    return level, cycle, label


def _age(level: str, born: dt.date, year_start: dt.date, out: Found) -> None:
    gap = (year_start.year - born.year) - LEVEL_AGE[level]
    if gap == 0:
        return
    text = "en avance" if gap < 0 else "en retard"
    years = abs(gap)
    message = f"Âge incohérent avec le niveau {level} : {plural(years, 'an')} {text}"
    out.append(("eleves.csv", "date_naissance", message, WARNING if years == 1 else ERROR))
