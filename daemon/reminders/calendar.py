"""School days and the sending window, in the campaign's time zone (Europe/Paris).

A school day is a weekday that is neither a French public holiday (`holidays`), nor a school
holiday of the campaign's zone (`vacances-scolaires-france`, data shipped with the package),
nor a day off added in the configuration. Mails leave only on school days, inside the window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from vacances_scolaires_france import SchoolHolidayDates, UnsupportedYearException

from db.models import Campaign

MAX_SCAN_DAYS = 400  # a year without any school day is a configuration error
MAX_SCAN_DAYS_DELTA = dt.timedelta(days=MAX_SCAN_DAYS)


@lru_cache(maxsize=1)
def _school_holidays() -> SchoolHolidayDates:
    return SchoolHolidayDates()


@lru_cache(maxsize=16)
def _public_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("FR", years=year).keys())


@lru_cache(maxsize=1)
def school_holidays_known_until() -> dt.date:
    """The last day the shipped school-holiday data covers: past it, no school holiday is known
    (every weekday looks like a school day) until the package is upgraded."""
    last: dt.date = max(_school_holidays().data)
    return last


def holiday_data_gap(start: dt.date, end: dt.date) -> str:
    """A French warning when a campaign runs past the school-holiday data ("" when covered)."""
    known = school_holidays_known_until()
    if end <= known:
        return ""
    return (
        f"les vacances scolaires ne sont connues que jusqu'au {known:%d/%m/%Y} "
        f"(paquet vacances-scolaires-france) : la campagne va jusqu'au {end:%d/%m/%Y} ; "
        "mettez le paquet à jour ou ajoutez les jours de vacances dans campaign.extra_days_off"
    )


@lru_cache(maxsize=4096)
def _is_school_holiday(day: dt.date, zone: str) -> bool:
    try:
        return bool(_school_holidays().is_holiday_for_zone(day, zone))
    except UnsupportedYearException:
        return False


@dataclass(frozen=True, eq=False)  # hashed by identity: its methods cache their answers
class SchoolCalendar:
    timezone: ZoneInfo
    holiday_zone: str
    window_start: dt.time
    window_end: dt.time
    extra_days_off: frozenset[dt.date] = frozenset()

    @classmethod
    def for_campaign(
        cls, campaign: Campaign, window_start: dt.time, window_end: dt.time
    ) -> SchoolCalendar:
        return cls(
            ZoneInfo(campaign.timezone),
            campaign.holiday_zone,
            window_start,
            window_end,
            frozenset(dt.date.fromisoformat(str(d)) for d in campaign.extra_days_off),
        )

    # ---- days -----------------------------------------------------------------------------
    @lru_cache(maxsize=4096)  # noqa: B019 (one calendar per sweep)
    def local_day(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.timezone).date()

    @lru_cache(maxsize=4096)  # noqa: B019 (one calendar per sweep)
    def day_off_reason(self, day: dt.date) -> str:
        """Why no mail leaves on that day, in French ("" on a school day)."""
        if day.weekday() >= 5:
            return "week-end"
        if day in _public_holidays(day.year):
            return "jour férié"
        if _is_school_holiday(day, self.holiday_zone):
            return f"vacances scolaires (zone {self.holiday_zone})"
        if day in self.extra_days_off:
            return "jour sans relance (configuration)"
        return ""

    def is_school_day(self, day: dt.date) -> bool:
        return not self.day_off_reason(day)

    @lru_cache(maxsize=4096)  # noqa: B019 (one calendar per sweep)
    def next_school_day(self, day: dt.date, *, include: bool = True) -> dt.date:
        """`day` itself when it is a school day and `include`, else the next one."""
        current = day if include else day + dt.timedelta(days=1)
        for _ in range(MAX_SCAN_DAYS):
            if self.is_school_day(current):
                return current
            current += dt.timedelta(days=1)
        raise ValueError(f"aucun jour de classe dans l'année qui suit le {day:%d/%m/%Y}")

    @lru_cache(maxsize=4096)  # noqa: B019 (one calendar per sweep)
    def add_school_days(self, day: dt.date, count: int) -> dt.date:
        """The school day `count` school days after `day` (0: `day` or the next school day)."""
        current = self.next_school_day(day)
        for _ in range(count):
            current = self.next_school_day(current, include=False)
        return current

    def school_days_before(self, day: dt.date, count: int) -> dt.date:
        """The school day `count` school days before `day`."""
        current = day
        for _ in range(count):
            current -= dt.timedelta(days=1)
            while not self.is_school_day(current) and day - current < MAX_SCAN_DAYS_DELTA:
                current -= dt.timedelta(days=1)
        return current

    def school_days_between(self, start: dt.date, end: dt.date) -> int:
        """School days in (start, end]: 0 when end <= start."""
        count, current = 0, start
        while current < end:
            current += dt.timedelta(days=1)
            count += self.is_school_day(current)
        return count

    # ---- moments --------------------------------------------------------------------------
    def at(self, day: dt.date, time: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, time, tzinfo=self.timezone).astimezone(dt.UTC)

    @lru_cache(maxsize=4096)  # noqa: B019 (one calendar per sweep)
    def opening(self, day: dt.date) -> dt.datetime:
        """The window's start on the first school day from `day`."""
        return self.at(self.next_school_day(day), self.window_start)

    @lru_cache(maxsize=4096)  # noqa: B019 (one calendar per sweep)
    def in_window(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(self.timezone)
        return (
            self.is_school_day(local.date())
            and self.window_start <= local.time().replace(tzinfo=None) < self.window_end
        )

    def sending_slot(self, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """When a mail asked for at `moment` leaves at the earliest (`next_send_moment`) and the
        end of that school day's window: it never leaves after it (nor on another day)."""
        start = self.next_send_moment(moment)
        return start, self.at(self.local_day(start), self.window_end)

    @lru_cache(maxsize=4096)  # noqa: B019 (one calendar per sweep)
    def next_send_moment(self, moment: dt.datetime) -> dt.datetime:
        """`moment` itself when inside the window, else the next opening of the window."""
        if self.in_window(moment):
            return moment.astimezone(dt.UTC)
        local = moment.astimezone(self.timezone)
        day = local.date()
        if self.is_school_day(day) and local.time().replace(tzinfo=None) < self.window_start:
            return self.at(day, self.window_start)
        return self.opening(day + dt.timedelta(days=1))
