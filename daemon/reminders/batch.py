"""What the sweep reads to write a batch of schools' reminders, read set-wise: a handful of
queries for the whole batch, whatever its size, instead of about ten for each school.

`load_batch` gives each school's follow-up and row (light records of the columns the sweep
reads: `school.rows`), what is
still open for it (`school.open_items.schools_open_items`: its evidence, open anomalies and
pupils without INE, only the columns the rules read) and the number of open items its last
reminder of each stage counted (read from the ledger's payloads, never the whole mail), and when
its reminders that never reached the director were written (the ladder counts only delivered
ones).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from daemon.config import Settings
from daemon.school.open_items import OpenItems, schools_open_items
from daemon.school.rows import FollowUpFacts, FollowUpRow, SchoolRow, follow_up_rows, school_rows
from db import ledger
from db.models import Campaign
from db.states import LedgerKind


@dataclass(frozen=True)
class Batch:
    follow_ups: dict[int, FollowUpRow]  # by follow-up id
    schools: dict[int, SchoolRow]  # by school id
    items: dict[int, OpenItems]  # by school id
    open_counts: dict[tuple[int, str], Any]  # (school id, stage) -> its last reminder's count
    lost: dict[tuple[int, str], list[dt.datetime]]  # (school id, stage) -> undelivered, written at

    def previous_open_count(self, follow_up: FollowUpFacts, stage: str) -> int | None:
        value = self.open_counts.get((follow_up.school_id, stage))
        return None if value is None else int(value)

    def undelivered(self, follow_up: FollowUpFacts, stage: str, since: dt.datetime) -> int:
        """How many of the school's reminders for this stage written since `since` never
        reached the director (cancelled or refused)."""
        return sum(1 for at in self.lost.get((follow_up.school_id, stage), ()) if at >= since)


def load_batch(
    session: Session,
    settings: Settings,
    campaign: Campaign,
    follow_up_ids: Sequence[int],
    now: dt.datetime,
) -> Batch:
    assert campaign.id is not None
    follow_ups = follow_up_rows(session, follow_up_ids)
    school_ids = sorted({f.school_id for f in follow_ups.values()})
    schools = school_rows(session, school_ids)
    items = schools_open_items(
        session,
        schools=[(schools[f.school_id], f) for f in follow_ups.values()],
        campaign=campaign,
        contacts=settings.contacts,
        onde_url=settings.contacts.onde_url,
        now=now,
    )
    counts = ledger.latest_values(
        session,
        school_ids=school_ids,
        campaign_id=campaign.id,
        kind=LedgerKind.REMINDER,
        field="open_count",
    )
    lost = ledger.lost_reminders(session, school_ids=school_ids, campaign_id=campaign.id)
    return Batch(follow_ups, schools, items, counts, lost)
