"""What click itself prints (usage, help headings, errors, prompts) is French."""

from __future__ import annotations

import ast
import gettext
import os
import re
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from daemon.cli import cli, french

# Words click prints in English when its catalog is not French (or a command forgot a metavar).
ENGLISH = re.compile(
    r"Usage:|Options:|Commands:|Arguments:|Show this message|Show the version|\[default:|"
    r"\[required\]|Error:|Try '|Aborted|\b(COMMAND|ARGS|TEXT|INTEGER|FLOAT|FILE|PATH|PATHS|"
    r"DIRECTORY|RANGE|EMAIL|SOURCE)\b"
)


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="relance", input=stdin, env=env)


def all_commands(
    command: click.Command = cli, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from all_commands(sub, (*path, name))


@pytest.mark.parametrize("path", list(all_commands()), ids=lambda p: " ".join(p) or "relance")
def test_every_help_page_is_french(path: tuple[str, ...]) -> None:
    result = run(*path, "--help")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Utilisation : relance {' '.join(path)}".rstrip())
    assert "Options :" in result.output
    assert "-h, --help" in result.output and "Afficher cette aide et quitter." in result.output
    assert not ENGLISH.findall(result.output), result.output


def test_the_root_help_names_commands_and_version_in_french() -> None:
    output = run("-h").output
    assert "Utilisation : relance [OPTIONS] COMMANDE [ARGUMENTS]..." in output
    assert "Commandes :" in output
    assert "--config FICHIER" in output
    assert "Afficher la version et quitter." in output
    assert run("--version").output == "relance, version 0.1.0\n"


def test_defaults_and_required_options_are_marked_in_french() -> None:
    assert "[défaut : 200; x>=1]" in run("outbox", "--help").output
    assert "[obligatoire]" in run("purge", "--help").output
    assert "[défaut : ecole]" in run("schools", "import", "--help").output


def usage_error(result: Result, command: str) -> str:
    """The message of a usage error, after checking the exit code 2 and the French frame.

    Click prints the usage line and the hint first, except for an option's missing or
    unexpected value, which it finds before the command's context exists.
    """
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    if len(lines) > 1:
        assert lines[0].startswith(f"Utilisation : {' '.join(['relance', command]).strip()} ")
        assert lines[1] == f"Pour l'aide : '{' '.join(['relance', command]).strip()} --help'."
    assert lines[-1].startswith("erreur : ")
    assert not ENGLISH.findall(result.output), result.output
    return lines[-1]


def test_a_path_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "absent.pdf"
    message = usage_error(run("report", "parse", str(missing)), "report parse")
    assert message == f"erreur : valeur invalide pour 'FICHIER' : '{missing}' n'existe pas."


def test_a_directory_where_a_file_is_expected_and_the_reverse(tmp_path: Path) -> None:
    message = usage_error(run("restore", str(tmp_path)), "restore")
    assert message == (
        f"erreur : valeur invalide pour 'SAUVEGARDE' : '{tmp_path}' est un dossier, pas un fichier."
    )
    a_file = tmp_path / "demo"
    a_file.write_text("")
    message = usage_error(run("demo", "--dir", str(a_file)), "demo")
    assert message == (
        f"erreur : valeur invalide pour '--dir' : '{a_file}' est un fichier, pas un dossier."
    )


def test_numbers_ranges_and_choices() -> None:
    assert usage_error(run("backup", "--keep", "trois"), "backup") == (
        "erreur : valeur invalide pour '--keep' : 'trois' n'est pas un entier valide."
    )
    assert usage_error(run("outbox", "--limit", "0"), "outbox") == (
        "erreur : valeur invalide pour '--limit' : 0 n'est pas dans l'intervalle x>=1."
    )
    assert usage_error(run("serve", "--clock-speed", "vite"), "serve") == (
        "erreur : valeur invalide pour '--clock-speed' : 'vite' n'est pas un nombre valide."
    )
    assert usage_error(run("schools", "list", "--stage", "fini"), "schools list").startswith(
        "erreur : valeur invalide pour '--stage' : 'fini' n'est pas parmi 'awaiting_export', "
    )


def test_missing_arguments_options_and_values() -> None:
    assert usage_error(run("schools", "import"), "schools import") == (
        "erreur : argument manquant : 'FICHIER'."
    )
    assert usage_error(run("purge"), "purge") == "erreur : option manquante : '--campaign'."
    assert usage_error(run("outbox", "--limit"), "outbox") == (
        "erreur : l'option '--limit' attend une valeur."
    )
    assert usage_error(run("outbox", "--send=oui"), "outbox") == (
        "erreur : l'option '--send' ne prend pas de valeur."
    )
    assert usage_error(run("users", "list", "en", "trop"), "users list") == (
        "erreur : arguments en trop : en trop"
    )


def test_unknown_commands_and_options_with_a_suggestion() -> None:
    assert usage_error(run("schools", "lst"), "schools") == (
        "erreur : commande inconnue : 'lst'. Vouliez-vous dire 'list' ?"
    )
    assert usage_error(run("frobnicate"), "").endswith("commande inconnue : 'frobnicate'.")
    assert usage_error(run("outbox", "--limt", "3"), "outbox") == (
        "erreur : option inconnue : '--limt'. Vouliez-vous dire '--limit' ?"
    )
    several = usage_error(run("schools", "list", "--s"), "schools list")
    assert several == (
        "erreur : option inconnue : '--s'. (Vouliez-vous dire l'une de celles-ci : "
        "'--json', '--stage' ?)"
    )


def test_a_question_answered_no_aborts_in_french(tmp_path: Path) -> None:
    backup = tmp_path / "relance.sqlite3"
    backup.write_bytes(b"")
    result = run("restore", str(backup), stdin="peut-être\nn\n")
    assert result.exit_code == 1
    assert "Remplacer toute la base par cette sauvegarde ? [o/N] " in result.output
    assert "erreur : 'peut-être' n'est pas parmi 'o', 'oui', 'n', 'non'." in result.output
    assert result.output.endswith("Abandon.\n")
    assert not ENGLISH.findall(result.output), result.output
    # No answer at all (end of input) is a no as well.
    assert run("restore", str(backup), stdin="").exit_code == 1


@pytest.mark.parametrize(("answer", "expected"), [("o", True), ("OUI", True), ("", False)])
def test_confirm_answers(answer: str, expected: bool) -> None:
    @click.command()
    def ask() -> None:
        click.echo(f"réponse : {french.confirm('Continuer ?')}")

    result = CliRunner().invoke(ask, [], input=f"{answer}\n")
    assert result.exit_code == 0 and f"réponse : {expected}" in result.output


def test_a_password_typed_twice_differently(tmp_path: Path) -> None:
    env = {"RELANCE_STATE_DIR": str(tmp_path)}
    result = run("users", "add", "a@example.org", stdin="un-mot-de-passe\nautre\n", env=env)
    assert "Mot de passe : " in result.output and "Confirmation : " in result.output
    assert "erreur : les deux saisies diffèrent." in result.output
    assert result.exit_code == 1 and result.output.endswith("Abandon.\n")


def test_dates_and_files_types_we_do_not_use_yet_are_french_too(tmp_path: Path) -> None:
    @click.command()
    @click.option("--day", type=click.DateTime(["%Y-%m-%d"]))
    @click.option("--when", type=click.DateTime(["%Y-%m-%d", "%d/%m/%Y"]))
    @click.argument("data", type=click.File(), required=False)
    def tool(day: object, when: object, data: object) -> None:
        pass

    def message(*args: str) -> str:
        result = CliRunner().invoke(tool, list(args), prog_name="outil")
        assert result.exit_code == 2
        return result.output.splitlines()[-1]

    assert message("--day", "hier") == (
        "erreur : valeur invalide pour '--day' : 'hier' ne suit pas le format '%Y-%m-%d'."
    )
    assert message("--when", "hier") == (
        "erreur : valeur invalide pour '--when' : 'hier' ne suit aucun des formats "
        "'%Y-%m-%d', '%d/%m/%Y'."
    )
    # Click writes this one without gettext, with the system's reason (strerror): only the
    # frame is French. Our commands take paths (click.Path), not click.File.
    assert message(str(tmp_path / "absent")).startswith(
        f"erreur : valeur invalide pour '[DATA]' : '{tmp_path / 'absent'}': "
    )


def test_french_whatever_the_locale_of_the_machine() -> None:
    env = {**os.environ, "LANG": "C", "LC_ALL": "C.UTF-8", "LANGUAGE": "en"}
    result = subprocess.run(
        [sys.executable, "-m", "daemon", "outbox", "--limit", "0"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Utilisation : relance outbox [OPTIONS]\n"), result.stderr
    assert "n'est pas dans l'intervalle" in result.stderr


# The catalog.


def test_the_compiled_catalog_is_the_po_file() -> None:
    assert french.COMPILED.read_bytes() == french.compile_catalog(
        french.CATALOG.read_text(encoding="utf-8")
    ), "relance.po changed: run `make locale`"
    with french.COMPILED.open("rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    assert translations.info()["plural-forms"] == "nplurals=2; plural=(n > 1);"
    assert translations.gettext("Usage:") == "Utilisation :"


def click_messages() -> set[str]:
    """Every message the installed click passes to gettext (`_` or `ngettext`), as .mo keys."""
    found = {"required"}  # looked up from a variable: `_(extra["required"])`
    for source in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            texts = [a.value for a in node.args if isinstance(a, ast.Constant)]
            texts = [t for t in texts if isinstance(t, str)]
            if node.func.id in ("_", "gettext") and texts:
                found.add(texts[0])
            elif node.func.id == "ngettext" and len(texts) == 2:
                found.add("\0".join(texts))
    return found


def test_every_message_of_the_installed_click_is_translated() -> None:
    catalog = french.read_catalog(french.CATALOG.read_text(encoding="utf-8"))
    messages = click_messages()
    assert len(messages) > 70
    missing = sorted(messages - catalog.keys())
    assert not missing, "add these to relance.po, then run `make locale`:\n" + "\n".join(missing)
    assert all(catalog[message] for message in messages)


def test_translations_use_only_the_placeholders_click_fills() -> None:
    catalog = french.read_catalog(french.CATALOG.read_text(encoding="utf-8"))
    for key, value in catalog.items():
        if not key:
            continue
        given = {
            name.split("!")[0].split(".")[0]
            for text in key.split("\0")
            for _, name, _, _ in string.Formatter().parse(text)
            if name
        }
        for form in value.split("\0"):
            used = {n.split("!")[0] for _, n, _, _ in string.Formatter().parse(form) if n}
            assert used <= given, (key, form)
            assert re.findall(r"%\(\w+\)s", form) == re.findall(r"%\(\w+\)s", key), key
        assert value.count("\0") == key.count("\0"), key
