"""The wave planner: a pure function from (wave, programme) to dated workshops and follow-up actions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pendulum

from rollout.config.schema import WEEKDAYS, ActionRule, Audience, DueRule, Programme, Wave, WorkshopSpec
from rollout.planning.workdays import WorkingCalendar, working_calendar


class PlanError(ValueError):
    """The wave cannot hold its workshops as configured. Messages name the config key at fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class PlannedAction:
    workshop_number: int
    index: int
    title: str
    owner: str
    due: dt.date


@dataclass(frozen=True)
class WorkshopSlot:
    wave_id: str
    number: int
    title: str
    description: str
    audience: Audience
    start: pendulum.DateTime  # in the programme's time zone
    end: pendulum.DateTime
    format: str
    venue: str | None
    overridden: bool
    cancelled: bool
    actions: tuple[PlannedAction, ...]

    @property
    def local_date(self) -> dt.date:
        return self.start.date()

    @property
    def is_online(self) -> bool:
        return self.format == "teams"


def calendar_for(programme: Programme) -> WorkingCalendar:
    holidays = programme.programme.holidays
    return working_calendar(holidays.country, holidays.subdivision)


def plan(wave: Wave, programme: Programme) -> list[WorkshopSlot]:
    """Date every workshop of `wave`: working days only, at local wall-clock time, spread by the schedule."""
    cal = calendar_for(programme)
    specs = programme.workshops_in_order
    dates = _workshop_dates(wave, programme, specs, cal)
    wave_index = programme.waves.index(wave)
    overrides = {o.workshop: o for o in wave.overrides}
    tz = programme.programme.timezone

    problems: list[str] = []
    for spec, day in zip(specs, dates, strict=True):
        if not cal.is_working_day(day):
            j = wave.overrides.index(overrides[spec.number])
            why = cal.holiday_name(day) or day.strftime("%A")
            problems.append(f"waves[{wave_index}].overrides[{j}].date: {day} is not a working day ({why})")
    gap = programme.schedule.min_gap_working_days
    for (before, first), (after, second) in zip(
        zip(specs, dates, strict=True), list(zip(specs, dates, strict=True))[1:], strict=False
    ):
        if second <= first:
            problems.append(
                f"waves[{wave_index}]: workshop {after.number} ({second}) would not come after workshop "
                f"{before.number} ({first}); workshops run in number order"
            )
        elif cal.working_days_between(first, second) < gap:
            problems.append(
                f"waves[{wave_index}]: workshops {before.number} ({first}) and {after.number} ({second}) are "
                f"less than schedule.min_gap_working_days ({gap}) working days apart"
            )
    if dates[0] < wave.start or dates[-1] > wave.end:
        problems.append(
            f"waves[{wave_index}]: workshops run from {dates[0]} to {dates[-1]}, outside the wave "
            f"({wave.start} to {wave.end})"
        )
    if problems:
        raise PlanError(problems)

    slots, late = [], []
    for i, (spec, day) in enumerate(zip(specs, dates, strict=True)):
        override = overrides.get(spec.number)
        clock = override.start if override and override.start else spec.start
        start = pendulum.datetime(day.year, day.month, day.day, clock.hour, clock.minute, tz=tz)
        next_day = dates[i + 1] if i + 1 < len(dates) else None
        actions = tuple(
            PlannedAction(spec.number, k, rule.title, rule.owner, due_date(rule, day, next_day, wave, cal))
            for k, rule in enumerate(spec.actions)
        )
        where = f"workshops[{programme.workshops.index(spec)}]"
        late += [
            f"{where}.actions[{a.index}].due: {spec.actions[a.index].due.text!r} gives {a.due} "
            f"in waves[{wave_index}], not after workshop {spec.number} ({day})"
            for a in actions
            if a.due <= day
        ]
        slots.append(
            WorkshopSlot(
                wave_id=wave.id,
                number=spec.number,
                title=spec.title,
                description=spec.description,
                audience=spec.audience,
                start=start,
                end=start.add(minutes=spec.duration_minutes),
                format=spec.format,
                venue=spec.venue,
                overridden=override is not None,
                cancelled=spec.number in wave.cancelled_workshops,
                actions=actions,
            )
        )
    if late:
        raise PlanError(late)
    return slots


def _workshop_dates(wave: Wave, programme: Programme, specs: list[WorkshopSpec], cal: WorkingCalendar) -> list[dt.date]:
    schedule = programme.schedule
    first = wave.start + dt.timedelta(days=schedule.lead_in_days)
    last = wave.end - dt.timedelta(days=schedule.lead_out_days)
    if last < first:
        wave_index = programme.waves.index(wave)
        raise PlanError(
            [
                f"waves[{wave_index}]: too short for its workshops: {wave.start} to {wave.end} leaves no room "
                f"after schedule.lead_in_days ({schedule.lead_in_days}) "
                f"and lead_out_days ({schedule.lead_out_days})"
            ]
        )
    overrides = {o.workshop: o.date for o in wave.overrides}
    span = (last - first).days
    count = len(specs)
    dates = []
    for i, spec in enumerate(specs):
        if spec.number in overrides:
            dates.append(overrides[spec.number])
            continue
        nominal = first + dt.timedelta(days=round(i * span / (count - 1)) if count > 1 else 0)
        if schedule.preferred_weekday:
            nominal = _nearest_weekday(nominal, WEEKDAYS.index(schedule.preferred_weekday))
        dates.append(cal.roll_forward(nominal))
    return dates


def _nearest_weekday(day: dt.date, weekday: int) -> dt.date:
    ahead = (weekday - day.weekday()) % 7
    return day + dt.timedelta(days=ahead if ahead <= 3 else ahead - 7)


def due_date(
    rule: ActionRule | DueRule,
    workshop_day: dt.date,
    next_day: dt.date | None,
    wave: Wave,
    cal: WorkingCalendar,
) -> dt.date:
    due = rule.due if isinstance(rule, ActionRule) else rule
    if due.anchor == "workshop":
        anchor = workshop_day
    elif due.anchor == "next_workshop":
        if next_day is None:
            raise PlanError([f"due rule {due.text!r} needs a next workshop"])
        anchor = next_day
    else:
        anchor = wave.end
    sign = -1 if due.direction == "before" else 1
    if due.working_days:
        return cal.add_working_days(anchor, sign * due.amount)
    day = anchor + dt.timedelta(days=sign * due.amount)
    return cal.roll_back(day) if sign < 0 else cal.roll_forward(day)
