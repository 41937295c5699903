"""`relance report parse`: JSON, French summary, refusals on stderr; never the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from daemon.cli import cli

FILES = Path(__file__).parent / "fixtures" / "reports" / "files"


def run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    config = tmp_path / "relance.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path}/never.sqlite3"\nstate_dir = "{tmp_path}"\n',
        "utf-8",
    )
    result = CliRunner().invoke(cli, ["--config", str(config), "report", "parse", *args])
    assert not (tmp_path / "never.sqlite3").exists()
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    "name",
    [
        "sj-tabs.txt",
        "fixe-cadre-gravite-devant.txt",  # fixed-width text, severity first
        "long-texttopdf-80-colonnes-entete.pdf",  # printed by `lp`, lines cut at 80 columns
        "coupures-chromium-25.pdf",  # cells cut by page breaks
        "sj-fpdf2-centre-etroit.pdf",  # rows with no space between them, drawn borders
    ],
)
def test_json_is_exactly_the_result(tmp_path: Path, name: str) -> None:
    code, out, _ = run(tmp_path, "--json", str(FILES / name))
    assert code == 0
    stem = name.rsplit(".", 1)[0]
    expected = json.loads((FILES / f"{stem}.expected.json").read_text("utf-8"))
    assert json.loads(out) == expected


def test_french_summary(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, str(FILES / "faux-cellules.txt"))
    assert code == 0
    assert "ÉCOLE PRIVÉE SAINT-JOSEPH (0441234C)" in out
    assert "Élèves : 140 lus, 139 intégrés, 4 rejetés" in out
    assert "N'GUYEN-LEFÈVRE Jean-Baptiste (03/05/2019)" in out
    assert "À vérifier" in out and "Élèves rejetés : 4 annoncés" in out
    code, out, _ = run(tmp_path, str(FILES / "extraction-par-groupe.csv"))
    assert code == 0 and "Pas de colonne INE" in out


@pytest.mark.slow
def test_refusal_is_one_line_on_stderr(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, str(FILES / "scan.pdf"))
    assert code == 1 and out == ""
    assert err.strip() == "erreur : scan.pdf : Ce scan n'est pas un compte rendu d'import ONDE"


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "gros.pdf"
    with big.open("wb") as out:
        out.truncate(51_000_000)
    code, _, err = run(tmp_path, str(big))
    assert code == 1 and "plus que 50 Mo" in err


def test_labels_option(tmp_path: Path) -> None:
    labels = tmp_path / "labels.toml"
    labels.write_text("[counters\n", "utf-8")
    code, _, err = run(tmp_path, "--labels", str(labels), str(FILES / "sj-tabs.txt"))
    assert code == 2 and "TOML invalide" in err


def test_brackets_in_names_and_text_are_printed_as_written(tmp_path: Path) -> None:
    text = (FILES / "faux-cellules.txt").read_text("utf-8")
    hostile = text.replace("ÉCOLE PRIVÉE SAINT-JOSEPH", "ÉCOLE [/b] [bold]SAINT-JOSEPH")
    hostile = hostile.replace("0441234C.zip", "[/i]0441234C.zip")
    assert hostile != text
    path = tmp_path / "[red]cr[x].txt"
    path.write_text(hostile, "utf-8")
    code, out, _ = run(tmp_path, str(path))
    assert code == 0
    assert "ÉCOLE [/b] [bold]SAINT-JOSEPH" in out and "[/i]0441234C.zip" in out
    code, _, err = run(tmp_path, str(tmp_path / "[/x]absent.pdf"))
    assert code != 0 and "[/x]absent.pdf" in err


@pytest.mark.slow
def test_a_scanned_compte_rendu_is_read_by_ocr_and_needs_review(tmp_path: Path) -> None:
    """A photo of a page: the spec's JSON plus `source: ocr` and `needs_review: true`, exit 0."""
    from tests.fixtures.reports.scans import make_scan

    data, suffix = make_scan((FILES / "sj-reportlab.pdf").read_bytes(), "a-l-envers")
    photo = tmp_path / f"photo{suffix}"
    photo.write_bytes(data)
    code, out, _ = run(tmp_path, "--json", str(photo))
    assert code == 0
    result = json.loads(out)
    expected = json.loads((FILES / "sj-reportlab.expected.json").read_text("utf-8"))
    assert result["source"] == "ocr" and result["needs_review"] is True
    assert "lu par OCR — à vérifier" in result["review_reasons"]
    assert result["uai"] == expected["uai"] and result["counts"] == expected["counts"]
    assert result["ine"]["pupils"] == expected["ine"]["pupils"]
    code, out, _ = run(tmp_path, str(photo))
    assert code == 0 and "Lu par OCR — à vérifier" in out
