"""What `check_archive` hands out: the archive check, as typed records.

`ArchiveCheck.as_json` is the spec's result (`shared/formats/ange-export.md`: `relance export
check --json`, the API), key for key and in the same order; `from_json` reads it back. The
pupils kept for the intake (identity, level, class) never leave the process: they are not in
the JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from daemon.ingest.records import INTERNAL, JsonRecord, day

ERROR, WARNING, NOT_ALLOWED = "erreur", "avertissement", "donnee_non_autorisee"


@dataclass(frozen=True, slots=True)
class PupilIdentity(JsonRecord):
    """What a finding names a pupil by."""

    last_name: str
    first_name: str
    birth_date: dt.date | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PupilIdentity:
        return cls(data["last_name"], data["first_name"], day(data["birth_date"]))


@dataclass(frozen=True, slots=True)
class Finding(JsonRecord):
    """One finding of the test de cohérence. For a member or a column (`donnee_non_autorisee`,
    a missing file) `id_eleve` and `pupil` are None and `field` names the member or column."""

    id_eleve: str | None
    pupil: PupilIdentity | None
    member: str
    field: str
    message: str
    severity: str = ERROR  # erreur | avertissement | donnee_non_autorisee

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        pupil = data["pupil"]
        return cls(
            data["id_eleve"],
            None if pupil is None else PupilIdentity.from_json(pupil),
            data["member"],
            data["field"],
            data["message"],
            data["severity"],
        )


class ArchivePupil(NamedTuple):
    """What is kept of a pupil of the archive, for the intake: identity, level and class.
    (A named tuple: one is made per pupil, and a frozen dataclass costs three times more.)"""

    last_name: str
    first_name: str
    birth_date: dt.date | None
    level: str | None
    cycle: str | None
    class_label: str | None


@dataclass(frozen=True, slots=True)
class HeadcountTable(JsonRecord):
    """The tableau d'effectif: pupils in all, per level, per class and level, per cycle."""

    total: int
    by_level: Mapping[str, int]
    by_class: Mapping[str, Mapping[str, int]]
    by_cycle: Mapping[str, int]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HeadcountTable:
        by_class = {label: dict(levels) for label, levels in data["by_class"].items()}
        return cls(data["total"], dict(data["by_level"]), by_class, dict(data["by_cycle"]))


@dataclass(frozen=True, slots=True)
class ArchiveCheck(JsonRecord):
    """The check of one archive: refused (with a French `refusal`, no headcount), or accepted
    with its headcount and findings."""

    uai: str | None
    accepted: bool
    refusal: str | None
    members: tuple[str, ...] = ()
    headcount: HeadcountTable | None = None
    findings: tuple[Finding, ...] = ()
    pupils: tuple[ArchivePupil, ...] = field(default=(), metadata=INTERNAL)  # for the intake

    @classmethod
    def refused(
        cls, uai: str | None, reason: str, members: list[str] | None = None
    ) -> ArchiveCheck:
        return cls(uai, False, reason, tuple(members or ()))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArchiveCheck:
        headcount = data["headcount"]
        return cls(
            data["uai"],
            bool(data["accepted"]),
            data["refusal"],
            tuple(data["members"]),
            None if headcount is None else HeadcountTable.from_json(headcount),
            tuple(Finding.from_json(finding) for finding in data["findings"]),
        )

    def count(self, severity: str) -> int:
        """How many findings have this severity."""
        return sum(1 for finding in self.findings if finding.severity == severity)
