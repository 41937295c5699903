"""Click's own words in French: usage lines, help headings, errors, prompts.

Click marks what it prints with the stdlib's classic gettext API (`from gettext import gettext
as _`, looked up in the current domain when printed); the way it offers to translate them is
that the application binds a gettext domain holding click's messages (pallets/click#2320).
`install()` does that, before any command is declared (click translates a few texts, such as
the name of a path type, when the command is built):

- the catalog is data: daemon/data/locale/fr/LC_MESSAGES/relance.po, compiled next to it into
  relance.mo by `compile_catalog()` (stdlib only; `make locale`;
  tests/test_cli_french.py checks the two agree and that every message of the installed click
  is in the catalog);
- French is asked for whatever the locale of the machine or the service (LANGUAGE=fr, which only
  chooses gettext catalogs: dates, numbers and encodings keep the locale they had).

What click does not pass through gettext is here too: the French names of the few parameter
types we use (they name the value in the usage line and in the error), the metavar of a group's
subcommand, and a yes/no question answered in French.
"""

from __future__ import annotations

import ast
import gettext
import os
import struct
from pathlib import Path

import click

from daemon import DATA_DIR

DOMAIN = "relance"
LOCALE_DIR = DATA_DIR / "locale"
CATALOG = LOCALE_DIR / "fr" / "LC_MESSAGES" / f"{DOMAIN}.po"
COMPILED = CATALOG.with_suffix(".mo")

SUBCOMMAND_METAVAR = "COMMANDE [ARGUMENTS]..."


def install() -> None:
    """Make every message click prints from now on French. Idempotent."""
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = "fr"


class Integer(click.types.IntParamType):
    name = "entier"


class IntRange(click.IntRange):
    name = "entier"


class FloatRange(click.FloatRange):
    name = "nombre"


INTEGER = Integer()

_YES_NO = {"o": True, "oui": True, "n": False, "non": False}


def confirm(question: str, *, abort: bool = False) -> bool:
    """`click.confirm` answered in French: o/oui or n/non, no by default.

    With `abort`, a no raises `click.Abort` (exit code 1, "Abandon."), as click.confirm does.
    """
    answer = click.prompt(
        f"{question} [o/N]",
        default="n",
        show_default=False,
        show_choices=False,
        prompt_suffix=" ",
        type=click.Choice(list(_YES_NO), case_sensitive=False),
    )
    accepted = _YES_NO[str(answer).lower()]
    if abort and not accepted:
        raise click.Abort()
    return accepted


# The catalog: a .po file (the subset of the format we write: comments, msgid, msgid_plural,
# msgstr and msgstr[n], strings continued on the next lines) compiled to the GNU .mo format.


def read_catalog(text: str) -> dict[str, str]:
    """The .po entries as .mo keys and values: plural forms are joined with NUL."""
    entries: list[dict[str, list[str]]] = []
    entry: dict[str, list[str]] = {}
    field: list[str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            if field is None:
                raise ValueError(f"{CATALOG.name}:{number}: text outside an entry")
            field.append(_unquote(line, number))
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgid" and entry:
            entries.append(entry)
            entry = {}
        field = entry.setdefault(keyword, [])
        field.append(_unquote(rest.strip(), number))
    if entry:
        entries.append(entry)

    catalog: dict[str, str] = {}
    for item in entries:
        key = "".join(item["msgid"])
        if "msgid_plural" in item:
            key += "\0" + "".join(item["msgid_plural"])
            forms = sorted(k for k in item if k.startswith("msgstr["))
            value = "\0".join("".join(item[k]) for k in forms)
        else:
            value = "".join(item["msgstr"])
        if key in catalog:
            raise ValueError(f"{CATALOG.name}: {key!r} twice")
        catalog[key] = value
    return catalog


def _unquote(token: str, number: int) -> str:
    if not (len(token) >= 2 and token[0] == token[-1] == '"'):
        raise ValueError(f"{CATALOG.name}:{number}: quoted string expected, got {token!r}")
    value = ast.literal_eval(token)
    assert isinstance(value, str)
    return value


def compile_catalog(text: str) -> bytes:
    """GNU .mo bytes (little-endian, no hash table), keys sorted: the same .po, the same bytes."""
    pairs = sorted(
        (key.encode(), value.encode()) for key, value in read_catalog(text).items() if value
    )
    count = len(pairs)
    keys_start = 7 * 4
    values_start = keys_start + count * 8
    data = bytearray()
    offsets: list[int] = []
    data_start = values_start + count * 8
    for string in [key for key, _ in pairs] + [value for _, value in pairs]:
        offsets += [len(string), data_start + len(data)]
        data += string + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, count, keys_start, values_start, 0, data_start)
    return header + struct.pack(f"<{len(offsets)}I", *offsets) + bytes(data)


def write_compiled() -> Path:
    COMPILED.write_bytes(compile_catalog(CATALOG.read_text(encoding="utf-8")))
    return COMPILED


install()
