"""OCR mending against closed lists: the UAI by its check letter, ONDE's messages, rubriques."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.ocr.correct import (
    first_name,
    last_name,
    mend_result,
    recover_uai,
    snap,
    snap_message,
)
from daemon.ingest.reports.records import AnomalyRow, CompteRendu

LABELS = default_labels()


def test_a_uai_with_look_alike_letters_for_digits_is_read() -> None:
    assert recover_uai(["École : SAINT-JOSEPH (O44I234C)"]) == "0441234C"


def test_a_misread_digit_is_recovered_from_the_check_letter() -> None:
    # 0441239 would need the letter F: only 9 read for 4 gives C.
    assert recover_uai(["École : SAINT-JOSEPH (0441239C)"]) == "0441234C"


def test_two_possible_readings_recover_nothing() -> None:
    # 0441284C: either 8 is a 3 (0441234C) or C is a G (0441284G): nobody can tell.
    assert recover_uai(["École : SAINT-JOSEPH (0441284C)"]) is None


def test_a_reading_that_is_right_elsewhere_wins() -> None:
    texts = ["École : SAINT-JOSEPH (0441284C)", "Fichier : 0441234C.zip"]
    assert recover_uai(texts) == "0441234C"


def _result(**anomaly: Any) -> CompteRendu:
    values = {"field": "Adresse", "message": "", "category": "export", **anomaly}
    row = AnomalyRow("MARTIN", "Léa", None, values["field"], values["message"], "rejet",
                     values["category"])  # fmt: skip
    return CompteRendu(uai="0441234C", anomalies=(row,), source="ocr")


def test_a_message_near_a_known_one_is_snapped_to_it() -> None:
    result = mend_result(
        _result(message="Code postal incohérent avec la commune de résidenee"), LABELS, []
    )
    assert result.anomalies[0].message == "Code postal incohérent avec la commune de résidence"


def test_a_message_far_from_every_known_one_is_kept_as_read() -> None:
    message = "Motif nouveau que personne ne connaît encore"
    assert snap(message, LABELS.messages, 88) == message


def test_a_misread_rubrique_is_snapped_and_its_category_follows() -> None:
    result = mend_result(_result(field="Doublom", message="", category="other"), LABELS, [])
    assert result.anomalies[0].field == "Doublon"
    assert result.anomalies[0].category == "onde"


def test_an_invalid_uai_is_mended_and_its_warning_replaced() -> None:
    read = CompteRendu(
        warnings=("UAI invalide « 0441239C » : la lettre de contrôle de 0441239 est F",)
    )
    result = mend_result(read, LABELS, ["École : SAINT-JOSEPH (0441239C)"])
    assert result.uai == "0441234C"
    assert result.warnings == ("UAI lu par OCR et corrigé par sa lettre de contrôle : 0441234C",)


def test_the_dot_of_the_archive_name_misread_is_mended() -> None:
    read = CompteRendu(uai="0441234C", archive="0441234C:zip")
    assert mend_result(read, LABELS, []).archive == "0441234C.zip"


def test_a_message_that_lost_a_few_words_is_snapped_to_the_one_it_keeps() -> None:
    read = "Code postal incohérent commune de résidenee"  # `avec la` lost at a cell's edge
    assert snap_message(read, LABELS.messages) == (
        "Code postal incohérent avec la commune de résidence"
    )


def test_a_message_cut_short_is_not_taken_for_the_longer_one() -> None:
    short = "Commune de naissance inconnue dans le référentiel INSEE pour l'année de naissance"
    assert snap_message(short, LABELS.messages) == short
    lost = "Commune naissance inconnue dans référentiel INSEE l'année de naissance"
    assert snap_message(lost, LABELS.messages) == short


def test_a_message_with_words_of_its_own_is_kept_as_read() -> None:
    read = "Code postal incohérent avec la commune de naissance du responsable légal"
    assert snap_message(read, LABELS.messages) == read


def test_names_are_mended_as_onde_writes_them() -> None:
    assert first_name("inès") == "Inès" and first_name("jean-Baptiste") == "Jean-Baptiste"
    assert first_name("Marie Ève") == "Marie Ève" and first_name(None) is None
    assert last_name("OUEDRA0G0") == "OUEDRAOGO" and last_name("DURANd") == "DURAND"
    assert last_name("Dupont-Lajoie") == "Dupont-Lajoie"  # not written in capitals: as read


def test_spaces_read_beside_a_hyphen_or_an_apostrophe_are_dropped() -> None:
    assert last_name("N' GUYEN- LEFÈVRE") == "N'GUYEN-LEFÈVRE"
    assert first_name("Jean - Baptiste") == "Jean-Baptiste"
    assert last_name("DE LA FONTAINE") == "DE LA FONTAINE"  # spaces between words stay


def test_a_birth_year_after_the_compte_rendu_is_mended_by_look_alike_digits() -> None:
    row = AnomalyRow("MARTIN", "Léa", dt.date(2028, 2, 1), "Adresse", "", "rejet", "export")
    read = CompteRendu(
        submitted_at=dt.datetime(2026, 9, 14, 17, 42), anomalies=(row,), source="ocr"
    )
    assert mend_result(read, LABELS, []).anomalies[0].birth_date == dt.date(2020, 2, 1)
    undated = replace(read, submitted_at=None)  # no date known: 2028 may be a real year
    assert mend_result(undated, LABELS, []).anomalies[0].birth_date == dt.date(2028, 2, 1)


def test_a_rubrique_run_into_its_message_is_taken_apart() -> None:
    read = _result(field=None, message="Doubion Élève déjà scolarisé dans une autre école")
    row = mend_result(read, LABELS, []).anomalies[0]
    assert (row.field, row.message, row.category) == (
        "Doublon",
        "Élève déjà scolarisé dans une autre école",
        "onde",
    )
    unknown = _result(field=None, message="Doubion motif que personne ne connaît")
    assert mend_result(unknown, LABELS, []).anomalies[0].field is None
