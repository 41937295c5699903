"""Plain-text lines: cells split on tabs or on runs of spaces."""

from __future__ import annotations

from daemon.ingest.reports.lines import text_lines


def test_cells_from_tabs_spaces_or_whole_lines() -> None:
    lines = text_lines("A\tB\t\tC\nD   E  F\nG H\n\n   \nN’GUYEN\n")
    assert [[c.text for c in ln.cells] for ln in lines] == [
        ["A", "B", "C"],
        ["D", "E", "F"],
        ["G H"],
        ["N'GUYEN"],
    ]
    assert not lines[0].geometric and lines[0].cells[2].x == 3.0
