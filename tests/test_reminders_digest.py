"""The coordinators' daily digest: once per coordinator per school day, with the counts per stage
and circonscription, the changes since the previous digest and the failing addresses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from daemon.reminders.sweep import sweep
from tests.reminder_helpers import add, ledger, paris, reminder_app

D = dt.date


def test_one_digest_per_coordinator_per_school_day_with_counts_and_failing_addresses(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    app.settings.contacts.coordinators = ["coord@example.org", "ien@example.org"]
    reached = add(session, 1, "École Saint-Joseph")
    failing = add(session, 2, "École Sainte-Anne")
    failing.email_failing_since = paris(D(2026, 10, 5), 6)
    failing.email_failure = "550 5.1.1 boîte inconnue"
    session.add(failing)
    session.commit()
    assert not sweep(app, paris(D(2026, 10, 5), 7, 29)).kinds("digest")  # before digest_time
    first = sweep(app, paris(D(2026, 10, 5), 7, 30)).kinds("digest")
    assert sorted(p.recipient for p in first) == ["coord@example.org", "ien@example.org"]
    assert not sweep(app, paris(D(2026, 10, 5), 9)).kinds("digest")  # once a day
    text = ledger(session, "digest")[0].payload["text"]
    assert "point du lundi 5 octobre 2026 sur le constat de rentrée 2026-2027 : 0 écoles" in text
    assert "validées sur 2." in text
    assert "  - Export attendu : 2" in text
    assert "  Nantes Nord : Export attendu 2" in text
    assert f"École Sainte-Anne ({failing.uai}) : {failing.director_email} – 550 5.1.1" in text
    # No reminder is prepared for the failing address; the report says why.
    report = sweep(app, paris(D(2026, 10, 7), 9))
    assert [r.recipient for r in ledger(session, "reminder")] == [reached.director_email]
    assert report.skipped == [f"{failing.uai} : relance non préparée (adresse en échec)"]
    assert not sweep(app, paris(D(2026, 10, 10), 9)).kinds("digest")  # Saturday


def test_a_coordinator_given_circonscriptions_gets_a_digest_covering_those_only(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    from db.schools import edit_school

    app = reminder_app(tmp_path, database_url, engine)
    contacts = app.settings.contacts
    contacts.coordinators = ["coord@example.org", "ien.sud@example.org"]
    contacts.coordinator_circonscriptions = {"ien.sud@example.org": ["Nantes Sud"]}
    add(session, 1, "École Saint-Joseph")  # Nantes Nord
    south = add(session, 2, "École Sainte-Anne")
    edit_school(
        session, now=paris(D(2026, 10, 1), 9), school=south, actor="t", circonscription="Nantes Sud"
    )
    session.commit()
    sweep(app, paris(D(2026, 10, 5), 7, 45))
    digests = {r.recipient: r.payload for r in ledger(session, "digest")}
    whole, south_only = digests["coord@example.org"], digests["ien.sud@example.org"]
    assert whole["total"] == 2 and south_only["total"] == 1
    assert "Nantes Nord" in whole["text"] and "Nantes Sud" in whole["text"]
    assert "Nantes Sud" in south_only["text"] and "Nantes Nord" not in south_only["text"]
    assert "dans vos circonscriptions (Nantes Sud)" in south_only["text"]
    assert "dans vos circonscriptions" not in whole["text"]


def test_the_monday_digest_says_since_friday_and_after_a_lost_digest_since_its_day(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    add(session, 1, "École Saint-Joseph")
    for day in (D(2026, 10, 6), D(2026, 10, 7), D(2026, 10, 9), D(2026, 10, 12)):
        sweep(app, paris(day, 7, 45))
    texts = {r.day: r.payload["text"] for r in ledger(session, "digest")}
    assert "CE QUI A CHANGÉ DEPUIS HIER" in texts[D(2026, 10, 7)]
    assert "CE QUI A CHANGÉ DEPUIS MERCREDI" in texts[D(2026, 10, 9)]
    assert "CE QUI A CHANGÉ DEPUIS VENDREDI" in texts[D(2026, 10, 12)]
    html = next(r for r in ledger(session, "digest") if r.day == D(2026, 10, 12)).payload["html"]
    assert "Ce qui a changé depuis vendredi" in html


def test_a_school_without_director_address_is_named_in_the_digest(
    tmp_path: Path, database_url: str, engine: Engine, session: Session
) -> None:
    app = reminder_app(tmp_path, database_url, engine)
    add(session, 1, "École Saint-Joseph")
    mute = add(session, 2, "École Sans-Adresse")
    mute.director_email = ""
    session.add(mute)
    session.commit()
    sweep(app, paris(D(2026, 10, 5), 7, 30))
    payload = ledger(session, "digest")[0].payload
    assert "ÉCOLES SANS ADRESSE DE DIRECTEUR" in payload["text"]
    assert f"  - École Sans-Adresse ({mute.uai})" in payload["text"]
    assert f"École Sans-Adresse ({mute.uai})" in payload["html"]
    assert "École Saint-Joseph (" not in payload["text"].split("SANS ADRESSE")[1]
