"""School days of zone B in autumn 2026: weekends, Toussaint, 11 November, extra days off; the
sending window."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from daemon.reminders.calendar import (
    SchoolCalendar,
    holiday_data_gap,
    school_holidays_known_until,
)

PARIS = ZoneInfo("Europe/Paris")
D = dt.date
CAL = SchoolCalendar(PARIS, "B", dt.time(8), dt.time(18), frozenset({D(2026, 11, 13)}))


def paris(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


def test_days_off_and_why() -> None:
    assert CAL.day_off_reason(D(2026, 10, 17)) == "week-end"
    assert CAL.day_off_reason(D(2026, 11, 11)) == "jour férié"
    assert CAL.day_off_reason(D(2026, 10, 21)) == "vacances scolaires (zone B)"
    assert CAL.day_off_reason(D(2026, 11, 13)) == "jour sans relance (configuration)"
    assert CAL.is_school_day(D(2026, 10, 16)) and CAL.is_school_day(D(2026, 11, 2))


def test_the_zone_matters() -> None:
    # Winter holidays 2027 (data shipped): zone C from 6 February, zone A from 13 February.
    zone_a = SchoolCalendar(PARIS, "A", dt.time(8), dt.time(18))
    zone_c = SchoolCalendar(PARIS, "C", dt.time(8), dt.time(18))
    assert zone_a.is_school_day(D(2027, 2, 10)) and not zone_c.is_school_day(D(2027, 2, 10))
    assert not zone_a.is_school_day(D(2027, 2, 24)) and zone_c.is_school_day(D(2027, 2, 24))


def test_adding_school_days_skips_holidays_weekends_and_public_holidays() -> None:
    assert CAL.add_school_days(D(2026, 10, 15), 0) == D(2026, 10, 15)
    assert CAL.add_school_days(D(2026, 10, 17), 0) == D(2026, 11, 2)
    assert CAL.add_school_days(D(2026, 10, 15), 2) == D(2026, 11, 2)
    assert CAL.add_school_days(D(2026, 11, 10), 1) == D(2026, 11, 12)
    assert CAL.add_school_days(D(2026, 11, 12), 1) == D(2026, 11, 16)  # 13th: extra day off
    assert CAL.school_days_between(D(2026, 11, 6), D(2026, 11, 12)) == 3


def test_the_next_moment_inside_the_window() -> None:
    inside = paris(D(2026, 10, 15), 10)
    assert CAL.next_send_moment(inside) == inside
    assert CAL.next_send_moment(paris(D(2026, 10, 15), 6)) == paris(D(2026, 10, 15), 8)
    assert CAL.next_send_moment(paris(D(2026, 10, 16), 18)) == paris(D(2026, 11, 2), 8)
    assert CAL.next_send_moment(paris(D(2026, 11, 10), 23, 59)) == paris(D(2026, 11, 12), 8)
    assert not CAL.in_window(paris(D(2026, 10, 15), 18))
    # Winter time: the window is 08:00 in Paris, 07:00 UTC.
    assert CAL.opening(D(2026, 11, 2)) == dt.datetime(2026, 11, 2, 7, tzinfo=dt.UTC)


def test_a_campaign_past_the_shipped_holiday_data_is_told() -> None:
    known = school_holidays_known_until()
    assert known >= D(2027, 8, 31)  # the data shipped covers the 2026-2027 school year
    assert holiday_data_gap(D(2026, 9, 1), D(2026, 11, 10)) == ""
    later = known + dt.timedelta(days=60)
    gap = holiday_data_gap(known - dt.timedelta(days=30), later)
    assert gap.startswith(f"les vacances scolaires ne sont connues que jusqu'au {known:%d/%m/%Y}")
    assert "campaign.extra_days_off" in gap
