"""`relance campaign new` (open the next school year) and `relance campaign list`."""

from __future__ import annotations

import datetime as dt

import click
from pydantic import ValidationError
from sqlmodel import Session

from daemon.cli.base import Context, console, fail, pass_context
from daemon.wording import plural
from db.campaigns import CampaignRefused, active_campaign, all_campaigns, validated_count
from db.engine import reading
from db.models import Campaign

DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.group("campaign")
def campaign_group() -> None:
    """Campagnes : ouvrir la nouvelle année scolaire, lister les campagnes gardées."""


@campaign_group.command("new")
@click.argument("name", metavar="NOM")
@click.option("--start", required=True, type=DATE, help="Premier jour (AAAA-MM-JJ).")
@click.option(
    "--observation", required=True, type=DATE, help="Date d'observation du constat (AAAA-MM-JJ)."
)
@click.option("--deadline", required=True, type=DATE, help="Date limite de validation.")
@pass_context
def new_cmd(
    ctx: Context, name: str, start: dt.datetime, observation: dt.datetime, deadline: dt.datetime
) -> None:
    """Ouvre la campagne de l'année scolaire suivante ; la précédente reste consultable."""
    name = name.strip()
    dates = {
        "start": start.date(),
        "observation_date": observation.date(),
        "deadline": deadline.date(),
    }
    _check(ctx, name, dates)
    app = ctx.app
    now = app.now()
    with reading(app.engine) as session:
        previous = active_campaign(session)
        previous_name = previous.name if previous else ""
    try:
        campaign, count = app.open_next_campaign(name=name, dates=dates, now=now, actor="cli")
    except CampaignRefused as exc:
        fail(str(exc))
    console.print(
        f"campagne {campaign.name} ouverte : début le {campaign.start:%d/%m/%Y}, observation le "
        f"{campaign.observation_date:%d/%m/%Y}, date limite le {campaign.deadline:%d/%m/%Y} ; "
        f"{plural(count, 'école suivie', 'écoles suivies')}, suivi repris à zéro"
    )
    if previous_name:
        console.print(
            f"la campagne {previous_name} est close : plus aucune relance, ses chiffres et son "
            f"historique restent consultables jusqu'à sa purge (relance purge --campaign "
            f"{previous_name})"
        )


def _check(ctx: Context, name: str, dates: dict[str, dt.date]) -> None:
    """The new campaign's name and dates, checked as the configuration's would be."""
    from daemon.config.settings import CampaignSettings

    if not name or len(name) > 40:
        fail("nom de campagne attendu (40 caractères au plus), par exemple 2027-2028")
    values = {**ctx.settings.campaign.model_dump(), "name": name, **dates, "extra_days_off": []}
    try:
        CampaignSettings.model_validate(values)
    except ValidationError as exc:
        messages = [str(e.get("ctx", {}).get("error") or e["msg"]) for e in exc.errors()]
        fail("; ".join(messages))


@campaign_group.command("list")
@pass_context
def list_cmd(ctx: Context) -> None:
    """Les campagnes gardées : en cours, closes, purgées, avec leurs chiffres."""
    app = ctx.app
    with reading(app.engine) as session:
        current = active_campaign(session)
        lines = [_line(session, c, current) for c in all_campaigns(session)]
    for line in lines or ["aucune campagne (la première est ouverte au démarrage du démon)"]:
        console.print(line)


def _line(session: Session, campaign: Campaign, current: Campaign | None) -> str:
    total, validated = validated_count(session, campaign_id=campaign.id)
    return (
        f"{campaign.name}  {_state(campaign, current)}  début {campaign.start:%d/%m/%Y}, "
        f"date limite {campaign.deadline:%d/%m/%Y} : {plural(total, 'école')}, "
        f"{plural(validated, 'constat validé', 'constats validés')}"
    )


def _state(campaign: Campaign, current: Campaign | None) -> str:
    if campaign.purged_at is not None:
        return f"purgée le {campaign.purged_at:%d/%m/%Y}"
    if current is not None and campaign.id == current.id:
        return "en cours"
    return "close" if not campaign.active else "active"
