"""`relance demo` (what `make run` starts): a living demo installation in a local folder — a
campaign around today, the private schools under contract of Ille-et-Vilaine, its past replayed
through the real code — then the local mail catcher and the whole daemon. `--port N` puts the
pages on N and the mail catcher on N+1, and the links of the mails with them."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from daemon.cli import french
from daemon.cli.base import console, fail

if TYPE_CHECKING:
    from daemon.app import App
    from daemon.demo.build import DemoInfo

READY_WAIT_SECONDS = 60.0
QUIET_SECONDS = 3.0  # longer than the demo's mailbox polling (2 s): its answers are read first


@click.command("demo")
@click.option(
    "--dir",
    "directory",
    default="demo",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier de la démo (créé au besoin).",
)
@click.option(
    "--port",
    type=french.IntRange(1, 65534),
    default=8000,
    show_default=True,
    help="Port des pages ; le serveur de courrier de la démo prend le suivant.",
)
@click.option("--build-only", is_flag=True, help="Préparer la démo sans lancer le démon.")
def demo_cmd(directory: Path, port: int, build_only: bool) -> None:
    """Prépare et lance une installation de démonstration (SQLite, courriels locaux)."""
    from daemon.demo.build import mail_port

    if not build_only:
        for taken, what in ((port, "pages web"), (mail_port(port), "serveur de courrier")):
            if port_in_use("127.0.0.1", taken):
                fail(
                    f"port {taken} déjà pris ({what} de la démo) : arrêtez le programme qui "
                    f"l'occupe, ou choisissez un autre port (relance demo --port N, "
                    f"make run PORT=N ; les courriels prennent N+1)"
                )
    info = _build(directory, port)
    if build_only:
        return
    _serve(info)


def _build(directory: Path, port: int) -> DemoInfo:
    from rich.progress import Progress, TaskID

    from daemon.demo.build import build_demo

    console.print(f"préparation de la démo dans {directory}/ …")
    with Progress(console=console, transient=True) as progress:
        tasks: dict[str, TaskID] = {}

        def advance(step: str, done: int, total: int) -> None:
            if step not in tasks:
                label = "écoles" if step == "écoles" else "campagne rejouée, jour par jour"
                tasks[step] = progress.add_task(label, total=total)
            progress.update(tasks[step], completed=done, total=total)

        info = build_demo(directory, port=port, progress=advance)
    _ensure_user(info)
    state = "créée" if info.created else "reprise"
    console.print(f"démo {state} : {info.schools} écoles, configuration {info.config}")
    return info


def _ensure_user(info: DemoInfo) -> None:
    from daemon.app import App
    from daemon.config import load_settings
    from daemon.demo.build import DEMO_PASSWORD, DEMO_USER
    from daemon.web.accounts import add_user, get_user
    from db.engine import transaction

    app = App(load_settings(info.config, {}))
    now = app.now()
    with transaction(app.engine) as session:
        if get_user(session, DEMO_USER) is None:
            add_user(session, email=DEMO_USER, password=DEMO_PASSWORD, name="Démo", now=now)
    app.close()


def _serve(info: DemoInfo) -> None:
    from daemon.app import App
    from daemon.cli.serve_cmd import run_daemon
    from daemon.config import load_settings
    from daemon.demo.mailcatcher import start_catcher
    from daemon.demo.replies import Responder

    app = App(load_settings(info.config, {}))
    try:
        directors = Responder(info.directory / "replies", Path(app.settings.mailbox.maildir))
        catcher = start_catcher(
            info.directory / "mails", port=app.settings.smtp.port, responder=directors
        )
    except OSError:
        app.close()
        fail(f"port {app.settings.smtp.port} déjà pris (serveur de courrier de la démo)")

    async def announce(app: App, stop: asyncio.Event) -> None:
        """Once the daemon has started (its pages answer, its first sweep is done, what was
        due is sent, the directors' answers are read, the journal is quiet), where to look:
        the last thing printed."""
        await asyncio.to_thread(wait_until_started, app, stop, directors.busy)
        if not stop.is_set():
            console.print(banner(app))
        await stop.wait()

    try:
        code = run_daemon(app, stop_timeout=10.0, extra=[("annonce", announce)])
    finally:
        catcher.stop()
    sys.exit(code)


def banner(app: App) -> str:
    from daemon.demo.build import DEMO_PASSWORD, DEMO_USER

    web, smtp = app.settings.web, app.settings.smtp
    return (
        f"\n  pages :     {web.base_url}/\n"
        f"  connexion : {DEMO_USER} / {DEMO_PASSWORD}\n"
        f"  courriels : {web.base_url}/demo/courriels (serveur local 127.0.0.1:{smtp.port})\n"
        "  arrêt :     Ctrl-C\n"
    )


class LastLine(logging.Handler):
    """Remembers when the journal last wrote a line."""

    def __init__(self) -> None:
        super().__init__()
        self.at = time.monotonic()

    def emit(self, record: logging.LogRecord) -> None:
        self.at = time.monotonic()


def wait_until_started(
    app: App,
    stop: asyncio.Event,
    busy: Callable[[], bool] = lambda: False,
    timeout: float = READY_WAIT_SECONDS,
) -> None:
    """Until the pages answer, the scheduler has swept once, nothing due is left unsent,
    nothing is `busy` and the journal has been quiet for QUIET_SECONDS (or `timeout`)."""
    from daemon.delivery.outbox import unsent_count
    from daemon.reminders.scheduler import last_tick_at

    journal = LastLine()
    logging.getLogger().addHandler(journal)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not stop.is_set():
            started = _answers(app) and last_tick_at(app) is not None and not busy()
            quiet = time.monotonic() - journal.at >= QUIET_SECONDS
            if started and quiet and unsent_count(app.engine, now=app.now()) == 0:
                return
            time.sleep(0.2)
    finally:
        logging.getLogger().removeHandler(journal)


def _answers(app: App) -> bool:
    """Whether the daemon's pages answer (whatever they say)."""
    import urllib.error
    import urllib.request

    url = f"http://{app.settings.web.host}:{app.settings.web.port}/healthz"
    try:
        urllib.request.urlopen(url, timeout=1.0).close()
    except urllib.error.HTTPError:  # it answers, some part not alive yet
        return True
    except OSError:
        return False
    return True


def port_in_use(host: str, port: int) -> bool:
    """Whether `host:port` cannot be listened on: checked before the address is printed, so
    that a newcomer is never sent to another program's pages."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False
