"""Benchmark of the reminder sweep's deciding half at national scale.

    .venv/bin/python bench/reminders_sweep.py [--schools 45000] [--runs 5] [--seed 5]

Builds a SQLite database with `--schools` schools and their follow-ups (stages spread as a few
days after the observation date, ladders running, next reminders spread over the next school
days so that about a third are due, validated schools unscheduled), then measures, at the same
`now`, the median over `--runs` runs of:
- the sweep's deciding time: `daemon.reminders.sweep.decide_due` — the SQL selection of the due
  follow-ups plus the pure decision for each (what to send, when to look again), with a fresh
  campaign context (calendar, memo) per run as each sweep builds one;
- the baseline: one plain SQL query selecting the same due rows (same columns, same condition),
  fetched with a bare DB-API cursor.
Target: deciding ≤ 3 × the plain query. Composing and writing the mails is not measured here
(it is per mail sent, not per school examined). Exits 0 even when the target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert
from sqlmodel import Session

from bench.report import Row, emit
from daemon.app import campaign_calendar
from daemon.codes import uai_check_letter
from daemon.config import Settings
from daemon.reminders.policy import ladder_json, ladder_steps, stage_policy
from daemon.reminders.sweep import CampaignContext, decide_due
from db.engine import make_engine
from db.migrate import upgrade
from db.models import Campaign, FollowUp, School

TARGET_RATIO = 3.0
STAGES = (
    ("validated", 0.30),
    ("ready_to_validate", 0.20),
    ("awaiting_ine", 0.08),
    ("errors", 0.14),
    ("exported", 0.10),
    ("awaiting_export", 0.18),
)
PLAIN_SQL = """
SELECT f.id, f.school_id, f.stage, f.stage_since, f.ladder_stage,
       f.reminders_without_progress, f.next_reminder_at, f.last_reminder_at, f.snoozed_until
FROM follow_up f JOIN school s ON s.id = f.school_id
WHERE f.campaign_id = ? AND s.active = 1
  AND (f.next_reminder_at <= ?
       OR (f.stage != 'validated' AND (f.next_reminder_at IS NULL OR f.ladder_stage != f.stage))
       OR (f.stage = 'validated' AND f.next_reminder_at IS NOT NULL))
ORDER BY f.id
"""
NOW = dt.datetime(2026, 9, 22, 8, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))).astimezone(dt.UTC)


def build(url: str, schools: int, seed: int, settings: Settings) -> int:
    rng = random.Random(seed)
    engine = make_engine(url)
    upgrade(engine=engine)
    with Session(engine) as session:
        campaign = Campaign(
            name=settings.campaign.name, created_at=NOW, **campaign_calendar(settings)
        )
        session.add(campaign)
        session.flush()
        assert campaign.id is not None
        school_rows = []
        for i in range(schools):
            digits = f"{i + 100000:07d}"
            uai = digits + uai_check_letter(digits)
            school_rows.append(
                {
                    "id": i + 1,
                    "uai": uai,
                    "name": f"École {i}",
                    "circonscription": f"Circonscription {i % 300}",
                    "director_email": f"ce.{uai.lower()}@example.org",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
        session.execute(insert(School), school_rows)
        stages = [s for s, _w in STAGES]
        weights = [w for _s, w in STAGES]
        follow_rows = []
        for i in range(schools):
            stage = rng.choices(stages, weights)[0]
            running = stage != "validated"
            ladder = (
                ladder_json(ladder_steps(stage_policy(settings.reminders, stage)))
                if running
                else []
            )
            offset = dt.timedelta(hours=rng.randint(-30, 100))
            follow_rows.append(
                {
                    "school_id": i + 1,
                    "campaign_id": campaign.id,
                    "stage": stage,
                    "stage_since": NOW - dt.timedelta(days=rng.randint(1, 15)),
                    "ladder_stage": stage if running else "",
                    "ladder": ladder,
                    "reminders_without_progress": rng.randint(0, 4) if running else 0,
                    "escalations_done": [],
                    "next_reminder_at": NOW + offset if running else None,
                    "last_reminder_at": NOW - dt.timedelta(days=2) if running else None,
                    "updated_at": NOW,
                }
            )
        session.execute(insert(FollowUp), follow_rows)
        session.commit()
        campaign_id = campaign.id
    engine.dispose()
    return campaign_id


def median_seconds(work, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, default=45_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    settings = Settings()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        campaign_id = build(url, args.schools, args.seed, settings)
        engine = make_engine(url)
        with Session(engine) as session:
            campaign = session.get(Campaign, campaign_id)
            assert campaign is not None
            from daemon.reminders.calendar import SchoolCalendar

            def context() -> CampaignContext:
                """A fresh context, as each sweep builds one: nothing carried between runs."""
                assert campaign is not None
                return CampaignContext(
                    calendar=SchoolCalendar.for_campaign(
                        campaign, settings.reminders.window_start, settings.reminders.window_end
                    ),
                    policy=settings.reminders,
                    start=campaign.start,
                    observation_date=campaign.observation_date,
                    deadline=campaign.deadline,
                )

            raw = engine.raw_connection()
            bound = (campaign_id, NOW.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f"))
            cursor = raw.cursor()
            due_rows = len(cursor.execute(PLAIN_SQL, bound).fetchall())
            baseline = median_seconds(
                lambda: cursor.execute(PLAIN_SQL, bound).fetchall(), args.runs
            )
            decisions = decide_due(session, context(), campaign_id, NOW)
            assert len(decisions) == due_rows, (len(decisions), due_rows)
            sends = sum(1 for _f, _s, d in decisions if d.send)
            deciding = median_seconds(
                lambda: decide_due(session, context(), campaign_id, NOW), args.runs
            )
            raw.close()
        engine.dispose()
    ratio = deciding / baseline
    print(
        f"{args.schools} schools, {due_rows} due follow-ups, {sends} reminders to send "
        f"at {NOW.isoformat()}"
    )
    emit(
        [
            Row(
                benchmark="reminders_sweep",
                figure=f"deciding who is due among {args.schools} schools ({due_rows} due)",
                value=f"{deciding * 1000:.1f} ms",
                baseline=f"{baseline * 1000:.1f} ms (plain SQL query of the due rows)",
                ratio=ratio,
                target=f"≤ {TARGET_RATIO:g}×",
                met=ratio <= TARGET_RATIO,
            )
        ]
    )


if __name__ == "__main__":
    main()
