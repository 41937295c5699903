"""parse_report on every committed fixture (whole JSON), then the variants and refusals one by one.

The fixtures come from tests/fixtures/reports/generate.py: the same logical contents rendered by
reportlab, chromium (with and without its header and footer), wkhtmltopdf, LibreOffice and as
text; their expected JSON is written from the logical contents, not from the parser.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from daemon.ingest.reports import ReportRefused, parse_report
from daemon.ingest.reports.read import with_review
from daemon.ingest.reports.records import CompteRendu, Counts, Extraction
from tests.fixtures.reports.negatives import huge_page_count
from tests.report_files import FILES, by_speed

# Words of the English halves the reasons used to carry: a person reads these reasons.
ENGLISH = re.compile(
    r"\b(not|empty|unknown|unreadable|damaged|truncated|encrypted|layer|too many|nested|"
    r"import report|file type)\b|\s/\s",
    re.IGNORECASE,
)

EXPECTED = sorted(FILES.glob("*.expected.json"))


def source_of(expected: Path) -> Path:
    stem = expected.name.removesuffix(".expected.json")
    return next(p for p in FILES.glob(f"{stem}.*") if not p.name.endswith(".expected.json"))


def parse_or_refusal(path: Path) -> dict[str, Any]:
    try:
        return parse_report(path.read_bytes(), path.name).as_json()
    except ReportRefused as exc:
        return {"refused": exc.reason}


def parse(name: str) -> CompteRendu:
    result = parse_report((FILES / name).read_bytes(), name)
    assert isinstance(result, CompteRendu)
    return result


def parse_extraction(name: str) -> Extraction:
    result = parse_report((FILES / name).read_bytes(), name)
    assert isinstance(result, Extraction)
    return result


@pytest.mark.parametrize("expected", [by_speed(e, source_of(e).name) for e in EXPECTED])
def test_fixture_parses_to_its_expected_json(expected: Path) -> None:
    want = json.loads(expected.read_text("utf-8"))
    assert parse_or_refusal(source_of(expected)) == want


def test_fixtures_cover_every_producer_and_case() -> None:
    names = {source_of(p).name for p in EXPECTED}
    for producer in ("reportlab", "chromium-entetes", "chromium.", "wkhtmltopdf", "libreoffice"):
        assert any(producer in name for name in names), producer
    for text in ("tabs", "espaces", "cellules", "plat"):
        assert any(name.endswith(f"-{text}.txt") for name in names), text
    assert {"scan.pdf", "chiffre.pdf", "tronque.pdf", "facture.pdf", "vide.pdf"} <= names
    assert sum(p.stat().st_size for p in FILES.iterdir()) < 5_000_000


def test_multi_page_tables_hold_150_rows_and_more() -> None:
    for name in ("long-reportlab.pdf", "long-chromium-entetes.pdf", "long-libreoffice.pdf"):
        result = parse(name)
        assert len(result.anomalies) + len(result.ine.pupils) >= 150
        assert not result.needs_review, result.review_reasons


def test_wrapped_hyphenated_names_are_joined_without_space() -> None:
    first = parse("sj-chromium.pdf").anomalies[0]
    assert (first.last_name, first.first_name) == ("N'GUYEN-LEFÈVRE", "Jean-Baptiste")
    assert first.message and first.message.endswith(
        "dans la fiche de l'élève"
    )  # wrapped over several lines


def test_browser_headers_and_footers_are_removed() -> None:
    with_marks, without = parse("sj-chromium-entetes.pdf"), parse("sj-chromium.pdf")
    assert with_marks == without
    assert with_marks.unclassified == ()


def test_ligatures_apostrophes_cut_dates_and_stripped_labels() -> None:
    result = parse("sj-sans-accents-typo-reportlab.pdf")
    first = result.anomalies[0]
    assert first.last_name == "N'GUYEN-LEFÈVRE"  # typographic apostrophe in the PDF
    assert first.message and "vérifier" in first.message and "ﬁ" not in first.message
    assert first.birth_date == dt.date(2019, 5, 3)  # printed `03/05/2 019`
    assert result.counts.read == 142  # `Eleves lus`, labels without accents


def test_label_variants_and_uai_on_its_own_line() -> None:
    result = parse("variantes-chromium.pdf")
    assert result.uai == "0441237F"
    assert result.school_name == "ÉCOLE PRIVÉE SAINT-MICHEL"
    assert result.as_json()["submitted_at"] == "2026-09-14T17:42:00+02:00"  # `14/09/2026 17h42`
    assert result.counts == Counts(read=142, integrated=139, rejected=3, warnings=1)


def test_no_anomaly_means_an_empty_list() -> None:
    result = parse("aucune-reportlab.pdf")
    assert result.anomalies == () and not result.needs_review


def test_counters_that_disagree_are_warnings_and_flag_review() -> None:
    result = parse("faux-wkhtmltopdf.pdf")
    assert result.needs_review is True
    assert "Élèves rejetés : 4 annoncés, 3 élèves trouvés" in result.warnings[1]
    assert result.review_reasons == result.warnings


def test_unplaced_lines_are_kept_in_unclassified() -> None:
    text = (FILES / "sj-tabs.txt").read_text("utf-8")
    text = text.replace("Synthèse", "Synthèse\nUne ligne que personne n'attend")
    result = parse_report(text.encode(), "cr.txt")
    assert result.unclassified == ("Une ligne que personne n'attend",)
    assert result.needs_review and result.review_reasons[0] == "1 ligne non classée"


def test_anomalies_carry_their_category() -> None:
    categories = {a.field: a.category for a in parse("sj-tabs.txt").anomalies}
    assert categories == {
        "Lieu de naissance": "export",
        "Adresse": "export",
        "Doublon": "onde",
        "Niveau": "export",
    }


def test_extraction_par_groupe_says_ine_is_unknown() -> None:
    result = parse_extraction("extraction-par-groupe.csv")
    assert result.ine_column is False
    assert all(p.ine is None for p in result.pupils)
    assert "sans colonne INE" in result.warnings[0]


def test_extraction_never_returns_addresses() -> None:
    for name in ("extraction-cp1252.csv", "extraction-utf8.csv", "extraction-utf8-bom.csv"):
        dumped = json.dumps(parse_extraction(name).as_json(), ensure_ascii=False)
        assert "rue des Écoles" not in dumped and "44000" not in dumped


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "Fichier vide"),
        (b"   \n\t", "Fichier vide"),
        (b"PK\x03\x04rest", "Archive ZIP"),
        (b"\x89PNG\r\n\x1a\n", "Image illisible"),  # a picture is read by OCR: these are broken
        (b"\xff\xd8\xff\xe0JFIF", "Image illisible"),
        (b"II*\x00tiff", "Image illisible"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1doc", "Document Office ancien format"),
        (bytes(range(256)) * 4, "Type de fichier inconnu"),
        (b"Bonjour,\nvoici une lettre qui ne parle de rien.\n", "pas un compte rendu"),
        (b"%PDF-1.4\n1 0 obj <<>>\n", "PDF tronqué"),
        (b"%PDF-1.4\ngarbage\n%%EOF\n", "PDF illisible"),
    ],
)
@pytest.mark.filterwarnings("error")  # one clear line, and no library warning beside it
def test_refusals_have_one_clear_line(data: bytes, reason: str) -> None:
    with pytest.raises(ReportRefused) as refused:
        parse_report(data, "x")
    assert reason in refused.value.reason
    assert "\n" not in refused.value.reason
    assert not ENGLISH.search(refused.value.reason), refused.value.reason


def test_the_fixtures_refusals_are_french_only() -> None:
    for expected in EXPECTED:
        refused = json.loads(expected.read_text("utf-8")).get("refused")
        assert refused is None or not ENGLISH.search(refused), (expected.name, refused)


def test_a_page_tree_claiming_10000_pages_is_refused_at_once() -> None:
    with pytest.raises(ReportRefused, match="10000 pages"):
        parse_report(huge_page_count(), "x.pdf")


def test_max_pages_is_the_callers_limit() -> None:
    data = (FILES / "long-reportlab.pdf").read_bytes()
    with pytest.raises(ReportRefused, match="plus que les 2 acceptées"):
        parse_report(data, "long.pdf", max_pages=2)


def test_a_text_result_is_in_doubt_only_with_reasons_and_ocr_always() -> None:
    clean = with_review(CompteRendu())
    assert (clean.source, clean.needs_review, clean.review_reasons) == ("text", False, ())
    doubt = with_review(CompteRendu(warnings=("Compteur « read » sans nombre",)))
    assert doubt.needs_review and doubt.review_reasons == ("Compteur « read » sans nombre",)
    ocr = with_review(CompteRendu(source="ocr"))
    assert ocr.needs_review and ocr.review_reasons == ("lu par OCR — à vérifier",)
    assert with_review(ocr).review_reasons == ocr.review_reasons  # said once
    assert with_review(CompteRendu(needs_review=True)).needs_review  # the reader said so


def test_report_parse_json_carries_source_and_review() -> None:
    data = parse("sj-tabs.txt").as_json()
    assert (data["source"], data["needs_review"]) == ("text", False)
    assert list(data)[-3:] == ["source", "needs_review", "review_reasons"]
