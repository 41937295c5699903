"""Each stage's cadence and escalation ladder, as kept on the campaign row.

The campaign keeps the reminder policy it was started with (`Campaign.policy`, a dump of
`settings.reminders`); a ladder is copied onto the follow-up when its stage starts, so editing
the configuration never changes a ladder already running.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from daemon.config.settings import ReadyPolicy, ReminderSettings, StagePolicy
from daemon.school.stage import Stage
from db.models import Campaign

OVERDUE = "overdue"
POLICY_STAGES = (
    Stage.AWAITING_EXPORT.value,
    Stage.EXPORTED.value,
    Stage.ERRORS.value,
    Stage.AWAITING_INE.value,
    Stage.READY_TO_VALIDATE.value,
    OVERDUE,
)
_VALIDATED = Stage.VALIDATED.value
POLICY_LABELS = {**{s.value: s.label for s in Stage}, OVERDUE: "Date limite dépassée"}


def campaign_policy(campaign: Campaign, fallback: ReminderSettings) -> ReminderSettings:
    """The policy the campaign keeps, else the configured one."""
    if campaign.policy:
        return ReminderSettings.model_validate(campaign.policy)
    return fallback


def policy_stage(stage: str, today: dt.date, deadline: dt.date) -> str:
    """The stage whose cadence applies: past the deadline, every open school is overdue."""
    if stage == _VALIDATED:
        return stage
    return OVERDUE if today > deadline else stage


def stage_policy(policy: ReminderSettings, stage: str) -> StagePolicy:
    found = getattr(policy, stage, None)
    if not isinstance(found, StagePolicy):
        raise KeyError(f"no reminder policy for stage {stage!r}")
    return found


class Notify(StrEnum):
    """Who a ladder step tells."""

    COORDINATOR = "coordinator"  # an event, listed in the next digest
    SUPPORT = "support"  # a mail to the support contact of the school's category


@dataclass(frozen=True)
class EscalationStep:
    """One step of a running ladder: after `after` reminders without progress, tell `notify`."""

    after: int
    notify: Notify

    @property
    def name(self) -> str:
        """The step's identity in `FollowUp.escalations_done`."""
        return f"{self.notify.value}@{self.after}"

    def as_json(self) -> dict[str, Any]:
        return {"after": self.after, "notify": self.notify.value}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EscalationStep:
        return cls(int(data["after"]), Notify(data["notify"]))


Ladder = tuple[EscalationStep, ...]


def ladder_steps(policy: StagePolicy) -> Ladder:
    """A stage's ladder from the policy, sorted by step."""
    steps = sorted(policy.ladder, key=lambda s: (s.after, s.notify))
    return tuple(EscalationStep(s.after, Notify(s.notify)) for s in steps)


def ladder_json(ladder: Ladder) -> list[dict[str, Any]]:
    """The ladder as `FollowUp.ladder` stores it (copied when its stage starts)."""
    return [step.as_json() for step in ladder]


def stored_ladder(data: Sequence[Mapping[str, Any]] | None) -> Ladder:
    """The ladder `FollowUp.ladder` holds."""
    return tuple(EscalationStep.from_json(step) for step in data or ())


def is_ready_policy(policy: StagePolicy) -> bool:
    return isinstance(policy, ReadyPolicy)
