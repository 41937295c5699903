"""The labels, headings, statuses and message categories of the reports, loaded from data.

The packaged `daemon/data/report_labels.toml` is the default; the district's file
(`intake.labels_file`) extends it: its lists are added to the packaged ones, a table holding
`replace = true` replaces the packaged table, and its `[[categories]]` rules come first.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from daemon.codes import fold
from daemon.ingest.reports.text import key

Category = Literal["export", "onde", "other"]
_TABLES = ("header", "counters", "sections", "columns", "severities", "ine_statuses", "extraction")


class LabelsError(ValueError):
    """A labels file that cannot be used; the message says why, in French."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Category
    field: list[str] = []
    message: list[str] = []


class _Noise(BaseModel):
    model_config = ConfigDict(extra="forbid")
    patterns: list[str] = []
    margin_patterns: list[str] = []
    replace: bool = False


class _LabelsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    titles: list[str] = []
    rubriques: list[str] = []
    messages: list[str] = []
    header: dict[str, list[str] | bool] = {}
    counters: dict[str, list[str] | bool] = {}
    sections: dict[str, list[str] | bool] = {}
    columns: dict[str, list[str] | bool] = {}
    severities: dict[str, list[str] | bool] = {}
    ine_statuses: dict[str, list[str] | bool] = {}
    extraction: dict[str, list[str] | bool] = {}
    noise: _Noise = _Noise()
    categories: list[_Rule] = []


@dataclass(frozen=True)
class CategoryRule:
    category: Category
    fields: frozenset[str]
    words: tuple[str, ...]

    def matches(self, field_key: str, message_key: str) -> bool:
        return field_key in self.fields or any(word in message_key for word in self.words)


@dataclass(frozen=True)
class Headings:
    """Column headings as a table heading row is read: (column, label words), the longest
    labels first; each column's labels without spaces (a heading cut over lines)."""

    words: tuple[tuple[str, tuple[str, ...]], ...]
    compact: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Labels:
    """Every label as comparison keys (see `text.key`), grouped by what it names."""

    titles: tuple[str, ...]
    groups: dict[str, dict[str, tuple[str, ...]]]  # table → name → label keys
    rubriques: dict[str, str]  # key → spelling shown in results
    messages: dict[str, str]  # ONDE's known messages: key → spelling (OCR snaps to them)
    noise: tuple[re.Pattern[str], ...]
    margin_noise: tuple[re.Pattern[str], ...]
    categories: tuple[CategoryRule, ...]

    def __getitem__(self, table: str) -> dict[str, tuple[str, ...]]:
        return self.groups[table]

    @functools.cached_property
    def first_words(self) -> frozenset[str]:
        """The first word of every header and counter label: a line beginning otherwise is
        neither (the quick answer for a table's lines)."""
        tables = [self.groups["header"], self.groups["counters"]]
        return frozenset(
            label.split()[0] for table in tables for names in table.values() for label in names
        )

    @functools.cached_property
    def column_words(self) -> frozenset[str]:
        """The first word of every column heading: a line with fewer than two is no heading
        row (a heading row holds two whole headings or more)."""
        columns = self.groups["columns"].values()
        return frozenset(label.split()[0] for names in columns for label in names if label)

    @functools.cached_property
    def longest_section(self) -> int:
        """The length of the longest section heading: a longer line is none."""
        sections = self.groups["sections"].values()
        return max((len(label) for names in sections for label in names), default=0)

    @functools.cached_property
    def _headings(self) -> dict[tuple[str, ...], Headings]:
        return {}

    def headings(self, wanted: tuple[str, ...]) -> Headings:
        """The column headings of the columns `wanted`, worked out once (every line of a
        table is compared with them)."""
        found = self._headings.get(wanted)
        if found is None:
            columns = self.groups["columns"]
            words = [(name, tuple(label.split())) for name in wanted for label in columns[name]]
            found = Headings(
                tuple(sorted(words, key=lambda item: -len(item[1]))),
                {name: tuple(label.replace(" ", "") for label in columns[name]) for name in wanted},
            )
            self._headings[wanted] = found
        return found

    def find(self, table: str, text_key: str) -> str | None:
        """The name whose label equals the text (already a key), or None."""
        for name, labels in self.groups[table].items():
            if text_key in labels:
                return name
        return None

    def category(self, field: str | None, message: str | None) -> Category:
        field_key, message_key = key(field or ""), key(message or "")
        for rule in self.categories:
            if rule.matches(field_key, message_key):
                return rule.category
        return "other"


def _read(source: str, text: str) -> _LabelsFile:
    try:
        return _LabelsFile.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise LabelsError(f"{source} : TOML invalide ({exc})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise LabelsError(f"{source} : entrée « {where} » invalide ({first['msg']})") from exc


def _merge(base: dict[str, Any], extra: dict[str, Any], source: str, table: str) -> dict[str, Any]:
    if extra.get("replace") is True:
        merged: dict[str, Any] = {}
    else:
        merged = {name: list(values) for name, values in base.items() if name != "replace"}
    for name, values in extra.items():
        if name == "replace":
            continue
        if name not in base or isinstance(values, bool):
            raise LabelsError(f"{source} : [{table}] {name} inconnu (attendu : {', '.join(base)})")
        merged[name] = [*values, *merged.get(name, [])]
    return merged


def _compile(patterns: list[str], source: str) -> tuple[re.Pattern[str], ...]:
    try:
        return tuple(re.compile(fold(p), re.IGNORECASE) for p in patterns)
    except re.error as exc:
        raise LabelsError(f"{source} : expression régulière invalide ({exc})") from exc


def _build(data: _LabelsFile, source: str) -> Labels:
    groups: dict[str, dict[str, tuple[str, ...]]] = {}
    for table in _TABLES:
        names = getattr(data, table)
        groups[table] = {
            name: tuple(dict.fromkeys(key(v) for v in values))
            for name, values in names.items()
            if not isinstance(values, bool)
        }
    rules = tuple(
        CategoryRule(rule.category, frozenset(map(key, rule.field)), tuple(map(key, rule.message)))
        for rule in data.categories
    )
    return Labels(
        titles=tuple(key(t) for t in data.titles),
        groups=groups,
        rubriques={key(r): r for r in data.rubriques},
        messages={key(m): m for m in data.messages},
        noise=_compile(data.noise.patterns, source),
        margin_noise=_compile(data.noise.margin_patterns, source),
        categories=rules,
    )


@functools.cache
def _packaged() -> _LabelsFile:
    text = resources.files("daemon").joinpath("data/report_labels.toml").read_text("utf-8")
    return _read("report_labels.toml", text)


@functools.cache
def default_labels() -> Labels:
    return _build(_packaged(), "report_labels.toml")


def load_labels(path: str | None) -> Labels:
    """The packaged labels, extended by the district's TOML file when a path is given."""
    if not path:
        return default_labels()
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelsError(f"{path} : lecture impossible ({exc})") from exc
    base, extra = _packaged(), _read(path, text)
    merged: dict[str, Any] = {
        "titles": [*extra.titles, *base.titles],
        "rubriques": [*extra.rubriques, *base.rubriques],
        "messages": [*extra.messages, *base.messages],
        "categories": [*extra.categories, *base.categories],
    }
    for table in _TABLES:
        merged[table] = _merge(getattr(base, table), getattr(extra, table), path, table)
    noise = extra.noise
    keep = [] if noise.replace else base.noise.patterns
    keep_margin = [] if noise.replace else base.noise.margin_patterns
    merged["noise"] = _Noise(
        patterns=[*noise.patterns, *keep], margin_patterns=[*noise.margin_patterns, *keep_margin]
    )
    return _build(_LabelsFile.model_validate(merged), path)
