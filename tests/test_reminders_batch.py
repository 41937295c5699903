"""A batch of schools read set-wise gives what each school read alone gave; the sweep writes
the same rows whatever its batch size; its write transactions are short enough for the sender
and the intake to write while it runs."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import daemon.reminders.sweep as sweep_module
import daemon.reminders.writing as writing
from bench.reminders_sweep import NOW, build, sweep_settings
from daemon.app import App
from daemon.delivery.outbox import claim_due
from daemon.ingest.intake.intake import Intake
from daemon.reminders.batch import load_batch
from daemon.reminders.report import SweepReport
from daemon.reminders.sweep import campaign_context, decide_due, sweep
from daemon.reminders.writing import SweepWriter
from daemon.school.followup import load_evidence, schools_evidence
from daemon.school.open_items import load_open_items
from db.engine import make_engine, make_quick_engine
from db.ledger import latest
from db.models import Campaign, FollowUp, Reminder, School
from db.states import LedgerKind, ReminderStatus

SCHOOLS = 160


def varied(tmp_path: Path, url: str) -> Any:
    """The benchmark's campaign in small: schools at every stage and ladder step, comptes
    rendus, archives, anomalies (half naming a pupil), pupils without INE (namesakes among
    them), reported problems, snoozes, schools without an address, reminders already sent."""
    settings = sweep_settings(tmp_path / "state", url)
    build(settings, schools=SCHOOLS, seed=11)
    return settings


def test_a_batch_reads_what_each_school_read_alone(tmp_path: Path, database_url: str) -> None:
    settings = varied(tmp_path, database_url)
    app = App(settings, clock=lambda: NOW)
    with Session(app.engine) as session:
        campaign = session.exec(select(Campaign)).one()
        follow_ups = list(session.exec(select(FollowUp).order_by(col(FollowUp.id))))
        ids = [f.id for f in follow_ups if f.id is not None]
        batch = load_batch(session, settings, campaign, ids, NOW)
        evidence = schools_evidence(session, follow_ups=follow_ups, campaign=campaign)
        lost = 0
        stages = {len(batch.items[f.school_id].anomalies) > 0 for f in follow_ups}
        assert stages == {True, False}
        assert any(i.pending for i in batch.items.values())
        assert any(a.last_name != "?" for i in batch.items.values() for a in i.anomalies)
        for follow_up in follow_ups:
            school = session.get(School, follow_up.school_id)
            assert school is not None
            alone = load_open_items(
                session,
                school=school,
                campaign=campaign,
                contacts=settings.contacts,
                onde_url=settings.contacts.onde_url,
                now=NOW,
            )
            assert batch.items[follow_up.school_id] == alone
            assert evidence[follow_up.school_id] == load_evidence(
                session, school_id=follow_up.school_id, campaign=campaign
            )
            for stage in {follow_up.stage.value, "errors", "awaiting_export"}:
                last = latest(
                    session,
                    school_id=follow_up.school_id,
                    campaign_id=follow_up.campaign_id,
                    kind=LedgerKind.REMINDER,
                    stage=stage,
                )
                expected = (last.payload or {}).get("open_count") if last else None
                assert batch.previous_open_count(follow_up, stage) == expected
                since = follow_up.last_reminder_at
                if since is not None:
                    missed = undelivered(session, follow_up, stage, since)
                    lost += missed
                    assert batch.undelivered(follow_up, stage, since) == missed
        assert lost > 0
    app.close()


def undelivered(session: Session, follow_up: FollowUp, stage: str, since: dt.datetime) -> int:
    """The school's reminders of this stage written since `since` that never reached the
    director, counted alone."""
    query = select(Reminder).where(
        Reminder.school_id == follow_up.school_id,
        Reminder.campaign_id == follow_up.campaign_id,
        Reminder.kind == LedgerKind.REMINDER,
        Reminder.stage == stage,
        col(Reminder.status).in_([ReminderStatus.CANCELLED, ReminderStatus.FAILED]),
    )
    return sum(1 for r in session.exec(query) if r.created_at >= since)


def writer_and_sending(app: App, session: Session) -> tuple[SweepWriter, list[Any]]:
    """The sweep's writer at `NOW` and the follow-ups due a reminder, with their decision."""
    campaign = session.exec(select(Campaign)).one()
    assert campaign.id is not None
    ctx = campaign_context(app, campaign)
    sending = [(f, d) for f, _s, d in decide_due(session, ctx, campaign.id, NOW) if d.send]
    report = SweepReport(now=NOW)
    return SweepWriter(app.settings, session, campaign, ctx, NOW, report), sending


def test_the_plans_of_a_batch_are_those_of_each_school_alone(
    tmp_path: Path, database_url: str
) -> None:
    settings = varied(tmp_path, database_url)
    app = App(settings, clock=lambda: NOW)
    with Session(app.engine) as session:
        writer, sending = writer_and_sending(app, session)
        together = writer.plan(sending)
        alone = [plan for one in sending for plan in writer.plan([one])]
    assert len(together) == len(sending) > SCHOOLS // 3
    assert [p.entries for p in together] == [p.entries for p in alone]
    assert [(p.progressed, p.turn.decision) for p in together] == [
        (p.progressed, p.turn.decision) for p in alone
    ]
    kinds = {e.kind for p in together for e in p.entries}
    assert kinds == {LedgerKind.REMINDER, LedgerKind.ESCALATION}
    assert any(p.progressed for p in together) and any(p.reminder is None for p in together)
    app.close()


def test_a_batch_is_planned_in_the_same_queries_whatever_its_size(
    tmp_path: Path, database_url: str
) -> None:
    """Everything a batch's mails are composed from is read set-wise: planning one school
    takes as many queries as planning them all (none per school, such as counting the
    reminders that never reached a director)."""
    settings = varied(tmp_path, database_url)
    app = App(settings, clock=lambda: NOW)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    with Session(app.engine) as session:
        writer, sending = writer_and_sending(app, session)
        counted = []
        for size in (1, len(sending)):
            statements.clear()
            event.listen(app.engine, "before_cursor_execute", count)
            plans = writer.plan(sending[:size])
            event.remove(app.engine, "before_cursor_execute", count)
            counted.append(len(statements))
    assert any(p.turn.decision.reminders_without_progress > 2 for p in plans)
    assert counted[0] == counted[1], counted
    app.close()


def fingerprint(path: Path) -> str:
    """What a sweep wrote: the ledger rows, every follow-up's columns, the events."""
    engine = create_engine(f"sqlite:///{path}")
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for query in (
            "SELECT key, recipient, stage, status, payload FROM reminder ORDER BY key",
            "SELECT * FROM follow_up ORDER BY id",
            "SELECT school_id, kind, message, data, at FROM event ORDER BY school_id, id",
        ):
            for row in conn.execute(text(query)):
                digest.update(repr(tuple(row)).encode())
    engine.dispose()
    return digest.hexdigest()


@pytest.mark.slow
def test_the_sweep_writes_the_same_rows_whatever_its_batch_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = tmp_path / "original.sqlite3"
    make_engine(f"sqlite:///{original}").dispose()
    settings = varied(tmp_path, f"sqlite:///{original}")
    prints = []
    for size in (1, 7, 500):
        copy = tmp_path / f"batch-{size}.sqlite3"
        shutil.copyfile(original, copy)
        monkeypatch.setattr(sweep_module, "BATCH", size)
        app = App(settings.model_copy(update={"database_url": f"sqlite:///{copy}"}))
        report = sweep(app, NOW)
        app.close()
        assert len(report.kinds(LedgerKind.REMINDER)) > SCHOOLS // 3
        assert report.escalations and report.skipped
        prints.append(fingerprint(copy))
    assert prints[0] == prints[1] == prints[2]


def test_the_sender_and_the_intake_write_while_a_sweep_composes(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the sweep reads and composes a batch (here: the second), another process's
    sender claims mails through an engine that gives up after 250 ms on a lock, and a file
    is recorded: the sweep holds no write transaction then."""
    settings = varied(tmp_path, database_url)
    monkeypatch.setattr(sweep_module, "BATCH", 20)
    composing = threading.Event()
    done: list[str] = []
    real = writing.load_batch
    app = App(settings, clock=lambda: NOW)
    report = SweepReport(now=NOW)

    def read_then_write_elsewhere(*args: Any) -> Any:
        """The batch's rows are read; before its mails are composed, the other process
        writes (once a first batch was written)."""
        batch = real(*args)
        if report.created and not composing.is_set():
            composing.set()
            other = threading.Thread(target=write_elsewhere, args=(settings, done))
            other.start()
            other.join(timeout=30)
        return batch

    monkeypatch.setattr(writing, "load_batch", read_then_write_elsewhere)
    monkeypatch.setattr(sweep_module, "SweepReport", lambda now, dry_run: report)
    sweep(app, NOW)
    app.close()
    assert composing.is_set()
    assert done == ["claimed", "recorded"], done
    assert len(report.kinds(LedgerKind.REMINDER)) > SCHOOLS // 3


def write_elsewhere(settings: Any, done: list[str]) -> None:
    """The sender's claim and the intake's record of a file, through an engine that fails
    rather than wait past 250 ms on a lock, each in its own transaction."""
    quick: Engine = make_quick_engine(settings.effective_database_url)
    try:
        claimed = claim_due(quick, worker="autre", now=NOW, limit=5, lease_seconds=60)
        done.append("claimed" if claimed else "nothing to claim")
        intake = Intake(App(settings, clock=lambda: NOW, _engine=quick))
        result = intake.take_bytes(b"", filename="vide.pdf", channel="folder", now=NOW)
        done.append("recorded" if result.outcome == "quarantined" else str(result.outcome))
    except Exception as error:  # the test reads what happened
        done.append(f"failed: {error.__class__.__name__}: {error}")
    finally:
        quick.dispose()
