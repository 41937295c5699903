"""Labels as data: the packaged file, the district's file that extends or replaces it."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.ingest.reports import LabelsError, load_labels, parse_report
from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.records import CompteRendu

FILES = Path(__file__).parent / "fixtures" / "reports" / "files"


def test_packaged_labels_name_every_group() -> None:
    labels = load_labels(None)
    assert labels is default_labels()
    assert labels.find("counters", "eleves lus") == "read"
    assert labels.find("severities", "avertissement") == "avertissement"
    assert labels.find("ine_statuses", "non traite") == "non_traite"
    assert labels.rubriques["identite"] == "Identité"


@pytest.mark.parametrize(
    ("field", "message", "category"),
    [
        ("Adresse", "Code postal incohérent", "export"),
        ("Lieu de naissance", "Commune inconnue", "export"),
        ("Doublon", "Élève présent deux fois", "onde"),
        ("Identité", "INE en litige, contacter la DSDEN", "onde"),
        (None, "Élève déjà scolarisé dans une autre école", "onde"),
        ("Divers", "Message jamais vu", "other"),
    ],
)
def test_message_categories(field: str | None, message: str, category: str) -> None:
    assert default_labels().category(field, message) == category


def test_district_file_extends_the_packaged_labels(tmp_path: Path) -> None:
    path = tmp_path / "labels.toml"
    path.write_text(
        '[counters]\nread = ["Fiches reçues"]\n'
        '[[categories]]\ncategory = "onde"\nmessage = ["code postal"]\n',
        "utf-8",
    )
    labels = load_labels(str(path))
    assert labels.find("counters", "fiches recues") == "read"
    assert labels.find("counters", "eleves lus") == "read"  # packaged still there
    assert labels.category("Adresse", "Code postal incohérent") == "onde"  # district first
    text = (FILES / "sj-tabs.txt").read_text("utf-8").replace("Élèves lus", "Fiches reçues")
    with_labels = parse_report(text.encode(), "cr.txt", labels=labels)
    assert isinstance(with_labels, CompteRendu) and with_labels.counts.read == 142
    packaged = parse_report(text.encode(), "cr.txt")
    assert isinstance(packaged, CompteRendu) and packaged.counts.read is None


def test_district_table_can_replace_the_packaged_one(tmp_path: Path) -> None:
    path = tmp_path / "labels.toml"
    path.write_text('[severities]\nreplace = true\nrejet = ["Bloquant"]\n', "utf-8")
    labels = load_labels(str(path))
    assert labels.find("severities", "bloquant") == "rejet"
    assert labels.find("severities", "rejet") is None
    assert labels.find("severities", "avertissement") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[counters\n", "TOML invalide"),
        ('[counters]\nlus = ["x"]\n', "lus inconnu"),
        ('[[categories]]\ncategory = "ange"\n', "categories.0.category"),
        ("[noise]\npatterns = ['(']\n", "expression régulière invalide"),
        ("colour = 1\n", "colour"),
    ],
)
def test_bad_district_file_is_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "labels.toml"
    path.write_text(content, "utf-8")
    with pytest.raises(LabelsError, match=message):
        load_labels(str(path))


def test_missing_district_file(tmp_path: Path) -> None:
    with pytest.raises(LabelsError, match="lecture impossible"):
        load_labels(str(tmp_path / "absent.toml"))
