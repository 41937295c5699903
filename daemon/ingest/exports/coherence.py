"""The test de cohérence of one pupil of the export archive, as pure functions.

Addresses and responsables are only looked at to say whether they are complete: no message
ever quotes their values (only the pupil's identity, which the findings are about)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from daemon.codes import CYCLE_OF_LEVEL, LEVEL_AGE, cycle_of, fold, normalise_cycle, normalise_level
from daemon.ingest.exports.records import ERROR, WARNING, ArchivePupil, Finding, PupilIdentity
from daemon.wording import plural


@lru_cache(maxsize=8)
def _year_end(start: dt.date) -> dt.date:
    return dt.date(start.year + 1, 8, 31)


_level = lru_cache(maxsize=512)(normalise_level)
_cycle = lru_cache(maxsize=512)(normalise_cycle)
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


def pupil_identity(values: Sequence[str]) -> PupilIdentity:
    """What the findings name a pupil by (`PUPIL_COLUMNS` values of eleves.csv)."""
    return PupilIdentity(values[1][:120], values[2][:120], parse_date(values[4]))


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
) -> tuple[list[Finding], ArchivePupil]:
    """The findings about one pupil, and what is kept of them (identity, level, class).

    `memo`, kept by the caller for the pupils of one archive (same classes, UAI and year),
    holds the outcome of each distinct scolarité (and birth year): it depends on nothing else."""
    born = parse_date(values[4])
    found: Found = []
    if not _complete(values, born):  # the common case is everything there
        _identity(dict(zip(PUPIL_COLUMNS, values, strict=True)), found)
    if not has_authority:
        _responsables(has_responsable, found)
    level, cycle, label = _schoolings(schoolings, classes, born, uai, year_start, memo, found)
    kept = ArchivePupil(values[1][:120], values[2][:120], born, level, cycle, label)
    if not found:
        return [], kept
    identity = pupil_identity(values)
    return [Finding(id_eleve, identity, *each) for each in found], kept


def _complete(values: Sequence[str], born: dt.date | None) -> bool:
    """Whether every column the identity checks look at is there and well formed."""
    (
        _id,
        nom,
        prenom,
        sexe,
        _date_naissance,
        commune_naissance,
        departement_naissance,
        _pays_naissance,
        adresse,
        code_postal,
        commune,
        pays,
    ) = values
    return bool(
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
    )


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

    def run(self) -> tuple[list[Finding], ArchivePupil]:
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


_SCOLARITES = "scolarites.csv"
Placed = tuple[str | None, str | None, str | None]  # level, cycle, class label


def _schoolings(
    schoolings: list[Schooling],
    classes: dict[str, SchoolClass],
    born: dt.date | None,
    uai: str,
    year_start: dt.date,
    memo: SchoolingMemo | None,
    out: Found,
) -> Placed:
    """Checks the pupil's scolarités into `out` (exactly one is expected); the level, cycle
    and class label of the first, through the memo when there is one."""
    if len(schoolings) != 1:
        message = (
            f"{len(schoolings)} scolarités en cours au lieu d'une seule"
            if schoolings
            else "Aucune scolarité en cours"
        )
        out.append((_SCOLARITES, "id_eleve", message, ERROR))
    if not schoolings:
        return None, None, None
    if memo is None:
        return _schooling(schoolings[0], classes, born, uai, year_start, out)
    key = (schoolings[0], None if born is None else born.year)
    outcome = memo.get(key)
    if outcome is None:
        found: Found = []
        level, cycle, label = _schooling(schoolings[0], classes, born, uai, year_start, found)
        outcome = memo[key] = (level, cycle, label, tuple(found))
    out += outcome[3]
    return outcome[0], outcome[1], outcome[2]


def _schooling(
    s: Schooling,
    classes: dict[str, SchoolClass],
    born: dt.date | None,
    uai: str,
    year_start: dt.date,
    out: Found,
) -> Placed:
    """Checks one scolarité into `out`; its level, cycle and class label."""
    id_classe, code_ecole, niveau, cycle_text, date_debut = s
    level = _level(niveau)
    school_class = classes.get(id_classe)
    _level_in_class(level, niveau, school_class, out)
    cycle = None
    if level:
        cycle = _CYCLE_OF[level]
        if _cycle(cycle_text) != cycle:
            message = f"Cycle incohérent avec le niveau {level} : {cycle} attendu"
            out.append((_SCOLARITES, "cycle", message, ERROR))
        if born is not None:
            _age(level, born, year_start, out)
    _school_and_start(code_ecole, date_debut, uai, year_start, out)
    return level, cycle, school_class.label if school_class else None


def _school_and_start(
    code_ecole: str, date_debut: str, uai: str, year_start: dt.date, out: Found
) -> None:
    if code_ecole.upper() != uai:
        out.append((_SCOLARITES, "code_ecole", f"Code école différent de l'UAI {uai}", ERROR))
    start = parse_date(date_debut)
    if start is None:
        out.append((_SCOLARITES, "date_debut", "Date de début de scolarité absente", ERROR))
    elif not year_start <= start <= _year_end(year_start):
        year = f"{year_start.year}-{year_start.year + 1}"
        message = f"Date de début hors de l'année scolaire {year}"
        out.append((_SCOLARITES, "date_debut", message, ERROR))


def _level_in_class(
    level: str | None, niveau: str, school_class: SchoolClass | None, out: Found
) -> None:
    if level is None:
        out.append((_SCOLARITES, "niveau", f"Niveau inconnu : « {niveau[:20]} »", ERROR))
    if school_class is None:
        out.append((_SCOLARITES, "id_classe", "Classe inexistante dans classes.csv", ERROR))
    elif level and level not in school_class.levels:
        message = f"Niveau {level} absent de la classe {school_class.label[:60]}"
        out.append((_SCOLARITES, "niveau", message, ERROR))


def _age(level: str, born: dt.date, year_start: dt.date, out: Found) -> None:
    gap = (year_start.year - born.year) - LEVEL_AGE[level]
    if gap == 0:
        return
    text = "en avance" if gap < 0 else "en retard"
    years = abs(gap)
    message = f"Âge incohérent avec le niveau {level} : {plural(years, 'an')} {text}"
    out.append(("eleves.csv", "date_naissance", message, WARNING if years == 1 else ERROR))
