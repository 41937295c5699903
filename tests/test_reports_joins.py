"""The pieces of one cell joined: a space, none after `-`, none inside a word cut to fit."""

from __future__ import annotations

from daemon.ingest.reports.joins import join
from daemon.ingest.reports.lines import Cell, Line


def pieces(*texts: tuple[str, float, float]) -> list[tuple[Line, Cell, float]]:
    """(text, end, limit) a line each; every character 5 points wide."""
    found = []
    for n, (text, end, limit) in enumerate(texts):
        cell = Cell(40.0, text, 8.0, end, 5.0)
        found.append((Line(0, 100.0 + 10 * n, [cell]), cell, limit))
    return found


def test_lines_of_a_cell_joined_with_a_space_or_after_a_hyphen_without() -> None:
    assert join("message", pieces(("Code postal", 95, 200), ("incohérent", 90, 200)), False) == (
        "Code postal incohérent"
    )
    assert join("last_name", pieces(("N'GUYEN-", 80, 90), ("LEFÈVRE", 75, 90)), True) == (
        "N'GUYEN-LEFÈVRE"
    )


def test_a_word_cut_because_it_did_not_fit_is_glued_back_only_when_words_are_cut() -> None:
    cut = pieces(("OUÉDRA", 70, 72), ("OGO", 55, 72))  # one more letter would pass the limit
    assert join("last_name", cut, True) == "OUÉDRAOGO"
    assert join("last_name", cut, False) == "OUÉDRA OGO"
    assert join("birth_date", pieces(("03/05/2", 75, 80), ("019", 55, 80)), False) == "03/05/2019"
