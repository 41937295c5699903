"""« À regarder en premier »: the reasons in their order, each row's reason, the real last
activity."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from db.attention import Attention, needing_attention
from db.events import record_event
from db.models import Campaign, FollowUp, Reminder, School
from db.states import EventKind, LedgerKind, ReminderStatus, Stage
from tests.conftest import NOW
from tests.factories import campaign_row

WEEKS_AGO = NOW - dt.timedelta(days=20)
IDLE_SINCE = NOW - dt.timedelta(days=14)


def _school(
    session: Session,
    campaign: Campaign,
    uai: str,
    email: str = "x@example.org",
    **follow_up: object,
) -> School:
    school = School(
        uai=uai, name=f"École {uai}", director_email=email, created_at=NOW, updated_at=NOW
    )
    session.add(school)
    session.flush()
    assert school.id is not None and campaign.id is not None
    row = FollowUp(
        school_id=school.id, campaign_id=campaign.id, stage_since=WEEKS_AGO, updated_at=NOW
    )
    for name, value in follow_up.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return school


def _activity(
    session: Session,
    school: School,
    campaign: Campaign,
    at: dt.datetime,
    kind: EventKind = EventKind.EXPORT_RECEIVED,
) -> None:
    record_event(
        session,
        at=at,
        kind=kind,
        message="Archive reçue" if kind is EventKind.EXPORT_RECEIVED else kind.value,
        school_id=school.id,
        campaign_id=campaign.id,
    )


def test_the_reasons_come_in_their_order_with_the_real_last_activity(session: Session) -> None:
    campaign = campaign_row(session)
    assert campaign.id is not None
    sent_files = _school(session, campaign, "0441201A")
    _activity(session, sent_files, campaign, WEEKS_AGO)  # then nothing
    mailed = _school(session, campaign, "0441202B")
    session.add(
        Reminder(
            key="k1",
            school_id=mailed.id,
            campaign_id=campaign.id,
            kind=LedgerKind.REMINDER,
            recipient="x@example.org",
            day=(NOW - dt.timedelta(days=2)).date(),
            due_at=NOW - dt.timedelta(days=2),
            status=ReminderStatus.SENT,
            sent_at=NOW - dt.timedelta(days=2),
            created_at=NOW,
            next_attempt_at=NOW,
        )
    )
    _school(session, campaign, "0441203C", problem_category="ine", problem_reported_at=NOW)
    old_problem = _school(
        session, campaign, "0441204D", problem_category="export", problem_reported_at=WEEKS_AGO
    )
    _activity(session, old_problem, campaign, NOW)
    old_problem_follow_up = session.get(FollowUp, 4)
    assert old_problem_follow_up is not None
    old_problem_follow_up.stage_since = NOW - dt.timedelta(days=1)  # moved on since
    old_problem_follow_up.problem_answered_at = WEEKS_AGO + dt.timedelta(hours=1)  # and answered
    _school(session, campaign, "0441205E", email="")
    _school(session, campaign, "0441206F", declared_validated_at=NOW - dt.timedelta(days=1))
    _school(session, campaign, "0441207G", stage=Stage.ERRORS)
    session.commit()

    def listed(overdue: bool) -> dict[str, tuple[Attention, dt.datetime | None, str]]:
        rows = needing_attention(
            session, campaign_id=campaign.id, now=NOW, idle_since=IDLE_SINCE, overdue=overdue
        )
        assert [r.why for r in rows] == sorted((r.why for r in rows), key=list(Attention).index)
        return {r.school.uai: (r.why, r.last_activity, r.detail) for r in rows}

    rows = listed(overdue=False)
    assert rows["0441203C"][0] is Attention.PROBLEM and rows["0441203C"][2] == "ine"
    assert "0441204D" not in rows  # its problem was answered, and it moved today
    assert rows["0441205E"][0] is Attention.NO_EMAIL
    assert rows["0441206F"][0] is Attention.AWAITING_CONFIRMATION
    assert rows["0441207G"][0] is Attention.ERRORS
    assert rows["0441201A"][:2] == (Attention.IDLE, WEEKS_AGO)  # its files are its activity
    assert "0441202B" not in rows  # a reminder delivered two days ago is movement
    overdue = listed(overdue=True)
    assert overdue["0441201A"][0] is Attention.OVERDUE
    assert overdue["0441206F"][0] is Attention.AWAITING_CONFIRMATION  # more urgent


def _listed(session: Session, campaign: Campaign) -> dict[str, tuple[Attention, str]]:
    assert campaign.id is not None
    rows = needing_attention(session, campaign_id=campaign.id, now=NOW, idle_since=IDLE_SINCE)
    return {r.school.uai: (r.why, r.detail) for r in rows}


def test_an_unanswered_problem_comes_first_until_answered_and_again_once_reported_anew(
    session: Session,
) -> None:
    campaign = campaign_row(session)
    first = _school(
        session,
        campaign,
        "0441211A",
        stage=Stage.ERRORS,
        escalated=True,
        problem_category="onde",
        problem_reported_at=WEEKS_AGO,
        stage_since=NOW - dt.timedelta(days=1),  # the stage moved on: still unanswered
    )
    # the director's own reply by mail answers nothing
    _activity(session, first, campaign, NOW, EventKind.DIRECTOR_REPLIED)
    _school(session, campaign, "0441212B", stage=Stage.ERRORS, escalated=True)
    session.commit()
    rows = needing_attention(session, campaign_id=campaign.id or 0, now=NOW, idle_since=IDLE_SINCE)
    assert [(r.school.uai, r.why) for r in rows][:2] == [
        ("0441211A", Attention.PROBLEM),
        ("0441212B", Attention.ESCALATED),
    ]
    assert rows[0].detail == "onde" and rows[0].since == WEEKS_AGO
    follow_up = session.get(FollowUp, 1)
    assert follow_up is not None
    follow_up.problem_answered_at = NOW
    session.commit()
    assert _listed(session, campaign)["0441211A"][0] is Attention.ESCALATED  # its next reason
    follow_up.problem_reported_at = NOW + dt.timedelta(minutes=5)  # reported again
    session.commit()
    assert _listed(session, campaign)["0441211A"][0] is Attention.PROBLEM


def test_idle_schools_without_a_stage_start_come_first_then_the_oldest_within_the_limit(
    session: Session,
) -> None:
    """« Sans mouvement » is read in two parts (no stage start, then the oldest start): together
    they list at most `per_kind` schools, in that order."""
    campaign = campaign_row(session)
    assert campaign.id is not None
    for n, days in enumerate((None, 30, None, 25, 20)):
        since = None if days is None else NOW - dt.timedelta(days=days)
        _school(session, campaign, f"044130{n}{'ABCDE'[n]}", stage_since=since)
    _school(session, campaign, "0441309J", stage_since=NOW - dt.timedelta(days=2))  # too recent
    session.commit()
    rows = needing_attention(
        session, campaign_id=campaign.id, now=NOW, idle_since=IDLE_SINCE, per_kind=3
    )
    assert [(r.school.uai, r.why) for r in rows] == [
        ("0441300A", Attention.IDLE),
        ("0441302C", Attention.IDLE),
        ("0441301B", Attention.IDLE),
    ]
    everything = needing_attention(session, campaign_id=campaign.id, now=NOW, idle_since=IDLE_SINCE)
    assert [r.school.uai for r in everything] == [
        "0441300A",
        "0441302C",
        "0441301B",
        "0441303D",
        "0441304E",
    ]
