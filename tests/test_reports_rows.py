"""A row read by its content when columns are unknown: names, date, rubrique, message, status."""

from __future__ import annotations

from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.rows import anomaly_from_parts, closes_row, ine_from_parts, split_names

LABELS = default_labels()


def test_whole_row_in_one_cell() -> None:
    row = anomaly_from_parts(
        ["DE LA FONTAINE Marie-Ève 23/11/2018 Doublon Élève déjà scolarisé Rejet"], LABELS
    )
    assert row == {
        "last_name": "DE LA FONTAINE",
        "first_name": "Marie-Ève",
        "birth_date": "2018-11-23",
        "field": "Doublon",
        "message": "Élève déjà scolarisé",
        "severity": "rejet",
        "category": "onde",
    }


def test_cells_with_a_cut_date_and_an_unknown_rubrique() -> None:
    row = anomaly_from_parts(["MARTIN", "Léa", "01/02/2", "020", "Santé", "PAI", "Avertissement"],
                             LABELS)  # fmt: skip
    assert row is not None
    assert (row["birth_date"], row["field"], row["message"]) == ("2020-02-01", "Santé", "PAI")
    assert row["category"] == "other"


def test_without_a_date_it_is_not_a_row() -> None:
    assert anomaly_from_parts(["MARTIN", "Léa", "Adresse", "Rejet"], LABELS) is None


def test_ine_rows() -> None:
    waiting = ine_from_parts(["DURAND Noé 01/02/2021 EN ATTENTE"], LABELS)
    assert waiting is not None and (waiting["status"], waiting["ine"]) == ("en_attente", None)
    given = ine_from_parts(["PETIT", "Zoé", "11/12/2018", "123456789ab"], LABELS)
    assert given is not None and (given["status"], given["ine"]) == ("attribue", "123456789AB")
    assert ine_from_parts(["PETIT", "Zoé", "11/12/2018", "PERDU"], LABELS) is None


def test_closing_cells() -> None:
    assert closes_row("Rejet", "anomalies", LABELS)
    assert closes_row("MARTIN Léa 01/02/2020 Adresse CP Avertissement", "anomalies", LABELS)
    assert not closes_row("Rejet de la demande", "anomalies", LABELS)
    assert closes_row("NON TRAITÉ", "ine", LABELS)


def test_split_names() -> None:
    assert split_names(["N'GUYEN-LEFÈVRE Jean-Baptiste"]) == ("N'GUYEN-LEFÈVRE", "Jean-Baptiste")
    assert split_names(["MARTIN", "Léa"]) == ("MARTIN", "Léa")
    assert split_names(["MARTIN LEA"]) == ("MARTIN", "LEA")
