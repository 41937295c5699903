"""The recognised layout of the export archive: its four members and their columns, matched
through the alias table kept as data (`daemon/data/export_aliases.toml`).

A member or column that matches nothing is "donnée non autorisée" (CNIL): it is named in the
findings and its values are never read."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path, PurePosixPath
from typing import Any

from daemon import DATA_DIR
from daemon.codes import fold, printable

ALIASES_FILE = DATA_DIR / "export_aliases.toml"
MEMBERS = ("eleves", "responsables", "classes", "scolarites")
# Columns a member needs for the test de cohérence to run on it.
REQUIRED_COLUMNS = {
    "eleves": ("id_eleve", "nom", "prenom", "date_naissance"),
    "responsables": ("id_eleve", "autorite_parentale"),
    "classes": ("id_classe", "nom", "niveaux"),
    "scolarites": ("id_eleve", "id_classe", "niveau"),
}


class AliasesError(ValueError):
    """An alias file that cannot be used; the message says why in French."""


_SEPARATORS = re.compile(r"[\s\-'’.]+")


@lru_cache(maxsize=1024)
def name_form(raw: str) -> str:
    """How names are compared: no accents, lower case, spaces/hyphens/apostrophes as `_`."""
    text = fold(raw.replace("\ufeff", "")).casefold().strip()
    return _SEPARATORS.sub("_", text).strip("_")


@dataclass(frozen=True)
class Aliases:
    members: dict[str, str] = field(default_factory=dict)  # name form of file → member
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # member → form → column

    def member_of(self, path: str) -> str | None:
        """The recognised member a file of the archive is (its folder ignored), or None."""
        return self.members.get(name_form(PurePosixPath(path.replace("\\", "/")).name))

    def column_of(self, member: str, header: str) -> str | None:
        return self.columns.get(member, {}).get(name_form(header))


def _table(data: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise AliasesError(f"{source} : la section [{key}] doit être une table")
    return value


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merged(result[key], value)
        else:
            result[key] = value
    return result


def build_aliases(data: dict[str, Any], source: str = "alias") -> Aliases:
    members: dict[str, str] = {}
    for member, names in _table(data, "members", source).items():
        if member not in MEMBERS or not isinstance(names, list):
            raise AliasesError(f"{source} : membre inconnu ou liste attendue : {member!r}")
        for name in [f"{member}.csv", *names]:
            members[name_form(str(name))] = member
    columns: dict[str, dict[str, str]] = {m: {} for m in MEMBERS}
    for member, table in _table(data, "columns", source).items():
        if member not in MEMBERS or not isinstance(table, dict):
            raise AliasesError(f"{source} : section [columns.{member}] inconnue")
        for column, names in table.items():
            if not isinstance(names, list):
                raise AliasesError(f"{source} : liste attendue pour {member}.{column}")
            for name in [column, *names]:
                columns[member][name_form(str(name))] = column
    return Aliases(members, columns)


def layout_headers() -> dict[str, list[str]]:
    """The header line of each member of the recognised layout (`eleves.csv`: `id_eleve`,
    `nom`, …), in the order of the packaged alias file: what the demo and the tests write."""
    data = tomllib.loads(ALIASES_FILE.read_text(encoding="utf-8"))
    return {f"{member}.csv": list(data["columns"][member]) for member in MEMBERS}


@lru_cache(maxsize=8)
def load_aliases(override: str = "") -> Aliases:
    """The packaged aliases, with the lists of `override` (a TOML file) replacing theirs."""
    data = tomllib.loads(ALIASES_FILE.read_text(encoding="utf-8"))
    source = str(ALIASES_FILE)
    if override:
        try:
            extra = tomllib.loads(Path(override).expanduser().read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise AliasesError(f"fichier d'alias illisible {override} : {exc}") from exc
        data = _merged(data, extra)
        source = override
    return build_aliases(data, source)


@dataclass(frozen=True)
class Header:
    """A member's header line read through the aliases: where each known column is, and the
    columns that are not allowed (their position only: their values are never looked at)."""

    member: str
    index: dict[str, int]
    unknown: list[str]
    missing: list[str]
    last: int = -1  # the last position read: shorter rows take the slow path
    columns: tuple[str, ...] = ()
    pick: Any = None  # operator.itemgetter of the known positions

    def getter(self, row: list[str]) -> dict[str, str]:
        """The known columns of one row (stripped), and nothing else."""
        if len(row) > self.last and len(self.index) > 1:
            return dict(zip(self.columns, map(str.strip, self.pick(row)), strict=True))
        size = len(row)
        return {c: row[i].strip() if i < size else "" for c, i in self.index.items()}


def read_header(aliases: Aliases, member: str, header: list[str]) -> Header:
    index: dict[str, int] = {}
    unknown: list[str] = []
    for position, name in enumerate(header):
        column = aliases.column_of(member, name)
        if column is None:
            if name.strip():
                unknown.append(printable(name.strip(), 100))
        elif column not in index:
            index[column] = position
    missing = [c for c in REQUIRED_COLUMNS[member] if c not in index]
    last = max(index.values(), default=-1)
    pick = itemgetter(*index.values()) if index else None
    return Header(member, index, unknown, missing, last, tuple(index), pick)
