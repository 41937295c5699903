"""Generated, realistic documents for the demo: pupils per school (class sizes from the real
headcount open data), the export archive `<UAI>.zip` in the recognised layout, and comptes
rendus as directors copy them from ONDE's screen. Deterministic for a given seed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import tomllib
import zipfile
from dataclasses import dataclass

from daemon import DATA_DIR
from daemon.codes import LEVEL_AGE, cycle_of
from daemon.ingest.exports.layout import layout_headers

DATA = DATA_DIR / "demo"
_NAMES = tomllib.loads((DATA / "names.toml").read_text(encoding="utf-8"))
LAST_NAMES: list[str] = _NAMES["last_names"]
FIRST_NAMES: list[str] = _NAMES["first_names"]
BIRTH_PLACES = ("Rennes", "Saint-Malo", "Fougères", "Vitré", "Redon", "Nantes", "Brest")
ANOMALIES = (
    (
        "Lieu de naissance",
        "Commune de naissance inconnue dans le référentiel INSEE pour l'année de naissance",
        "Rejet",
    ),
    ("Adresse", "Adresse de résidence incomplète : code postal absent", "Rejet"),
    ("Niveau", "Niveau incohérent avec l'âge de l'élève", "Avertissement"),
    ("Responsable", "Aucun responsable avec autorité parentale", "Rejet"),
    ("Doublon", "Élève déjà présent dans une autre école", "Avertissement"),
)
INE_PENDING = ("EN ATTENTE", "EN ATTENTE", "EN ATTENTE", "LITIGE", "NON TRAITE")


@dataclass(frozen=True)
class DemoPupil:
    id: str
    last_name: str
    first_name: str
    sex: str
    birth_date: dt.date
    level: str
    class_name: str


def headcounts() -> dict[str, dict[str, int]]:
    """Pupils per level for each school of the open data (latest year known)."""
    levels = {"CP": 16, "CE1": 17, "CE2": 18, "CM1": 19, "CM2": 20}
    result: dict[str, tuple[int, dict[str, int]]] = {}
    with (DATA / "ecoles-effectifs-2019-2022.csv").open(encoding="utf-8-sig") as handle:
        for row in csv.reader(handle, delimiter=";"):
            if not row or not row[0].isdigit():
                continue
            year = int(row[0])
            if row[5] in result and result[row[5]][0] >= year:
                continue
            counts = {lv: int(row[i] or 0) for lv, i in levels.items()}
            pre = int(row[13] or 0)
            counts.update({"PS": pre // 3, "MS": pre // 3, "GS": pre - 2 * (pre // 3)})
            result[row[5]] = (year, {k: v for k, v in counts.items() if v})
    return {uai: counts for uai, (_year, counts) in result.items()}


def make_pupils(
    uai: str, counts: dict[str, int] | None, rng: random.Random, year: int
) -> list[DemoPupil]:
    counts = counts or {
        lv: rng.randint(8, 26) for lv in ("PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2")
    }
    pupils: list[DemoPupil] = []
    for level, count in counts.items():
        class_name = f"{level} {rng.choice(('Mme Durand', 'M. Le Goff', 'Mme Tanguy', 'Mme Roux'))}"
        for _ in range(min(count, 40)):
            born = dt.date(year - LEVEL_AGE[level], 1, 1) + dt.timedelta(days=rng.randint(0, 364))
            pupils.append(
                DemoPupil(
                    f"E{len(pupils) + 1:04d}",
                    rng.choice(LAST_NAMES),
                    rng.choice(FIRST_NAMES),
                    rng.choice("MF"),
                    born,
                    level,
                    class_name,
                )
            )
    return pupils


def archive(uai: str, pupils: list[DemoPupil], rentree: dt.date) -> bytes:
    """`<UAI>.zip` with the four members of the recognised layout (UTF-8, `;`)."""
    classes = sorted({(p.class_name, p.level) for p in pupils})
    class_ids = {name: f"C{i + 1}" for i, (name, _lv) in enumerate(classes)}
    members = {name: [header] for name, header in layout_headers().items()}
    for name, level in classes:
        members["classes.csv"].append([class_ids[name], name, level, "Contrat d'association"])
    for n, p in enumerate(pupils):
        members["eleves.csv"].append(
            [
                p.id,
                p.last_name,
                p.first_name,
                p.sex,
                "M." if p.sex == "M" else "Mme",
                p.birth_date.strftime("%d/%m/%Y"),
                BIRTH_PLACES[n % len(BIRTH_PLACES)],
                "35",
                "France",
                f"{n % 90 + 1} rue des Écoles",
                "35000",
                "Rennes",
                "France",
            ]
        )
        members["responsables.csv"].append(
            [f"R{n + 1:04d}", p.id, p.last_name, "Camille", "Mme", "MERE", "Oui"]
        )
        members["scolarites.csv"].append(
            [
                p.id,
                class_ids[p.class_name],
                uai,
                "Ordinaire",
                p.level,
                cycle_of(p.level),
                rentree.strftime("%d/%m/%Y"),
            ]
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, rows in members.items():
            text = io.StringIO()
            csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(rows)
            zf.writestr(name, text.getvalue())
    return buffer.getvalue()


def compte_rendu(
    uai: str,
    school_name: str,
    pupils: list[DemoPupil],
    *,
    submitted: dt.datetime,
    processed: dt.datetime,
    errors: int,
    pending: int,
    rng: random.Random,
) -> str:
    """A compte rendu as copied from ONDE's screen (tab-separated table rows)."""
    in_error = rng.sample(pupils, min(errors, len(pupils)))
    others = [p for p in pupils if p not in in_error]
    waiting = rng.sample(others, min(pending, len(others)))
    anomalies = [(p, rng.choice(ANOMALIES)) for p in in_error]
    rejected = sum(1 for _p, a in anomalies if a[2] == "Rejet")
    lines = [
        "Compte rendu d'import",
        f"École : {school_name.upper()} ({uai})",
        f"Fichier : {uai}.zip",
        f"Déposé le : {submitted:%d/%m/%Y} à {submitted:%H:%M}",
        f"Traité le : {processed:%d/%m/%Y} à {processed:%H:%M}",
        "",
        f"Élèves lus : {len(pupils)}",
        f"Élèves intégrés : {len(pupils) - rejected}",
        f"Élèves rejetés : {rejected}",
        f"Avertissements : {len(anomalies) - rejected}",
        "",
        *_anomaly_section(anomalies),
        "",
        "Immatriculation (INE)",
        f"Élèves immatriculés : {len(pupils) - rejected - len(waiting)}",
        f"Élèves en attente d'INE : {len(waiting)}",
        *_ine_section(waiting, rng),
    ]
    return "\n".join(lines) + "\n"


def _anomaly_section(anomalies: list[tuple[DemoPupil, tuple[str, str, str]]]) -> list[str]:
    if not anomalies:
        return ["Anomalies", "Aucune anomalie"]
    return [
        "Anomalies",
        "Nom\tPrénom\tNé(e) le\tRubrique\tMessage\tGravité",
        *(
            f"{p.last_name}\t{p.first_name}\t{p.birth_date:%d/%m/%Y}\t{a[0]}\t{a[1]}\t{a[2]}"
            for p, a in anomalies
        ),
    ]


def _ine_section(waiting: list[DemoPupil], rng: random.Random) -> list[str]:
    if not waiting:
        return []
    return [
        "Nom\tPrénom\tNé(e) le\tStatut INE",
        *(
            f"{p.last_name}\t{p.first_name}\t{p.birth_date:%d/%m/%Y}\t{rng.choice(INE_PENDING)}"
            for p in waiting
        ),
    ]


__all__ = ["DemoPupil", "archive", "compte_rendu", "headcounts", "make_pupils"]
