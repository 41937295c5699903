"""The settings table, the TOML file, environment overrides, `relance config`."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from daemon.cli import cli
from daemon.config import ConfigError, Settings, check_file, load_settings
from daemon.config.example import example_toml
from daemon.config.loading import env_name, leaf_paths, locate_line
from daemon.config.toml_out import MASK

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "relance.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_empty_file_is_a_valid_configuration(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""), {})
    # the defaults, the state folder being next to the file
    assert settings.model_dump(exclude={"state_dir"}) == Settings().model_dump(
        exclude={"state_dir"}
    )
    assert settings.state_path == tmp_path.resolve() / "state"
    assert settings.campaign.timezone == "Europe/Paris"


def test_no_file_at_all_gives_the_defaults() -> None:
    assert load_settings(None, {}) == Settings()


def test_default_database_is_a_sqlite_file_in_the_state_dir(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, f'state_dir = "{tmp_path}/st"'), {})
    assert settings.effective_database_url == f"sqlite:///{tmp_path}/st/relance.sqlite3"


def test_database_url_from_file_and_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, 'database_url = "postgresql://a@h/db1"')
    assert load_settings(path, {}).effective_database_url == "postgresql+psycopg://a@h/db1"
    env = {"RELANCE_DATABASE_URL": "postgresql://b@h/db2"}
    assert load_settings(path, env).effective_database_url == "postgresql+psycopg://b@h/db2"


def test_environment_overrides_nested_settings_with_types(tmp_path: Path) -> None:
    env = {
        "RELANCE_SMTP__PORT": "2525",
        "RELANCE_SMTP__PASSWORD": "s3cret",
        "RELANCE_CAMPAIGN__OBSERVATION_DATE": "2026-09-17",
        "RELANCE_CONTACTS__COORDINATORS": '["a@example.org", "b@example.org"]',
    }
    settings = load_settings(None, env)
    assert settings.smtp.port == 2525
    assert settings.smtp.password == "s3cret"
    assert str(settings.campaign.observation_date) == "2026-09-17"
    assert settings.contacts.coordinators == ["a@example.org", "b@example.org"]


def test_unknown_environment_variable_is_named() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, {"RELANCE_SMTP__HOTS": "x"})
    assert "RELANCE_SMTP__HOTS" in str(info.value)


def test_credentials_directory_provides_secrets(tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "smtp.password").write_text("from-credential\n")
    settings = load_settings(None, {"CREDENTIALS_DIRECTORY": str(creds)})
    assert settings.smtp.password == "from-credential"


def test_check_names_every_wrong_key_and_value_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\n".join(
            [
                "# comment",
                "database_url = 3",
                "[smtp]",
                "port = 99999",
                "bogus = 1",
                "[reminders.errors]",
                "interval_days = 0",
                'ladder = [{after = 0, notify = "x"}]',
                "[campaign]",
                'timezone = "Mars/Olympus"',
                "[nonsense]",
            ]
        ),
    )
    problems = {(p.key, p.line) for p in check_file(path)}
    assert ("database_url", 2) in problems
    assert ("smtp.port", 4) in problems
    assert ("smtp.bogus", 5) in problems
    assert ("reminders.errors.interval_days", 7) in problems
    assert ("reminders.errors.ladder.0.after", 8) in problems
    assert ("reminders.errors.ladder.0.notify", 8) in problems
    assert ("campaign.timezone", 10) in problems
    assert ("nonsense", 11) in problems


def test_check_reports_a_toml_syntax_error_with_its_line(tmp_path: Path) -> None:
    problems = check_file(write(tmp_path, "[smtp]\nport = = 3\n"))
    assert len(problems) == 1 and problems[0].line == 2


def test_campaign_dates_must_be_in_order(tmp_path: Path) -> None:
    path = write(tmp_path, "[campaign]\nobservation_date = 2026-08-01\n")
    (problem,) = check_file(path)
    assert (problem.key, problem.line) == ("campaign.observation_date", 2)
    assert problem.message == (
        "la date d'observation (01/08/2026) est avant le début de la campagne (start = 01/09/2026)"
    )


@pytest.mark.parametrize(
    ("text", "key", "line", "says"),
    [
        (  # the deadline's line, not the section's
            "[campaign]\nstart = 2026-09-01\nobservation_date = 2026-09-18\n"
            "deadline = 2026-09-10\n",
            "campaign.deadline",
            4,
            "la date limite (10/09/2026) est avant la date d'observation (18/09/2026)",
        ),
        (  # a year too many
            "[campaign]\ndeadline = 2027-10-02\n",
            "campaign.deadline",
            2,
            "après la fin de l'année scolaire commencée le 01/09/2026 (31/08/2027)",
        ),
        (  # only the start written: its line is named
            "[campaign]\nstart = 2026-10-01\n",
            "campaign.start",
            2,
            "avant le début de la campagne",
        ),
        (
            "[reminders]\nwindow_start = 18:00:00\nwindow_end = 08:00:00\n",
            "reminders.window_end",
            3,
            "la plage d'envoi finit (08:00) avant de commencer (18:00) : aucune relance ne "
            "partirait",
        ),
        (  # an equal start and end is no window either; only the start written
            "[reminders]\nwindow_start = 18:00:00\n",
            "reminders.window_start",
            2,
            "la plage d'envoi finit (18:00) avant de commencer (18:00)",
        ),
        (
            "[reminders]\ndigest_time = 730\n",
            "reminders.digest_time",
            2,
            "heure attendue (HH:MM, par exemple 07:30), pas le nombre 730",
        ),
        ('[reminders]\ndigest_time = "25:00"\n', "reminders.digest_time", 2, "heure attendue"),
        (
            '[reminders.errors]\nladder = [{ after = 0, notify = "coordinator" }]\n',
            "reminders.errors.ladder.0.after",
            2,
            "doit être au moins 1 (valeur : 0)",
        ),
        (
            "[reminders.overdue]\ninterval_days = 0\n",
            "reminders.overdue.interval_days",
            2,
            "doit être au moins 1 (valeur : 0)",
        ),
        (
            "[reminders.ready_to_validate]\nnear_deadline_interval_days = 0\n",
            "reminders.ready_to_validate.near_deadline_interval_days",
            2,
            "doit être au moins 1 (valeur : 0)",
        ),
    ],
)
def test_settings_that_cannot_work_are_refused_naming_their_line(
    tmp_path: Path, text: str, key: str, line: int | None, says: str
) -> None:
    (problem,) = check_file(write(tmp_path, text))
    assert problem.key == key and says in problem.message
    if line is not None:
        assert problem.line == line


def test_wrong_address_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[contacts]\nonde_support_email = "nobody"\n')
    assert [(p.key, p.line) for p in check_file(path)] == [("contacts.onde_support_email", 2)]


def test_locate_line_prefers_the_deepest_match() -> None:
    text = "[smtp]\nhost = 'x'\n\n[web]\nhost = 'y'\n"
    assert locate_line(text, ("web", "host")) == 5
    assert locate_line(text, ("smtp", "host")) == 2
    assert locate_line(text, ("web", "port")) == 4


def test_every_setting_has_one_line_of_help() -> None:
    from daemon.config.loading import _field_info

    for path in leaf_paths(Settings):
        info = _field_info(path)
        assert info.description and "\n" not in info.description, path


def test_example_file_is_the_generated_example_and_documents_every_setting() -> None:
    committed = (REPO / "relance.example.toml").read_text(encoding="utf-8")
    assert committed == example_toml(), (
        "regenerate with: relance config example > relance.example.toml"
    )
    parsed = tomllib.loads(committed)
    Settings.model_validate(parsed)
    documented = set()
    for path in leaf_paths(Settings):
        node = parsed
        for part in path[:-1]:
            node = node.get(part, {})
        if path[-1] in node or re.search(rf"^# {path[-1]} = \(non défini\)$", committed, re.M):
            documented.add(path)
    assert documented == set(leaf_paths(Settings))


def test_example_names_no_real_person() -> None:
    text = (REPO / "relance.example.toml").read_text(encoding="utf-8")
    addresses = re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)
    assert addresses and all(a.endswith("@example.org") for a in addresses)


def test_environment_variable_names_follow_the_table() -> None:
    assert env_name(("smtp", "host")) == "RELANCE_SMTP__HOST"
    assert env_name(("database_url",)) == "RELANCE_DATABASE_URL"


def test_cli_config_show_masks_secrets(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[smtp]\npassword = "hunter2"\n[web]\nschool_tokens = {"0441234C" = "t"}\n'
    )
    result = CliRunner().invoke(cli, ["--config", str(path), "config", "show"], env={})
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output and MASK in result.output
    assert '0441234C = "********"' in result.output
    tomllib.loads(result.output)  # what `show` prints is itself a valid configuration


GOOD = """
[campaign]
name = "2027-2028"
start = 2027-09-01
observation_date = 2027-09-16
deadline = 2027-09-30

[contacts]
coordinator_email = "coordination@example.org"
export_support_email = "assistance-ange@example.org"
onde_support_email = "assistance-onde@example.org"

[smtp]
host = "smtp.example.org"
port = 25

[web]
base_url = "https://relance.example.org"
"""


def test_cli_config_check_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    good = write(tmp_path, GOOD)
    checked = runner.invoke(cli, ["config", "check", str(good)])
    assert checked.exit_code == 0, checked.output
    assert "configuration valide" in checked.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[smtp]\nport = 0\n")
    result = runner.invoke(cli, ["config", "check", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:2: smtp.port" in result.output


def test_no_mail_or_web_address_from_the_seed_page_is_hard_coded() -> None:
    seed = REPO.parent / "shared" / "seed" / "ange-export-vers-onde.txt"
    if not seed.exists():
        pytest.skip("seed page not available")
    text = seed.read_text(encoding="utf-8")
    addresses = set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text))
    addresses |= {u.rstrip(").,") for u in re.findall(r"https?://[^\s\)]+", text)}
    assert addresses  # the seed page does give mail and web addresses
    for folder in ("daemon", "db", "templates", "systemd"):
        for file in (REPO / folder).rglob("*"):
            if file.is_file() and file.suffix in {".py", ".txt", ".html", ".toml", ".service"}:
                content = file.read_text(encoding="utf-8", errors="ignore")
                assert not any(a in content for a in addresses), file


def test_check_speaks_french_and_lists_problems_in_line_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\n".join(
            [
                "[web]",
                "port = 1.5",
                "[smtp]",
                "port = 99999",
                'concurrency = "x"',
                'security = "ssl"',
                "[campaign]",
                'observation_date = "2026-13-01"',
                'validation_requires_confirmation = "peut-être"',
                "database_url = 3",
            ]
        ),
    )
    problems = check_file(path)
    assert [p.line for p in problems] == sorted(p.line or 0 for p in problems)
    messages = {p.key: p.message for p in problems}
    assert messages["web.port"] == "nombre entier attendu, sans décimales (valeur : 1.5)"
    assert messages["smtp.port"] == "doit être au plus 65535 (valeur : 99999)"
    assert messages["smtp.concurrency"] == "nombre entier attendu (valeur : 'x')"
    assert messages["smtp.security"].startswith("valeur attendue parmi 'none', 'starttls' ou")
    assert messages["campaign.observation_date"].startswith("date attendue (AAAA-MM-JJ)")
    assert messages["campaign.validation_requires_confirmation"].startswith("true ou false")
    assert messages["campaign.database_url"] == "réglage inconnu"
    for problem in problems:
        assert "Input should" not in problem.message and "Value error" not in problem.message


def test_a_secret_with_a_wrong_type_is_not_echoed(tmp_path: Path) -> None:
    problems = check_file(write(tmp_path, "[smtp]\npassword = 123456789\n"))
    assert [p.key for p in problems] == ["smtp.password"]
    assert "123456789" not in problems[0].message and MASK in problems[0].message


def test_environment_problems_say_where_the_value_came_from() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, {"RELANCE_SMTP__PORT": "0", "RELANCE_SMTP__HOTS": "x"})
    text = str(info.value)
    assert "RELANCE_SMTP__HOTS: variable d'environnement inconnue" in text
    assert "(source : variable d'environnement RELANCE_SMTP__PORT)" in text
    assert "from " not in text


def test_toml_syntax_error_is_introduced_in_french(tmp_path: Path) -> None:
    (problem,) = check_file(write(tmp_path, "[smtp]\nport 25\n"))
    assert problem.line == 2 and problem.message.startswith("syntaxe TOML invalide")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[smtp]\nport 25\n", "(ligne 2, colonne 6) : « = » attendu après le nom du réglage"),
        (
            'state_dir = "C:\\dossier"\n',
            "(ligne 1, colonne 18) : « \\ » seul dans un texte : écrivez « \\\\ »",
        ),
        ('[smtp]\nhost = "smtp.example.org\n', "(ligne 2, colonne 25) : texte non fermé"),
        ("[smtp]\nport = 25\n[smtp]\n", "(ligne 3, colonne 6) : section [smtp] déclarée deux fois"),
        (
            "[web]\nport = 8000\nport = 8001\n",
            "(ligne 3, colonne 12) : réglage déjà donné plus haut",
        ),
        ("[web]\nport = 80 81\n", "(ligne 2, colonne 11) : fin de ligne attendue après la valeur"),
        ("[campaign]\nname = 2026-2027\n", "(ligne 2, colonne 12) : fin de ligne attendue"),
        ('[contacts]\ncoordinators = ["a@example.org"\n', "(ligne 2) : liste non fermée"),
        ("[smtp]\nsecurity = starttls\n", "(ligne 2, colonne 12) : valeur incomprise"),
        ("[web\n", "(ligne 1, colonne 5) : « ] » attendu après la section"),
    ],
)
def test_toml_syntax_errors_are_explained_in_french_with_line_and_column(
    tmp_path: Path, text: str, says: str
) -> None:
    (problem,) = check_file(write(tmp_path, text))
    assert says in problem.message, problem.message
    assert not re.search(r"\b(Expected|Invalid|Cannot|at line|column \d+\))", problem.message)


def test_cli_config_show_masks_the_database_password(tmp_path: Path) -> None:
    path = write(tmp_path, 'database_url = "postgresql://relance:hunter2@db.example.org/relance"\n')
    result = CliRunner().invoke(cli, ["--config", str(path), "config", "show"], env={})
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    assert 'database_url = "postgresql://relance:***@db.example.org/relance"' in result.output
    tomllib.loads(result.output)


def test_school_token_uais_are_checked_and_normalised(tmp_path: Path) -> None:
    wrong = write(tmp_path, '[web]\nschool_tokens = { "0441234A" = "t" }\n')
    (problem,) = check_file(wrong)
    assert (problem.key, problem.line) == ("web.school_tokens", 2)
    assert "attendu 0441234C" in problem.message
    right = write(tmp_path, '[web]\nschool_tokens = { " 0441234c" = "t" }\n')
    assert load_settings(right, {}).web.school_tokens == {"0441234C": "t"}


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://relance@db.example.org/relance?password=hunter2&sslmode=require",
        "postgresql://relance:hunter2@db.example.org/relance?sslpassword=hunter3",
        "postgresql+psycopg://db.example.org/relance?user=relance&PASSWORD=hunter2",
        "postgresql://relance:hunter2@[::1:5432/relance",  # not even parseable
        "postgresql://relance:p%40ss%3Ahunter2@db.example.org/relance",
    ],
)
def test_cli_config_show_masks_a_password_anywhere_in_the_database_url(
    tmp_path: Path, url: str
) -> None:
    path = write(tmp_path, f"database_url = {json.dumps(url)}\n")
    result = CliRunner().invoke(cli, ["--config", str(path), "config", "show"], env={})
    assert result.exit_code == 0, result.output
    assert "hunter" not in result.output, result.output
    assert "db.example.org" in result.output or "[::1" in result.output
    tomllib.loads(result.output.split("\n", 2)[2])


def test_a_mailbox_needs_its_user_and_one_password(tmp_path: Path) -> None:
    assert check_file(write(tmp_path, '[mailbox]\nmaildir = "boite"\n')) == []
    anchored = load_settings(write(tmp_path, '[mailbox]\nmaildir = "boite"\n'), {})
    assert anchored.mailbox.maildir == str(tmp_path.resolve() / "boite")  # next to the file
    path = write(tmp_path, '[mailbox]\nhost = "imap.example.org"\n')
    assert [p.message for p in check_file(path)] == ["host est donné : il faut aussi user"]
    path = write(tmp_path, '[mailbox]\nhost = "imap.example.org"\nuser = "c"\n')
    assert "il faut password ou password_file" in check_file(path)[0].message
    both = '[mailbox]\nhost = "h"\nuser = "c"\npassword = "p"\npassword_file = "/f"\n'
    assert "un seul des deux" in check_file(write(tmp_path, both))[0].message
    path = write(tmp_path, '[mailbox]\nverp_address = "rebonds"\n')
    assert [(p.key, p.line) for p in check_file(path)] == [("mailbox.verp_address", 2)]


def test_relative_paths_in_the_file_are_relative_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    config = folder / "relance.toml"
    config.write_text('state_dir = "state"\n[intake]\ndrop_dir = "../depot"\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = load_settings(config, {})
    assert settings.state_path == folder / "state"
    assert settings.drop_path.resolve() == tmp_path / "depot"
    assert settings.effective_database_url == f"sqlite:///{folder / 'state' / 'relance.sqlite3'}"
    # a value from the environment stays relative to where the command runs
    from_env = load_settings(config, {"RELANCE_STATE_DIR": "ici"})
    assert from_env.state_path == Path("ici")
    # and without a file, the working directory is the base
    assert load_settings(None, {}).state_path == Path("state")
