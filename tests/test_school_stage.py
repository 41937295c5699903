"""The stage of a school, derived from its evidence and `now` (table tests)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from daemon.school.stage import (
    ArchiveEvidence,
    DocumentEvidence,
    Evidence,
    Stage,
    school_stage,
)

UTC = dt.UTC


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 9, day, hour, tzinfo=UTC)


def cr(
    day: int,
    rejections: int = 0,
    warnings: int = 0,
    pending: int | None = None,
    received: int | None = None,
) -> DocumentEvidence:
    return DocumentEvidence(
        kind="compte_rendu",
        received_at=at(received or day, 12),
        processed_at=at(day, 3),
        rejections=rejections,
        warnings=warnings,
        pending_ine=pending,
    )


def extraction(day: int, pending: int | None) -> DocumentEvidence:
    return DocumentEvidence(kind="onde_extraction", received_at=at(day, 15), pending_ine=pending)


NOW = at(25)

CASES = [
    # (name, evidence, expected stage, words expected in the reason)
    ("nothing recorded", Evidence(), Stage.AWAITING_EXPORT, "aucune archive"),
    ("an archive", Evidence(exports=(at(10),)), Stage.EXPORTED, "10/09/2026"),
    (
        "archive recorded after now is ignored",
        Evidence(exports=(at(26),)),
        Stage.AWAITING_EXPORT,
        "aucune archive",
    ),
    (
        "CR with rejections",
        Evidence(exports=(at(10),), documents=(cr(11, rejections=3, warnings=1),)),
        Stage.ERRORS,
        "3 rejets et 1 avertissement dans le compte rendu du 11/09/2026",
    ),
    (
        "CR with warnings only",
        Evidence(documents=(cr(11, warnings=2, pending=0),)),
        Stage.ERRORS,
        "2 avertissements",
    ),
    (
        "CR without errors, pupils pending",
        Evidence(documents=(cr(11, pending=4),)),
        Stage.AWAITING_INE,
        "4 élèves sans INE d'après le compte rendu du 11/09/2026",
    ),
    (
        "CR without errors nor INE section",
        Evidence(documents=(cr(11),)),
        Stage.AWAITING_INE,
        "aucune information sur les INE",
    ),
    (
        "CR: every INE attributed",
        Evidence(documents=(cr(11, pending=0),)),
        Stage.READY_TO_VALIDATE,
        "peut être validé",
    ),
    (
        "newer CR supersedes older errors",
        Evidence(documents=(cr(11, rejections=3), cr(14, pending=2))),
        Stage.AWAITING_INE,
        "2 élèves sans INE",
    ),
    (
        "older CR dropped later does not supersede the newer one",
        Evidence(documents=(cr(14, pending=0), cr(11, rejections=3, received=20))),
        Stage.READY_TO_VALIDATE,
        "peut être validé",
    ),
    (
        "newer CR reports new errors",
        Evidence(documents=(cr(11, pending=0), cr(14, rejections=1))),
        Stage.ERRORS,
        "1 rejet dans le compte rendu du 14/09/2026",
    ),
    (
        "re-export after a CR with errors waits for the next CR",
        Evidence(exports=(at(10), at(15)), documents=(cr(11, rejections=2),)),
        Stage.EXPORTED,
        "nouvel export le 15/09/2026, compte rendu attendu (le précédent signalait 2 rejets)",
    ),
    (
        "archive dropped the evening before the CR's processing is the same export",
        Evidence(
            exports=(dt.datetime(2026, 9, 10, 18, tzinfo=UTC),), documents=(cr(11, rejections=1),)
        ),
        Stage.ERRORS,
        "1 rejet",
    ),
    (
        "extraction newer than the CR settles the INEs",
        Evidence(documents=(cr(11, pending=5), extraction(16, 0))),
        Stage.READY_TO_VALIDATE,
        "peut être validé",
    ),
    (
        "extraction alone with pupils pending",
        Evidence(documents=(extraction(16, 3),)),
        Stage.AWAITING_INE,
        "3 élèves sans INE d'après l'extraction ONDE du 16/09/2026",
    ),
    (
        "extraction without INE column says nothing about INEs",
        Evidence(documents=(cr(11, pending=2), extraction(16, None))),
        Stage.AWAITING_INE,
        "2 élèves sans INE d'après le compte rendu",
    ),
    (
        "older extraction does not override the newer CR",
        Evidence(documents=(extraction(10, 0), cr(14, pending=1))),
        Stage.AWAITING_INE,
        "1 élève sans INE",
    ),
    (
        "declared validated",
        Evidence(documents=(cr(11, rejections=2),), declared_validated_at=at(20)),
        Stage.VALIDATED,
        "constat déclaré validé le 20/09/2026",
    ),
    (
        "declaration in the future does not count yet",
        Evidence(documents=(cr(11, pending=0),), declared_validated_at=at(28)),
        Stage.READY_TO_VALIDATE,
        "peut être validé",
    ),
    (
        "declared, confirmation required but missing",
        Evidence(
            documents=(cr(11, pending=0),),
            declared_validated_at=at(20),
            requires_confirmation=True,
        ),
        Stage.READY_TO_VALIDATE,
        "en attente de confirmation",
    ),
    (
        "declared and confirmed",
        Evidence(
            documents=(cr(11, pending=0),),
            declared_validated_at=at(20),
            validation_confirmed_at=at(21),
            requires_confirmation=True,
        ),
        Stage.VALIDATED,
        "confirmé le 21/09/2026",
    ),
]


@pytest.mark.parametrize(("name", "evidence", "stage", "reason"), CASES, ids=[c[0] for c in CASES])
def test_stage_from_evidence(name: str, evidence: Evidence, stage: Stage, reason: str) -> None:
    result = school_stage(evidence, NOW)
    assert result.stage is stage
    assert reason in result.reason


def test_every_stage_is_reachable_by_the_table() -> None:
    assert {case[2] for case in CASES} == set(Stage)


def test_the_stage_depends_on_now() -> None:
    evidence = Evidence(exports=(at(10),), documents=(cr(14, rejections=1),))
    assert school_stage(evidence, at(9)).stage is Stage.AWAITING_EXPORT
    assert school_stage(evidence, at(12)).stage is Stage.EXPORTED
    assert school_stage(evidence, at(20)).stage is Stage.ERRORS


def test_awaiting_confirmation_is_flagged() -> None:
    evidence = Evidence(declared_validated_at=at(20), requires_confirmation=True)
    result = school_stage(evidence, NOW)
    assert result.awaiting_confirmation and result.stage is Stage.AWAITING_EXPORT


def test_stage_since_is_the_time_of_the_deciding_evidence() -> None:
    result = school_stage(Evidence(documents=(cr(11, rejections=1), cr(14, rejections=2))), NOW)
    assert result.since == at(14, 3)


# Every transition: from a school at each stage, one new piece of evidence (recorded on the
# 15th/16th, after the evidence that set the stage) and the stage it leads to.
START = {
    Stage.AWAITING_EXPORT: Evidence(),
    Stage.EXPORTED: Evidence(exports=(at(10),)),
    Stage.ERRORS: Evidence(exports=(at(10),), documents=(cr(11, rejections=2),)),
    Stage.AWAITING_INE: Evidence(exports=(at(10),), documents=(cr(11, pending=3),)),
    Stage.READY_TO_VALIDATE: Evidence(exports=(at(10),), documents=(cr(11, pending=0),)),
    Stage.VALIDATED: Evidence(
        exports=(at(10),), documents=(cr(11, pending=0),), declared_validated_at=at(12)
    ),
}
NEW: dict[str, dict[str, Any]] = {
    "re-export": {"exports": (at(15),)},
    "CR with a rejection": {"documents": (cr(16, rejections=1),)},
    "CR with pupils pending": {"documents": (cr(16, pending=2),)},
    "CR all clear": {"documents": (cr(16, pending=0),)},
    "extraction with pupils pending": {"documents": (extraction(16, 2),)},
    "extraction all clear": {"documents": (extraction(16, 0),)},
    "declaration": {"declared_validated_at": at(16)},
}
A, X, E, N, R, V = (
    Stage.AWAITING_EXPORT,
    Stage.EXPORTED,
    Stage.ERRORS,
    Stage.AWAITING_INE,
    Stage.READY_TO_VALIDATE,
    Stage.VALIDATED,
)
TRANSITIONS = {
    # N is awaiting INE. Columns in the order of NEW: re-export, CR rejection, CR pending,
    # CR clear, extraction pending, extraction clear, declaration.
    A: (X, E, N, R, N, R, V),
    X: (X, E, N, R, N, R, V),
    E: (X, E, N, R, E, E, V),  # an extraction never clears a compte rendu's rejections
    N: (X, E, N, R, N, R, V),
    R: (X, E, N, R, N, R, V),
    V: (V, V, V, V, V, V, V),  # validated stays validated, whatever arrives later
}


def _add(evidence: Evidence, new: dict[str, Any]) -> Evidence:
    return Evidence(
        exports=evidence.exports + new.get("exports", ()),
        documents=evidence.documents + new.get("documents", ()),
        declared_validated_at=new.get("declared_validated_at", evidence.declared_validated_at),
    )


@pytest.mark.parametrize(
    ("start", "new", "expected"),
    [(start, name, TRANSITIONS[start][index]) for start in Stage for index, name in enumerate(NEW)],
    ids=lambda value: str(value),
)
def test_every_transition(start: Stage, new: str, expected: Stage) -> None:
    assert school_stage(START[start], NOW).stage is start
    assert school_stage(_add(START[start], NEW[new]), NOW).stage is expected


def test_the_transition_table_reaches_every_stage_from_every_open_stage() -> None:
    for start in Stage:
        if start is not Stage.VALIDATED:
            reached = set(TRANSITIONS[start]) | {start}
            assert reached >= set(Stage) - {Stage.AWAITING_EXPORT}, start


def _matched(
    report: DocumentEvidence, *archives: ArchiveEvidence
) -> Stage:  # the stage of a CR followed by these archives
    evidence = Evidence(
        exports=tuple(a.received_at for a in archives), archives=archives, documents=(report,)
    )
    return school_stage(evidence, NOW).stage


def test_a_compte_rendu_is_matched_to_the_archive_it_reports_on() -> None:
    report = replace(
        cr(11, rejections=1), archive="0441234C.zip", submitted_at=at(10, 9), pupils_read=22
    )
    own = ArchiveEvidence(at(12), "0441234c.ZIP", 22)
    assert _matched(report, own) is Stage.ERRORS  # dropped after its CR: still current
    assert _matched(report, replace(own, pupils=21)) is Stage.EXPORTED  # counts disagree
    assert _matched(report, replace(own, filename="0441235D.zip")) is Stage.EXPORTED
    assert _matched(replace(report, archive=None), own) is Stage.EXPORTED  # nothing to match
    older = ArchiveEvidence(at(10, 12), "0441234C.zip", 22)  # sent after the CR's deposit
    assert _matched(report, older, replace(own, received_at=at(13))) is Stage.EXPORTED
    earlier = ArchiveEvidence(at(9), "0441234C.zip", 22)
    assert _matched(report, earlier, own) is Stage.ERRORS
