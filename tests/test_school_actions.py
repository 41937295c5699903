"""Snooze, declare and confirm the constat, report a problem, notes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from daemon.app import App
from daemon.school.actions import (
    ActionRefused,
    ProblemCategory,
    add_note,
    answer_problem,
    confirm_validation,
    declare_validated,
    open_problem,
    problem_unanswered,
    reopen_validation,
    report_problem,
    snooze,
)
from daemon.school.stage import Stage
from db.campaigns import get_follow_up
from db.models import Event
from db.schools import add_school
from tests.conftest import NOW


@pytest.fixture
def school_and_campaign(app: App, session: Session):
    school = add_school(session, now=NOW, uai="0441234C", actor="test", name="A")
    campaign = app.campaign(session, NOW)
    return school, campaign


def kinds(session: Session) -> list[str]:
    return [e.kind for e in session.exec(select(Event).order_by(Event.id))]


def test_snooze_is_bounded_and_recorded(session: Session, school_and_campaign) -> None:
    school, campaign = school_and_campaign
    with pytest.raises(ActionRefused, match="au plus 10 jours"):
        snooze(
            session,
            school=school,
            campaign=campaign,
            until=NOW + dt.timedelta(days=11),
            now=NOW,
            max_days=10,
            actor="dir",
        )
    with pytest.raises(ActionRefused, match="futur"):
        snooze(
            session, school=school, campaign=campaign, until=NOW, now=NOW, max_days=10, actor="dir"
        )
    follow_up = snooze(
        session,
        school=school,
        campaign=campaign,
        until=NOW + dt.timedelta(days=3),
        now=NOW,
        max_days=10,
        actor="dir",
    )
    assert follow_up.snoozed_until == NOW + dt.timedelta(days=3)
    assert kinds(session)[-1] == "snoozed"


def test_declaring_validates_unless_confirmation_is_required(
    app: App, session: Session, school_and_campaign
) -> None:
    school, campaign = school_and_campaign
    declare_validated(session, school=school, campaign=campaign, now=NOW, actor="dir")
    follow_up = get_follow_up(session, school_id=school.id, campaign_id=campaign.id)
    assert follow_up is not None and follow_up.stage == Stage.VALIDATED
    with pytest.raises(ActionRefused, match="déjà déclaré"):
        declare_validated(session, school=school, campaign=campaign, now=NOW, actor="dir")
    reopen_validation(
        session, school=school, campaign=campaign, now=NOW, actor="coord", reason="erreur de clic"
    )
    assert follow_up.stage == Stage.AWAITING_EXPORT
    campaign.validation_requires_confirmation = True
    declare_validated(session, school=school, campaign=campaign, now=NOW, actor="dir")
    assert follow_up.stage == Stage.AWAITING_EXPORT
    confirm_validation(session, school=school, campaign=campaign, now=NOW, actor="coord")
    assert follow_up.stage == Stage.VALIDATED and follow_up.confirmed_by == "coord"
    assert kinds(session)[-5:] == [
        "validation_reopened",
        "stage_changed",
        "validation_declared",
        "validation_confirmed",
        "stage_changed",
    ]


def test_problem_is_recorded_with_its_category(session: Session, school_and_campaign) -> None:
    school, campaign = school_and_campaign
    report_problem(
        session,
        school=school,
        campaign=campaign,
        category=ProblemCategory.ONDE,
        detail="  pas de clé OTP  ",
        now=NOW,
        actor="dir",
    )
    follow_up = get_follow_up(session, school_id=school.id, campaign_id=campaign.id)
    assert follow_up is not None
    assert (follow_up.problem_category, follow_up.problem_detail) == ("onde", "pas de clé OTP")
    event = session.exec(select(Event).where(Event.kind == "problem_reported")).one()
    assert "accès à ONDE" in event.message and event.data["category"] == "onde"


def test_a_problem_is_unanswered_until_marked_treated_and_again_after_a_new_report(
    session: Session, school_and_campaign
) -> None:
    school, campaign = school_and_campaign
    with pytest.raises(ActionRefused, match="aucun problème"):
        answer_problem(session, school=school, campaign=campaign, now=NOW, actor="coord")

    def report(at: dt.datetime) -> None:
        report_problem(
            session,
            school=school,
            campaign=campaign,
            category=ProblemCategory.EXPORT,
            detail="Ange refuse l'export",
            now=at,
            actor="dir",
        )

    report(NOW)
    follow_up = get_follow_up(session, school_id=school.id, campaign_id=campaign.id)
    assert follow_up is not None
    assert problem_unanswered(follow_up) and open_problem(follow_up) is ProblemCategory.EXPORT
    later = NOW + dt.timedelta(hours=2)
    answer_problem(session, school=school, campaign=campaign, now=later, actor="coord@x.fr")
    assert (follow_up.problem_answered_at, follow_up.problem_answered_by) == (later, "coord@x.fr")
    assert not problem_unanswered(follow_up) and open_problem(follow_up) is None
    event = session.exec(select(Event).where(Event.kind == "problem_answered")).one()
    assert (event.at, event.actor) == (later, "coord@x.fr")
    assert "traité" in event.message and "export depuis Ange" in event.message
    with pytest.raises(ActionRefused):  # answered already: nothing to mark
        answer_problem(session, school=school, campaign=campaign, now=later, actor="coord")
    report(later + dt.timedelta(days=1))  # the director reports again
    assert problem_unanswered(follow_up) and open_problem(follow_up) is ProblemCategory.EXPORT


def test_notes(session: Session, school_and_campaign) -> None:
    school, campaign = school_and_campaign
    with pytest.raises(ActionRefused):
        add_note(session, school=school, campaign=campaign, text="  ", now=NOW, actor="c")
    add_note(
        session, school=school, campaign=campaign, text="Appelé le directeur", now=NOW, actor="c"
    )
    assert session.exec(select(Event).where(Event.kind == "note")).one().message == (
        "Note : Appelé le directeur"
    )
