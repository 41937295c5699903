"""OCR words (text and pixel box) turned into the positioned lines of the table reader."""

from __future__ import annotations

from daemon.ingest.reports.ocr.engine import Word
from daemon.ingest.reports.ocr.words import mend, page_lines

DPI = 300.0  # 300 pixels an inch: x in points is pixels * 72 / 300


def word(text: str, left: int, top: int, width: int | None = None, height: int = 30) -> Word:
    width = width if width is not None else 18 * len(text)
    return Word(text, left, top, left + width, top + height, 95.0, (1, 1, 1))


def texts(lines: list) -> list[list[str]]:  # type: ignore[type-arg]
    return [[cell.text for cell in line.cells] for line in lines]


def test_words_of_one_row_make_one_line_and_close_words_one_cell() -> None:
    words = [word("Élèves", 100, 100), word("lus", 220, 102), word("142", 700, 100)]
    lines = page_lines(0, words, DPI)
    assert texts(lines) == [["Élèves lus", "142"]]
    assert lines[0].cells[0].x == 100 * 72 / DPI
    assert lines[0].y == 130 * 72 / DPI


def test_a_word_at_a_column_start_begins_a_cell_even_a_space_away() -> None:
    """A table whose columns fit their text: a space between two cells, but the next column
    begins where it begins on the other rows."""
    rows = [
        [word("Nom", 100, 20), word("Prénom", 352, 20)],
        [
            word("DE", 100, 100),
            word("LA", 148, 100),
            word("FONTAINE", 196, 100),
            word("Zoé", 352, 100),
        ],
        [word("MARTIN", 100, 200), word("Léa", 352, 200)],
        [word("DURAND", 100, 300), word("Noé", 352, 300)],
        [word("N'GUYEN-LEFÈVRE", 100, 400, width=240), word("Jean", 352, 400)],
    ]
    lines = page_lines(0, [w for row in rows for w in row], DPI)
    assert texts(lines) == [
        ["Nom", "Prénom"],
        ["DE LA FONTAINE", "Zoé"],
        ["MARTIN", "Léa"],
        ["DURAND", "Noé"],
        ["N'GUYEN-LEFÈVRE", "Jean"],
    ]


def test_a_table_rule_between_two_words_ends_a_cell() -> None:
    words = [word("Rejet", 100, 100), word("Adresse", 200, 100)]
    assert texts(page_lines(0, words, DPI)) == [["Rejet Adresse"]]
    walled = page_lines(0, words, DPI, lambda left, right, top, bottom: left < 195 < right)
    assert texts(walled) == [["Rejet", "Adresse"]]


def test_a_wrapped_year_gets_its_slash_back_under_a_day_and_month() -> None:
    words = [word("01/02", 500, 100), word("12021", 500, 140), word("12021", 100, 500)]
    assert [w.text for w in mend(words)] == ["01/02", "/2021", "12021"]


def test_a_stray_mark_inside_an_ine_is_dropped() -> None:
    assert [w.text for w in mend([word("123456/789AB", 0, 0)])] == ["123456789AB"]


def test_rule_leftovers_are_dropped_and_a_label_colon_kept() -> None:
    words = [word("|", 0, 0), word("—", 50, 0), word(":", 90, 0), word("Niveau", 120, 0)]
    assert [w.text for w in mend(words)] == [":", "Niveau"]


def test_braces_and_a_word_initial_diaeresis_are_mended() -> None:
    words = [word("Né(e}", 0, 0), word("Marie-Ëve", 100, 0), word("NOËL", 300, 0)]
    assert [w.text for w in mend(words)] == ["Né(e)", "Marie-Ève", "NOËL"]
