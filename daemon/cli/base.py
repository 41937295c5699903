"""What the subcommands share: lazy settings and app, error reporting, the clock."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url

from daemon.app import App
from daemon.clock import utc_now
from daemon.config import ConfigError, Settings, config_path, load_settings
from db.engine import database_missing

# No markup by default: names, file names and document text are printed as written (a `[/x]`
# in them is text, not a style); the few styled lines ask for markup and escape what they hold.
console = Console(highlight=False, soft_wrap=True, markup=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]erreur[/] : {escape(message)}", markup=True)
    sys.exit(code)


class Context:
    """Settings and app, built on first use so that `relance --help` needs neither."""

    def __init__(self, config_file: str | None) -> None:
        import os

        self.config_file = config_path(config_file, os.environ)
        self._settings: Settings | None = None
        self._app: App | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_file)
            except ConfigError as exc:
                fail("configuration invalide\n" + str(exc), code=2)
        return self._settings

    @property
    def app(self) -> App:
        if self._app is None:
            self._app = App(self.settings)
        return self._app

    @property
    def reading_app(self) -> App:
        """The app of a command that only reads: it never creates the database."""
        url = self.settings.effective_database_url
        if database_missing(url):
            fail(
                f"aucune base de données encore ({make_url(url).database}) : "
                "`relance schools import`, `relance db upgrade` ou `relance serve` la crée"
            )
        return self.app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


pass_context = click.make_pass_decorator(Context)


def parse_now(value: str | None) -> dt.datetime:
    """`--now` for deterministic runs: an ISO time (Europe/Paris when no offset), else the clock."""
    if not value:
        return utc_now()
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        fail(f"--now : date ISO attendue (ex. 2026-09-15T09:00), pas {value!r}")
    if moment.tzinfo is None:
        from zoneinfo import ZoneInfo

        moment = moment.replace(tzinfo=ZoneInfo("Europe/Paris"))
    return moment.astimezone(dt.UTC)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
