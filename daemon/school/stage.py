"""Pure rules: a school's stage in the campaign, derived from its evidence and `now`.

Nothing here touches the database or the clock: callers gather the evidence (see
`daemon.school.followup.load_evidence`) and pass the time they read once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from daemon.wording import plural
from db.states import STAGE_LABELS, STAGE_ORDER, Stage

PARIS = ZoneInfo("Europe/Paris")

__all__ = ["STAGE_LABELS", "STAGE_ORDER", "Stage"]


@dataclass(frozen=True)
class DocumentEvidence:
    """What one ingested document says, summed up (see `Document.counts`)."""

    kind: str  # compte_rendu | onde_extraction
    received_at: dt.datetime
    processed_at: dt.datetime | None = None  # a CR's "Traité le"
    rejections: int = 0
    warnings: int = 0
    pending_ine: int | None = None  # None: the document says nothing about INEs
    archive: str | None = None  # a CR's "Fichier": the archive it reports on
    submitted_at: dt.datetime | None = None  # a CR's "Déposé le": when it went into ONDE
    pupils_read: int | None = None  # a CR's "Élèves lus"

    @property
    def effective_at(self) -> dt.datetime:
        """When the document's content was true: ONDE's processing time, else its arrival."""
        return self.processed_at or self.received_at


@dataclass(frozen=True)
class ArchiveEvidence:
    """What a CR is matched on: an accepted archive's arrival, file name and pupils."""

    received_at: dt.datetime
    filename: str
    pupils: int | None = None


@dataclass(frozen=True)
class Evidence:
    exports: tuple[dt.datetime, ...] = ()  # received_at of each distinct archive
    archives: tuple[ArchiveEvidence, ...] = ()  # the same archives in detail, when known
    documents: tuple[DocumentEvidence, ...] = ()
    declared_validated_at: dt.datetime | None = None
    validation_confirmed_at: dt.datetime | None = None
    requires_confirmation: bool = False


@dataclass(frozen=True)
class StageResult:
    stage: Stage
    reason: str
    since: dt.datetime | None = None
    awaiting_confirmation: bool = False
    facts: dict[str, int | None] = field(default_factory=dict)


def french_date(moment: dt.datetime | dt.date) -> str:
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(PARIS).date()
    return moment.strftime("%d/%m/%Y")


def latest_report(
    documents: tuple[DocumentEvidence, ...], now: dt.datetime, kind: str | None
) -> DocumentEvidence | None:
    """The newest document of a kind by its content's date (not by drop order)."""
    known = [d for d in documents if d.received_at <= now and (kind is None or d.kind == kind)]
    return max(known, key=lambda d: (d.effective_at, d.received_at), default=None)


def latest_ine_report(
    documents: tuple[DocumentEvidence, ...], now: dt.datetime
) -> DocumentEvidence | None:
    known = tuple(d for d in documents if d.pending_ine is not None)
    return latest_report(known, now, None)


def school_stage(evidence: Evidence, now: dt.datetime) -> StageResult:
    """The stage of a school and why, in French, from what was recorded up to `now`."""
    declared = evidence.declared_validated_at
    declared = declared if declared and declared <= now else None
    confirmed = evidence.validation_confirmed_at
    confirmed = confirmed if confirmed and confirmed <= now else None
    if declared and (confirmed or not evidence.requires_confirmation):
        reason = f"constat déclaré validé le {french_date(declared)}"
        if confirmed:
            reason += f", confirmé le {french_date(confirmed)}"
        return StageResult(Stage.VALIDATED, reason, confirmed or declared)
    result = _progress_stage(evidence, now)
    if declared:
        return StageResult(
            result.stage,
            f"{result.reason} ; constat déclaré validé le {french_date(declared)}, "
            "en attente de confirmation",
            result.since,
            awaiting_confirmation=True,
            facts=result.facts,
        )
    return result


def _progress_stage(evidence: Evidence, now: dt.datetime) -> StageResult:
    exports = sorted(t for t in evidence.exports if t <= now)
    report = latest_report(evidence.documents, now, "compte_rendu")
    any_doc = latest_report(evidence.documents, now, None)
    if any_doc is None:
        if not exports:
            return StageResult(Stage.AWAITING_EXPORT, "aucune archive d'export reçue")
        return StageResult(
            Stage.EXPORTED,
            f"archive déposée le {french_date(exports[-1])}, compte rendu attendu",
            exports[-1],
        )
    if (
        report is not None
        and exports
        and exports[-1] > report.effective_at
        and not reports_on_latest(report, exports, evidence.archives)
    ):
        previous = _open_text(report)
        return StageResult(
            Stage.EXPORTED,
            f"nouvel export le {french_date(exports[-1])}, compte rendu attendu"
            + (f" (le précédent signalait {previous})" if previous else ""),
            exports[-1],
            facts={"rejections": report.rejections, "warnings": report.warnings},
        )
    if report is not None and (report.rejections or report.warnings):
        return StageResult(
            Stage.ERRORS,
            f"{_open_text(report)} dans le compte rendu du {french_date(report.effective_at)}",
            report.effective_at,
            facts={"rejections": report.rejections, "warnings": report.warnings},
        )
    return _ine_stage(evidence, now, any_doc)


def reports_on_latest(
    report: DocumentEvidence, exports: list[dt.datetime], archives: tuple[ArchiveEvidence, ...]
) -> bool:
    """Whether a CR reports on the latest archive although that archive arrived after it (a
    director drops the archive once ONDE has processed it): same file name, the CR deposited in
    ONDE no earlier than the archive before it, and as many pupils read as the archive holds."""
    latest = next((a for a in archives if a.received_at == exports[-1]), None)
    if latest is None or not report.archive:
        return False
    if _file_name(report.archive) != _file_name(latest.filename):
        return False
    deposited = report.submitted_at or report.effective_at
    if len(exports) > 1 and deposited < exports[-2]:
        return False
    read, held = report.pupils_read, latest.pupils
    return read is None or held is None or read == held


def _file_name(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip().casefold()


def _ine_stage(evidence: Evidence, now: dt.datetime, any_doc: DocumentEvidence) -> StageResult:
    ine = latest_ine_report(evidence.documents, now)
    if ine is None:
        return StageResult(
            Stage.AWAITING_INE,
            "aucune information sur les INE : déposez le compte rendu d'immatriculation "
            "ou l'extraction ONDE",
            any_doc.effective_at,
            facts={"pending_ine": None},
        )
    kind = "le compte rendu" if ine.kind == "compte_rendu" else "l'extraction ONDE"
    where = f"{kind} du {french_date(ine.effective_at)}"
    assert ine.pending_ine is not None
    if ine.pending_ine > 0:
        return StageResult(
            Stage.AWAITING_INE,
            f"{plural(ine.pending_ine, 'élève sans INE', 'élèves sans INE')} d'après {where}",
            ine.effective_at,
            facts={"pending_ine": ine.pending_ine},
        )
    return StageResult(
        Stage.READY_TO_VALIDATE,
        "tous les élèves sont intégrés et immatriculés : le constat peut être validé",
        ine.effective_at,
        facts={"pending_ine": 0},
    )


def _open_text(report: DocumentEvidence) -> str:
    parts = []
    if report.rejections:
        parts.append(plural(report.rejections, "rejet"))
    if report.warnings:
        parts.append(plural(report.warnings, "avertissement"))
    return " et ".join(parts)
