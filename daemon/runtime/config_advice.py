"""What a valid configuration probably got wrong: said by `relance config check` (which then
exits with its own status) and logged by `relance serve` at start.

A configuration that cannot work is refused when it is loaded (`daemon.config`); these are legal
but likely mistakes: nobody to answer the directors, the support contacts left empty, SMTP still
on the local defaults, a deadline already past, links to 127.0.0.1 in mails that leave the
machine, the observation date or the deadline on a day without school, scans of comptes rendus
that cannot be read because tesseract (OCR) is not installed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from daemon.config import Problem, Settings
from daemon.config.loading import locate_line
from daemon.reminders.calendar import SchoolCalendar


@dataclass(frozen=True)
class Advice:
    key: str  # the setting concerned, dotted
    message: str  # French, for `config check`
    log: str  # English, for the operators' log


def is_local(host: str) -> bool:
    """A host name or address that only this machine reaches."""
    name = host.strip("[]").lower()
    if name in ("localhost", "") or name.endswith(".localhost"):
        return True
    try:
        return ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class CampaignDates:
    """The dates of the campaign followed, when the database knows it: after `relance campaign
    new`, the configuration's dates are last year's and say nothing of what is in force."""

    name: str
    observation_date: dt.date
    deadline: dt.date


def advice(
    settings: Settings, *, today: dt.date, followed: CampaignDates | None = None
) -> list[Advice]:
    """Every probable mistake of `settings`, seen on `today` (the dates of the campaign
    `followed` rather than the configured ones when it is another one)."""
    configured = settings.campaign
    if followed is None or followed.name == configured.name:
        followed = CampaignDates(configured.name, configured.observation_date, configured.deadline)
    return [
        *_contacts(settings),
        *_mail_and_links(settings),
        *_dates(settings, today, followed),
        *_ocr(),
    ]


def _ocr() -> list[Advice]:
    """Scans and photos of comptes rendus need tesseract and its French data."""
    from daemon.ingest.reports.ocr.engine import missing

    why = missing()
    if why is None:
        return []
    return [
        Advice(
            "intake.ocr_seconds",
            f"les scans et photos de comptes rendus seront mis en quarantaine. {why}",
            "OCR not installed: scanned comptes rendus will be quarantined",
        )
    ]


def _contacts(settings: Settings) -> list[Advice]:
    contacts, found = settings.contacts, []
    if not contacts.coordinator_email:
        found.append(
            Advice(
                "contacts.coordinator_email",
                "aucune adresse de la coordination : les directeurs ne peuvent pas répondre aux "
                "relances, et les problèmes sans contact n'ont pas de destinataire",
                "no coordinator address: directors cannot reply to reminders",
            )
        )
    for key, what in (("export_support_email", "export / Ange"), ("onde_support_email", "ONDE")):
        if not getattr(contacts, key):
            found.append(
                Advice(
                    f"contacts.{key}",
                    f"aucune adresse d'assistance {what} : les problèmes et les escalades de "
                    "ce genre iront au contact « autre » ou à la coordination",
                    f"no {key}: those problems and escalations go to the fallback contact",
                )
            )
    return found


def _mail_and_links(settings: Settings) -> list[Advice]:
    smtp, web, found = settings.smtp, settings.web, []
    local_smtp = is_local(smtp.host)
    if local_smtp and smtp.port == 8025 and not web.demo_mail_dir:
        found.append(
            Advice(
                "smtp.host",
                f"le serveur SMTP est encore celui par défaut ({smtp.host}:{smtp.port}, un "
                "serveur local de test) : les mails ne partiront pas vers les écoles",
                f"SMTP still on the local defaults ({smtp.host}:{smtp.port})",
            )
        )
    link_host = urlsplit(web.base_url).hostname or ""
    if is_local(link_host) and not local_smtp:
        found.append(
            Advice(
                "web.base_url",
                f"les liens des mails mènent à {web.base_url}, que seule cette machine ouvre, "
                f"alors que les mails partent par {smtp.host} vers les directeurs",
                f"base_url {web.base_url} is local while mail leaves through {smtp.host}",
            )
        )
    return found


def _dates(settings: Settings, today: dt.date, followed: CampaignDates) -> list[Advice]:
    campaign, found = settings.campaign, []
    if followed.deadline < today:
        found.append(
            Advice(
                "campaign.deadline",
                f"la date limite ({followed.deadline:%d/%m/%Y}) est déjà passée : toutes les "
                "écoles non validées sont en retard",
                f"deadline {followed.deadline} is past",
            )
        )
    calendar = SchoolCalendar(
        ZoneInfo(campaign.timezone),
        campaign.holiday_zone,
        settings.reminders.window_start,
        settings.reminders.window_end,
        frozenset(campaign.extra_days_off),
    )
    for key, what, day in (
        ("observation_date", "la date d'observation", followed.observation_date),
        ("deadline", "la date limite", followed.deadline),
    ):
        reason = calendar.day_off_reason(day)
        if reason:
            found.append(
                Advice(
                    f"campaign.{key}",
                    f"{what} ({day:%d/%m/%Y}) tombe un jour sans école ({reason})",
                    f"{key} {day} is not a school day",
                )
            )
    return found


def as_problems(found: list[Advice], text: str) -> list[Problem]:
    """The advice as problems of the file `text`, each on the line of its setting (if written)."""
    problems = [
        Problem(a.key, a.message, locate_line(text, tuple(a.key.split(".")), exact=True))
        for a in found
    ]
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0))
