"""Fonts: glyphs left unnamed read back through the embedded font, monospace positions."""

from __future__ import annotations

from pathlib import Path

from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.pdf import pdf_lines, pdf_pages

FILES = Path(__file__).parent / "fixtures" / "reports" / "files"


def test_texttopdf_glyph_numbers_read_as_the_characters_printed() -> None:
    """texttopdf embeds its font by glyph number with no table back to characters."""
    lines, _ = pdf_lines((FILES / "sj-texttopdf.pdf").read_bytes(), default_labels(), 200)
    assert lines[0].text == "ONDE Compte rendu d'import"
    assert "École : ÉCOLE PRIVÉE SAINT-JOSEPH (0441234C)" in [ln.text for ln in lines]


def test_a_monospace_line_is_split_at_its_columns_with_their_positions() -> None:
    """A text printer draws a whole line at once: its cells are found where the spaces are,
    each at the position of its first character (texttopdf narrows its font with Tz)."""
    for name in ("sj-enscript-entete.pdf", "sj-texttopdf.pdf"):
        pages, _sideways, _title = pdf_pages((FILES / name).read_bytes(), 200)
        heading = [w for w in pages[0].words if w.text in ("Nom", "Prénom", "Né(e) le")][:3]
        assert [w.text for w in heading] == ["Nom", "Prénom", "Né(e) le"], name
        date = next(w for w in pages[0].words if w.text == "03/05/2019")
        assert abs(date.x0 - heading[2].x0) < 0.5, name  # under its heading, to the point
        step = (date.x1 - date.x0) / 10
        columns = (heading[1].x0 - heading[0].x0) / step  # characters, to the hundredth
        assert abs(columns - round(columns)) < 0.01 and round(columns) >= 17, name


def test_a_proportional_font_is_not_split_on_its_spaces() -> None:
    """Justified text holds runs of spaces that are no columns (fpdf2's multi_cell)."""
    pages, _sideways, _title = pdf_pages((FILES / "long-fpdf2-paysage.pdf").read_bytes(), 200)
    assert any(w.text == " Adresse  de  résidence" for w in pages[0].words)
