"""Checking an export archive `<UAI>.zip`: refuse it safely, or read the recognised layout and
run the test de cohérence (spec: shared/formats/ange-export.md).

`check_archive` never writes anything and never raises on a hostile file: it returns a refusal.
What it returns (`records.ArchiveCheck`) keeps the pupils' identity, level and class, the
headcount and the findings — never an address nor a responsable (they are read to check them,
then dropped)."""

from __future__ import annotations

import csv
import datetime as dt
import logging
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from pathlib import PurePosixPath
from typing import Any

from daemon.codes import (
    UAI_IN_TEXT,
    InvalidUAI,
    normalise_uai,
    parse_uai,
    printable,
    split_levels,
)
from daemon.ingest.exports.coherence import (
    PUPIL_COLUMNS,
    SchoolClass,
    Schooling,
    SchoolingMemo,
    check_pupil,
    is_yes,
    pupil_identity,
)
from daemon.ingest.exports.headcount import Headcount
from daemon.ingest.exports.layout import MEMBERS, Aliases, Header, load_aliases, read_header
from daemon.ingest.exports.records import (
    ERROR,
    NOT_ALLOWED,
    WARNING,
    ArchiveCheck,
    ArchivePupil,
    Finding,
)
from daemon.ingest.exports.safezip import MB, ZIP_ERRORS, ArchiveRefused, SafeZip, ZipLimits
from daemon.wording import agree

log = logging.getLogger(__name__)
READ_ERRORS = (*ZIP_ERRORS, csv.Error)


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int = 20
    max_total_mb: int = 100
    max_ratio: int = 100
    aliases_file: str = ""

    @classmethod
    def from_settings(cls, s: Any) -> ArchiveLimits:
        limits = cls(s.max_members, s.max_total_mb, s.max_ratio, s.aliases_file)
        limits.aliases  # noqa: B018 — a broken alias file fails now, not on the first archive
        return limits

    @property
    def aliases(self) -> Aliases:
        return load_aliases(self.aliases_file)

    @property
    def zip(self) -> ZipLimits:
        return ZipLimits(self.max_members, self.max_total_mb * MB, self.max_ratio)


def uai_of_filename(filename: str) -> str:
    """The UAI of `<UAI>.zip`, or ArchiveRefused saying what is wrong with the name."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    stem, dot, extension = name.rpartition(".")
    if not dot or extension.lower() != "zip":
        raise ArchiveRefused(f"le nom « {name[:100]} » n'est pas de la forme <UAI>.zip")
    try:
        return parse_uai(stem)
    except InvalidUAI as exc:
        raise ArchiveRefused(f"le nom de l'archive ne donne pas un UAI valide : {exc}") from exc


def check_archive(
    data: bytes,
    filename: str,
    *,
    limits: ArchiveLimits,
    school_year_start: dt.date,
    expected_uai: str | None = None,
    known_uais: set[str] | None = None,
) -> ArchiveCheck:
    """The check result (see the module doc); a refusal rather than an exception."""
    uai: str | None = None
    try:
        uai = uai_of_filename(filename)
        if expected_uai and uai != expected_uai:
            raise ArchiveRefused(
                f"l'archive est celle de l'école {uai}, pas de l'école {expected_uai} "
                "pour laquelle elle a été déposée"
            )
        if known_uais is not None and uai not in known_uais:
            raise ArchiveRefused(f"l'école {uai} n'est pas suivie par cette installation")
        archive = SafeZip(data, limits.zip)
    except ArchiveRefused as exc:
        return ArchiveCheck.refused(uai, exc.reason, exc.members)
    try:
        reader = _Reader(archive, limits.aliases, uai, school_year_start)
        return reader.run()
    except ArchiveRefused as exc:
        return ArchiveCheck.refused(uai, exc.reason, archive.names)
    except READ_ERRORS as exc:
        log.info("archive %s unreadable: %s", uai, type(exc).__name__)
        return ArchiveCheck.refused(
            uai, "l'archive est abîmée : un de ses fichiers ne peut pas être lu", archive.names
        )


class _Reader:
    def __init__(self, archive: SafeZip, aliases: Aliases, uai: str, year_start: dt.date) -> None:
        self.archive, self.aliases, self.uai, self.year_start = archive, aliases, uai, year_start
        self.findings: list[Finding] = []
        self.members: dict[str, zipfile.ZipInfo] = {}
        self.headers: dict[str, Header] = {}

    def note(self, member: str, field: str, message: str, severity: str = ERROR) -> None:
        self.findings.append(Finding(None, None, member, field, message, severity))

    def run(self) -> ArchiveCheck:
        self._sort_members()
        classes = self._classes()
        schoolings = self._schoolings()
        other = other_school(schoolings, self.uai)
        if other is not None:
            raise ArchiveRefused(f"archive d'une autre école ({other})")
        responsables, authority = self._responsables()
        headcount = Headcount()
        pupils = self._pupils(classes, schoolings, responsables, authority, headcount)
        for id_eleve in sorted(schoolings)[:1000]:
            self.findings.append(
                Finding(
                    id_eleve,
                    None,
                    "scolarites.csv",
                    "id_eleve",
                    "Scolarité d'un élève absent de eleves.csv",
                    ERROR,
                )
            )
        return ArchiveCheck(
            self.uai,
            True,
            None,
            tuple(self.archive.names),
            headcount.table(),
            tuple(self.findings),
            tuple(pupils),
        )

    def _sort_members(self) -> None:
        for info in self.archive.infos:
            member = self.aliases.member_of(info.filename)
            if member is None:
                self.note(
                    printable(info.filename, 200),
                    printable(info.filename, 200),
                    "Fichier hors de la liste des données autorisées : non lu",
                    NOT_ALLOWED,
                )
            elif member in self.members:
                self.note(
                    printable(info.filename, 200),
                    printable(info.filename, 200),
                    f"Deuxième fichier {member}.csv dans l'archive : non lu",
                    WARNING,
                )
            else:
                self.members[member] = info
        for member in MEMBERS:
            if member not in self.members:
                self.note(f"{member}.csv", f"{member}.csv", f"Fichier {member}.csv absent")

    def _open(self, member: str) -> tuple[Header, Iterator[list[str]]] | None:
        """A member's header (unknown columns reported, never read) and its remaining rows;
        None when the member is absent, empty or lacks a required column (each noted)."""
        info = self.members.get(member)
        if info is None:
            return None
        rows = self.archive.rows(info)
        for first in rows:
            header = read_header(self.aliases, member, first)
            for column in header.unknown:
                self.note(
                    f"{member}.csv",
                    column,
                    "Colonne hors de la liste des données autorisées : non lue",
                    NOT_ALLOWED,
                )
            if header.missing:
                self.note(
                    f"{member}.csv",
                    header.missing[0],
                    f"{agree(len(header.missing), 'Colonne absente', 'Colonnes absentes')} : "
                    f"{', '.join(header.missing)} ; fichier non lu",
                )
                return None
            self.headers[member] = header
            return header, rows
        self.note(f"{member}.csv", f"{member}.csv", f"Fichier {member}.csv vide")
        return None

    def _rows(self, member: str, columns: tuple[str, ...]) -> Iterator[list[str]]:
        """`columns` of each non-blank row, in that order (stripped; "" for an absent optional
        column); the other columns of the member are never looked at."""
        opened = self._open(member)
        if opened is None:
            return
        header, rows = opened
        positions = [header.index.get(c) for c in columns]
        indices = [i for i in positions if i is not None]
        if len(indices) == len(positions) and len(indices) > 1:
            wide = max(header.last, 1)  # longer rows hold every known column and are not blank
            pick, strip = itemgetter(*indices), str.strip  # the columns taken out in C
            for row in rows:
                if len(row) > wide:
                    yield list(map(strip, pick(row)))
                elif row and (len(row) > 1 or row[0].strip()):
                    yield _picked(row, positions)
        else:
            for row in rows:
                if row and (len(row) > 1 or row[0].strip()):
                    yield _picked(row, positions)

    def _values(self, member: str, columns: tuple[str, ...]) -> list[list[str]]:
        """`_rows` of a member kept whole (the ones looked up per pupil)."""
        return list(self._rows(member, columns))

    def _classes(self) -> dict[str, SchoolClass]:
        classes: dict[str, SchoolClass] = {}
        for id_classe, name, levels in self._rows("classes", ("id_classe", "nom", "niveaux")):
            label = name[:120] or id_classe[:120]
            classes[id_classe] = SchoolClass(label, _levels_of(levels))
        return classes

    def _schoolings(self) -> dict[str, list[Schooling]]:
        found: dict[str, list[Schooling]] = {}
        columns = ("id_classe", "code_ecole", "niveau", "cycle", "date_debut", "id_eleve")
        new = tuple.__new__  # Schooling._make without its length check: 5 values by construction
        for values in self._values("scolarites", columns):
            id_eleve = values.pop()
            schooling = new(Schooling, values)
            group = found.get(id_eleve)
            if group is None:
                found[id_eleve] = [schooling]
            else:
                group.append(schooling)
        return found

    def _responsables(self) -> tuple[set[str], set[str]]:
        """Which pupils have a responsable, and one with autorité parentale. Only these two
        columns are looked at; names and everything else of the row are dropped at once."""
        rows = self._values("responsables", ("id_eleve", "autorite_parentale"))
        anyone = {id_eleve for id_eleve, _flag in rows}
        authority = {id_eleve for id_eleve, flag in rows if is_yes(flag)}
        return anyone, authority

    def _pupils(
        self,
        classes: dict[str, SchoolClass],
        schoolings: dict[str, list[Schooling]],
        responsables: set[str],
        authority: set[str],
        headcount: Headcount,
    ) -> list[ArchivePupil]:
        pupils: list[ArchivePupil] = []
        seen: set[str] = set()
        uai, year_start, findings = self.uai, self.year_start, self.findings
        memo: SchoolingMemo = {}  # for this archive only
        placed: list[tuple[str | None, str | None]] = []  # (level, class) of each pupil
        for row in self._rows("eleves", PUPIL_COLUMNS):
            id_eleve = row[0][:40]
            if not id_eleve or id_eleve in seen:
                findings.append(
                    Finding(
                        id_eleve or None,
                        pupil_identity(row),
                        "eleves.csv",
                        "id_eleve",
                        "Identifiant d'élève absent" if not id_eleve else "Élève en double",
                    )
                )
                continue
            seen.add(id_eleve)
            found, kept = check_pupil(
                id_eleve,
                row,
                schoolings.pop(id_eleve, []),
                classes,
                id_eleve in responsables,
                id_eleve in authority,
                uai,
                year_start,
                memo,
            )
            if found:
                findings.extend(found)
            placed.append((kept.level, kept.class_label))
            if kept.last_name or kept.first_name:
                pupils.append(kept)
        headcount.add_all(placed)
        return pupils


OTHER_SCHOOL_SHARE = 0.9  # "every, or nearly every" scolarité names the other school


def other_school(schoolings: dict[str, list[Schooling]], uai: str) -> str | None:
    """The school code that (nearly) every scolarité carries when it is not `uai`: the archive
    is then another school's, named for this one. A few mismatching rows are per-pupil errors
    instead; a code without the shape of a UAI (7 digits, a letter) names no school."""
    written = Counter(s.code_ecole for group in schoolings.values() for s in group)
    codes: Counter[str] = Counter()
    for code, count in written.items():  # "0441234c" and "0441234 C" are one code
        codes[normalise_uai(code)] += count
    codes.pop("", None)
    total = codes.total()
    if not total:
        return None
    found, count = codes.most_common(1)[0]
    if count < total * OTHER_SCHOOL_SHARE or found == uai or not UAI_IN_TEXT.fullmatch(found):
        return None
    return found


def _picked(row: list[str], positions: list[int | None]) -> list[str]:
    """The values at `positions` of a short row, stripped ("" past its end or for None)."""
    size = len(row)
    return [row[i].strip() if i is not None and i < size else "" for i in positions]


@lru_cache(maxsize=512)
def _levels_of(niveaux: str) -> frozenset[str]:
    """The levels of a class, read once per distinct `niveaux` text."""
    return frozenset(split_levels(niveaux))
