"""What is open for a school, in the order to act, with the contacts for its problems."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from daemon.app import App
from daemon.config.settings import ContactSettings
from daemon.school.open_items import load_open_items
from daemon.school.stage import Stage
from db.models import Anomaly, Document, Pupil
from db.schools import add_school
from tests.conftest import NOW

CONTACTS = ContactSettings(
    coordinator_email="coord@example.org",
    export_support_email="export@example.org",
    onde_support_email="onde@example.org",
)


def test_errors_listed_with_pupils_and_contacts_by_category(app: App, session: Session) -> None:
    school = add_school(session, now=NOW, uai="0441234C", actor="t", name="A")
    campaign = app.campaign(session, NOW)
    doc = Document(
        school_id=school.id,
        campaign_id=campaign.id,
        kind="compte_rendu",
        filename="cr.pdf",
        size=1,
        sha256="c" * 64,
        received_at=NOW,
        channel="cli",
        processed_at=NOW - dt.timedelta(hours=6),
        counts={"rejections": 1, "warnings": 1, "pending_ine": 1},
    )
    session.add(doc)
    pupils = [
        Pupil(
            school_id=school.id,
            campaign_id=campaign.id,
            match_key=k,
            last_name=n,
            first_name=f,
            birth_date=dt.date(2019, 5, 3),
            ine_status=s,
            first_seen_at=NOW,
            last_seen_at=NOW,
        )
        for k, n, f, s in [("a", "MARTIN", "Léa", "attribue"), ("b", "DURAND", "Noé", "litige")]
    ]
    session.add_all(pupils)
    session.flush()
    session.add_all(
        [
            Anomaly(
                school_id=school.id,
                campaign_id=campaign.id,
                pupil_id=pupils[0].id,
                match_key="a",
                field="Lieu de naissance",
                message="Commune inconnue",
                severity="rejet",
                category="export",
                first_seen_at=NOW,
                last_seen_at=NOW,
            ),
            Anomaly(
                school_id=school.id,
                campaign_id=campaign.id,
                pupil_id=pupils[1].id,
                match_key="b",
                field="Doublon",
                message="Élève déjà connu",
                severity="avertissement",
                category="onde",
                first_seen_at=NOW,
                last_seen_at=NOW,
            ),
        ]
    )
    session.flush()
    items = load_open_items(
        session,
        school=school,
        campaign=campaign,
        contacts=CONTACTS,
        onde_url="https://onde.example.org",
        now=NOW,
    )
    assert items.stage.stage is Stage.ERRORS
    assert [(a.last_name, a.severity) for a in items.anomalies] == [
        ("MARTIN", "rejet"),
        ("DURAND", "avertissement"),
    ]
    assert [(p.last_name, p.status_label) for p in items.pending] == [("DURAND", "en litige")]
    assert items.next_step.help_category == "onde"
    assert [c.email for c in items.contacts] == [
        "onde@example.org",
        "export@example.org",
        "coord@example.org",
    ]
    assert (items.rejections, items.warnings) == (1, 1)
