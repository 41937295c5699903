"""The next step told to a director, from the stage (the seed page's procedure)."""

from __future__ import annotations

import datetime as dt

import pytest

from daemon.school.next_step import StepContext, next_step
from daemon.school.stage import Stage

CTX = StepContext(
    uai="0441234C",
    observation_date=dt.date(2026, 9, 18),
    deadline=dt.date(2026, 10, 2),
    today=dt.date(2026, 9, 14),
    onde_url="https://onde.example.org",
)


@pytest.mark.parametrize("stage", list(Stage))
def test_every_stage_has_a_next_step(stage: Stage) -> None:
    step = next_step(stage, CTX)
    assert step.title and step.help_category in {"export", "onde", "other"}


def test_export_step_names_the_archive_and_the_onde_menu() -> None:
    step = next_step(Stage.AWAITING_EXPORT, CTX)
    text = " ".join(step.steps)
    assert "0441234C.zip" in text and "Effectuer un import pour le constat de rentrée" in text
    assert "https://onde.example.org" in text and step.help_category == "export"


def test_ready_before_and_after_the_observation_date() -> None:
    before = next_step(Stage.READY_TO_VALIDATE, CTX)
    assert before.title == "Valider le constat des effectifs le 18/09/2026"
    after = next_step(
        Stage.READY_TO_VALIDATE, StepContext(**{**CTX.__dict__, "today": dt.date(2026, 9, 21)})
    )
    assert "dès maintenant" in after.title and "02/10/2026" in " ".join(after.steps)


def test_errors_that_only_onde_can_solve_point_to_the_academie() -> None:
    assert next_step(Stage.ERRORS, CTX).help_category == "export"
    onde = StepContext(**{**CTX.__dict__, "onde_problems": True})
    assert next_step(Stage.ERRORS, onde).help_category == "onde"


def test_the_onde_portal_address_is_given_only_when_configured() -> None:
    day = dt.date(2026, 9, 14)
    without = StepContext("0441234C", day, day, day, onde_url="")
    with_url = StepContext("0441234C", day, day, day, onde_url="https://onde.example.org")
    assert without.onde == "ONDE"
    assert with_url.onde == "ONDE (https://onde.example.org)"
    assert "ONDE (https://onde.example.org)" in next_step(Stage.EXPORTED, with_url).steps[0]
