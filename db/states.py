"""The states the tables store, as enums: the database checks them, every room reads them."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    AWAITING_EXPORT = "awaiting_export"
    EXPORTED = "exported"
    ERRORS = "errors"
    AWAITING_INE = "awaiting_ine"
    READY_TO_VALIDATE = "ready_to_validate"
    VALIDATED = "validated"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]


STAGE_LABELS = {
    Stage.AWAITING_EXPORT: "Export attendu",
    Stage.EXPORTED: "Exporté, compte rendu attendu",
    Stage.ERRORS: "Erreurs à corriger",
    Stage.AWAITING_INE: "INE en attente",
    Stage.READY_TO_VALIDATE: "Prête à valider",
    Stage.VALIDATED: "Constat validé",
}
STAGE_ORDER = list(Stage)
