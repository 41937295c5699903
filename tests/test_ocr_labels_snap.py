"""Labels OCR misread by a letter or two, snapped to ONDE's closed list before reading."""

from __future__ import annotations

from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.lines import Cell, Line
from daemon.ingest.reports.ocr.labels_snap import snap_lines

LABELS = default_labels()


def line(*cells: str) -> Line:
    return Line(0, 10.0, [Cell(float(20 * i), text) for i, text in enumerate(cells)])


def snapped(*lines: Line) -> list[list[str]]:
    snap_lines(list(lines), LABELS)
    return [[c.text for c in ln.cells] for ln in lines]


def test_a_header_label_a_letter_off_is_given_the_label() -> None:
    assert snapped(line("Traité te : 15/09/2026 à 03:10")) == [["traite le : 15/09/2026 à 03:10"]]


def test_a_short_first_word_is_not_taken_for_a_label() -> None:
    assert snapped(line("ELEVE 02", "Adresse")) == [["ELEVE 02", "Adresse"]]


def test_headings_of_a_heading_row_are_snapped() -> None:
    assert snapped(line("Nom", "Prénom", "Néte) le", "Statut INE")) == [
        ["Nom", "Prénom", "ne(e) le", "Statut INE"]
    ]


def test_a_status_in_a_row_is_snapped_but_not_a_word_cut_by_its_column() -> None:
    row = line("PETIT", "Inès", "09/09/2019", "!eLoqué")
    cut = line("MARTIN", "Léa", "01/02/20", "Avertisseme")
    assert snapped(row, cut) == [
        ["PETIT", "Inès", "09/09/2019", "bloque"],
        ["MARTIN", "Léa", "01/02/20", "Avertisseme"],
    ]


def test_a_counter_value_read_as_a_letter_is_read_as_a_digit() -> None:
    assert snapped(line("Avertissements", "l"), line("Rejets", "1O")) == [
        ["Avertissements", "1"],
        ["Rejets", "10"],
    ]


def test_the_words_of_one_heading_read_apart_are_one_cell_again() -> None:
    words = ["Nom", "Prénom", "Né(e)", "le", "Statut", "INE"]
    line = Line(0, 10.0, [Cell(30.0 * i, w, 8.0) for i, w in enumerate(words)])
    snap_lines([line], LABELS)
    assert [c.text for c in line.cells] == ["Nom", "Prénom", "Né(e) le", "Statut INE"]
    assert [c.x for c in line.cells] == [0.0, 30.0, 60.0, 120.0]


def test_a_word_of_a_status_is_not_taken_for_the_whole_status() -> None:
    line = Line(0, 10.0, [Cell(0.0, "DURAND"), Cell(50.0, "01/02/2021"), Cell(90.0, "EN"),
                          Cell(100.0, "ATTENTE")])  # fmt: skip
    snap_lines([line], LABELS)
    assert [c.text for c in line.cells][-2:] == ["EN", "ATTENTE"]
