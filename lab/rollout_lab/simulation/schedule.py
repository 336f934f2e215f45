"""When things happen in a simulated programme: wave launches, the daily reconcile, the weekly digest.

Times are the programme's local wall-clock times, as the deployments schedule them (`[runs]` in the config):
the reconcile at `runs.reconcile_time` every day, the digest on `runs.digest_weekday` at `runs.digest_time`.
The programme manager launches each wave LAUNCH_DAYS_BEFORE days before it starts (on the working day on or before
that), at LAUNCH_TIME: a habit of the simulated manager, not configuration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from rollout.config.schema import Programme, Wave
from rollout.planning.planner import calendar_for, plan
from rollout.planning.status import ACTIVE_MARGIN

LAUNCH_DAYS_BEFORE = 14
LAUNCH_TIME = dt.time(9, 0)
# After the last wave ends: its last follow-ups, overdue actions and escalations play out, for as long as a wave's
# runs stay active (rollout.planning.status.ACTIVE_MARGIN).
TAIL_DAYS = ACTIVE_MARGIN.days
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Window:
    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"the window ends ({self.last}) before it starts ({self.first})")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def each_day(self) -> Iterator[dt.date]:
        day = self.first
        while day <= self.last:
            yield day
            day += dt.timedelta(days=1)


def local(programme: Programme, day: dt.date, time: dt.time) -> dt.datetime:
    """`time` on `day` in the programme's time zone, as UTC."""
    return dt.datetime.combine(day, time, tzinfo=programme.tz).astimezone(dt.UTC)


def launch_day(programme: Programme, wave: Wave) -> dt.date:
    return calendar_for(programme).roll_back(wave.start - dt.timedelta(days=LAUNCH_DAYS_BEFORE))


def last_workshop_start(programme: Programme, wave: Wave) -> dt.datetime:
    return max(slot.start for slot in plan(wave, programme)).astimezone(dt.UTC)


def default_window(programme: Programme) -> Window:
    """From the first launch to TAIL_DAYS after the last wave ends."""
    first = min(launch_day(programme, wave) for wave in programme.waves)
    last = max(wave.end for wave in programme.waves) + dt.timedelta(days=TAIL_DAYS)
    return Window(first, last)


def launches(programme: Programme, window: Window) -> dict[dt.date, list[str]]:
    """The day each wave is launched within the window. A wave whose launch day is before the window but which
    still has workshops ahead is launched on the window's first day; a wave wholly before it is not launched."""
    days: dict[dt.date, list[str]] = {}
    for wave in programme.waves:
        day = launch_day(programme, wave)
        if day < window.first:
            if last_workshop_start(programme, wave) <= local(programme, window.first, LAUNCH_TIME):
                continue
            day = window.first
        if day <= window.last:
            days.setdefault(day, []).append(wave.id)
    return days


def reconcile_time(programme: Programme, day: dt.date) -> dt.datetime:
    return local(programme, day, programme.runs.reconcile_time)


def digest_time(programme: Programme, day: dt.date) -> dt.datetime | None:
    """When the weekly digest runs on `day`, or None on other days."""
    if WEEKDAYS[day.weekday()] != programme.runs.digest_weekday:
        return None
    return local(programme, day, programme.runs.digest_time)


def launch_time(programme: Programme, day: dt.date) -> dt.datetime:
    return local(programme, day, LAUNCH_TIME)
