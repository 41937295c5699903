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
