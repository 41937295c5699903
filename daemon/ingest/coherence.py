"""The test de cohérence of one pupil of the export archive, as pure functions.

Addresses and responsables are only looked at to say whether they are complete: no message
ever quotes their values (only the pupil's identity, which the findings are about)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from daemon.codes import LEVEL_AGE, cycle_of, fold, normalise_cycle, normalise_level


@lru_cache(maxsize=8)
def _year_end(start: dt.date) -> dt.date:
    return dt.date(start.year + 1, 8, 31)


_level = lru_cache(maxsize=512)(normalise_level)
_cycle = lru_cache(maxsize=512)(normalise_cycle)
ERROR, WARNING, NOT_ALLOWED = "erreur", "avertissement", "donnee_non_autorisee"
_SEXES = {"M", "F", "m", "f"}
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_YES = {"oui", "o", "yes", "1", "vrai", "true"}


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


@dataclass
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
    identity: dict[str, Any] = field(init=False)  # what the findings name the pupil by

    def __post_init__(self) -> None:
        self.identity = self._identity_of()

    def _identity_of(self) -> dict[str, Any]:
        born = parse_date(self.row.get("date_naissance", ""))
        return {
            "last_name": self.row.get("nom", "")[:120],
            "first_name": self.row.get("prenom", "")[:120],
            "birth_date": born.isoformat() if born else None,
        }

    def run(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The findings about this pupil, and what is kept of them (identity, level, class)."""
        found: list[tuple[str, str, str, str]] = []  # member, field, message, severity
        found += self._identity()
        if not self.has_authority:
            found += self._responsables()
        level, cycle, label = None, None, None
        if len(self.schoolings) != 1:
            found.append(
                (
                    "scolarites.csv",
                    "id_eleve",
                    "Aucune scolarité en cours"
                    if not self.schoolings
                    else f"{len(self.schoolings)} scolarités en cours au lieu d'une seule",
                    ERROR,
                )
            )
        if self.schoolings:
            schooling_found, level, label = self._schooling(self.schoolings[0])
            found += schooling_found
            cycle = cycle_of(level) if level else None
        identity = self.identity
        findings = (
            [
                finding(self.id_eleve, identity, member, field, message, severity)
                for member, field, message, severity in found
            ]
            if found
            else []
        )
        kept = {**identity, "level": level, "cycle": cycle, "class_label": label}
        return findings, kept

    def _identity(self) -> list[tuple[str, str, str, str]]:
        row = self.row
        out: list[tuple[str, str, str, str]] = []
        get = row.get
        if (
            get("nom")
            and get("prenom")
            and get("sexe") in _SEXES
            and self.identity["birth_date"]
            and get("commune_naissance")
            and get("departement_naissance")
            and get("adresse")
            and get("code_postal")
            and get("commune")
            and get("pays")
        ):
            return out  # the common case: everything there
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
            out.append(
                (member, missing[0][0], f"Adresse de résidence incomplète : {labels}", ERROR)
            )
        return out

    def _responsables(self) -> list[tuple[str, str, str, str]]:
        if not self.has_responsable:
            return [("responsables.csv", "id_eleve", "Aucun responsable", ERROR)]
        if not self.has_authority:
            return [
                (
                    "responsables.csv",
                    "autorite_parentale",
                    "Aucun responsable avec autorité parentale",
                    ERROR,
                )
            ]
        return []

    def _schooling(self, s: Schooling) -> tuple[list[tuple[str, str, str, str]], str | None, Any]:
        member, out = "scolarites.csv", []
        level = _level(s.niveau)
        school_class = self.classes.get(s.id_classe)
        label = school_class.label if school_class else None
        if level is None:
            out.append((member, "niveau", f"Niveau inconnu : « {s.niveau[:20]} »", ERROR))
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
        if level:
            cycle = _cycle(s.cycle)
            if cycle != cycle_of(level):
                out.append(
                    (
                        member,
                        "cycle",
                        f"Cycle incohérent avec le niveau {level} : {cycle_of(level)} attendu",
                        ERROR,
                    )
                )
            out += self._age(level)
        if s.code_ecole.upper() != self.uai:
            out.append((member, "code_ecole", f"Code école différent de l'UAI {self.uai}", ERROR))
        start = parse_date(s.date_debut)
        year_end = _year_end(self.year_start)
        if start is None:
            out.append((member, "date_debut", "Date de début de scolarité absente", ERROR))
        elif not self.year_start <= start <= year_end:
            out.append(
                (
                    member,
                    "date_debut",
                    f"Date de début hors de l'année scolaire {self.year_start.year}-"
                    f"{self.year_start.year + 1}",
                    ERROR,
                )
            )
        return out, level, label

    def _age(self, level: str) -> list[tuple[str, str, str, str]]:
        born = parse_date(self.row.get("date_naissance", ""))
        if born is None:
            return []
        gap = (self.year_start.year - born.year) - LEVEL_AGE[level]
        if gap == 0:
            return []
        text = "en avance" if gap < 0 else "en retard"
        years = abs(gap)
        message = f"Âge incohérent avec le niveau {level} : {years} an(s) {text}"
        return [("eleves.csv", "date_naissance", message, WARNING if years == 1 else ERROR)]
