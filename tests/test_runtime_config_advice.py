"""Legal but probably wrong: `relance config check` warns (exit 3) and `relance serve` logs it."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session

from daemon.app import App
from daemon.cli import cli
from daemon.config import Settings, load_settings
from daemon.runtime.config_advice import advice, as_problems, is_local
from tests.test_config import GOOD, write

TODAY = dt.date(2027, 9, 10)


def keys(settings: Settings, today: dt.date = TODAY) -> list[str]:
    return [a.key for a in advice(settings, today=today)]


def settings_of(tmp_path: Path, text: str) -> Settings:
    return load_settings(write(tmp_path, text), {})


def test_a_complete_configuration_has_no_advice(tmp_path: Path) -> None:
    assert keys(settings_of(tmp_path, GOOD)) == []


def test_missing_contacts_are_named(tmp_path: Path) -> None:
    text = GOOD.replace('coordinator_email = "coordination@example.org"\n', "").replace(
        'onde_support_email = "assistance-onde@example.org"\n', ""
    )
    found = advice(settings_of(tmp_path, text), today=TODAY)
    assert [a.key for a in found] == ["contacts.coordinator_email", "contacts.onde_support_email"]
    assert "les directeurs ne peuvent pas répondre" in found[0].message
    assert "assistance ONDE" in found[1].message


def test_smtp_left_on_the_local_defaults(tmp_path: Path) -> None:
    text = GOOD.replace('host = "smtp.example.org"\nport = 25\n', "")
    text = text.replace(
        'base_url = "https://relance.example.org"', 'base_url = "http://127.0.0.1:8000"'
    )
    (found,) = advice(settings_of(tmp_path, text), today=TODAY)
    assert found.key == "smtp.host" and "127.0.0.1:8025" in found.message
    assert "ne partiront pas" in found.message
    demo = text + 'demo_mail_dir = "mails"\n'  # the demo's own catcher listens there
    assert keys(settings_of(tmp_path, demo)) == []


def test_local_links_in_mails_that_leave_the_machine(tmp_path: Path) -> None:
    text = GOOD.replace(
        'base_url = "https://relance.example.org"', 'base_url = "http://localhost:8000"'
    )
    (found,) = advice(settings_of(tmp_path, text), today=TODAY)
    assert found.key == "web.base_url" and "http://localhost:8000" in found.message
    assert "smtp.example.org" in found.message


def test_a_deadline_already_past(tmp_path: Path) -> None:
    settings = settings_of(tmp_path, GOOD)
    assert keys(settings, dt.date(2027, 9, 30)) == []  # the last day itself is not past
    (found,) = advice(settings, today=dt.date(2027, 10, 1))
    assert found.key == "campaign.deadline" and "30/09/2027" in found.message
    assert "déjà passée" in found.message


@pytest.mark.parametrize(
    ("observation", "deadline", "expected"),
    [
        ("2027-09-18", "2027-09-30", ["campaign.observation_date"]),  # a Saturday
        ("2027-09-16", "2027-11-11", ["campaign.deadline"]),  # a public holiday (Armistice)
        ("2027-09-16", "2027-10-26", ["campaign.deadline"]),  # a Tuesday of the holidays
    ],
)
def test_observation_date_or_deadline_on_a_day_without_school(
    tmp_path: Path, observation: str, deadline: str, expected: list[str]
) -> None:
    text = GOOD.replace("observation_date = 2027-09-16", f"observation_date = {observation}")
    text = text.replace("deadline = 2027-09-30", f"deadline = {deadline}")
    found = advice(settings_of(tmp_path, text), today=TODAY)
    assert [a.key for a in found] == expected
    assert "tombe un jour sans école" in found[0].message


def test_a_holiday_of_the_zone_counts(tmp_path: Path) -> None:
    # 2027-10-26 is a Tuesday of the Toussaint holidays
    text = GOOD.replace("deadline = 2027-09-30", "deadline = 2027-10-26")
    (found,) = advice(settings_of(tmp_path, text), today=TODAY)
    assert "vacances scolaires (zone B)" in found.message


def test_advice_is_placed_on_the_lines_of_the_file(tmp_path: Path) -> None:
    text = GOOD.replace("deadline = 2027-09-30", "deadline = 2027-10-02")
    problems = as_problems(advice(settings_of(tmp_path, text), today=TODAY), text)
    assert [(p.key, p.line) for p in problems] == [("campaign.deadline", 6)]


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("smtp.example.org", False),
        ("10.0.0.5", False),
    ],
)
def test_what_is_local(host: str, local: bool) -> None:
    assert is_local(host) is local


def test_cli_check_warns_with_its_own_exit_status(tmp_path: Path) -> None:
    text = GOOD.replace('coordinator_email = "coordination@example.org"\n', "")
    text = text.replace("observation_date = 2027-09-16", "observation_date = 2027-09-18")
    path = write(tmp_path, text)
    result = CliRunner().invoke(cli, ["config", "check", str(path)])
    assert result.exit_code == 3, result.output
    assert (
        f"{path}:5: campaign.observation_date: la date d'observation (18/09/2027)" in result.output
    )
    assert f"{path}: contacts.coordinator_email: aucune adresse de la coordination" in result.output
    assert "configuration utilisable, mais 2 avertissements ci-dessus" in result.output
    refused = write(tmp_path, text + "[reminders]\nwindow_end = 07:00:00\n")
    assert CliRunner().invoke(cli, ["config", "check", str(refused)]).exit_code == 2


def test_serve_logs_the_same_advice_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from daemon.cli.serve_cmd import log_advice

    text = GOOD.replace('coordinator_email = "coordination@example.org"\n', "")
    settings = settings_of(tmp_path, text)
    moment = dt.datetime(2027, 10, 10, 9, tzinfo=dt.UTC)  # past the deadline
    app = App(settings, clock=lambda: moment)
    with caplog.at_level(logging.WARNING, logger="daemon.serve"):
        log_advice(app)
    logged = [r.getMessage() for r in caplog.records if r.name == "daemon.serve"]
    assert logged == [
        "configuration contacts.coordinator_email: no coordinator address: directors cannot "
        "reply to reminders (relance config check says more)",
        "configuration campaign.deadline: deadline 2027-09-30 is past "
        "(relance config check says more)",
    ]


def test_serve_judges_the_dates_of_the_campaign_followed_not_last_years_configuration(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """After `relance campaign new`, relance.toml still names last year's campaign: its past
    deadline is no mistake; the followed campaign's dates are the ones judged."""
    from daemon.cli.serve_cmd import log_advice

    settings = settings_of(tmp_path, GOOD)  # 2027-2028, deadline 30/09/2027
    moment = dt.datetime(2028, 9, 20, 9, tzinfo=dt.UTC)  # past that deadline
    app = App(settings, clock=lambda: moment)
    with Session(app.engine) as session:
        app.campaign(session, moment)
        session.commit()
    dates = {"start": dt.date(2028, 9, 1), "observation_date": dt.date(2028, 9, 14)}
    app.open_next_campaign(
        name="2028-2029", dates={**dates, "deadline": dt.date(2028, 9, 29)}, now=moment, actor="t"
    )
    with caplog.at_level(logging.WARNING, logger="daemon.serve"):
        log_advice(app)
    assert [r.getMessage() for r in caplog.records if r.name == "daemon.serve"] == []
    app.clock = lambda: dt.datetime(2028, 10, 2, 9, tzinfo=dt.UTC)  # past the new deadline
    with caplog.at_level(logging.WARNING, logger="daemon.serve"):
        log_advice(app)
    logged = [r.getMessage() for r in caplog.records if r.name == "daemon.serve"]
    assert logged == [
        "configuration campaign.deadline: deadline 2028-09-29 is past "
        "(relance config check says more)"
    ]
