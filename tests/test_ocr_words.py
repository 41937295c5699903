"""OCR tokens (text and pixel box) turned into the reader's input: a page of words and rules."""

from __future__ import annotations

from daemon.ingest.reports.ocr.engine import Token
from daemon.ingest.reports.ocr.words import mend, ocr_page
from daemon.ingest.reports.words import Page, Rule, page_lines

DPI = 300.0  # 300 pixels an inch: x in points is pixels * 72 / 300
PT = 72 / DPI


def token(text: str, left: int, top: int, width: int | None = None, height: int = 30) -> Token:
    width = width if width is not None else 18 * len(text)
    return Token(text, left, top, left + width, top + height, 95.0, (1, 1, 1))


def texts(page: Page) -> list[list[str]]:
    return [[cell.text for cell in line.cells] for line in page_lines(page) if line.cells]


def test_words_of_one_row_make_one_line_and_close_words_one_cell() -> None:
    tokens = [token("Élèves", 100, 100), token("lus", 220, 102), token("142", 700, 100)]
    page = ocr_page(0, tokens, DPI, height=3300)
    assert texts(page) == [["Élèves lus", "142"]]
    assert page.words[0].x0 == 100 * PT and page.words[1].x1 == (700 + 54) * PT
    assert page.bottom == 3300 * PT


def test_an_accent_or_a_short_word_keeps_its_line() -> None:
    """Tesseract's boxes are tight: `Élèves` is taller than `lus`, `ace` shorter than `Né`. The
    words of a line get the line's box, so the reader keeps them on one line."""
    tokens = [
        token("Élèves", 100, 88, height=42),
        token("ace", 300, 110, height=20),
        token("142", 700, 100),
    ]
    assert texts(ocr_page(0, tokens, DPI, height=3300)) == [["Élèves", "ace", "142"]]


def test_words_reaching_below_the_baseline_do_not_lower_their_line() -> None:
    """Lines one pitch apart stay one pitch apart when one line's words mostly have
    descenders (`pour`, `naissance,`): their boxes end lower than the baseline."""
    tokens = [
        token("Commune", 100, 100),
        token("de", 300, 100),
        token("dans", 400, 100),
        token("référentiel", 100, 150),
        token("pour", 400, 150, height=39),
        token("naissance,", 600, 150, height=38),
        token("veuillez", 100, 200),
        token("vérifier", 400, 200),
        token("saisie", 600, 200),
    ]
    ys = [line.y for line in page_lines(ocr_page(0, tokens, DPI, height=3300)) if line.cells]
    assert abs((ys[1] - ys[0]) - (ys[2] - ys[1])) < 0.5


def test_a_word_at_a_column_start_begins_a_cell_even_a_space_away() -> None:
    """A table whose columns fit their text: a space between two cells, but the next column
    begins where it begins on the other rows."""
    rows = [
        [token("Nom", 100, 20), token("Prénom", 352, 20)],
        [
            token("DE", 100, 100),
            token("LA", 148, 100),
            token("FONTAINE", 196, 100),
            token("Zoé", 352, 100),
        ],
        [token("MARTIN", 100, 200), token("Léa", 352, 200)],
        [token("DURAND", 100, 300), token("Noé", 352, 300)],
        [token("N'GUYEN-LEFÈVRE", 100, 400, width=240), token("Jean", 352, 400)],
    ]
    page = ocr_page(0, [t for row in rows for t in row], DPI, height=3300)
    assert texts(page) == [
        ["Nom", "Prénom"],
        ["DE LA FONTAINE", "Zoé"],
        ["MARTIN", "Léa"],
        ["DURAND", "Noé"],
        ["N'GUYEN-LEFÈVRE", "Jean"],
    ]


def test_a_table_rule_between_two_words_ends_a_cell() -> None:
    tokens = [token("Rejet", 100, 100), token("Adresse", 200, 100)]
    assert texts(ocr_page(0, tokens, DPI, height=3300)) == [["Rejet Adresse"]]
    walled = ocr_page(0, tokens, DPI, height=3300, walls=lambda top, bottom: [195.0])
    assert texts(walled) == [["Rejet", "Adresse"]]


def test_justified_words_between_two_rules_are_one_cell_however_far_apart() -> None:
    """fpdf2 justifies the text of a cell: its words spread from one border to the other."""
    line = [token("Commune", 805, 100), token("de", 1095, 100), token("Rejet", 1170, 100)]
    last = [token("la", 805, 160), token("fiche", 860, 160)]
    walls = {100: [795.0, 1140.0, 1290.0], 160: [795.0, 1140.0, 1290.0]}
    page = ocr_page(0, line + last, DPI, height=3300, walls=lambda top, bottom: walls[top])
    assert texts(page) == [["Commune de", "Rejet"], ["la fiche"]]
    unruled = ocr_page(0, line, DPI, height=3300)
    assert texts(unruled) == [["Commune", "de", "Rejet"]]


def test_drawn_rules_become_the_page_rules_in_points() -> None:
    page = ocr_page(0, [token("Nom", 100, 100)], DPI, height=3300, rules=[(90, 2400, 150)])
    assert page.rules == [Rule(90 * PT, 2400 * PT, 150 * PT)]
    assert [line.rule for line in page_lines(page) if line.rule] == [[(90 * PT, 2400 * PT)]]


def test_a_wrapped_year_gets_its_slash_back_under_a_day_and_month() -> None:
    tokens = [token("01/02", 500, 100), token("12021", 500, 140), token("12021", 100, 500)]
    assert [t.text for t in mend(tokens)] == ["01/02", "/2021", "12021"]


def test_a_years_last_digit_read_in_brackets_under_its_date_is_the_digit() -> None:
    tokens = [
        token("14/07/202", 500, 100),
        token("(0)", 500, 140),
        token("(1)", 100, 500),  # not under a date: a footnote's mark stays
        token("01/02/2021", 900, 100),
        token("(3)", 900, 140),  # under a whole date: nothing missing
    ]
    assert [t.text for t in mend(tokens)] == ["14/07/202", "0", "(1)", "01/02/2021", "(3)"]


def test_a_speck_read_over_a_word_is_dropped() -> None:
    speck = Token("l", 218, 100, 224, 125, 68.0, (1, 1, 1))
    tokens = [token("N'GUYEN-", 76, 100, width=141), speck, token("LEFÈVRE", 221, 100)]
    assert [t.text for t in mend(tokens)] == ["N'GUYEN-", "LEFÈVRE"]


def test_dates_aligned_in_a_column_begin_their_cells_a_narrow_gap_away() -> None:
    """A monospace print: the first names run a space short of the dates."""
    tokens = []
    for row, (first, date) in enumerate(
        [("Léa", "01/02/2020"), ("Jean-Baptiste", "03/05/2019"), ("Zoé", "30/01/2021")]
    ):
        y = 100 + 50 * row
        tokens += [token("MARTIN", 100, y), token(first, 400, y)]
        tokens.append(token(date, 400 + 18 * len(first) + 10 if row == 1 else 650, y))
    assert texts(ocr_page(0, tokens, DPI, height=3300))[1] == [
        "MARTIN",
        "Jean-Baptiste",
        "03/05/2019",
    ]


def test_a_stray_mark_inside_an_ine_is_dropped() -> None:
    assert [t.text for t in mend([token("123456/789AB", 0, 0)])] == ["123456789AB"]


def test_rule_leftovers_are_dropped_and_a_label_colon_kept() -> None:
    tokens = [token("|", 0, 0), token("—", 50, 0), token(":", 90, 0), token("Niveau", 120, 0)]
    assert [t.text for t in mend(tokens)] == [":", "Niveau"]


def test_braces_and_a_word_initial_diaeresis_are_mended() -> None:
    tokens = [token("Né(e}", 0, 0), token("Marie-Ëve", 100, 0), token("NOËL", 300, 0)]
    assert [t.text for t in mend(tokens)] == ["Né(e)", "Marie-Ève", "NOËL"]
