"""Each stage's cadence and escalation ladder, as kept on the campaign row.

The campaign keeps the reminder policy it was started with (`Campaign.policy`, a dump of
`settings.reminders`); a ladder is copied onto the follow-up when its stage starts, so editing
the configuration never changes a ladder already running.
"""

from __future__ import annotations

import datetime as dt
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


def ladder_copy(policy: StagePolicy) -> list[dict[str, Any]]:
    """The ladder as data, sorted by step, to store on the follow-up."""
    steps = sorted(policy.ladder, key=lambda s: (s.after, s.notify))
    return [{"after": s.after, "notify": s.notify} for s in steps]


def step_name(step: dict[str, Any]) -> str:
    """A ladder step's identity in `FollowUp.escalations_done`."""
    return f"{step['notify']}@{step['after']}"


def is_ready_policy(policy: StagePolicy) -> bool:
    return isinstance(policy, ReadyPolicy)
