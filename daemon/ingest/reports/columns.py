"""Table headings: recognise a heading row, and place a cell under its column by position.

A heading may be centred over its column, wrapped over two lines (`Né(e)` / `le`), repeated on
every page, or printed one heading per line (text copied from a screen).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.lines import Line
from daemon.ingest.reports.text import key

ANOMALY_COLUMNS = ("last_name", "first_name", "birth_date", "field", "message", "severity")
INE_COLUMNS = ("last_name", "first_name", "birth_date", "ine_status")
OTHER = "other:"  # prefix of a column whose heading is not in the labels
CHAR_WIDTH = 0.5  # average glyph width, in font sizes, to estimate where a word ends


@dataclass
class Columns:
    names: list[str]  # in order, left to right
    starts: list[float]  # x where each heading begins
    bounds: list[float] | None = None  # x where each column begins, when a rule shows it
    # the column of each x asked, until the columns change (cells of a column share their x)
    placed: dict[float, str] = field(default_factory=dict, repr=False, compare=False)

    def place(self, x: float) -> str:
        """The column of a cell beginning at x: the first whose heading does not begin before it.

        A cell's left edge is at or before its heading (headings are left-aligned or centred)
        and after the end of the previous heading. Under a rule (`----  ---`), the column whose
        run holds x.
        """
        found = self.placed.get(x)
        if found is None:
            if self.bounds is not None:
                found = self.under(x)
            else:
                index = bisect.bisect_left(self.starts, x - 2.0)
                found = self.names[min(index, len(self.names) - 1)]
            self.placed[x] = found
        return found

    def under(self, x: float) -> str:
        """The column whose heading a piece of heading beginning at x sits under (headings are
        left-aligned or centred: the last one beginning before it)."""
        index = bisect.bisect_right(self.bounds or self.starts, x + 2.0) - 1
        return self.names[max(index, 0)]

    def ruled(self, runs: list[tuple[float, float]]) -> bool:
        """Takes the columns' bounds from a rule's runs when each heading sits over one run (a
        heading wider than its run stands over the rule's gap: the run nearest its start)."""
        if len(runs) < 2:
            return False
        bounds: list[float] = []
        for start in self.starts:
            inside = [a for a, b in runs if a - 2.0 <= start <= b]
            bounds.append(inside[0] if inside else min(runs, key=lambda r: abs(r[0] - start))[0])
        if any(b <= a for a, b in itertools.pairwise(bounds)):
            return False
        self.bounds = bounds
        self.placed.clear()
        return True


def _label_matches(
    tokens: Sequence[str], labels: Labels, wanted: tuple[str, ...]
) -> list[str] | None:
    """The column names the tokens spell in order (longest labels first), or None."""
    options = labels.headings(wanted).words
    tokens = tuple(tokens)
    found: list[str] = []
    position = 0
    while position < len(tokens):
        for name, words in options:
            if tokens[position : position + len(words)] == words:
                found.append(name)
                position += len(words)
                break
        else:
            return None
    return found


def piece_owner(
    text: str, labels: Labels, wanted: tuple[str, ...], taken: list[str] | None = None
) -> str | None:
    """The column whose heading contains this piece (`Né(e`, `) le`, `Date de`), or None."""
    compact = key(text).replace(" ", "")
    if len(compact) < 2:
        return None
    spellings = labels.headings(wanted).compact
    owners = [name for name in wanted if any(compact in label for label in spellings[name])]
    free = [name for name in owners if name not in (taken or [])]
    choice = free or owners
    return choice[0] if choice else None


def heading_columns(line: Line, labels: Labels, wanted: tuple[str, ...]) -> Columns | None:
    """Columns when the line is a heading row: column labels (or parts of them, for headings
    wrapped over lines), at least two whole ones, Nom first. With three whole ones or more, a
    heading nobody knows (`Classe`) is a column of its own, named `other:<heading>`."""
    if len(labels.column_words.intersection(line.key.split())) < 2:
        return None  # the quick answer for most lines
    names: list[str] = []
    starts: list[float] = []
    whole, unknown = 0, 0
    for cell in line.cells:
        found = _label_matches(key(cell.text).split(), labels, wanted)
        if not found:
            owner = piece_owner(cell.text, labels, wanted, names)
            if owner is None and any(ch.isdigit() for ch in cell.text):
                return None
            unknown += owner is None
            found = [owner or f"{OTHER}{cell.text}"]
        else:
            whole += len(found)
        offset = 0.0
        for name in found:
            if name not in names:
                names.append(name)
                starts.append(cell.x + offset)
            offset += CHAR_WIDTH * cell.size * (len(cell.text) / max(len(found), 1))
    if whole < (3 if unknown else 2) or "last_name" not in names:
        return None
    if names[0] != "last_name" and whole < 3:  # `Prénom Nom` is a line of a message
        return None
    return Columns(names, starts)


def heading_piece(
    line: Line, labels: Labels, wanted: tuple[str, ...], taken: list[str] | None = None
) -> dict[str, float] | None:
    """For a line holding only parts of headings (`le` under `Né(e)`): column → x; else None.
    A part several headings contain goes to one not `taken` yet (`le`: `Né(e) le`, not
    `Nom élève`)."""
    pieces: dict[str, float] = {}
    for cell in line.cells:
        found = _label_matches(key(cell.text).split(), labels, wanted)
        whole = found[0] if found and len(found) == 1 else None
        owner = whole or piece_owner(cell.text, labels, wanted, taken)
        if owner is None:
            return None
        pieces[owner] = min(cell.x, pieces.get(owner, cell.x))
    return pieces or None


def heading_tail(line: Line, columns: Columns, labels: Labels) -> dict[str, float] | None:
    """For the line under a heading row holding the ends of headings cut by a narrow column
    (`m` under `Préno`): column → x; else None. Each piece, however short, must sit under a
    heading whose labels contain it."""
    pieces: dict[str, float] = {}
    for cell in line.cells:
        name = columns.under(cell.x)
        compact = key(cell.text).replace(" ", "")
        spellings = labels["columns"].get(name, ())
        if not compact or not any(compact in label.replace(" ", "") for label in spellings):
            return None
        pieces[name] = min(cell.x, pieces.get(name, cell.x))
    return pieces or None


def single_heading(line: Line, labels: Labels, wanted: tuple[str, ...]) -> str | None:
    """The column named by a line that is exactly one heading (headings one per line)."""
    if len(line.cells) != 1:
        return None
    found = _label_matches(line.key.split(), labels, wanted)
    return found[0] if found and len(found) == 1 else None


def merge_piece(columns: Columns, piece: dict[str, float]) -> None:
    for name, x in piece.items():
        if name in columns.names:
            index = columns.names.index(name)
            columns.starts[index] = min(columns.starts[index], x)
        else:
            columns.names.append(name)
            columns.starts.append(x)
    order = sorted(range(len(columns.names)), key=lambda i: columns.starts[i])
    columns.names = [columns.names[i] for i in order]
    columns.starts = [columns.starts[i] for i in order]
    columns.placed.clear()
