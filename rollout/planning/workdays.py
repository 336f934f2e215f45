"""Working days: weekdays that are not bank holidays in the programme's country and subdivision."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


class WorkingCalendar:
    def __init__(self, country: str, subdivision: str | None = None) -> None:
        try:
            self._holidays = holidays.country_holidays(country, subdiv=subdivision)
        except NotImplementedError:
            known = holidays.list_supported_countries()
            if country not in known:
                raise ValueError(f"the holidays package knows no country {country!r}") from None
            raise ValueError(
                f"the holidays package knows no subdivision {subdivision!r} of {country!r} "
                f"(known: {', '.join(known[country])})"
            ) from None

    def holiday_name(self, day: dt.date) -> str | None:
        name = self._holidays.get(day)
        return str(name) if name else None

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def roll_forward(self, day: dt.date) -> dt.date:
        """The day itself if it is a working day, else the next one."""
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def roll_back(self, day: dt.date) -> dt.date:
        while not self.is_working_day(day):
            day -= dt.timedelta(days=1)
        return day

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        """Move `count` working days from `day` (negative goes back); `day` need not be a working day."""
        step = dt.timedelta(days=1 if count >= 0 else -1)
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end`."""
        days, count = start, 0
        while days < end:
            days += dt.timedelta(days=1)
            count += self.is_working_day(days)
        return count


@lru_cache(maxsize=8)
def working_calendar(country: str, subdivision: str | None) -> WorkingCalendar:
    return WorkingCalendar(country, subdivision)
