"""What `check_archive` hands out: the archive check, as typed records.

`ArchiveCheck.as_json` is the spec's result (`shared/formats/ange-export.md`: `relance export
check --json`, the API), key for key and in the same order; `from_json` reads it back. The
pupils kept for the intake (identity, level, class) never leave the process: they are not in
the JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, NamedTuple

from daemon.ingest.records import INTERNAL, JsonRecord

ERROR, WARNING, NOT_ALLOWED = "erreur", "avertissement", "donnee_non_autorisee"


@dataclass(frozen=True, slots=True)
class PupilIdentity(JsonRecord):
    """What a finding names a pupil by."""

    last_name: str
    first_name: str
    birth_date: dt.date | None


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
    pupils: Annotated[tuple[ArchivePupil, ...], INTERNAL] = ()  # for the intake only

    @classmethod
    def refused(
        cls, uai: str | None, reason: str, members: list[str] | None = None
    ) -> ArchiveCheck:
        return cls(uai, False, reason, tuple(members or ()))

    def count(self, severity: str) -> int:
        """How many findings have this severity."""
        return sum(1 for finding in self.findings if finding.severity == severity)
