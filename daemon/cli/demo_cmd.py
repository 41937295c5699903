"""`relance demo`: a demo installation in a local folder (grows into the full living demo)."""

from __future__ import annotations

from pathlib import Path

import click

from daemon.annuaire import Filters, import_directory
from daemon.app import App
from daemon.cli.base import console
from daemon.config import load_settings
from db.engine import transaction

ANNUAIRE = Path(__file__).resolve().parents[1] / "data" / "demo" / "annuaire-035-2023.csv"


@click.command("demo")
@click.option(
    "--dir", "directory", default="demo", type=click.Path(file_okay=False, path_type=Path)
)
def demo_cmd(directory: Path) -> None:
    """Crée une installation de démonstration (SQLite, écoles privées d'Ille-et-Vilaine)."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "relance.toml"
    if not config.exists():
        config.write_text(f'state_dir = "{(directory / "state").resolve()}"\n', encoding="utf-8")
    app = App(load_settings(config, {}))
    now = app.now()
    with transaction(app.engine) as session:
        report = import_directory(
            session,
            data=ANNUAIRE.read_bytes(),
            filters=Filters(statut="prive", contrat="association"),
            now=now,
            actor="demo",
        )
        app.campaign(session, now)
    app.close()
    console.print(
        f"démo prête dans {directory}/ : {sum(report.counts.values())} écoles "
        f"(relance --config {config} schools list)"
    )
