"""`/healthz` from the rows every daemon writes: the web of one process shows the parts and the
mail server seen by another, and a part whose heartbeat went stale as not alive."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from daemon.app import App
from daemon.web.health import health_body
from db.health import STALE_AFTER
from db.models import Heartbeat, SmtpHealth
from db.states import SmtpState
from tests.conftest import NOW
from tests.delivery_helpers import add_reminders
from tests.imapserver import imap_fixture  # noqa: F401 — the `imap` fixture
from tests.mailsink import free_port
from tests.web_helpers import client_for, signed_in

REPO = Path(__file__).resolve().parents[1]
REAL_NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def beat(instance: str, part: str, *, alive: bool = True, ago: float = 1.0) -> Heartbeat:
    return Heartbeat(
        instance=instance,
        part=part,
        instance_started_at=REAL_NOW - dt.timedelta(hours=1),
        alive=alive,
        started_at=REAL_NOW - dt.timedelta(hours=1),
        beat_at=REAL_NOW - dt.timedelta(seconds=ago),
    )


def test_a_stale_heartbeat_is_not_alive_whatever_its_row_says() -> None:
    beats = [beat("a:1", "web"), beat("b:2", "sender", ago=STALE_AFTER.total_seconds() + 1)]
    healthy, body = health_body(beats, SmtpHealth(server="s"), REAL_NOW)
    assert not healthy and body["status"] == "degraded"
    assert body["parts"]["web"]["alive"] and not body["parts"]["sender"]["alive"]
    assert body["instances"]["b:2"]["parts"]["sender"]["instance"] == "b:2"


def test_a_part_run_by_two_daemons_is_shown_alive_when_one_runs_it() -> None:
    beats = [beat("a:1", "sender"), beat("b:2", "sender", alive=False)]
    healthy, body = health_body(beats, SmtpHealth(server="s"), REAL_NOW)
    assert body["parts"]["sender"]["instance"] == "a:1" and body["parts"]["sender"]["alive"]
    assert not healthy  # the other one is down all the same


def test_the_answer_keeps_the_shape_healthz_always_had() -> None:
    ticked = beat("a:1", "scheduler")
    ticked.worked_at = NOW
    smtp = SmtpHealth(server="s", state=SmtpState.DOWN, since=NOW, last_error="refusé", sent=3)
    healthy, body = health_body([ticked], smtp, REAL_NOW)
    assert healthy and body["status"] == "ok"
    assert body["started_at"] == (REAL_NOW - dt.timedelta(hours=1)).isoformat()
    assert set(body["parts"]["scheduler"]) >= {
        "alive",
        "started_at",
        "restarts",
        "db_waits",
        "waiting_for_database",
        "last_error",
    }
    assert body["scheduler_last_tick_at"] == NOW.isoformat()
    assert body["delivery"]["smtp"] == {
        "state": "down",
        "up": False,
        "since": NOW.isoformat(),
        "last_error": "refusé",
        "last_sent_at": None,
        "sent": 3,
    }


# ---- two processes -----------------------------------------------------------------------------
@dataclass
class OtherDaemon:
    process: subprocess.Popen[bytes]
    smtp_port: int


@pytest.fixture
def sender_process(tmp_path: Path, app: App) -> Iterator[OtherDaemon]:
    """`relance serve --only sender` in its own process, on the same database, with mails due
    and a mail server that refuses connections."""
    add_reminders(app.engine, 3)
    port = free_port()
    env = {
        **os.environ,
        "RELANCE_DATABASE_URL": app.settings.effective_database_url,
        "RELANCE_STATE_DIR": str(tmp_path / "other-state"),
        "RELANCE_SMTP__HOST": "127.0.0.1",
        "RELANCE_SMTP__PORT": str(port),
        "RELANCE_SMTP__RETRY_BASE_SECONDS": "1",
        "RELANCE_SMTP__RETRY_MAX_SECONDS": "2",
        "PYTHONPATH": str(REPO),
    }
    env.pop("RELANCE_CONFIG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "daemon", "serve", "--only", "sender"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield OtherDaemon(process, port)
    if process.poll() is None:
        process.kill()
    process.wait(10)


def wait_for(read: Callable[[], Any], condition: Callable[[Any], bool], timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = read()
        if condition(found):
            return found
        assert time.monotonic() < deadline, f"not seen in time: {found}"
        time.sleep(0.2)


@pytest.mark.slow
def test_the_web_of_one_process_shows_the_sender_of_another_and_its_death(
    app: App, sender_process: OtherDaemon
) -> None:
    smtp = app.settings.smtp.model_copy(
        update={"host": "127.0.0.1", "port": sender_process.smtp_port}
    )
    web = App(app.settings.model_copy(update={"smtp": smtp}), clock=app.clock, _engine=app.engine)
    with signed_in(web) as (coordinator, _csrf), client_for(web) as anyone:

        def health() -> dict[str, Any]:
            return dict(coordinator.get("/healthz").json())

        def sender_saw_it_down(body: dict[str, Any]) -> bool:
            sender = body.get("parts", {}).get("sender", {})
            return bool(sender.get("alive")) and body["delivery"]["smtp"]["state"] == "down"

        seen = wait_for(health, sender_saw_it_down)
        other = seen["parts"]["sender"]["instance"]
        assert other != web.instance and other.endswith(f":{sender_process.process.pid}")
        assert seen["status"] == "ok"  # every part that runs is alive; the mail server is not
        assert seen["delivery"]["smtp"]["last_error"]
        assert anyone.get("/healthz").json() == {
            "status": "ok",
            "parts": {"sender": "ok", "smtp": "pas ok"},
        }
        assert "Le serveur de courrier ne répond pas" in coordinator.get("/").text

        sender_process.process.send_signal(signal.SIGKILL)  # no clean stop: its rows stay
        sender_process.process.wait(10)
        assert coordinator.get("/healthz").json()["parts"]["sender"]["alive"]  # not stale yet
        real = web.wall
        web.wall = lambda: real() + STALE_AFTER + dt.timedelta(seconds=1)
        late = coordinator.get("/healthz")
        public = anyone.get("/healthz")
    assert late.status_code == 503 and late.json()["status"] == "degraded"
    assert late.json()["parts"]["sender"]["alive"] is False
    assert late.json()["parts"]["sender"]["instance"] == other
    assert public.status_code == 503
    assert public.json() == {"status": "pas ok", "parts": {"sender": "pas ok", "smtp": "pas ok"}}


@pytest.mark.slow
def test_the_mailbox_out_of_reach_shows_on_healthz_and_on_the_coordinators_banner(
    tmp_path: Path, engine: Any, imap: Any
) -> None:
    """The mailbox reader (a real IMAP server stopped, then back) writes its row; `/healthz`
    and the dashboard of the web read it, like the SMTP server's."""
    import threading

    from daemon.mailbox.imap import ImapSource
    from daemon.mailbox.poller import Poller
    from tests.mailbox_helpers import build_world

    world = build_world(tmp_path, engine, **imap.mailbox_settings(maildir=""))
    reader = Poller(world.app, ImapSource(world.app.settings.mailbox), worker="test")
    halt = threading.Event()
    thread = threading.Thread(target=reader.run, args=(halt,), daemon=True)
    with signed_in(world.app) as (coordinator, _csrf), client_for(world.app) as anyone:

        def mailbox() -> Any:
            return coordinator.get("/healthz").json().get("mailbox")

        thread.start()
        try:
            assert wait_for(mailbox, lambda m: bool(m) and m["state"] == "up", 30)["up"]
            imap.stop()
            down = wait_for(mailbox, lambda m: m["state"] == "down", 30)
            assert down["up"] is False and down["since"] and down["last_error"]
            assert anyone.get("/healthz").json()["parts"]["mailbox_server"] == "pas ok"
            assert "La boîte de la coordination ne répond pas" in coordinator.get("/").text
            assert "boîte de la coordination" not in anyone.get("/").text
            imap.start()
            wait_for(mailbox, lambda m: m["state"] == "up", 60)
            assert "La boîte de la coordination ne répond pas" not in coordinator.get("/").text
            assert anyone.get("/healthz").json()["parts"]["mailbox_server"] == "ok"
        finally:
            halt.set()
            thread.join(10)
