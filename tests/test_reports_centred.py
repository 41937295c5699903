"""Rows whose cells are centred in their row, with nothing between two rows (fpdf2's default
`multi_cell` tables without borders): every cell of a row centred on one height."""

from __future__ import annotations

from daemon.ingest.reports.centred import centred_starts
from daemon.ingest.reports.columns import Columns
from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.lines import Cell, Line
from daemon.ingest.reports.tables import Table

NAMES = ["last_name", "first_name", "birth_date", "field", "message", "severity"]
STARTS = [40.0, 120.0, 190.0, 250.0, 320.0, 500.0]
HEADING = list(zip(STARTS, ["Nom", "Prénom", "Né(e) le", "Rubrique", "Message", "Gravité"],
                   strict=True))  # fmt: skip


def line(y: float, *cells: tuple[float, str], page: int = 0) -> Line:
    return Line(page, y, [Cell(x, text, 8.0) for x, text in cells])


def row(y: float, name: str, message: str = "", page: int = 0) -> Line:
    """A row's line holding all its cells (its message's line too, when `message`)."""
    cells = [(40.0, name), (120.0, "Léa"), (190.0, "01/02/2020"), (250.0, "Adresse"),
             (320.0, message), (500.0, "Rejet")]  # fmt: skip
    return line(y, *[(x, text) for x, text in cells if text], page=page)


def message(y: float, text: str, page: int = 0) -> Line:
    return line(y, (320, text), page=page)


def table_of(lines: list[Line]) -> Table:
    table = Table("anomalies", default_labels())
    for item in [line(90, *HEADING), *lines]:
        table.feed(item)
    return table


def test_each_row_ends_where_its_cells_are_centred() -> None:
    lines = [
        message(100, "Code postal"), row(110, "MARTIN", "incohérent avec"),
        message(120, "la commune"),  # 3 lines centred on 110
        row(130, "PETIT", "Voie à renseigner"),  # one line
        message(140, "Commune"), message(150, "de naissance"),  # 4 lines: the other cells
        row(155, "DURAND"),  # half a line lower than the second, as far from the first as the
        message(160, "inconnue dans"), message(170, "le référentiel"),  # gap above the row
        row(180, "LEROY", "Aucun responsable"),
    ]  # fmt: skip
    placed = [(item, Columns(NAMES, STARTS)) for item in lines]
    assert centred_starts(placed, [1, 3, 6, 9]) == [3, 4, 9]
    table = table_of(lines)
    rows, unplaced = table.finish()
    assert unplaced == [] and table.notes == []
    assert [r["message"] for r in rows] == [
        "Code postal incohérent avec la commune",
        "Voie à renseigner",
        "Commune de naissance inconnue dans le référentiel",
        "Aucun responsable",
    ]


def test_cells_centred_in_no_way_or_in_two_ways_give_no_reading() -> None:
    columns = Columns(NAMES, STARTS)
    off = [message(100, "Code postal"), row(110, "MARTIN", "incohérent"),
           message(115, "avec"), row(125, "PETIT", "Voie")]  # fmt: skip
    assert centred_starts([(item, columns) for item in off], [1, 3]) is None
    page_break = [row(700, "MARTIN", "Code postal"), message(710, "incohérent"),
                  message(40, "avec", page=1), row(50, "PETIT", "Voie", page=1)]  # fmt: skip
    assert centred_starts([(item, columns) for item in page_break], [0, 3]) is None


def test_top_aligned_rows_of_two_lines_are_not_read_as_centred_rows() -> None:
    """A text printer's rows, each a line and its message's continuation, all one line apart:
    they are centred too if each row is taken as the previous continuation, the row's line and
    its own continuation; the lines are all on one grid, so the rows are top-aligned."""
    lines = []
    for number, name in enumerate(["MARTIN", "PETIT", "DURAND", "LEROY"]):
        lines += [row(100 + 20 * number, name, "Code postal incohérent"),
                  message(110 + 20 * number, "avec la commune")]  # fmt: skip
    table = table_of(lines)
    rows, unplaced = table.finish()
    assert unplaced == [] and table.notes == []
    assert [r["message"] for r in rows] == ["Code postal incohérent avec la commune"] * 4
