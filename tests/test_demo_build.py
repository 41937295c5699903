"""The living demo: a plausible campaign around today, built through the real code — intake,
actions, sweeps, and the sender delivering to the demo's mail catcher."""

from __future__ import annotations

import datetime as dt
import re
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from daemon.app import App
from daemon.cli import cli
from daemon.clock import utc_now
from daemon.config import load_settings
from daemon.demo.build import DEMO_PASSWORD, DEMO_USER, build_demo
from daemon.demo.mailcatcher import list_mails
from daemon.demo.timeline import PARIS, calendar, campaign_dates
from daemon.web.accounts import authenticate
from db.engine import reading, transaction
from tests.conftest import REPO
from tests.demo_helpers import NOW, TODAY, Heard

# Building the demo takes about half a minute: it is built once per test run, the xdist workers
# sharing it through a file lock (tests/demo_helpers.py), and each test works on its own copy.
# `xdist_group` would ask `--dist loadgroup` for one worker (pytest 9.2 no longer lets it).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]


def query(demo: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    app = App(load_settings(demo / "relance.toml", {}))
    with reading(app.engine) as session:
        rows = [tuple(r) for r in session.execute(text(sql)).all()]
    app.close()
    return rows


def test_the_campaign_dates_are_school_days_around_today(demo: Path) -> None:
    config = tomllib.loads((demo / "relance.toml").read_text(encoding="utf-8"))
    dates = campaign_dates(TODAY)
    campaign = config["campaign"]
    assert (campaign["start"], campaign["observation_date"], campaign["deadline"]) == (
        dates.start,
        dates.observation_date,
        dates.deadline,
    )
    cal = calendar()
    assert all(cal.is_school_day(d) for d in (dates.observation_date, dates.deadline))
    assert dates.observation_date < TODAY < dates.deadline


def test_every_stage_is_there_and_only_schools_under_contrat_d_association(demo: Path) -> None:
    stages = dict(query(demo, "SELECT stage, count(*) FROM follow_up GROUP BY stage"))
    assert set(stages) == {
        "awaiting_export",
        "exported",
        "errors",
        "awaiting_ine",
        "ready_to_validate",
        "validated",
    }
    assert query(demo, "SELECT DISTINCT sector, contract FROM school") == [("prive", "association")]
    assert query(demo, "SELECT DISTINCT outcome FROM intake_file") == [("processed",)]
    addresses = query(demo, "SELECT director_email FROM school")
    assert all(a.endswith("@ecoles.demo.invalid") for (a,) in addresses)


def test_no_school_validated_before_the_observation_date(demo: Path) -> None:
    observation = campaign_dates(TODAY).observation_date
    moments = query(demo, "SELECT at FROM event WHERE kind = 'validation_declared'")
    assert len(moments) >= 20
    assert all(_paris(at).date() >= observation for (at,) in moments)


def test_a_compte_rendu_comes_after_the_export_it_reports_on(demo: Path) -> None:
    rows = query(
        demo,
        "SELECT d.submitted_at, d.processed_at, d.received_at, ("
        " SELECT max(x.received_at) FROM export_submission x"
        " WHERE x.school_id = d.school_id AND x.received_at < d.received_at)"
        " FROM document d",
    )
    assert len(rows) > 150
    for submitted, processed, received, exported in rows:
        assert exported is not None  # never a compte rendu before any export
        assert exported <= submitted < processed < received


def test_activity_runs_up_to_today(demo: Path) -> None:
    days = dict(
        query(
            demo,
            "SELECT date(at), count(*) FROM event WHERE kind IN"
            " ('export_received', 'compte_rendu_ingested', 'validation_declared') GROUP BY 1",
        )
    )
    last_week = campaign_dates(TODAY).history[-5:]
    assert all(days.get(day.isoformat(), 0) >= 5 for day in last_week), days


def test_slow_schools_are_reminded_several_times_and_escalated(demo: Path) -> None:
    never_exported = query(
        demo,
        "SELECT count(*) FROM reminder r JOIN follow_up f ON f.school_id = r.school_id"
        " WHERE r.kind = 'reminder' AND f.stage = 'awaiting_export' AND r.status = 'sent'"
        " GROUP BY r.school_id",
    )
    assert never_exported and min(n for (n,) in never_exported) >= 3
    assert query(demo, "SELECT count(*) FROM event WHERE kind = 'escalated'")[0][0] > 10
    escalation_mails = query(demo, "SELECT count(*) FROM reminder WHERE kind = 'escalation'")
    assert escalation_mails[0][0] > 0
    digests = query(demo, "SELECT count(*) FROM reminder WHERE kind = 'digest'")
    assert digests[0][0] >= 10  # one a school day


def test_past_mails_are_in_the_mail_box_dated_then_and_the_last_round_waits(demo: Path) -> None:
    """Every school day's mails were delivered then, but the last one's: it leaves when the
    daemon starts, and a few directors have their answer ready for it."""
    mails = list_mails(demo / "mails", limit=5000)
    sent = query(demo, "SELECT count(*) FROM reminder WHERE status = 'sent'")[0][0]
    assert len(mails) == sent > 500
    history = campaign_dates(TODAY).history
    assert all(m["sent_at"].astimezone(PARIS).date() in history[:-1] for m in mails)
    assert any(m["cc"] for m in mails)  # problems go to support, the coordination in copy
    waiting = query(
        demo, "SELECT DISTINCT status, date(created_at) FROM reminder WHERE status != 'sent'"
    )
    assert waiting == [("pending", history[-1].isoformat())]
    prepared = sorted(p.name.split(".", 1)[1] for p in (demo / "replies").iterdir())
    assert prepared == ["away.eml", "bounce", "note.eml", "reply.eml", "reply.eml", "reply.eml"]


def test_the_readme_says_what_the_demo_shows(demo: Path) -> None:
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    schools = query(demo, "SELECT count(*) FROM school")[0][0]
    assert f"the {schools} private schools under contrat d'association" in readme
    assert "http://127.0.0.1:8000/" in readme and "serveur local 127.0.0.1:8001" in readme
    assert "connexion : coordination@demo.invalid / demo-relance" in readme


def test_building_the_demo_twice_keeps_the_first_one(demo: Path) -> None:
    count = query(demo, "SELECT count(*) FROM school")[0][0]
    again = build_demo(demo, now=NOW + dt.timedelta(days=1))
    assert not again.created and again.schools == count


def test_building_reports_its_progress(built: tuple[Path, list[Heard]]) -> None:
    heard = built[1]
    days = [(done, total) for step, done, total in heard if step == "jours"]
    assert ("écoles", 1, 1) in heard
    assert days and days[-1][0] == days[-1][1] == 17
    assert [d for d, _t in days] == sorted(d for d, _t in days)


def test_relance_demo_build_only_prepares_the_demo_and_its_sign_in(demo: Path) -> None:
    again = CliRunner().invoke(cli, ["demo", "--dir", str(demo), "--build-only"])
    assert again.exit_code == 0 and "démo reprise" in again.output
    schools = query(demo, "SELECT count(*) FROM school")[0][0]
    assert f"démo reprise : {schools} écoles" in again.output
    app = App(load_settings(demo / "relance.toml", {}))
    with transaction(app.engine) as session:
        user = authenticate(session, email=DEMO_USER, password=DEMO_PASSWORD, now=utc_now())
    app.close()
    assert user is not None


def test_port_moves_the_pages_the_mail_catcher_and_the_links_together(demo: Path) -> None:
    from daemon.delivery.outbox import rebase

    before = list_mails(demo / "mails", limit=5000)
    linked = [m for m in before if "http://127.0.0.1:8000/" in m["text"]]
    assert linked
    moved = CliRunner().invoke(cli, ["demo", "--dir", str(demo), "--port", "8150", "--build-only"])
    assert moved.exit_code == 0, moved.output
    config = tomllib.loads((demo / "relance.toml").read_text(encoding="utf-8"))
    assert config["web"]["port"] == 8150 and config["smtp"]["port"] == 8151
    assert config["web"]["base_url"] == "http://127.0.0.1:8150"
    after = {m["key"]: m for m in list_mails(demo / "mails", limit=5000)}
    for mail in linked:
        text, html = after[mail["key"]]["text"], after[mail["key"]]["html"]
        assert "127.0.0.1:8000" not in text + html
        assert text == rebase(mail["text"], "http://127.0.0.1:8000", "http://127.0.0.1:8150")
        assert after[mail["key"]]["sent_at"] == mail["sent_at"]  # the mail as it was, relinked


def test_relance_demo_stops_at_once_when_its_ports_are_taken(demo: Path) -> None:
    import socket

    with socket.socket() as web:
        web.bind(("127.0.0.1", 0))
        web.listen()
        port = web.getsockname()[1]
        taken = CliRunner().invoke(cli, ["demo", "--dir", str(demo), "--port", str(port)])
        assert taken.exit_code == 1
        assert f"port {port} déjà pris (pages web de la démo)" in taken.output
        assert "--port N" in taken.output and "connexion :" not in taken.output
    with socket.socket() as mail:
        mail.bind(("127.0.0.1", 0))
        mail.listen()
        port = mail.getsockname()[1] - 1
        taken = CliRunner().invoke(cli, ["demo", "--dir", str(demo), "--port", str(port)])
        assert taken.exit_code == 1
        assert f"port {port + 1} déjà pris (serveur de courrier de la démo)" in taken.output
        assert "connexion :" not in taken.output


def free_pair() -> int:
    """A port free, and the next one too (the demo's pages and mail catcher)."""
    import socket

    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = int(first.getsockname()[1])
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return port
    raise RuntimeError("no two free ports in a row")


def test_starting_prints_the_address_and_the_login_last(demo: Path) -> None:
    """`relance demo` as run from a terminal: the startup logs first, the address last; no
    « mail caught » line."""
    port = free_pair()
    process = subprocess.Popen(
        [sys.executable, "-m", "daemon", "demo", "--dir", str(demo), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if line.startswith("  arrêt :") or not line:
                break
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    output = "".join(lines)
    assert f"  pages :     http://127.0.0.1:{port}/" in output
    assert (
        f"courriels : http://127.0.0.1:{port}/demo/courriels (serveur local 127.0.0.1:{port + 1})"
        in output
    )
    banner = output.index("  pages :")
    assert output.index("Uvicorn running") < banner
    assert re.search(r"daemon\.reminders\.sweep: sweep at", output[:banner])
    assert re.search(r"daemon\.delivery\.sender: sender: batch of \d+", output[:banner])
    assert "kind=reply status=processed" in output[:banner]  # the directors' answers, read
    after = output[banner:] + rest
    assert "INFO" not in after.split("  arrêt :")[0]
    assert "mail caught" not in output + rest


def test_make_run_passes_its_port(tmp_path: Path) -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "PORT   ?= 8000" in makefile
    assert "relance demo --dir $(DEMO) --port $(PORT)" in makefile


def _paris(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC).astimezone(PARIS)
