"""Server-rendered pages: jinja2 templates from `templates/pages/`, autoescaped."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from daemon import TEMPLATES_DIR
from daemon.delivery.health import read_smtp_health
from daemon.school.stage import STAGE_LABELS, STAGE_ORDER, Stage, french_date
from daemon.web.csrf import csrf_field, csrf_token
from daemon.web.health import read_mailbox_health
from daemon.wording import agree, percent, plural
from db.states import ESCALATION_LABELS, REMINDER_STATUS_LABELS

PACKAGED_TEMPLATES = TEMPLATES_DIR
PARIS = ZoneInfo("Europe/Paris")


def templates_root(templates_dir: str) -> Path:
    return Path(templates_dir) if templates_dir else PACKAGED_TEMPLATES


def stage_label(value: str | None) -> str:
    if not value:
        return "—"
    try:
        return Stage(value).label
    except ValueError:
        return value


def escalation_label(step: str) -> str:
    """A ladder step as stored (`coordinator@3`), in French: « coordination après 3 relances »."""
    notify, _, after = step.partition("@")
    who = ESCALATION_LABELS.get(notify, notify)
    return f"{who} après {plural(int(after), 'relance')}" if after.isdigit() else who


def local_time(moment: dt.datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A moment as Paris wall-clock time ("—" when empty)."""
    if moment is None:
        return "—"
    return moment.astimezone(PARIS).strftime(fmt)


def local_date(moment: dt.datetime | dt.date | None) -> str:
    if moment is None:
        return "—"
    return french_date(moment)


@lru_cache(maxsize=8)
def environment(root: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(root) / "pages")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        stage_label=stage_label,
        stage_labels=STAGE_LABELS,
        stage_order=STAGE_ORDER,
        csrf_field=lambda request: Markup(csrf_field(request)),
        csrf_token=csrf_token,
        plural=plural,
        escalation_label=escalation_label,
        reminder_status_labels=REMINDER_STATUS_LABELS,
        agree=agree,
    )
    env.filters.update(local_time=local_time, local_date=local_date, percent=percent)
    return env


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render `templates/pages/<template>` with the request, the signed-in user and `context`."""
    app = request.app.state.app
    env = environment(str(templates_root(app.settings.templates_dir)))
    user = getattr(request.state, "user", None)
    values: dict[str, Any] = {
        "request": request,
        "user": user,
        "title": "",
        "demo_mails": bool(app.settings.web.demo_mail_dir),
        "smtp": read_smtp_health(app) if user else None,  # its banner is for coordinators
        "mailbox": read_mailbox_health(app) if user else None,
    }
    values.update(context or {})
    html = env.get_template(template).render(values)
    return HTMLResponse(html, status_code=status)
