"""Where rows end: drawn or printed rules, top-aligned rows cut by page breaks.

The sweeps move a table down the first page step by step, so that the page break falls at
every line of every row of a page: a browser's print as reportlab lays it out (running header
and footer, heading repeated between the two halves, no cell padding; with the borders drawn
or not, cells top-aligned or centred when drawn), and a fixed-width text
through enscript (no heading repeated, nothing between rows but the rule under the heading).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from daemon.ingest.reports import parse_report
from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.lines import Cell, Line
from daemon.ingest.reports.tables import Table

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "reports"))
import printers
import producers
from content import CONTENTS, expected
from fixed_width import Layout, to_fixed

HEADING = [(40, "Nom"), (120, "Prénom"), (190, "Né(e) le"), (250, "Rubrique"), (320, "Message"),
           (500, "Gravité")]  # fmt: skip


def line(page: int, y: float, *cells: tuple[float, str]) -> Line:
    return Line(page, y, [Cell(x, text, 8.0) for x, text in cells])


def rule(page: int, y: float) -> Line:
    return Line(page, y, [], rule=[(30.0, 560.0)])


def row(page: int, y: float, name: str, message: str) -> Line:
    return line(page, y, (40, name), (120, "Léa"), (190, "01/02/2020"), (250, "Adresse"),
                (320, message), (500, "Rejet"))  # fmt: skip


def read(lines: list[Line]) -> tuple[list[dict], list[str]]:
    table = Table("anomalies", default_labels())
    for item in lines:
        table.feed(item)
    return table.finish()


def messages(lines: list[Line]) -> list[str]:
    rows, unplaced = read(lines)
    assert unplaced == []
    return [r["message"] for r in rows]


def test_rows_with_no_space_between_them_end_at_the_drawn_rules() -> None:
    """Cells centred in their row: the next row's first message line sits right under the
    last line of this one, as close as the lines of one cell."""
    assert messages([
        line(0, 100, *HEADING), rule(0, 104),
        line(0, 108, (320, "Code postal")), row(0, 116, "MARTIN", "incohérent avec"),
        line(0, 124, (320, "la commune")), rule(0, 128),
        line(0, 132, (320, "Voie")), row(0, 140, "PETIT", "à renseigner"), rule(0, 144),
    ]) == ["Code postal incohérent avec la commune", "Voie à renseigner"]  # fmt: skip


def test_without_rules_the_same_lines_are_read_as_before() -> None:
    """No drawn lines: top-aligned reading, the fallback (what the rules above correct)."""
    assert messages([
        line(0, 100, *HEADING),
        line(0, 108, (320, "Code postal")), row(0, 116, "MARTIN", "incohérent avec"),
        line(0, 124, (320, "la commune")),
        line(0, 132, (320, "Voie")), row(0, 140, "PETIT", "à renseigner"),
    ]) == ["Code postal incohérent avec la commune Voie", "à renseigner"]  # fmt: skip


def test_rows_nothing_tells_apart_are_read_but_said_to_be_in_doubt() -> None:
    """No rule, no gap wider than a line, cells neither top-aligned nor centred: the rows
    read are a guess, and the compte rendu is « à vérifier »."""
    table = Table("anomalies", default_labels())
    for item in [
        line(0, 92, *HEADING),
        line(0, 100, (320, "Code postal")), row(0, 110, "MARTIN", "incohérent avec"),
        line(0, 120, (320, "la commune")), line(0, 130, (320, "Voie")),
        line(0, 138, (40, "PETIT"), (120, "Léa"), (190, "01/02/2020"), (250, "Adresse"),
             (500, "Rejet")),
        line(0, 140, (320, "à renseigner")),
    ]:  # fmt: skip
        table.feed(item)
    rows, unplaced = table.finish()
    assert len(rows) == 2 and unplaced == []
    assert table.notes == ["Tableau des anomalies : rien ne sépare ses lignes, à vérifier"]


def test_a_band_at_the_top_of_a_page_ends_the_row_above_the_break() -> None:
    assert messages([
        line(0, 100, *HEADING), rule(0, 104),
        row(0, 780, "MARTIN", "Commune de naissance"), line(0, 788, (320, "inconnue : nouvelle")),
        line(1, 40, *HEADING), rule(1, 44),
        line(1, 48, (320, "saisie")), rule(1, 52),
        row(1, 56, "PETIT", "Commune de naissance"), line(1, 64, (320, "inconnue")),
    ]) == [
        "Commune de naissance inconnue : nouvelle saisie",
        "Commune de naissance inconnue",
    ]  # fmt: skip


def test_a_band_at_the_bottom_of_a_page_begins_the_row_after_the_break() -> None:
    """A centred row cut by the break: its first lines on one page, its anchor on the next."""
    assert messages([
        line(0, 100, *HEADING), rule(0, 104), row(0, 112, "MARTIN", "Code postal"),
        rule(0, 776), line(0, 780, (320, "Commune de")),
        line(1, 40, *HEADING), rule(1, 44),
        row(1, 48, "PETIT", "naissance"), line(1, 56, (320, "inconnue")), rule(1, 60),
    ]) == ["Code postal", "Commune de naissance inconnue"]  # fmt: skip


def test_a_band_holding_nothing_of_a_row_is_kept_unplaced() -> None:
    rows, unplaced = read([
        line(0, 100, *HEADING), rule(0, 104), row(0, 112, "MARTIN", "Code postal"),
        rule(0, 120), line(0, 128, (40, "n'importe quoi")), rule(0, 136),
        row(0, 144, "PETIT", "Voie"),
    ])  # fmt: skip
    assert [r["last_name"] for r in rows] == ["MARTIN", "PETIT"]
    assert unplaced == ["n'importe quoi"]


def test_top_aligned_rows_cut_by_a_page_break_without_any_gap() -> None:
    """A text printer: lines one under the other, the tail of a message at the top of the
    next page belongs to the row above the break, not to the next row."""
    assert messages([
        line(0, 100, *HEADING),
        row(0, 108, "MARTIN", "Commune de naissance"), line(0, 116, (320, "inconnue :")),
        row(0, 124, "BERNARD", "Voie"), line(0, 132, (320, "à renseigner")),
        row(0, 800, "DURAND", "Veuillez procéder à une"),
        line(1, 40, (320, "nouvelle saisie")),
        row(1, 48, "PETIT", "Commune de naissance"),
    ]) == [
        "Commune de naissance inconnue :",
        "Voie à renseigner",
        "Veuillez procéder à une nouvelle saisie",
        "Commune de naissance",
    ]  # fmt: skip


@pytest.mark.parametrize(("grid", "valign"), [(True, "TOP"), (True, "MIDDLE"), (False, "TOP")])
def test_browser_print_cut_at_every_line_of_a_page(tmp_path: Path, grid: bool, valign: str) -> None:
    cr = CONTENTS["coupures"]()
    want = expected(cr)
    wrong = []
    for shift in range(0, 60, 5):  # a line is 9.5 points: every line of a row of 6
        out = tmp_path / f"cr-{shift}.pdf"
        producers.reportlab_cut_rows(cr, out, shift=shift, grid=grid, valign=valign)
        if parse_report(out.read_bytes(), out.name).as_json() != want:
            wrong.append(shift)
    assert wrong == []


@pytest.mark.skipif(shutil.which("enscript") is None, reason=".ci/system-packages.sh")
def test_text_printer_page_break_at_every_line_of_a_row(tmp_path: Path) -> None:
    cr = CONTENTS["coupures"]()
    text = to_fixed(cr, Layout(widths={"message": 24}))
    want = expected(cr)
    wrong = []
    for shift in range(0, 6):  # rows of 2 to 5 lines
        out = tmp_path / f"cr-{shift}.pdf"
        printers.enscript("\n" * shift + text, out, header=shift % 2 == 0)
        if parse_report(out.read_bytes(), out.name).as_json() != want:
            wrong.append(shift)
    assert wrong == []
