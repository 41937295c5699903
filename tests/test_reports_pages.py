"""What printers add to pages, removed whatever read the words: headers, footers, page numbers."""

from __future__ import annotations

from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.pages import document_lines
from daemon.ingest.reports.words import Page, Rule, Word

LABELS = default_labels()


def words(*rows: tuple[float, float, str]) -> list[Word]:
    return [Word(text, x, y - size, x + 0.5 * size * len(text), y) for x, y, text in rows
            for size in [9.0 if y > 60 else 11.0]]  # fmt: skip


def texts(page: Page) -> list[str]:
    return [ln.text or f"rule {ln.y:.0f}" for ln in document_lines([page], LABELS)]


def test_a_text_printers_header_printed_as_one_piece_is_removed() -> None:
    """enscript and texttopdf: file name, date in words and page number in one string."""
    page = Page(0, 0, 842, words(
        (23, 45, "cr.txt Mon Dec 07 18:39:38 2026 1"),
        (23, 70, "ONDE Compte rendu d'import"), (23, 82, "École : X (0441234C)"),
        (24, 830, "Monday December 07, 2026 1/1"),
    ))  # fmt: skip
    assert texts(page) == ["ONDE Compte rendu d'import", "École : X (0441234C)"]


def test_a_header_in_another_font_right_above_the_content_is_still_the_printers() -> None:
    page = Page(0, 0, 842, words((493, 50, "Printed by root"), (36, 62, "Dec 07, 26 18:40"),
                                 (23, 74, "ONDE Compte rendu d'import")))  # fmt: skip
    assert texts(page) == ["ONDE Compte rendu d'import"]


def test_rules_are_kept_between_the_lines_kept_only() -> None:
    page = Page(0, 0, 842, words((23, 70, "Anomalies"), (23, 90, "MARTIN")))
    page.rules = [Rule(20, 500, 10), Rule(20, 500, 80), Rule(20, 500, 835)]
    assert texts(page) == ["Anomalies", "rule 80", "MARTIN"]
