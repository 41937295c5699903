"""`relance sweep [--now ISO] [--dry-run]` and `relance mail preview UAI [--now ISO]`."""

from __future__ import annotations

import click

from daemon.cli import french
from daemon.cli.base import Context, console, fail, parse_now, pass_context, print_json
from daemon.codes import InvalidUAI, parse_uai
from daemon.reminders.compose import PARIS, long_date
from daemon.reminders.policy import policy_stage
from daemon.reminders.report import SweepReport
from daemon.reminders.sweep import campaign_context, sweep
from daemon.wording import plural
from db.campaigns import follow_up_for
from db.engine import reading
from db.schools import get_school


@click.command("sweep")
@click.option(
    "--now",
    "now_text",
    metavar="DATE",
    help="Heure du passage (ISO, heure de Paris sans décalage).",
)
@click.option("--dry-run", is_flag=True, help="Montrer ce qui serait préparé, sans rien écrire.")
@click.option("--json", "as_json", is_flag=True, help="Résultat en JSON.")
@pass_context
def sweep_cmd(ctx: Context, now_text: str | None, dry_run: bool, as_json: bool) -> None:
    """Un passage des relances : prépare les mails dus (relances, signalements, points du jour)."""
    app = ctx.reading_app if dry_run else ctx.app
    report = sweep(app, parse_now(now_text), dry_run=dry_run)
    if as_json:
        print_json(_as_json(report))
        return
    for line in report_lines(report):
        console.print(line, markup=False)


def report_lines(report: SweepReport) -> list[str]:
    made = len(report.created)
    if report.dry_run:
        verb = "serait préparé" if made <= 1 else "seraient préparés"
    else:
        verb = "préparé" if made <= 1 else "préparés"
    local = report.now.astimezone(PARIS)
    lines = [
        f"Passage du {long_date(local)} à {local.hour} h {local.minute:02d} (heure de Paris) : "
        f"{plural(report.examined, 'école examinée', 'écoles examinées')}, "
        f"{plural(made, 'mail')} {verb}, "
        f"{plural(report.scheduled, 'relance planifiée', 'relances planifiées')}."
    ]
    for planned in report.created:
        who = f"{planned.uai} " if planned.uai else ""
        lines.append(f"  {planned.kind:<10} {who}→ {planned.recipient} : {planned.subject}")
    lines += [f"  signalement : {line}" for line in report.escalations]
    lines += [f"  non préparé : {line}" for line in report.skipped]
    return lines


def _as_json(report: SweepReport) -> dict[str, object]:
    return {
        "now": report.now.isoformat(),
        "dry_run": report.dry_run,
        "examined": report.examined,
        "scheduled": report.scheduled,
        "created": [p.__dict__ for p in report.created],
        "escalations": report.escalations,
        "skipped": report.skipped,
        "decide_seconds": report.decide_seconds,
    }


@click.group("mail", subcommand_metavar=french.SUBCOMMAND_METAVAR)
def mail_group() -> None:
    """Les mails de relance."""


@mail_group.command("preview")
@click.argument("uai", metavar="UAI")
@click.option(
    "--now", "now_text", metavar="DATE", help="Heure du mail (ISO, heure de Paris sans décalage)."
)
@click.option("--html", "as_html", is_flag=True, help="Afficher la version HTML.")
@pass_context
def preview_cmd(ctx: Context, uai: str, now_text: str | None, as_html: bool) -> None:
    """Affiche la prochaine relance d'une école, sans rien envoyer."""
    from daemon.reminders.mails import open_items, reminder_payload

    try:
        code = parse_uai(uai)
    except InvalidUAI as exc:
        fail(str(exc))
    app, now = ctx.reading_app, parse_now(now_text)
    with reading(app.engine) as session:
        school = get_school(session, uai=code)
        if school is None:
            fail(f"école inconnue : {code}")
        campaign = app.campaign(session, now)
        assert school.id is not None and campaign.id is not None
        follow_up = follow_up_for(session, school_id=school.id, campaign_id=campaign.id, now=now)
        today = campaign_context(app, campaign).calendar.local_day(now)
        stage = policy_stage(follow_up.stage, today, campaign.deadline)
        if stage == "validated":
            console.print("Constat validé : plus aucune relance pour cette école.", markup=False)
            return
        items = open_items(session, app.settings, school, campaign, now)
        payload = reminder_payload(
            app.settings,
            school=school,
            campaign=campaign,
            items=items,
            stage=stage,
            number=follow_up.reminders_without_progress + 1,
            now=now,
        )
        recipient = school.director_email or "(aucune adresse)"
    console.print(f"À : {recipient}", markup=False)
    console.print(f"Répondre à : {payload['reply_to'] or '(non configuré)'}", markup=False)
    console.print(f"Objet : {payload['subject']}\n", markup=False)
    console.print(payload["html"] if as_html else payload["text"], markup=False)
