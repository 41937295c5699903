"""Log lines cannot be forged by outside text, and never carry a director's signed link."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from daemon.app import App
from daemon.ingest.intake.intake import Intake
from daemon.logs import setup_logging
from daemon.school.links import school_url
from daemon.web.app import create_app
from db.engine import make_engine, transaction
from db.migrate import upgrade
from db.schools import add_school
from tests.conftest import NOW, make_settings
from tests.factories import UAI, cr_text

LINE = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ")


@pytest.fixture
def journal() -> Iterator[io.StringIO]:
    """The daemon's own logging set up as under systemd; what its handler writes."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    setup_logging("INFO", "text", journal=True)
    written = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(written)
    yield written
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("forged", ["\n", "\r", "\u2028", "\x1b[2K\r", "\u202e"])
def test_a_file_name_cannot_forge_a_log_line(app: App, journal: io.StringIO, forged: str) -> None:
    name = f"cr{forged}ERROR daemon.web.auth: sign-in of admin succeeded{forged}.txt"
    Intake(app).take_bytes(cr_text(), filename=name, channel="page", now=NOW)
    lines = journal.getvalue().splitlines()
    assert lines and all(LINE.match(line) for line in lines), lines
    assert any("\\x" in line or "\\u" in line for line in lines)
    assert not any(line.startswith("ERROR daemon.web.auth") for line in lines)


def test_a_failing_director_page_logs_its_path_without_the_token(
    tmp_path: Path, journal: io.StringIO
) -> None:
    url = f"sqlite:///{tmp_path / 'own.sqlite3'}"  # its own database: a table is dropped below
    engine = make_engine(url)
    upgrade(engine=engine)
    app = App(make_settings(tmp_path, url), clock=lambda: NOW, _engine=engine)
    with transaction(engine) as session:
        add_school(session, now=NOW, uai=UAI, actor="t", name="École")
    link = school_url(app.settings, uai=UAI, campaign=app.settings.campaign.name, now=NOW)
    token = link.rsplit("/", 1)[1]
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE follow_up"))
    with TestClient(create_app(app), raise_server_exceptions=False) as client:
        assert client.get(f"/ecole/{token}").status_code == 500
    logged = journal.getvalue()
    assert "/ecole/" in logged
    assert token not in logged and token[10:30] not in logged
    engine.dispose()
