"""`relance outbox [--send] [--now ISO]`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.engine import Engine

from daemon.cli import cli
from tests.delivery_helpers import add_reminders, rows
from tests.mailsink import MailSink


def run(tmp_path: Path, database_url: str, sink: MailSink, *args: str):
    env = {
        "RELANCE_DATABASE_URL": database_url,
        "RELANCE_STATE_DIR": str(tmp_path),
        "RELANCE_SMTP__PORT": str(sink.port),
        "RELANCE_SMTP__RATE_PER_MINUTE": "10000",
    }
    return CliRunner().invoke(cli, ["outbox", *args], env=env)


def test_lists_then_sends_what_is_due_at_the_given_time(
    tmp_path: Path, database_url: str, engine: Engine, mailsink: MailSink
) -> None:
    keys = add_reminders(engine, 2)  # due just before Monday 14 September 2026, 10:00 Paris
    listed = run(tmp_path, database_url, mailsink)
    assert listed.exit_code == 0, listed.output
    assert keys[0] in listed.output and "en attente" in listed.output
    early = run(tmp_path, database_url, mailsink, "--send", "--now", "2026-09-14T09:00")
    assert early.exit_code == 0, early.output
    assert "0 mail traité" in early.output and mailsink.messages == []
    sent = run(tmp_path, database_url, mailsink, "--send", "--now", "2026-09-14T10:00")
    assert sent.exit_code == 0, sent.output
    assert "2 mails traités" in sent.output and "Aucun mail en attente" in sent.output
    assert len(mailsink.messages) == 2
    assert all(r.status == "sent" for r in rows(engine).values())


def test_a_down_server_is_said_and_nothing_is_lost(
    tmp_path: Path, database_url: str, engine: Engine, mailsink: MailSink
) -> None:
    add_reminders(engine, 1)
    mailsink.stop()
    result = run(tmp_path, database_url, mailsink, "--send", "--now", "2026-09-14T10:00")
    assert result.exit_code == 0, result.output
    assert "serveur SMTP : injoignable" in result.output and "en attente" in result.output
