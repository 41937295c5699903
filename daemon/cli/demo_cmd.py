"""`relance demo` (what `make run` starts): a living demo installation in a local folder — a
campaign around today, the private schools of Ille-et-Vilaine, three weeks of history replayed
through the real intake — then the local mail catcher and the whole daemon."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from daemon.accounts import add_user, get_user
from daemon.app import App
from daemon.cli.base import console, fail
from daemon.cli.serve_cmd import run_daemon
from daemon.config import load_settings
from daemon.demo.build import DEMO_PASSWORD, DEMO_USER, MAIL_PORT, build_demo
from daemon.demo.mailcatcher import start_catcher
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
    try:
        catcher = start_catcher(directory / "mails", port=MAIL_PORT)
    except OSError as exc:
        fail(f"port {MAIL_PORT} déjà pris (serveur de courrier de la démo) : {exc}")
    base = app.settings.web.base_url
    console.print(
        f"\n  pages :     {base}/\n"
        f"  connexion : {DEMO_USER} / {DEMO_PASSWORD}\n"
        f"  courriels : {base}/demo/courriels (serveur local 127.0.0.1:{MAIL_PORT})\n"
        "  arrêt :     Ctrl-C\n"
    )
    try:
        code = run_daemon(app, stop_timeout=10.0)
    finally:
        catcher.stop()
    sys.exit(code)
