"""A message that a wrong row cut left in two rows, made whole against ONDE's closed list."""

from __future__ import annotations

from daemon.ingest.reports.labels import default_labels
from daemon.ingest.reports.ocr.messages import rejoin_messages
from daemon.ingest.reports.records import AnomalyRow

LABELS = default_labels()
LONG = (
    "Commune de naissance inconnue dans le référentiel INSEE pour l'année de naissance, "
    "veuillez vérifier la saisie de la commune et du département dans la fiche de l'élève"
)
POSTAL = "Code postal incohérent avec la commune de résidence"


def row(message: str, field: str = "Adresse") -> AnomalyRow:
    return AnomalyRow("MARTIN", "Léa", None, field, message, "rejet", "export")


def test_the_last_lines_of_a_message_given_to_the_next_row_go_back() -> None:
    rows = (
        row("Commune de naissance inconnue dans le", "Lieu de naissance"),
        row(
            "référentiel INSEE pour l'année de naissance, veuillez vérifier la saisie de la "
            "commune et du département dans la fiche de l'élève " + POSTAL
        ),
    )
    mended = rejoin_messages(rows, LABELS)
    assert [r.message for r in mended] == [LONG, POSTAL]
    assert mended[0].category == LABELS.category("Lieu de naissance", LONG)


def test_rows_whose_messages_are_known_or_do_not_split_are_left_as_read() -> None:
    known = (row(POSTAL), row("Élève déjà scolarisé dans une autre école"))
    assert rejoin_messages(known, LABELS) == known
    unknown = (row("Motif nouveau"), row("que personne ne connaît " + POSTAL))
    assert rejoin_messages(unknown, LABELS) == unknown
