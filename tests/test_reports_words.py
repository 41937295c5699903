"""Pages of positioned words (any reader: PDF, fixed-width text, OCR) → lines and rule lines."""

from __future__ import annotations

import math

from daemon.ingest.reports.compte_rendu import read_compte_rendu
from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.pages import document_lines
from daemon.ingest.reports.words import (
    Page,
    Rule,
    Word,
    page_lines,
    phrases,
    pieces,
    rule_spans,
)

LABELS = default_labels()


def word(text: str, x: float, y: float, size: float = 10.0, width: float | None = None) -> Word:
    end = x + (width if width is not None else 0.55 * size * len(text))
    return Word(text, x, y - size, end, y, math.nan)


def test_pieces_split_on_runs_of_spaces_and_bars() -> None:
    text = "| MARTIN   Léa | 01/02/2020  Code postal |"
    assert [text[a:b] for a, b in pieces(text)] == ["MARTIN", "Léa", "01/02/2020", "Code postal"]


def test_words_grouped_into_lines_by_their_centre_whatever_their_height() -> None:
    """OCR boxes differ in height along one line (`Léa` with its accent, `gj`)."""
    page = Page(0, 0, 800, [word("MARTIN", 40, 100), Word("Léa", 120, 88, 140, 101),
                            word("Rejet", 500, 100), word("PETIT", 40, 114)])  # fmt: skip
    lines = page_lines(page)
    assert [[c.text for c in ln.cells] for ln in lines] == [["MARTIN", "Léa", "Rejet"], ["PETIT"]]
    assert lines[0].cells[1].end == 140


def test_a_line_of_dashes_is_a_rule_with_its_runs() -> None:
    dashes = Word("------ --- ----", 0, 0, 90, 10)
    assert rule_spans([dashes]) == [(0, 36), (42, 60), (66, 90)]
    box = Word("+----+--+", 0, 0, 54, 10)
    assert rule_spans([box]) == [(6, 30), (36, 48)]
    assert rule_spans([Word("N'GUYEN-", 0, 0, 48, 10)]) is None
    assert rule_spans([Word("-", 0, 0, 6, 10)]) is None  # an empty cell written `-`
    assert page_lines(Page(0, 0, 100, [dashes]))[0].rule == [(0, 36), (42, 60), (66, 90)]


def test_drawn_rules_at_one_height_are_one_rule_line_between_the_text_lines() -> None:
    page = Page(0, 0, 800, [word("MARTIN", 40, 100), word("PETIT", 40, 130)])
    page.rules = [Rule(30, 100, 112.0), Rule(100, 300, 112.4), Rule(30, 300, 500)]
    lines = page_lines(page)
    assert [ln.rule for ln in lines] == [None, [(30, 300)], None, [(30, 300)]]


def test_ocr_words_read_as_a_compte_rendu() -> None:
    """The interface the OCR reader uses: words with boxes, one by one, no pypdf."""
    rows = [
        [(40, "Compte"), (90, "rendu"), (130, "d'import")],
        [(40, "École"), (80, ":"), (90, "ÉCOLE"), (140, "SAINT-PAUL"), (220, "(0441234C)")],
        [(40, "Anomalies")],
        [(40, "Nom"), (120, "Prénom"), (190, "Né(e)"), (222, "le"), (250, "Rubrique"),
         (320, "Message"), (500, "Gravité")],
        [(40, "MARTIN"), (120, "Léa"), (190, "01/02/2020"), (250, "Adresse"), (320, "Code"),
         (345, "postal"), (500, "Rejet")],
        [(320, "incohérent")],
    ]  # fmt: skip
    words = [word(text, x, 100 + 14 * n) for n, row in enumerate(rows) for x, text in row]
    page = Page(0, 0, 842, phrases(words))
    assert [w.text for w in page.words][10:12] == ["Né(e) le", "Rubrique"]
    result = read_compte_rendu(document_lines([page], LABELS), LABELS, "")
    assert result.uai == "0441234C"
    assert [(a.last_name, a.message, a.severity) for a in result.anomalies] == [
        ("MARTIN", "Code postal incohérent", "rejet")
    ]
    assert result.unclassified == ()
