"""« J'ai un problème »: routed at once to the contact of its category, copied to the
coordinator, answered to the director; a repeated message is one mail, a new one another (capped
per category and day); inside the window."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from daemon.app import App
from daemon.delivery.sender import send_due
from daemon.reminders.problem import MAX_MAILS_PER_DAY, Routed, report_sentence, route_problem
from daemon.school.actions import ProblemCategory
from db.models import Campaign, Event, Reminder, School
from tests.conftest import make_settings
from tests.delivery_helpers import Clock
from tests.mailsink import MailSink
from tests.reminder_helpers import CAMPAIGN, CONTACTS, add, paris, reminder_app, uai
from tests.test_delivery_recheck import at, campaign_app
from tests.web_helpers import signed_in

D = dt.date
MONDAY = paris(D(2026, 10, 5), 10)  # a school day, inside the 08:00–18:00 window
HOSTILE = 'Pas de clé OTP <script>alert("x")</script>'


def report(
    app: App,
    session: Session,
    school: School,
    category: ProblemCategory,
    detail: str = "Je n'ai pas reçu ma clé OTP.",
    now: dt.datetime = MONDAY,
) -> Routed:
    campaign = app.campaign(session, now)
    routed = route_problem(
        app,
        session,
        school=school,
        campaign=campaign,
        category=category,
        detail=detail,
        now=now,
        actor="direction (page de l'école)",
    )
    session.commit()
    return routed


def problem_rows(session: Session) -> list[Reminder]:
    session.expire_all()
    query = select(Reminder).where(Reminder.kind == "problem").order_by(col(Reminder.id))
    return list(session.exec(query))


def test_an_onde_problem_goes_at_once_to_the_onde_assistance_with_the_coordinator_in_copy(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    school = add(session, 1, "École Saint-Joseph")
    routed = report(app, session, school, ProblemCategory.ONDE)
    [row] = problem_rows(session)
    assert row.key == f"{uai(1)}:2026-2027:problem:2026-10-05:onde"
    assert (row.recipient, row.cc) == ("assistance-onde@example.org", ["coord@example.org"])
    assert row.due_at == MONDAY and row.next_attempt_at == MONDAY and row.status == "pending"
    assert row.payload["reply_to"] == f"ce.{uai(1).lower()}@example.org"
    assert row.payload["category"] == "onde"
    assert routed.sentence == (
        "Votre problème a été transmis à : Assistance ONDE de l'académie "
        "(assistance-onde@example.org), avec copie à la coordination (coord@example.org). "
        "Les réponses vous parviendront à votre adresse."
    )


def test_the_mail_names_the_school_the_director_the_message_the_stage_and_the_page(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    school = add(session, 1, "École Saint-Joseph")
    report(app, session, school, ProblemCategory.ONDE, detail="Je n'ai pas reçu ma clé OTP.")
    payload = problem_rows(session)[0].payload
    assert payload["subject"] == (
        f"Constat de rentrée : problème signalé par École Saint-Joseph ({uai(1)}) "
        "– Assistance ONDE de l'académie"
    )
    text = payload["text"]
    assert text.startswith(
        f"Bonjour,\n\nL'établissement « École Saint-Joseph » ({uai(1)}, Nantes) signale "
        "un problème dans le constat de rentrée 2026-2027 et a besoin de votre aide. "
        "Direction : Mme Claire Dupont.\n\n"
    )
    assert "Type de problème : accès à ONDE (clé OTP, « Accès directeur »)" in text
    assert "« Je n'ai pas reçu ma clé OTP. »" in text
    assert "Étape en cours : " in text
    assert "Prochaine étape pour l'école :" in text
    assert f"votre réponse ira à ce.{uai(1).lower()}@example.org" in text
    assert f"https://relance.example.org/ecoles/{uai(1)}" in text
    assert "Date limite de validation du constat : mardi 10 novembre 2026." in text
    assert text.rstrip().endswith("Direction diocésaine – coordination du constat")
    assert f'href="https://relance.example.org/ecoles/{uai(1)}"' in payload["html"]


def test_the_director_message_is_escaped_in_the_html_part(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    school = add(session, 1, "École Saint-Joseph")
    report(app, session, school, ProblemCategory.OTHER, detail=HOSTILE)
    payload = problem_rows(session)[0].payload
    assert "<script>" not in payload["html"]
    assert "&lt;script&gt;" in payload["html"]
    assert HOSTILE in payload["text"]


def test_each_category_goes_to_its_own_contact_and_other_to_the_coordinator(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    school = add(session, 1, "École Saint-Joseph")
    for category in ProblemCategory:
        report(app, session, school, category)
    sent = {r.payload["category"]: (r.recipient, r.cc) for r in problem_rows(session)}
    assert sent == {
        "onde": ("assistance-onde@example.org", ["coord@example.org"]),
        "export": ("ange@example.org", ["coord@example.org"]),
        "ine": ("ine@example.org", ["coord@example.org"]),
        "other": ("coord@example.org", []),  # the coordinator is not copied to themself
    }


def test_the_same_report_twice_a_day_is_one_mail_and_the_next_day_another(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    school = add(session, 1, "École Saint-Joseph")
    report(app, session, school, ProblemCategory.EXPORT)
    again = report(app, session, school, ProblemCategory.EXPORT, now=MONDAY + dt.timedelta(hours=2))
    assert again.already and "déjà été transmis aujourd'hui" in again.sentence
    assert len(problem_rows(session)) == 1
    report(app, session, school, ProblemCategory.EXPORT, now=MONDAY + dt.timedelta(days=1))
    assert [r.day for r in problem_rows(session)] == [D(2026, 10, 5), D(2026, 10, 6)]


def test_a_second_report_with_a_new_message_the_same_day_reaches_the_contact(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, mailsink: MailSink
) -> None:
    clock = Clock(MONDAY)
    settings = make_settings(
        tmp_path,
        database_url,
        campaign=CAMPAIGN,
        contacts=CONTACTS,
        web={"secret_key": "clé-de-test", "base_url": "https://relance.example.org"},
        smtp=mailsink.smtp_settings(retry_base_seconds=1, retry_max_seconds=2),
    )
    app = App(settings, clock=clock, _engine=engine)
    school = add(session, 1, "École Saint-Joseph")
    report(app, session, school, ProblemCategory.ONDE, detail="Je n'ai pas reçu ma clé OTP.")
    assert asyncio.run(send_due(app)) == 1  # the first mail has left
    later = MONDAY + dt.timedelta(hours=3)
    clock.now = later
    added = "J'ai reçu la clé, mais le profil « Accès directeur » n'apparaît pas."
    second = report(app, session, school, ProblemCategory.ONDE, detail=added, now=later)
    assert not second.already and second.key == f"{uai(1)}:2026-2027:problem:2026-10-05:onde:2"
    assert second.sentence.startswith("Votre problème a été transmis à : ")
    # the same words once more (a form sent twice) are no third mail
    again = report(
        app, session, school, ProblemCategory.ONDE, detail=f"  {added.upper()} ", now=later
    )
    assert again.already and again.key == second.key
    assert asyncio.run(send_due(app)) == 1
    first_mail, second_mail = (r.message for r in mailsink.received)
    assert second_mail["To"] == "assistance-onde@example.org"
    assert str(second_mail["Subject"]).endswith("(complément)")
    assert second_mail["Message-ID"] != first_mail["Message-ID"]
    body = second_mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert added in text
    assert (
        "Ce message complète le signalement du même type déjà transmis aujourd'hui "
        "pour cette école." in text
    )
    assert "complément" not in str(first_mail["Subject"])


def test_reports_of_one_category_a_day_are_capped(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    school = add(session, 1, "École Saint-Joseph")
    routed = [
        report(app, session, school, ProblemCategory.EXPORT, detail=f"Essai {n}.")
        for n in range(1, MAX_MAILS_PER_DAY + 2)
    ]
    assert [r.already for r in routed] == [False] * MAX_MAILS_PER_DAY + [True]
    rows = problem_rows(session)
    assert len(rows) == MAX_MAILS_PER_DAY
    assert [r.payload["detail"] for r in rows] == [
        f"Essai {n}." for n in range(1, MAX_MAILS_PER_DAY + 1)
    ]
    assert "déjà été transmis aujourd'hui" in routed[-1].sentence
    # another category the same day is its own mail
    assert not report(app, session, school, ProblemCategory.ONDE, detail="Essai 1.").already


def test_a_report_outside_the_window_leaves_at_the_next_opening(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    school = add(session, 1, "École Saint-Joseph")
    saturday = paris(D(2026, 10, 10), 11)
    routed = report(app, session, school, ProblemCategory.ONDE, now=saturday)
    evening = paris(D(2026, 10, 6), 20)
    report(app, session, school, ProblemCategory.EXPORT, now=evening)
    due = {r.payload["category"]: r.due_at for r in problem_rows(session)}
    assert due == {"onde": paris(D(2026, 10, 12), 8), "export": paris(D(2026, 10, 7), 8)}
    assert routed.due_at == paris(D(2026, 10, 12), 8)
    with Session(engine) as reader:
        campaign = reader.exec(select(Campaign)).one()
        sentence = report_sentence(reader, school=school, campaign=campaign)
    # the latest report in time is Saturday's
    assert sentence.endswith(
        "Hors des heures d'envoi : le message partira le lundi 12 octobre 2026 à 8 h 00."
    )


def test_the_timeline_says_the_problem_was_reported_and_to_whom(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    school = add(session, 1, "École Saint-Joseph")
    report(app, session, school, ProblemCategory.ONDE)
    messages = [
        e.message
        for e in session.exec(
            select(Event).where(Event.school_id == school.id).order_by(col(Event.id))
        )
    ]
    assert "Problème signalé : accès à ONDE (clé OTP, « Accès directeur »)" in messages
    assert (
        "Problème signalé (accès à ONDE (clé OTP, « Accès directeur »)) transmis à "
        "Assistance ONDE de l'académie (assistance-onde@example.org) "
        "(copie : coord@example.org)"
    ) in messages


def test_without_any_contact_the_report_is_kept_and_nothing_is_queued(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    settings = make_settings(tmp_path, database_url, campaign=CAMPAIGN)
    app = App(settings, clock=lambda: MONDAY, _engine=engine)
    school = add(session, 1, "École Saint-Joseph")
    routed = report(app, session, school, ProblemCategory.ONDE)
    assert routed.contact is None and problem_rows(session) == []
    assert "aucune adresse d'assistance" in routed.sentence
    assert session.exec(select(Event).where(Event.kind == "problem_routed")).one().message == (
        "Problème signalé (accès à ONDE (clé OTP, « Accès directeur »)) : "
        "aucun contact d'assistance configuré"
    )


def test_the_mail_reaches_the_contact_with_the_coordinator_in_copy_and_the_director_as_reply_to(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, mailsink: MailSink
) -> None:
    clock = Clock(MONDAY)
    settings = make_settings(
        tmp_path,
        database_url,
        campaign=CAMPAIGN,
        contacts=CONTACTS,
        web={"secret_key": "clé-de-test", "base_url": "https://relance.example.org"},
        smtp=mailsink.smtp_settings(retry_base_seconds=1, retry_max_seconds=2),
    )
    app = App(settings, clock=clock, _engine=engine)
    school = add(session, 1, "École Saint-Joseph")
    report(app, session, school, ProblemCategory.ONDE, detail=HOSTILE)
    assert asyncio.run(send_due(app)) == 1
    [received] = mailsink.received
    assert sorted(received.envelope_to) == ["assistance-onde@example.org", "coord@example.org"]
    message = received.message
    assert message["To"] == "assistance-onde@example.org"
    assert message["Cc"] == "coord@example.org"
    assert message["Reply-To"] == f"ce.{uai(1).lower()}@example.org"
    assert "problème signalé par École Saint-Joseph" in str(message["Subject"])
    body = message.get_body(("plain",))
    assert body is not None and HOSTILE in body.get_content()
    assert problem_rows(session)[0].status == "sent"


def test_the_coordinator_school_page_shows_the_problem_mail_and_the_timeline_entry(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    # plain http here: the test client does not send Secure cookies back
    web = {"secret_key": "clé-de-test", "base_url": "http://testserver"}
    settings = make_settings(tmp_path, database_url, campaign=CAMPAIGN, contacts=CONTACTS, web=web)
    app = App(settings, clock=lambda: MONDAY, _engine=engine)
    school = add(session, 1, "École Saint-Joseph")
    report(app, session, school, ProblemCategory.EXPORT)
    with signed_in(app) as (client, _token):
        page = client.get(f"/ecoles/{uai(1)}")
    assert page.status_code == 200
    assert "problème signalé" in page.text
    assert "ange@example.org" in page.text
    assert "transmis à Support export / Ange (ange@example.org)" in page.text


def test_the_same_report_twice_at_the_same_instant_is_one_mail_not_an_error(
    tmp_path: Path,
    database_url: str,
    engine: Engine,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A double click on PostgreSQL: both requests read « nothing sent today » before either
    commits; the second one's row hits the unique key."""
    import daemon.reminders.problem as problem

    app = reminder_app(tmp_path, database_url, engine)
    school = add(session, 1, "École Saint-Joseph")
    report(app, session, school, ProblemCategory.EXPORT)
    real = problem.routed_today
    reads: list[int] = []

    def racing(*args: object, **kwargs: object) -> list[Reminder]:
        reads.append(1)  # the second request's first read misses the first one's row
        return [] if len(reads) == 1 else real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(problem, "routed_today", racing)
    again = report(app, session, school, ProblemCategory.EXPORT)
    assert again.already
    assert len(problem_rows(session)) == 1
    events = session.exec(select(Event).where(Event.kind == "problem_routed")).all()
    assert len(events) == 2 and "de nouveau" in events[-1].message


def test_a_complement_leaving_the_next_day_names_the_day_of_the_earlier_mail(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    """A second report at 20:00 leaves the next morning: it does not say « aujourd'hui »."""
    app = reminder_app(tmp_path, database_url, engine)
    school = add(session, 1, "École Saint-Joseph")
    report(app, session, school, ProblemCategory.ONDE, detail="Pas de clé OTP.")
    evening = paris(D(2026, 10, 5), 20)
    report(app, session, school, ProblemCategory.ONDE, detail="Toujours rien.", now=evening)
    first, second = problem_rows(session)
    assert "aujourd'hui" in first.payload["text"] or "complète" not in first.payload["text"]
    assert second.due_at == paris(D(2026, 10, 6), 8)
    for part in ("text", "html"):
        assert "aujourd'hui" not in second.payload[part]
        assert "déjà transmis le lundi 5 octobre 2026 pour cette école." in second.payload[part]


def test_a_report_refused_4xx_all_its_day_is_never_sent_at_night_nor_on_saturday(
    tmp_path: Path, database_url: str, engine: Engine, session: Session, mailsink: MailSink
) -> None:
    """Tied to its day and the window: the server refuses 451 on Friday afternoon;
    retried inside Friday's window only, then cancelled with its reason (the school's history
    says so), not delivered that night nor on Saturday when the server accepts again."""
    friday = paris(D(2026, 10, 9), 17, 30)
    app = campaign_app(tmp_path, database_url, engine, mailsink)
    at(app, friday)
    school = add(session, 1, "École Saint-Joseph")
    report(app, session, school, ProblemCategory.ONDE, now=friday)
    mailsink.refuse_all(451)
    asyncio.run(send_due(app))
    mailsink.accept_all()
    for moment in (paris(D(2026, 10, 9), 18, 5), paris(D(2026, 10, 10), 10)):
        at(app, moment)
        asyncio.run(send_due(app))
    assert mailsink.received == []
    [row] = problem_rows(session)
    assert row.status == "cancelled" and "fin de sa journée d'envoi" in row.last_error
    session.rollback()
    events = session.exec(select(Event).where(Event.kind == "reminder_cancelled")).all()
    assert [e.message.split(" :")[0] for e in events] == [
        "Problème signalé non transmis (assistance-onde@example.org)"
    ]
