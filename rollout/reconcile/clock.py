"""`now` as the programme sees it: the local date, local midnights and working days."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from rollout.config.schema import Programme
from rollout.planning.planner import calendar_for
from rollout.planning.workdays import WorkingCalendar


@dataclass(frozen=True)
class Clock:
    as_of: dt.datetime  # UTC, tz-aware
    tz: ZoneInfo
    cal: WorkingCalendar

    @classmethod
    def of(cls, programme: Programme, as_of: dt.datetime) -> Clock:
        if as_of.tzinfo is None:
            raise ValueError(f"as_of {as_of!r} has no time zone")
        return cls(as_of.astimezone(dt.UTC), programme.tz, calendar_for(programme))

    @cached_property  # asked for row by row by the deciders
    def today(self) -> dt.date:
        return self.as_of.astimezone(self.tz).date()

    @property
    def is_working_day(self) -> bool:
        return self.cal.is_working_day(self.today)

    def local_date(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.tz).date()

    def midnight(self, day: dt.date) -> dt.datetime:
        """The start of `day` in the programme's time zone, as UTC."""
        return dt.datetime.combine(day, dt.time(0, 0), tzinfo=self.tz).astimezone(dt.UTC)
