"""Recording export archives (`<UAI>.zip`): every archive a school submits is a row, whatever is
inside; the same bytes again are a re-submission; a new archive supersedes the previous one.

Only the check's headcount, findings and the pupils' identity/level/class are kept — never
addresses nor responsables (the checker never returns them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from daemon.codes import printable
from daemon.config import Settings
from daemon.ingest.exports.archive import ArchiveLimits, check_archive
from daemon.ingest.exports.records import ERROR, WARNING, ArchiveCheck
from daemon.school.followup import refresh_stage
from daemon.school.pupils import PupilBook
from daemon.school.stage import french_date
from daemon.wording import plural
from db.events import record_event
from db.models import Campaign, ExportSubmission, School
from db.schools import get_school, lock_school
from db.states import EventKind


@dataclass
class ArchiveOutcome:
    accepted: bool  # False: the file goes to quarantine with `refusal`
    refusal: str = ""
    school: School | None = None
    submission: ExportSubmission | None = None
    duplicate: bool = False
    message: str = ""
    check: ArchiveCheck | None = None


def school_year_start(campaign: Campaign) -> dt.date:
    """1 September of the school year the campaign follows."""
    year = campaign.start.year if campaign.start.month >= 7 else campaign.start.year - 1
    return dt.date(year, 9, 1)


class ArchiveIntake:
    def __init__(self, settings: Settings) -> None:
        self.limits = ArchiveLimits.from_settings(settings.exports)

    def take(
        self,
        session: Session,
        *,
        data: bytes,
        sha: str,
        filename: str,
        channel: str,
        campaign: Campaign,
        now: dt.datetime,
        expected_uai: str | None,
        actor: str,
    ) -> ArchiveOutcome:
        """Check the archive and record it for its school (in the caller's transaction)."""
        known = set(session.exec(select(School.uai).where(col(School.active).is_(True))).all())
        check = check_archive(
            data,
            filename,
            limits=self.limits,
            school_year_start=school_year_start(campaign),
            expected_uai=expected_uai,
            known_uais=known,
        )
        uai = check.uai
        school = get_school(session, uai=uai) if uai in known else None
        if expected_uai and uai != expected_uai:
            school = None  # sent for another school: neither a submission nor a re-submission
        if school is None:
            refusal = check.refusal or "école inconnue de cette installation"
            return ArchiveOutcome(
                False, refusal, message=f"{filename} : refusée ({refusal})", check=check
            )
        lock_school(session, school_id=school.id)  # another process may record for it too
        previous = self._previous(session, school, campaign, sha)
        if previous is not None and previous.sha256 == sha:
            return self._resubmission(
                session, school, campaign, previous, check, filename, channel, now, actor
            )
        return self._record(
            session, school, campaign, check, data, sha, filename, channel, now, actor
        )

    @staticmethod
    def _previous(
        session: Session, school: School, campaign: Campaign, sha: str
    ) -> ExportSubmission | None:
        """The same bytes sent before if any, else the latest distinct archive."""
        rows = session.exec(
            select(ExportSubmission)
            .where(
                ExportSubmission.school_id == school.id,
                ExportSubmission.campaign_id == campaign.id,
                col(ExportSubmission.duplicate_of_id).is_(None),
            )
            .order_by(col(ExportSubmission.received_at).desc(), col(ExportSubmission.id).desc())
        ).all()
        same = next((r for r in rows if r.sha256 == sha), None)
        return same or (rows[0] if rows else None)

    def _resubmission(
        self,
        session: Session,
        school: School,
        campaign: Campaign,
        first: ExportSubmission,
        check: ArchiveCheck,
        filename: str,
        channel: str,
        now: dt.datetime,
        actor: str,
    ) -> ArchiveOutcome:
        assert school.id is not None and campaign.id is not None
        row = ExportSubmission(
            school_id=school.id,
            campaign_id=campaign.id,
            filename=filename[:255],
            size=first.size,
            sha256=first.sha256,
            received_at=now,
            channel=channel,
            members=first.members,
            accepted=first.accepted,
            refusal=first.refusal,
            duplicate_of_id=first.id,
        )
        session.add(row)
        session.flush()
        message = f"archive identique à celle reçue le {french_date(first.received_at)} : re-dépôt"
        record_event(
            session,
            at=now,
            kind=EventKind.EXPORT_RESUBMITTED,
            school_id=school.id,
            campaign_id=campaign.id,
            actor=actor,
            message=f"{filename} : {message}",
            data={"submission_id": row.id, "first_id": first.id},
        )
        return ArchiveOutcome(
            first.accepted,
            first.refusal,
            school,
            row,
            duplicate=True,
            message=f"{school.uai} : {message}",
            check=check,
        )

    def _record(
        self,
        session: Session,
        school: School,
        campaign: Campaign,
        check: ArchiveCheck,
        data: bytes,
        sha: str,
        filename: str,
        channel: str,
        now: dt.datetime,
        actor: str,
    ) -> ArchiveOutcome:
        accepted = check.accepted
        assert school.id is not None and campaign.id is not None
        row = ExportSubmission(
            school_id=school.id,
            campaign_id=campaign.id,
            filename=filename[:255],
            size=len(data),
            sha256=sha,
            received_at=now,
            channel=channel,
            members=[m[:200] for m in check.members][:100],
            accepted=accepted,
            refusal=(check.refusal or "")[:500],
            headcount=check.headcount.as_json() if check.headcount else None,
            findings=[finding.as_json() for finding in check.findings],
        )
        session.add(row)
        session.flush()
        if accepted:
            self._supersede(session, row)
            self._follow_pupils(session, school, campaign, check, now)
        message = _summary(filename, check)
        record_event(
            session,
            at=now,
            kind=EventKind.EXPORT_RECEIVED if accepted else EventKind.EXPORT_REFUSED,
            school_id=school.id,
            campaign_id=campaign.id,
            actor=actor,
            message=message,
            data={"submission_id": row.id},
        )
        refresh_stage(session, school=school, campaign=campaign, now=now, actor=actor)
        return ArchiveOutcome(
            accepted, row.refusal, school, row, message=f"{school.uai} : {message}", check=check
        )

    @staticmethod
    def _supersede(session: Session, row: ExportSubmission) -> None:
        """`row`, a new accepted archive, replaces every accepted one before it (a refused
        archive in between replaces nothing)."""
        older = session.exec(
            select(ExportSubmission).where(
                ExportSubmission.school_id == row.school_id,
                ExportSubmission.campaign_id == row.campaign_id,
                col(ExportSubmission.accepted).is_(True),
                col(ExportSubmission.duplicate_of_id).is_(None),
                col(ExportSubmission.superseded_by_id).is_(None),
                ExportSubmission.id != row.id,
            )
        ).all()
        for previous in older:
            previous.superseded_by_id = row.id

    @staticmethod
    def _follow_pupils(
        session: Session,
        school: School,
        campaign: Campaign,
        check: ArchiveCheck,
        now: dt.datetime,
    ) -> None:
        """The archive's pupils (identity, level, class) become the school's followed pupils."""
        assert school.id is not None and campaign.id is not None
        book = PupilBook(session, school_id=school.id, campaign_id=campaign.id)
        for row in check.pupils:
            pupil = book.get(row, now=now, source="export", document_id=None)
            pupil.level = printable(row.level or pupil.level, 10)
            pupil.cycle = printable(row.cycle or pupil.cycle, 12)
            pupil.class_label = printable(row.class_label or pupil.class_label, 120)
        book.flush()


def _summary(filename: str, check: ArchiveCheck) -> str:
    if not check.accepted:
        return f"Archive {filename} refusée : {check.refusal}"
    total = check.headcount.total if check.headcount else 0
    errors, warnings = check.count(ERROR), check.count(WARNING)
    text = f"Archive {filename} reçue : {plural(total, 'élève')}"
    if errors or warnings:
        text += (
            f", test de cohérence : {plural(errors, 'erreur')}, {plural(warnings, 'avertissement')}"
        )
    return text
