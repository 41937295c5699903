"""The anomaly and INE tables: heading rows, then data lines rebuilt into rows.

With positions (PDF), each cell goes under its heading by x, and the lines of one row (cells
wrapped over several lines, top-aligned or centred) are told apart from the next row by the birth
date each row holds and by the larger gap between rows. Without positions (plain text), cells are
read in order until the one that ends a row (a severity, an INE status).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from daemon.ingest.reports import joins, rows
from daemon.ingest.reports.columns import (
    ANOMALY_COLUMNS,
    INE_COLUMNS,
    OTHER,
    Columns,
    heading_columns,
    heading_piece,
    heading_tail,
    merge_piece,
    single_heading,
)
from daemon.ingest.reports.cuts import Placed, records
from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.lines import Cell, Line, split_at
from daemon.ingest.reports.text import iso_date

TITLES = {"anomalies": "Tableau des anomalies", "ine": "Tableau INE"}
Gathered = dict[str, list[tuple[Line, Cell, float]]]  # column → its pieces, with its limit


@dataclass
class Table:
    kind: str  # "anomalies" or "ine"
    labels: Labels
    columns: Columns | None = None
    heading_line: Line | None = None
    placed: list[Placed] = field(default_factory=list)
    stream: list[str] = field(default_factory=list)
    waiting: list[Line] = field(default_factory=list)  # heading parts seen before the heading
    found: list[rows.Row] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # headings of columns nobody reads
    notes: list[str] = field(default_factory=list)  # warnings about the rows read
    rules: list[Line] = field(default_factory=list)  # rule lines met, in order
    last_rule: Line | None = None  # the rule line just before this line
    under_heading: bool = False  # no data line since the heading
    cut_heading: bool = False  # a heading was cut inside a word (`Préno` / `m`)
    _gathered: list[tuple[list[Placed], Gathered]] | None = None

    @property
    def wanted(self) -> tuple[str, ...]:
        return ANOMALY_COLUMNS if self.kind == "anomalies" else INE_COLUMNS

    def feed(self, line: Line) -> None:
        if line.rule is not None:
            self._rule(line)
            return
        columns = heading_columns(line, self.labels, self.wanted)
        last_rule, self.last_rule = self.last_rule, None
        if columns is not None:
            self._heading(line, columns)
            if last_rule is not None and last_rule.page == line.page:  # a box's top border
                self._ruled(last_rule.rule or [])
            self.under_heading = True
        elif self._continues_heading(line):
            return
        elif (
            not self.stream
            and (not line.geometric or self.columns is None)
            and single_heading(line, self.labels, self.wanted)
        ):  # headings one per line (text copied from a screen); in a PDF table, a message
            # wrapped so that a line reads `prénom` is no heading
            self.columns, self.heading_line = None, None
        elif line.geometric and self.columns is not None:
            self.under_heading = False
            bounds = self.columns.bounds or self.columns.starts
            self.placed.append((split_at(line, bounds), self.columns))
        elif line.geometric and heading_piece(line, self.labels, self.wanted) is not None:
            self.waiting.append(line)
        else:
            self._flush_waiting()
            self._stream(line)

    def _rule(self, line: Line) -> None:
        """A rule line: where rows end; right under (or over) the heading, the columns."""
        self.rules.append(line)
        self.last_rule = line
        if self.under_heading:
            self._ruled(line.rule or [])

    def _ruled(self, runs: list[tuple[float, float]]) -> None:
        heading, columns = self.heading_line, self.columns
        if heading is None or columns is None or len(runs) < 2:
            return
        again = heading_columns(split_at(heading, [a for a, _b in runs]), self.labels, self.wanted)
        if again is not None and len(again.names) >= len(columns.names):
            columns = again
        if columns.ruled(runs):
            self.columns = columns

    def _flush_waiting(self) -> None:
        waiting, self.waiting = self.waiting, []
        for line in waiting:
            self._stream(line)

    def _heading(self, line: Line, columns: Columns) -> None:
        near = [w for w in self.waiting if self._near(w, line)]
        self.waiting = [w for w in self.waiting if not self._near(w, line)]
        self._flush_waiting()
        if not line.geometric:
            self.columns, self.heading_line = None, None
            return
        for piece_line in near:
            piece = heading_piece(piece_line, self.labels, self.wanted, columns.names)
            if piece is not None:
                merge_piece(columns, piece)
        while self.placed and self._near(self.placed[-1][0], line):
            piece = heading_piece(self.placed[-1][0], self.labels, self.wanted, columns.names)
            if piece is None:
                break
            merge_piece(columns, piece)
            self.placed.pop()
        self.columns, self.heading_line = columns, line

    def _near(self, other: Line, heading: Line) -> bool:
        return other.page == heading.page and abs(other.y - heading.y) <= 1.6 * heading.size

    def _continues_heading(self, line: Line) -> bool:
        heading = self.heading_line
        if heading is None or self.columns is None or not self._near(line, heading):
            return False
        if (
            self.placed
            and self.placed[-1][0].page == line.page
            and self.placed[-1][0].y > heading.y
        ):
            return False
        columns = self.columns
        piece = heading_piece(line, self.labels, self.wanted, columns.names)
        if piece is not None and any(
            name in columns.names and columns.under(x) != name for name, x in piece.items()
        ):  # not under its heading: a message line (`niveau de`) at the top of a page
            piece = None
        if piece is None:
            piece = heading_tail(line, columns, self.labels)
            self.cut_heading = self.cut_heading or piece is not None
        if piece is None:
            return False
        merge_piece(columns, piece)
        return True

    def _stream(self, line: Line) -> None:
        for cell in line.cells:
            self.stream.append(cell.text)
            if rows.closes_row(cell.text, self.kind, self.labels):
                self._emit(self.stream, None)
                self.stream = []

    def _emit(self, parts: list[str], cells: dict[str, str] | None) -> None:
        anomalies = self.kind == "anomalies"
        row = None
        if cells is not None:
            by_columns = rows.anomaly_from_columns if anomalies else rows.ine_from_columns
            row = by_columns(cells, self.labels)
        if row is None:
            by_parts = rows.anomaly_from_parts if anomalies else rows.ine_from_parts
            row = by_parts(parts, self.labels)
        if row is None:
            self.unplaced.append(" | ".join(p for p in parts if p))
            return
        self.found.append(row)
        if anomalies and row["severity"] is None:
            field = row["field"] or "rubrique illisible"
            self.notes.append(
                f"Anomalie n° {len(self.found)} ({field}) : gravité absente, à vérifier"
            )

    def cuts_words(self) -> bool:
        """Whether the table shows that its producer cuts words too long for their column (see
        `_cutting`); the rows are gathered once, for `finish`."""
        if self._gathered is None:
            self._flush_waiting()
            found, in_doubt = records(self.placed, self.rules, self.kind, self.labels)
            if in_doubt:
                self.notes.append(f"{TITLES[self.kind]} : rien ne sépare ses lignes, à vérifier")
            limits = joins.limits(self.placed)
            self._gathered = [(record, self._gather(record, limits)) for record in found]
        return (
            self.cut_heading
            or any(self._cut_cells(cells) for _r, cells in self._gathered)
            or (len(self._cut_name_columns()) > 0)
        )

    def finish(self, cuts_words: bool = False) -> tuple[list[rows.Row], list[str]]:
        """The rows read, and the text of lines that made no row. `cuts_words`: another table
        of the document showed that its producer cuts words too long for their column."""
        cutting = set(self.wanted) if cuts_words or self.cuts_words() else set()
        for record, cells in self._gathered or []:
            self._emit_record(record, cells, cutting)
        if self.stream:
            self.unplaced.append(" | ".join(self.stream))
            self.stream = []
        self.placed = []
        self._gathered = None
        return self.found, self.unplaced

    def _gather(self, record: list[Placed], limits: dict[int, dict[str, float]]) -> Gathered:
        gathered: Gathered = {}
        for line, columns in record:
            reach = limits.get(id(columns), {})
            for cell in line.cells:
                name = columns.place(cell.x)
                gathered.setdefault(name, []).append((line, cell, reach.get(name, math.nan)))
        return gathered

    def _cut_name_columns(self) -> set[str]:
        """The name columns holding two different words cut because they did not fit
        (`OUÉDRA` / `OGO`). A single full word alone on its line may be the word that gave a
        browser's column its width (`FERNANDES` / `DA SILVA`): a browser widens a column to
        its longest word where other producers cut the word."""
        cut = set()
        for name in ("last_name", "first_name"):
            words = {
                word
                for _record, cells in self._gathered or []
                for word in joins.cut_words(cells.get(name, []))
            }
            if len(words) >= 2:
                cut.add(name)
        return cut

    def _cut_cells(self, gathered: Gathered) -> bool:
        """Whether this row shows that the producer cuts words too long for their column: a
        birth date, a severity or an INE status wrapped inside a word, a first name going on
        with a small letter (`Jean-Ba` / `ptiste`)."""
        closing = "severity" if self.kind == "anomalies" else "ine_status"
        for name in ("birth_date", closing, "first_name"):
            pieces = [cell.text for _line, cell, _limit in gathered.get(name, [])]
            if len({id(line) for line, _cell, _limit in gathered.get(name, [])}) < 2:
                continue
            if name == "birth_date" and iso_date(pieces[0]) is None:
                return True
            if name == closing and joins.cut_value(pieces, self.kind, self.labels):
                return True
            if name == "first_name" and any(
                a[-1].isalpha() and b[0].islower() for a, b in itertools.pairwise(pieces)
            ):
                return True
        return False

    def _emit_record(self, record: list[Placed], gathered: Gathered, cutting: set[str]) -> None:
        order = [n for n in record[0][1].names if not n.startswith(OTHER)]
        for name in record[0][1].names:
            if name.startswith(OTHER) and name[len(OTHER) :] not in self.ignored:
                self.ignored.append(name[len(OTHER) :])
        cells = {name: joins.join(name, gathered.get(name, []), name in cutting) for name in order}
        parts = [cells[name] for name in order if cells[name]]
        self._emit(parts, cells)
