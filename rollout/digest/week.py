"""Which week a digest reports on: the ISO week (Monday to Sunday) containing `as_of`, in the programme's time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Week:
    start: dt.date  # Monday
    as_of: dt.datetime  # UTC
    timezone: str

    @classmethod
    def of(cls, as_of: dt.datetime, timezone: str) -> Week:
        if as_of.tzinfo is None:
            raise ValueError(f"as_of {as_of!r} has no time zone")
        local = as_of.astimezone(ZoneInfo(timezone))
        return cls(
            start=local.date() - dt.timedelta(days=local.weekday()), as_of=as_of.astimezone(dt.UTC), timezone=timezone
        )

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)

    @property
    def today(self) -> dt.date:
        """as_of's local date."""
        return self.local_as_of.date()

    @property
    def local_as_of(self) -> dt.datetime:
        return self.as_of.astimezone(ZoneInfo(self.timezone))

    @property
    def iso(self) -> tuple[int, int]:
        year, week, _ = self.start.isocalendar()
        return year, week

    @property
    def label(self) -> str:
        """'2022-w42': used in artifact keys."""
        year, week = self.iso
        return f"{year}-w{week:02d}"

    @property
    def next_start_utc(self) -> dt.datetime:
        """Midnight local at the start of the following week, in UTC: a digest not delivered by then is stale."""
        following = dt.datetime.combine(
            self.start + dt.timedelta(days=7), dt.time(0, 0), tzinfo=ZoneInfo(self.timezone)
        )
        return following.astimezone(dt.UTC)
