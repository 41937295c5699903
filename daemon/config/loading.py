"""Building the one `Settings` object from `relance.toml`, the environment and credentials.

Order of precedence (last wins): defaults, the TOML file, `$CREDENTIALS_DIRECTORY/<dotted.key>`
files (systemd `LoadCredential=`), then `RELANCE_<SECTION>__<KEY>` environment variables
(`RELANCE_DATABASE_URL`, `RELANCE_SMTP__HOST`, …).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from daemon.config.settings import SettingError, Settings
from daemon.config.toml_errors import french_toml_error
from daemon.config.toml_out import MASK, is_secret, is_section

ENV_PREFIX = "RELANCE_"
NOT_SETTINGS = {"RELANCE_CONFIG"}  # RELANCE_ variables that are not settings


class ConfigError(Exception):
    """The configuration cannot be used; `problems` names each wrong key or value."""

    def __init__(self, path: Path | None, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        where = str(path) if path else "configuration"
        super().__init__("\n".join(f"{where}:{p}" for p in problems))


@dataclass(frozen=True)
class Problem:
    key: str
    message: str
    line: int | None = None
    source: str = "file"

    def __str__(self) -> str:
        where = f"{self.line}: " if self.line else " "
        origin = "" if self.source == "file" else f" (source : {self.source})"
        return f"{where}{self.key}: {self.message}{origin}"


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read, merge and validate; raise ConfigError naming every problem."""
    environ = os.environ if environ is None else environ
    text = _read(path)
    problems: list[Problem] = []
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        syntax = french_toml_error(exc, text)
        raise ConfigError(path, [Problem("toml", syntax.message, syntax.line)]) from exc
    sources: dict[tuple[str, ...], str] = {}
    _apply_credentials(data, environ, sources)
    _apply_environment(data, environ, sources, problems)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems.extend(_problems_from(exc, text, sources))
    if problems:
        raise ConfigError(path, problems)
    return anchor_paths(settings, path.parent if path else None, sources)


# Settings naming a file or a folder: a relative value written in the configuration file means
# "next to the configuration file", wherever the command is started from.
PATH_SETTINGS: tuple[tuple[str, ...], ...] = (
    ("state_dir",),
    ("templates_dir",),
    ("intake", "drop_dir"),
    ("intake", "labels_file"),
    ("exports", "aliases_file"),
    ("web", "demo_mail_dir"),
    ("mailbox", "password_file"),
    ("mailbox", "maildir"),
)


def anchor_paths(
    settings: Settings, base: Path | None, sources: Mapping[tuple[str, ...], str]
) -> Settings:
    """Relative paths from the file (or defaults) made relative to the file's folder; those
    given by the environment or a credential stay relative to the working directory."""
    if base is None:
        return settings
    data = settings.model_dump()
    for key in PATH_SETTINGS:
        section = data
        for part in key[:-1]:
            section = section[part]
        value = section[key[-1]]
        if key in sources or not value or Path(value).expanduser().is_absolute():
            continue
        section[key[-1]] = str(base.resolve() / value)
    return Settings.model_validate(data)


def check_file(path: Path, environ: Mapping[str, str] | None = None) -> list[Problem]:
    """Every problem of a file (empty list: the file is valid)."""
    try:
        load_settings(path, environ if environ is not None else {})
    except ConfigError as exc:
        return exc.problems
    return []


def _read(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(path, [Problem("fichier", "introuvable")]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [Problem("fichier", "pas en UTF-8")]) from exc


# ---- environment and credentials ---------------------------------------------------------------


def leaf_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every setting's dotted path, in table order."""
    paths: list[tuple[str, ...]] = []
    for name, info in model.model_fields.items():
        if is_section(info):
            assert isinstance(info.annotation, type)
            paths.extend(leaf_paths(info.annotation, (*prefix, name)))
        else:
            paths.append((*prefix, name))
    return paths


def env_name(path: tuple[str, ...]) -> str:
    return ENV_PREFIX + "__".join(path).upper()


def _field_info(path: tuple[str, ...]) -> FieldInfo:
    model: type[BaseModel] = Settings
    for name in path[:-1]:
        annotation = model.model_fields[name].annotation
        assert isinstance(annotation, type)
        model = annotation
    return model.model_fields[path[-1]]


def _field_is_text(path: tuple[str, ...]) -> bool:
    return _field_info(path).annotation is str


def _parse_env_value(path: tuple[str, ...], raw: str) -> Any:
    if _field_is_text(path):
        return raw
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = data
    for name in path[:-1]:
        child = node.setdefault(name, {})
        if not isinstance(child, dict):
            child = node[name] = {}
        node = child
    node[path[-1]] = value


def _apply_environment(
    data: dict[str, Any],
    environ: Mapping[str, str],
    sources: dict[tuple[str, ...], str],
    problems: list[Problem],
) -> None:
    known = {env_name(p): p for p in leaf_paths(Settings)}
    for name, raw in environ.items():
        if (
            not name.startswith(ENV_PREFIX)
            or name in NOT_SETTINGS
            or name.startswith("RELANCE_TEST_")
        ):
            continue
        path = known.get(name)
        if path is None:
            problems.append(
                Problem(name, "variable d'environnement inconnue", source="environnement")
            )
            continue
        _set(data, path, _parse_env_value(path, raw))
        sources[path] = f"variable d'environnement {name}"


def _apply_credentials(
    data: dict[str, Any], environ: Mapping[str, str], sources: dict[tuple[str, ...], str]
) -> None:
    directory = environ.get("CREDENTIALS_DIRECTORY")
    if not directory:
        return
    for path in leaf_paths(Settings):
        file = Path(directory) / ".".join(path)
        if file.is_file():
            _set(data, path, _parse_env_value(path, file.read_text(encoding="utf-8").strip()))
            sources[path] = f"identifiant systemd {file.name}"


# ---- validation errors with line numbers ---------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\.\"' ]+?)\s*=")


def _split_key(raw: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in raw.split("."))


def locate_line(text: str, loc: tuple[str | int, ...], *, exact: bool = False) -> int | None:
    """The line of the TOML text that best matches a setting path (longest matching prefix;
    with `exact`, only the line of the setting itself)."""
    parts = tuple(p for p in loc if isinstance(p, str))
    best_line, best_len = None, 0
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _split_key(header.group(1))
            candidate = table
        else:
            key = _KEY.match(line)
            if not key or line.lstrip().startswith("#"):
                continue
            candidate = table + _split_key(key.group(1))
        size = len(candidate)
        if size > best_len and parts[:size] == candidate:
            best_line, best_len = number, size
    if exact and best_len < len(parts):
        return None
    return best_line


# What pydantic's error types mean, in French (a type missing here keeps pydantic's message).
_MESSAGES: dict[str, str] = {
    "string_type": "texte attendu (entre guillemets)",
    "int_type": "nombre entier attendu",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu, sans décimales",
    "float_type": "nombre attendu",
    "float_parsing": "nombre attendu",
    "bool_type": "true ou false attendu",
    "bool_parsing": "true ou false attendu",
    "date_type": "date attendue (AAAA-MM-JJ)",
    "date_parsing": "date attendue (AAAA-MM-JJ)",
    "date_from_datetime_parsing": "date attendue (AAAA-MM-JJ)",
    "date_from_datetime_inexact": "date attendue (AAAA-MM-JJ)",
    "time_type": "heure attendue (HH:MM)",
    "time_parsing": "heure attendue (HH:MM)",
    "list_type": "liste attendue ([…])",
    "dict_type": "table attendue ({ clé = valeur })",
    "model_type": "section attendue ([nom] ou { … })",
    "model_attributes_type": "section attendue ([nom] ou { … })",
    "missing": "réglage obligatoire absent",
    "extra_forbidden": "réglage inconnu",
    "less_than_equal": "doit être au plus {le}",
    "less_than": "doit être inférieur à {lt}",
    "greater_than_equal": "doit être au moins {ge}",
    "greater_than": "doit être supérieur à {gt}",
}


def french_message(error: Mapping[str, Any]) -> str:
    """One validation error of pydantic, said in French."""
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "value_error" and "error" in context:
        return str(context["error"])  # our own validators already speak French
    if kind == "literal_error":
        expected = str(context.get("expected", "")).replace(" or ", " ou ")
        return f"valeur attendue parmi {expected}"
    template = _MESSAGES.get(kind)
    if template is None:
        return str(error["msg"])
    return template.format(**{k: _number(v) for k, v in context.items()})


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _problems_from(
    exc: ValidationError, text: str, sources: dict[tuple[str, ...], str]
) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = _named_setting(tuple(error["loc"]), error, text)
        key = ".".join(str(p) for p in loc) or "(racine)"
        message = french_message(error)
        path = tuple(p for p in loc if isinstance(p, str))
        if (
            error["type"] not in ("extra_forbidden", "value_error")
            and "input" in error
            and not isinstance(error["input"], dict | list)
        ):
            shown = MASK if _is_secret_path(path) else repr(error["input"])
            message = f"{message} (valeur : {shown})"
        source = next((s for p, s in sources.items() if path[: len(p)] == p), "file")
        line = locate_line(text, loc) if source == "file" else None
        problems.append(Problem(key, message, line, source))
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0))


def _named_setting(
    loc: tuple[str | int, ...], error: Mapping[str, Any], text: str
) -> tuple[str | int, ...]:
    """A section's error about some of its settings (`SettingError`) names the first of them
    written in the file, else the first of them."""
    cause = (error.get("ctx") or {}).get("error")
    if not isinstance(cause, SettingError):
        return loc
    for key in cause.keys:
        if locate_line(text, (*loc, key), exact=True) is not None:
            return (*loc, key)
    return (*loc, cause.keys[0])


def _is_secret_path(path: tuple[str, ...]) -> bool:
    try:
        return is_secret(_field_info(path))
    except (KeyError, AssertionError):
        return False
