"""A TOML syntax error said in French, with its line and column.

Python's `tomllib` raises `TOMLDecodeError("<English sentence> (at line L, column C)")` (the
line and column are attributes only from Python 3.14): the sentence is matched against the ones
`tomllib` writes and said again in French; one it does not know is called a syntax error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WHERE = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")

# tomllib's sentences (Python 3.11 – 3.13), in French.
_FRENCH: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), french)
    for pattern, french in (
        (r"Invalid statement", "ligne incomprise : attendu « nom = valeur », [section] ou # …"),
        (
            r"Expected newline or end of document after a statement",
            "fin de ligne attendue après la valeur (un seul réglage par ligne)",
        ),
        (r"Expected '=' after a key in a key/value pair", "« = » attendu après le nom du réglage"),
        (r"Invalid initial character for a key part", "caractère inattendu pour un nom de réglage"),
        (r"Unclosed array", "liste non fermée : « ] » manquant"),
        (r"Unclosed inline table", "table non fermée : « } » manquant"),
        (r"Unterminated string", "texte non fermé : guillemet manquant"),
        (
            r"Invalid value",
            "valeur incomprise : un texte entre guillemets, un nombre, true ou false, une date "
            "(2026-09-18) ou une heure (08:00) attendu",
        ),
        (r"Invalid date or datetime", "date ou heure invalide"),
        (r"Cannot declare (.+) twice", "section [{0}] déclarée deux fois"),
        (r"Cannot overwrite a value", "réglage déjà donné plus haut"),
        (r"Expected '\]' at the end of a table declaration", "« ] » attendu après la section"),
        (r"Expected '\]\]' at the end of an array declaration", "« ]] » attendu après le nom"),
        (r"Cannot mutate immutable namespace (.+)", "« {0} » est déjà entièrement défini"),
        (r"Cannot redefine namespace (.+)", "« {0} » est déjà défini"),
        (r"Duplicate inline table key '(.+)'", "« {0} » donné deux fois"),
        (
            r"Unescaped '\\' in a string",
            "« \\ » seul dans un texte : écrivez « \\\\ » ou mettez le texte entre apostrophes",
        ),
        (r"Invalid hex value", "code \\u ou \\U invalide"),
        (r"Escaped character is not a Unicode scalar value", "caractère échappé invalide"),
        (r"Illegal character '\\n'", "texte non fermé : guillemet manquant en fin de ligne"),
        (r"Illegal character '(.+)'", "caractère interdit dans un texte : {0}"),
        (r"Found invalid character '(.+)'", "caractère interdit : {0}"),
        (r"Expected '(.+)'", "« {0} » attendu"),
    )
)


def _key(raw: str) -> str:
    """A key as tomllib shows it (`('smtp',)`, `'port'`) written as in the file: smtp.port."""
    return ".".join(re.findall(r"'([^']*)'", raw)) or raw.strip("'")


@dataclass(frozen=True)
class TomlSyntax:
    message: str  # French, with where it is
    line: int | None
    column: int | None


def french_toml_error(error: Exception, text: str) -> TomlSyntax:
    """What is wrong, where: « ligne 2, colonne 6 : « = » attendu après le nom du réglage »."""
    raw = str(error)
    where = _WHERE.search(raw)
    sentence = raw[: where.start()] if where else raw
    line = int(where.group(1)) if where and where.group(1) else None
    column = int(where.group(2)) if where and where.group(2) else None
    if where and line is None:  # "end of document"
        line = text.count("\n") + (0 if text.endswith("\n") else 1)
    said = "syntaxe incorrecte"
    for pattern, french in _FRENCH:
        found = pattern.fullmatch(sentence.strip())
        if found:
            said = french.format(*(_key(g) for g in found.groups()))
            break
    place = f"ligne {line}, colonne {column}" if column else (f"ligne {line}" if line else "")
    prefix = f"syntaxe TOML invalide ({place})" if place else "syntaxe TOML invalide"
    return TomlSyntax(f"{prefix} : {said}", line, column)
