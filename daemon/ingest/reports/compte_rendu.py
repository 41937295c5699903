"""A compte rendu d'import (CR), from its lines to its record (`records.CompteRendu`).

Lines are read in order: the title, `label : value` header lines, counters (a label then a number,
on the same line or the next), section headings, and the lines of the anomaly and INE tables.
A line that is none of these is kept in `unclassified`: nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from daemon.ingest.reports.checks import consistency_warnings, school_fields
from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.lines import Line
from daemon.ingest.reports.records import AnomalyRow, CompteRendu, Counts, IneRow, IneSection
from daemon.ingest.reports.refusal import ReportRefused
from daemon.ingest.reports.tables import Table
from daemon.ingest.reports.text import parse_moment, starts_with_label

_COUNT = re.compile(r"^:?\s*(\d[\d\s\u202f]{0,9})$")
_HEADING_TAIL = re.compile(r"\s*(\(\d+\))?\s*:?\s*$")
_ONDE = re.compile(r"^onde\s*[-:]?\s*")


@dataclass
class _State:
    labels: Labels
    header: dict[str, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    sections: set[str] = field(default_factory=set)
    titled: bool = False
    no_anomaly: bool = False
    section: str | None = None
    pending: str | None = None
    unclassified: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tables = {kind: Table(kind, self.labels) for kind in ("anomalies", "ine")}


def _rest(line: Line, label: str) -> str:
    """The text of the line after a label (given as a key: same number of words)."""
    return " ".join(line.text.split()[len(label.split()) :]).lstrip(":").strip()


def _is_title(state: _State, line_key: str) -> bool:
    stripped = _ONDE.sub("", line_key, count=1) if line_key.startswith("onde") else line_key
    return stripped.startswith(state.labels.titles)


def _section(state: _State, line_key: str) -> str | None:
    if len(line_key) > state.labels.longest_section + 12:  # `(12) :` may follow a heading
        return None
    heading = _HEADING_TAIL.sub("", line_key)
    for name in ("anomalies", "ine", "plain"):
        if heading in state.labels["sections"].get(name, ()):
            return name
    return None


def _header(state: _State, line: Line) -> bool:
    for name, labels in state.labels["header"].items():
        for label in labels:
            if not starts_with_label(line.key, label):
                continue
            after = line.key[len(label) :].lstrip()
            whole_cell = (
                len(line.cells) > 1
                and line.cells[0].text.split() == line.text.split()[: len(label.split())]
            )
            if not after.startswith(":") and not whole_cell:
                continue
            value = _rest(line, label)
            if value and name not in state.header:
                state.header[name] = value
            elif value and state.header[name] != value:
                state.warnings.append(f"{line.text} : valeur en double, la première est gardée")
            return bool(value)
    return False


def _counter(state: _State, line: Line) -> bool:
    for name, labels in state.labels["counters"].items():
        for label in labels:
            if not starts_with_label(line.key, label):
                continue
            rest = _rest(line, label)
            if not rest:
                state.pending = name
                return True
            match = _COUNT.match(rest)
            if match:
                state.counters[name] = int("".join(match.group(1).split()))
                return True
    return False


def _take_pending(state: _State, line: Line) -> bool:
    name, state.pending = state.pending, None
    match = _COUNT.match(line.text)
    if name is None or not match:
        if name is not None:
            state.warnings.append(f"Compteur « {name} » sans nombre")
        return False
    state.counters[name] = int("".join(match.group(1).split()))
    return True


def _read_line(state: _State, line: Line) -> None:
    if line.rule is not None:  # layout: a table's rules tell where its rows end
        if state.section in state.tables:
            state.tables[state.section].feed(line)
        return
    if state.pending is not None and _take_pending(state, line):
        return
    line_key = line.key
    if _is_title(state, line_key):  # also the title ONDE repeats at the top of each page
        state.titled = True
        return
    section = _section(state, line_key)
    if section is not None:
        state.sections.add(section)
        state.section = section if section in state.tables else None
        return
    labelled = line_key.split(" ", 1)[0].split(":", 1)[0] in state.labels.first_words
    if labelled and (_header(state, line) or _counter(state, line)):
        return
    if line_key.startswith(state.labels["sections"]["no_anomaly"]):
        state.no_anomaly = True
        return
    if state.section in state.tables:
        state.tables[state.section].feed(line)
        return
    state.unclassified.append(line.text)


def _looks_like_cr(state: _State) -> bool:
    evidence = len(state.header) + len(state.counters) + len(state.sections & {"anomalies", "ine"})
    return state.titled or evidence >= 3


def read_compte_rendu(
    lines: list[Line], labels: Labels, what: str, *, source: Literal["text", "ocr"] = "text"
) -> CompteRendu:
    """The CR read from its lines; ReportRefused when the lines are not a CR. `source`: where
    the lines come from (a text layer or a text file; OCR)."""
    state = _State(labels)
    for line in lines:
        _read_line(state, line)
    if state.pending is not None:
        state.warnings.append(f"Compteur « {state.pending} » sans nombre")
    if not _looks_like_cr(state):
        raise ReportRefused(f"{what} n'est pas un compte rendu d'import ONDE")
    # One producer made both tables: where one shows that it cuts long words, both do.
    cuts_words = any([table.cuts_words() for table in state.tables.values()])
    anomaly_rows, unplaced = state.tables["anomalies"].finish(cuts_words)
    ine_rows, unplaced_ine = state.tables["ine"].finish(cuts_words)
    state.unclassified.extend(unplaced + unplaced_ine)
    for table in state.tables.values():
        state.warnings.extend(table.notes)
        state.warnings.extend(f"Colonne « {name} » non lue" for name in table.ignored)
    uai, school_name, school_warnings = school_fields(state.header)
    counters = state.counters
    counts = Counts(
        *(counters.get(name) for name in ("read", "integrated", "rejected", "warnings"))
    )
    anomalies = tuple(AnomalyRow.from_json(row) for row in anomaly_rows)
    pupils = tuple(IneRow.from_json(row) for row in ine_rows)
    ine = IneSection(counters.get("attributed"), counters.get("pending"), pupils)
    if state.no_anomaly and anomalies:
        state.warnings.append("« Aucune anomalie » annoncé, mais des lignes d'anomalie trouvées")
    submitted_at, processed_at = _moment(state, "submitted"), _moment(state, "processed")
    warnings = school_warnings + state.warnings + consistency_warnings(counts, anomalies, ine)
    return CompteRendu(
        uai=uai,
        school_name=school_name,
        archive=state.header.get("archive"),
        submitted_at=submitted_at,
        processed_at=processed_at,
        counts=counts,
        anomalies=anomalies,
        ine=ine,
        unclassified=tuple(state.unclassified),
        warnings=tuple(warnings),
        source=source,
    )


def _moment(state: _State, name: str) -> dt.datetime | None:
    raw = state.header.get(name)
    if raw is None:
        return None
    found = parse_moment(raw)
    if found is None:
        state.warnings.append(f"Date illisible : « {raw} »")
        return None
    return dt.datetime.fromisoformat(found)
