"""`relance demo` (what `make run` starts): a living demo installation in a local folder — a
campaign around today, the private schools of Ille-et-Vilaine, three weeks of history replayed
through the real intake — then the local mail catcher and the whole daemon."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import click

from daemon.app import App
from daemon.cli.base import console, fail
from daemon.cli.serve_cmd import run_daemon
from daemon.config import load_settings
from daemon.demo.build import DEMO_PASSWORD, DEMO_USER, build_demo
from daemon.demo.mailcatcher import start_catcher
from daemon.demo.replies import Responder
from daemon.web.accounts import add_user, get_user
from db.engine import transaction


@click.command("demo")
@click.option(
    "--dir",
    "directory",
    default="demo",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier de la démo (créé au besoin).",
)
@click.option("--build-only", is_flag=True, help="Préparer la démo sans lancer le démon.")
def demo_cmd(directory: Path, build_only: bool) -> None:
    """Prépare et lance une installation de démonstration (SQLite, courriels locaux)."""
    console.print(f"préparation de la démo dans {directory}/ …")
    info = build_demo(directory)
    app = App(load_settings(info.config, {}))
    now = app.now()
    with transaction(app.engine) as session:
        if get_user(session, DEMO_USER) is None:
            add_user(session, email=DEMO_USER, password=DEMO_PASSWORD, name="Démo", now=now)
    state = "créée" if info.created else "reprise"
    console.print(f"démo {state} : {info.schools} écoles, configuration {info.config}")
    if build_only:
        app.close()
        return
    web, smtp = app.settings.web, app.settings.smtp
    if port_in_use(web.host, web.port):
        app.close()
        fail(
            f"port {web.port} déjà pris (pages web de la démo) : arrêtez le programme qui "
            f"l'occupe, ou changez web.port et web.base_url dans {info.config}"
        )
    try:
        directors = Responder(directory / "replies", Path(app.settings.mailbox.maildir))
        catcher = start_catcher(directory / "mails", port=smtp.port, responder=directors)
    except OSError:
        app.close()
        fail(
            f"port {smtp.port} déjà pris (serveur de courrier de la démo) : arrêtez le "
            f"programme qui l'occupe, ou changez smtp.port dans {info.config}"
        )
    console.print(
        f"\n  pages :     {web.base_url}/\n"
        f"  connexion : {DEMO_USER} / {DEMO_PASSWORD}\n"
        f"  courriels : {web.base_url}/demo/courriels (serveur local 127.0.0.1:{smtp.port})\n"
        "  arrêt :     Ctrl-C\n"
    )
    try:
        code = run_daemon(app, stop_timeout=10.0)
    finally:
        catcher.stop()
    sys.exit(code)


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
