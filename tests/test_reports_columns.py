"""Table headings: whole, wrapped, upper-cased; a cell placed under its column."""

from __future__ import annotations

from daemon.ingest.reports.columns import (
    INE_COLUMNS,
    heading_columns,
    heading_piece,
    single_heading,
)
from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.lines import Cell, Line

LABELS = default_labels()


def line(*cells: tuple[float, str]) -> Line:
    return Line(0, 0, [Cell(x, t, 8) for x, t in cells])


def test_heading_row_and_placing_cells() -> None:
    columns = heading_columns(
        line((60, "NOM"), (110, "PRENOM"), (160, "Date de"), (260, "STATUT INE")),
        LABELS,
        INE_COLUMNS,
    )
    assert columns is not None
    assert columns.names == ["last_name", "first_name", "birth_date", "ine_status"]
    assert columns.place(36) == "last_name"  # left edge of a centred heading's column
    assert columns.place(150) == "birth_date"
    assert columns.place(900) == "ine_status"


def test_a_data_row_is_not_a_heading() -> None:
    assert heading_columns(line((60, "MARTIN"), (110, "Léa")), LABELS, INE_COLUMNS) is None
    assert heading_columns(line((60, "Prénom"), (110, "Nom")), LABELS, INE_COLUMNS) is None


def test_heading_pieces_and_single_headings() -> None:
    assert heading_piece(line((160, "naissance")), LABELS, INE_COLUMNS) == {"birth_date": 160}
    assert heading_piece(line((160, "Dupont")), LABELS, INE_COLUMNS) is None
    assert single_heading(line((0, "Statut INE")), LABELS, INE_COLUMNS) == "ine_status"
