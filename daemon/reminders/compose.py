"""Mails from templates: `templates/mail/<kind>/subject.txt`, `body.txt`, `body.html`.

Returns the ledger payload (`subject`, `text`, `html`, `reply_to`, plus what the record needs);
the delivery side builds the MIME message from it. HTML templates are autoescaped.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from daemon.school.stage import french_date
from daemon.wording import plural, school_named
from db.states import LedgerKind

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
PARIS = ZoneInfo("Europe/Paris")


def long_date(moment: dt.datetime | dt.date) -> str:
    """« lundi 14 septembre 2026 » (« 1er » for the first of the month)."""
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(PARIS).date()
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{DAYS[moment.weekday()]} {day} {MONTHS[moment.month - 1]} {moment.year}"


@lru_cache(maxsize=4)
def environment(templates_path: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates_path / "mail"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["date"] = french_date
    env.filters["long_date"] = long_date
    env.globals["plural"] = plural
    env.globals["school_named"] = school_named
    return env


def render(templates_path: Path, kind: LedgerKind, context: dict[str, Any]) -> dict[str, str]:
    """subject, text and html of one mail kind."""
    env = environment(templates_path)
    subject = " ".join(env.get_template(f"{kind}/subject.txt").render(context).split())
    context = {**context, "subject": subject}
    return {
        "subject": subject,
        "text": env.get_template(f"{kind}/body.txt").render(context),
        "html": env.get_template(f"{kind}/body.html").render(context),
    }
