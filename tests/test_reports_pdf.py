"""PDF lines from pypdf positions; refusals; what printers add is removed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.pdf import pdf_lines
from daemon.ingest.reports.refusal import ReportRefused

FILES = Path(__file__).parent / "fixtures" / "reports" / "files"
LABELS = default_labels()


def texts(name: str) -> list[str]:
    lines, sideways = pdf_lines((FILES / name).read_bytes(), LABELS, 200)
    assert sideways == []
    return [line.text for line in lines]


def test_lines_keep_cells_apart_with_positions() -> None:
    lines, _ = pdf_lines((FILES / "sj-chromium.pdf").read_bytes(), LABELS, 200)
    heading = next(ln for ln in lines if ln.text.startswith("Nom Prénom"))
    assert [c.text for c in heading.cells][:3] == ["Nom", "Prénom", "Né(e) le"]
    assert heading.cells[0].x < heading.cells[1].x < heading.cells[2].x


def test_browser_header_and_footer_are_gone() -> None:
    lines = texts("sj-chromium-entetes.pdf")
    assert not any("file:" in t or t == "ONDE - Compte rendu" for t in lines)
    assert lines[0] == "ONDE Compte rendu d'import"
    assert not any(t.replace(" ", "") in {"1/1", "1/2", "2/2"} for t in lines)


def test_reportlab_marks_print_date_url_page_are_gone() -> None:
    lines = texts("long-reportlab.pdf")
    assert not any("onde.example.fr" in t or t.startswith("Page ") for t in lines)
    assert not any(t == "15/09/2026 08:12" for t in lines)


def test_wkhtmltopdf_tabs_between_words_become_spaces() -> None:
    assert "Déposé le : 14/09/2026 à 17:42" in texts("sj-wkhtmltopdf.pdf")


def test_owner_password_only_is_read(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(FILES / "sj-reportlab.pdf"))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    lines, _ = pdf_lines(out.getvalue(), LABELS, 200)
    assert lines[0].text == "ONDE Compte rendu d'import"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("scan.pdf", "aucune couche texte"),
        ("chiffre.pdf", "mot de passe requis"),
        ("tronque.pdf", "%%EOF absente"),
        ("dix-mille-pages.pdf", "10000 pages"),
    ],
)
def test_refusals(name: str, reason: str) -> None:
    with pytest.raises(ReportRefused, match=reason):
        pdf_lines((FILES / name).read_bytes(), LABELS, 200)
