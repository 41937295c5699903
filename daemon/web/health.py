"""`GET /healthz`: every part of every daemon sharing the database, alive or not, the
scheduler's last sweep, the mail server's and the coordination mailbox's state — read from the
rows the lifecycles, the senders and the mailbox reader write (`db.health`), so a web part shows
the sender of another process.

The answer is built in one place, `health_answer`: the whole of it for a signed-in coordinator,
« ok » or « pas ok » overall and per part (`public_health`) for anyone else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from daemon.app import App
from daemon.delivery.health import server_name, smtp_json
from db.engine import DB_UNAVAILABLE, reading
from db.health import SCHEDULER_PART, heartbeats, is_fresh, mailbox_health, smtp_health
from db.models import Heartbeat, MailboxHealth, SmtpHealth


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def part_json(beat: Heartbeat, now: dt.datetime) -> dict[str, Any]:
    """One part of one daemon; not alive once its beat is stale, whatever it last said."""
    return {
        "alive": beat.alive and is_fresh(beat, now),
        "started_at": _iso(beat.started_at),
        "restarts": beat.restarts,
        "db_waits": beat.db_waits,
        "waiting_for_database": beat.waiting_for_database,
        "last_error": beat.last_error,
        "last_beat_at": _iso(beat.beat_at),
        "instance": beat.instance,
    }


def _instances(beats: Sequence[Heartbeat], now: dt.datetime) -> dict[str, dict[str, Any]]:
    instances: dict[str, dict[str, Any]] = {}
    for beat in beats:
        instance = instances.setdefault(
            beat.instance, {"started_at": _iso(beat.instance_started_at), "parts": {}}
        )
        instance["parts"][beat.part] = part_json(beat, now)
    return instances


def _parts(instances: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each part once: where several daemons run it, the one alive (else the latest beat)."""
    parts: dict[str, dict[str, Any]] = {}
    for instance in instances.values():
        for name, entry in instance["parts"].items():
            shown = parts.get(name)
            rank = (entry["alive"], entry["last_beat_at"] or "")
            if shown is None or rank > (shown["alive"], shown["last_beat_at"] or ""):
                parts[name] = entry
    return parts


def mailbox_json(row: MailboxHealth) -> dict[str, Any]:
    """The coordination mailbox as its reader last saw it."""
    return {
        "source": row.source,
        "state": row.state,
        "up": row.state != "down",
        "since": _iso(row.since),
        "last_error": row.last_error,
    }


def read_mailbox_health(app: App) -> MailboxHealth | None:
    """The coordination mailbox's row, for the coordinators' banner."""
    with reading(app.engine) as session:
        found = mailbox_health(session)
        session.expunge_all()
    return found


def health_body(
    beats: Sequence[Heartbeat],
    smtp: SmtpHealth,
    now: dt.datetime,
    mailbox: MailboxHealth | None = None,
) -> tuple[bool, dict[str, Any]]:
    """(healthy, the JSON answer) from the rows, at the real time `now`."""
    instances = _instances(beats, now)
    healthy = all(e["alive"] for i in instances.values() for e in i["parts"].values())
    ticks = [b.worked_at for b in beats if b.part == SCHEDULER_PART and b.worked_at]
    starts = [b.instance_started_at for b in beats]
    body = {
        "status": "ok" if healthy else "degraded",
        "started_at": _iso(min(starts)) if starts else None,
        "parts": _parts(instances),
        "instances": instances,
        "scheduler_last_tick_at": _iso(max(ticks)) if ticks else None,
        "delivery": {"smtp": smtp_json(smtp)},
    }
    if mailbox is not None:  # a mailbox reader wrote its row
        body["mailbox"] = mailbox_json(mailbox)
    return healthy, body


def public_health(health: dict[str, Any]) -> dict[str, Any]:
    """What anyone may read of the health answer: « ok » or « pas ok », overall and per part
    (the SMTP server as a part); no error, date or count."""

    def word(good: bool) -> str:
        return "ok" if good else "pas ok"

    parts = {
        str(name): word(isinstance(state, dict) and bool(state.get("alive")))
        for name, state in (health.get("parts") or {}).items()
    }
    smtp = (health.get("delivery") or {}).get("smtp")
    if isinstance(smtp, dict) and "up" in smtp:
        parts["smtp"] = word(bool(smtp["up"]))
    mailbox = health.get("mailbox")
    if isinstance(mailbox, dict) and "up" in mailbox:
        parts["mailbox_server"] = word(bool(mailbox["up"]))
    return {"status": word(health.get("status") == "ok"), "parts": parts}


def health_answer(app: App, *, details: bool = True) -> tuple[int, dict[str, Any]]:
    """The status code and JSON of `GET /healthz`: with `details` (a signed-in coordinator)
    everything above, else `public_health` of it."""
    try:
        with reading(app.engine) as session:
            smtp = smtp_health(session, server=server_name(app.settings.smtp))
            mailbox = mailbox_health(session)
            healthy, body = health_body(heartbeats(session), smtp, app.wall(), mailbox)
    except DB_UNAVAILABLE:
        healthy, body = False, {"status": "degraded", "database": "indisponible"}
    return (200 if healthy else 503), body if details else public_health(body)
