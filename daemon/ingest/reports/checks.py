"""What a compte rendu says about itself, checked: the school's UAI, counters against rows.

The wording of these warnings is part of the parser's output (tests compare whole results).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from daemon.codes import InvalidUAI, find_uais, normalise_uai, parse_uai, pupil_key
from daemon.ingest.records import iso
from daemon.ingest.reports.records import AnomalyRow, Counts, IneSection
from daemon.wording import agree, plural

_UAI_IN_PARENS = re.compile(r"^(.*?)\s*\(\s*([0-9A-Za-z ]{8,10})\s*\)\s*$")


def school_fields(header: dict[str, str]) -> tuple[str | None, str | None, list[str]]:
    """(uai, school name, warnings) from the `École` and `UAI` header lines."""
    warnings: list[str] = []
    school = header.get("school")
    name, raw_uai = school, None
    if school:
        match = _UAI_IN_PARENS.match(school)
        if match:
            name, raw_uai = match.group(1), match.group(2)
        elif found := find_uais(school):
            raw_uai = found[0]
            name = school.replace(found[0], "").strip(" -–,()")
    alone = header.get("uai")
    if alone and raw_uai and normalise_uai(alone) != normalise_uai(raw_uai):
        warnings.append(f"UAI différents : {raw_uai} (école) et {alone} (UAI)")
    raw_uai = raw_uai or alone
    uai = None
    if raw_uai:
        try:
            uai = parse_uai(raw_uai)
        except InvalidUAI as exc:
            warnings.append(str(exc))
    else:
        warnings.append("UAI absent du compte rendu")
    return uai, (name or None), warnings


def _pupils(rows: Iterable[AnomalyRow]) -> int:
    return len({pupil_key(r.last_name or "", r.first_name or "", iso(r.birth_date)) for r in rows})


def _agrees(announced: int | None, *found: int) -> bool:
    return announced is None or announced in found


def _announced(count: int | None) -> str:
    """« 3 annoncés », « 1 annoncé »."""
    return f"{count} {agree(count, 'annoncé', 'annoncés')}" if isinstance(count, int) else "?"


def consistency_warnings(
    counts: Counts, anomalies: Sequence[AnomalyRow], ine: IneSection
) -> list[str]:
    """One warning per counter that disagrees with the rows found."""
    warnings: list[str] = []
    read, integrated, rejected = counts.read, counts.integrated, counts.rejected
    if (
        read is not None
        and integrated is not None
        and rejected is not None
        and read != integrated + rejected
    ):
        warnings.append(
            f"Élèves lus : {_announced(read)}, mais intégrés ({integrated}) + rejetés "
            f"({rejected}) = {integrated + rejected}"
        )
    for announced, severity, label in (
        (counts.rejected, "rejet", "Élèves rejetés"),
        (counts.warnings, "avertissement", "Avertissements"),
    ):
        rows = [a for a in anomalies if a.severity == severity]
        pupils = _pupils(rows)
        if not _agrees(announced, len(rows), pupils):
            warnings.append(
                f"{label} : {_announced(announced)}, "
                f"{plural(pupils, 'élève trouvé', 'élèves trouvés')} "
                "dans le tableau des anomalies"
            )
    return warnings + _ine_warnings(ine)


def _ine_warnings(ine: IneSection) -> list[str]:
    warnings: list[str] = []
    waiting = len(ine.waiting)
    en_attente = sum(1 for p in ine.pupils if p.status == "en_attente")
    if not _agrees(ine.pending, waiting, en_attente):
        warnings.append(
            f"Élèves en attente d'INE : {_announced(ine.pending)}, "
            f"{plural(waiting, 'élève sans INE', 'élèves sans INE')} "
            "dans le tableau INE"
        )
    attributed = len(ine.pupils) - waiting
    if attributed and not _agrees(ine.attributed, attributed):
        warnings.append(
            f"Élèves immatriculés : {_announced(ine.attributed)}, "
            f"{plural(attributed, 'élève avec INE', 'élèves avec INE')} "
            "dans le tableau INE"
        )
    return warnings
