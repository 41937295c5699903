"""What the subcommands share: lazy settings and app, error reporting, the clock.

Light to import: the configuration (pydantic) and the app (the database) are loaded on first
use, so that a command that needs neither starts at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from daemon.app import App
    from daemon.config import Settings

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
        self.config_file = config_path(config_file)
        self._settings: Settings | None = None
        self._app: App | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from daemon.config import ConfigError, load_settings

            try:
                self._settings = load_settings(self.config_file)
            except ConfigError as exc:
                fail("configuration invalide\n" + str(exc), code=2)
        return self._settings

    @property
    def app(self) -> App:
        if self._app is None:
            from daemon.app import App

            self._app = App(self.settings)
        return self._app

    @property
    def reading_app(self) -> App:
        """The app of a command that only reads: it never creates the database."""
        from sqlalchemy.engine import make_url

        from db.engine import database_missing

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


def config_path(explicit: str | None) -> Path | None:
    """The file to read: --config, else $RELANCE_CONFIG, else ./relance.toml if it exists (the
    rule of `daemon.config.config_path`, which imports the whole settings table)."""
    from daemon.config.paths import config_path as find

    return find(explicit, os.environ)


def parse_now(value: str | None) -> dt.datetime:
    """`--now` for deterministic runs: an ISO time (Europe/Paris when no offset), else the clock."""
    if not value:
        from daemon.clock import utc_now

        return utc_now()
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        fail(f"--now : date ISO attendue (ex. 2026-09-15T09:00), pas {value!r}")
    if moment.tzinfo is None:
        from zoneinfo import ZoneInfo

        moment = moment.replace(tzinfo=ZoneInfo("Europe/Paris"))
    return moment.astimezone(dt.UTC)


def print_columns(
    headers: tuple[str, ...], rows: list[tuple[str, ...]], *, widths: tuple[int, ...]
) -> None:
    """Aligned columns, one line per row, each cell cut to its column's width (« … »). Plain
    text: a long list (thousands of schools) prints at once, unlike a drawn table."""
    sizes = [
        min(limit, max([len(headers[i]), *(len(row[i]) for row in rows)]))
        for i, limit in enumerate(widths)
    ]

    def line(cells: tuple[str, ...]) -> str:
        cut = [c if len(c) <= n else c[: n - 1] + "…" for c, n in zip(cells, sizes, strict=True)]
        return "  ".join(c.ljust(n) for c, n in zip(cut, sizes, strict=True)).rstrip()

    click.echo(
        "\n".join([line(headers), line(tuple("─" * n for n in sizes))] + [line(r) for r in rows])
    )


def json_text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def print_json(data: Any) -> None:
    click.echo(json_text(data))
