"""The single next thing a director should do, in plain French, from the stage.

Written from the directors' own help page (Ange – Export vers ONDE): export from Ange after the
test de cohérence, import the archive in ONDE, read the compte rendu the next day, correct and
re-export, check the INEs, validate the constat at the observation date. Used by the reminder mails
and by the school's page, so both always say the same thing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from daemon.school.stage import Stage, french_date

ONDE_PATH = "« Accès Directeur » › « École » › « Interfaces »"


@dataclass(frozen=True)
class NextStep:
    title: str
    steps: tuple[str, ...]
    help_category: str  # export | onde | other: whose contact helps with this step


@dataclass(frozen=True)
class StepContext:
    uai: str
    observation_date: dt.date
    deadline: dt.date
    today: dt.date
    onde_url: str
    onde_problems: bool = False  # open anomalies only ONDE/the académie can solve

    @property
    def onde(self) -> str:
        """ "ONDE", with the portal's address when the configuration gives it."""
        return f"ONDE ({self.onde_url})" if self.onde_url else "ONDE"


def next_step(stage: Stage, ctx: StepContext) -> NextStep:
    return _BUILDERS[stage](ctx)


def _awaiting_export(ctx: StepContext) -> NextStep:
    return NextStep(
        "Exporter les élèves depuis Ange et importer l'archive dans ONDE",
        (
            "Dans Ange, onglet « Export vers BE1D », lancez le « Test de cohérence » et "
            "contrôlez le tableau d'effectif.",
            f"S'il n'y a aucune erreur, enregistrez l'archive {ctx.uai}.zip proposée sous le "
            "tableau.",
            f"Connectez-vous à {ctx.onde}, puis {ONDE_PATH} › « Effectuer un import "
            "pour le constat de rentrée » : indiquez l'archive et cliquez sur « Valider ».",
            "Déposez aussi l'archive sur votre page relance : nous saurons qu'elle est partie.",
        ),
        "export",
    )


def _exported(ctx: StepContext) -> NextStep:
    return NextStep(
        "Consulter le compte rendu d'import dans ONDE",
        (
            f"Le lendemain de l'import, connectez-vous à {ctx.onde}, puis "
            f"{ONDE_PATH} › « Consulter les comptes rendus ».",
            "Enregistrez le compte rendu en PDF (« Imprimer » › « Enregistrer au format PDF ») "
            "et déposez-le sur votre page relance.",
        ),
        "onde",
    )


def _errors(ctx: StepContext) -> NextStep:
    return NextStep(
        "Corriger les élèves en erreur, puis refaire l'export",
        (
            "Pour chaque élève ci-dessous, corrigez la rubrique signalée : dans votre logiciel "
            "(Aplon, Charlemagne, Magister) puis refaites un export vers Ange, ou directement "
            "dans Ange si vous y saisissez les élèves.",
            "Refaites le « Test de cohérence » et l'export vers BE1D, puis importez la nouvelle "
            f"archive {ctx.uai}.zip dans ONDE.",
            "Le lendemain, déposez le nouveau compte rendu sur votre page relance.",
        ),
        "onde" if ctx.onde_problems else "export",
    )


def _awaiting_ine(ctx: StepContext) -> NextStep:
    return NextStep(
        "Vérifier que chaque élève a reçu son INE",
        (
            f"Dans {ctx.onde}, {ONDE_PATH} › « Consulter les comptes rendus » : "
            "vérifiez l'immatriculation des élèves listés ci-dessous.",
            "Vous pouvez aussi déposer l'extraction ONDE des élèves (« Listes & documents » › "
            "« Extractions » › « Élèves » › format CSV) sur votre page relance.",
            "Un INE en litige ou bloqué ne se règle pas dans Ange : contactez l'assistance ONDE.",
        ),
        "onde",
    )


def _ready(ctx: StepContext) -> NextStep:
    if ctx.today < ctx.observation_date:
        title = f"Valider le constat des effectifs le {french_date(ctx.observation_date)}"
        when = f"À partir du {french_date(ctx.observation_date)}, date d'observation"
    else:
        title = "Valider le constat des effectifs dans ONDE dès maintenant"
        when = "Dès maintenant"
    return NextStep(
        title,
        (
            f"{when}, effectuez le « Constat des effectifs » dans {ctx.onde}.",
            "Puis cliquez sur « J'ai validé le constat » sur votre page relance : les relances "
            "s'arrêtent.",
            f"Date limite : {french_date(ctx.deadline)}.",
        ),
        "onde",
    )


def _validated(_ctx: StepContext) -> NextStep:
    return NextStep("Rien à faire : le constat est validé. Merci !", (), "other")


_BUILDERS = {
    Stage.AWAITING_EXPORT: _awaiting_export,
    Stage.EXPORTED: _exported,
    Stage.ERRORS: _errors,
    Stage.AWAITING_INE: _awaiting_ine,
    Stage.READY_TO_VALIDATE: _ready,
    Stage.VALIDATED: _validated,
}
