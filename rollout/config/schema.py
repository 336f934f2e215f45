"""The shape of config/waves.toml. Field checks live here; cross-references live in load.py."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rollout.partners.addresses import Email
from rollout.planning.workdays import working_calendar

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


CLOCK_HINT = "must be a 24-hour local time like 10:00"


def parse_clock(value: str) -> dt.time:
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", value)
    if not match:
        raise ValueError(CLOCK_HINT)
    return dt.time(int(match[1]), int(match[2]))


def clock(value: object) -> object:
    """A "HH:MM" string or a TOML local time; anything else (start = 10) is refused, not read as seconds."""
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str):
        return parse_clock(value)
    raise ValueError(CLOCK_HINT)


class Person(Strict):
    name: Annotated[str, Field(min_length=1)]
    email: Email


class Holidays(Strict):
    country: Annotated[str, Field(min_length=2, max_length=3)]
    subdivision: str | None = None

    @model_validator(mode="after")
    def _known_to_holidays_package(self) -> Holidays:
        working_calendar(self.country, self.subdivision)  # raises ValueError naming what it does not know
        return self


class ProgrammeInfo(Strict):
    name: Annotated[str, Field(min_length=1)]
    timezone: str
    time_label: str | None = None  # how emails name local time, e.g. "UK time"; the zone name when unset
    holidays: Holidays
    organiser_mailbox: Email
    require_approval: bool = True
    managers: Annotated[list[Person], Field(min_length=1)]

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a tzdata folder, e.g. "Europe"
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class Role(Strict):
    id: Slug
    title: Annotated[str, Field(min_length=1)]


class Sector(Strict):
    id: Slug
    title: Annotated[str, Field(min_length=1)]


class Stage(Strict):
    number: Annotated[int, Field(ge=1)]
    title: Annotated[str, Field(min_length=1)]
    stall_after_days: Annotated[int, Field(ge=1)] | None = None


class Lcp(Strict):
    id: Slug
    name: Annotated[str, Field(min_length=1)]
    lead: Person


class Schedule(Strict):
    lead_in_days: Annotated[int, Field(ge=0)] = 14
    lead_out_days: Annotated[int, Field(ge=0)] = 14
    preferred_weekday: Weekday | None = None
    min_gap_working_days: Annotated[int, Field(ge=1)] = 5


HubStatus = Literal["hub", "prospective", "none"]


class Audience(Strict):
    sectors: list[str] = []
    roles: list[str] = []
    hub: list[HubStatus] = []


_DUE = re.compile(
    r"^(?P<n>\d+) (?P<working>working )?days? (?P<dir>before|after) "
    r"(?:the )?(?P<anchor>next workshop|workshop|wave end)$"
)
DUE_FORMS = (
    '"N working days before the next workshop", "N working days after the workshop", '
    '"N days after the workshop", "N working days before the wave end"'
)


class DueRule(Strict):
    amount: int
    working_days: bool
    direction: Literal["before", "after"]
    anchor: Literal["next_workshop", "workshop", "wave_end"]
    text: str

    @classmethod
    def parse(cls, text: str) -> DueRule:
        match = _DUE.fullmatch(" ".join(text.lower().split()))
        if not match:
            raise ValueError(f"due rule {text!r} is not understood; use one of {DUE_FORMS}")
        anchor = match["anchor"].replace(" ", "_")
        if anchor == "workshop" and match["dir"] == "before":
            raise ValueError(f"due rule {text!r} would fall before the workshop that sets it")
        return cls(
            amount=int(match["n"]),
            working_days=bool(match["working"]),
            direction=match["dir"],
            anchor=anchor,
            text=text,
        )


ActionOwner = Literal["lcp_lead", "each_partner", "each_hub"]


class ActionRule(Strict):
    title: Annotated[str, Field(min_length=1)]
    owner: ActionOwner
    due: DueRule

    @field_validator("due", mode="before")
    @classmethod
    def _parse_due(cls, value: object) -> object:
        return DueRule.parse(value) if isinstance(value, str) else value


class WorkshopSpec(Strict):
    number: Annotated[int, Field(ge=1)]
    title: Annotated[str, Field(min_length=1)]
    audience: Audience
    start: dt.time
    duration_minutes: Annotated[int, Field(ge=15, le=480)]
    format: Literal["teams", "venue"]
    venue: str | None = None
    description: str = ""
    actions: list[ActionRule] = []

    @field_validator("start", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        return clock(value)

    @model_validator(mode="after")
    def _venue_matches_format(self) -> WorkshopSpec:
        if self.format == "venue" and not self.venue:
            raise ValueError("format 'venue' needs a venue")
        if self.format == "teams" and self.venue:
            raise ValueError("format 'teams' takes no venue")
        return self


class Reminders(Strict):
    no_response_days_before: Annotated[int, Field(ge=1)] = 14
    attending_working_days_before: Annotated[int, Field(ge=1)] = 2
    action_working_days_before: Annotated[int, Field(ge=1)] = 3


class EscalationLevel(Strict):
    to: Literal["hub_contact", "lcp_lead", "programme_manager"]
    after_days: Annotated[int, Field(ge=0)]


class Escalation(Strict):
    levels: Annotated[list[EscalationLevel], Field(min_length=1)]


class Runs(Strict):
    reconcile_time: dt.time = dt.time(7, 0)
    digest_weekday: Weekday = "monday"
    digest_time: dt.time = dt.time(8, 0)
    # Ops are notified when a launch has waited this long for its approval (an automation `rollout deploy` creates).
    approval_alert_hours: Annotated[int, Field(ge=1, le=336)] = 4

    @field_validator("reconcile_time", "digest_time", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        return clock(value)

    @field_validator("reconcile_time", "digest_time")
    @classmethod
    def _outside_dst_window(cls, value: dt.time) -> dt.time:
        if dt.time(1, 0) <= value < dt.time(3, 0):
            raise ValueError("must be outside 01:00-02:59, where daylight-saving changes misfire schedules")
        return value


class WorkshopOverride(Strict):
    workshop: Annotated[int, Field(ge=1)]
    date: dt.date
    start: dt.time | None = None

    @field_validator("start", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        return None if value is None else clock(value)


class Wave(Strict):
    id: Slug
    name: Annotated[str, Field(min_length=1)]
    start: dt.date
    end: dt.date
    lcps: Annotated[list[str], Field(min_length=1)]
    overrides: list[WorkshopOverride] = []
    cancelled_workshops: list[int] = []

    @model_validator(mode="after")
    def _end_after_start(self) -> Wave:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class Programme(Strict):
    """The whole programme. Built only through rollout.config.load_programme, which also checks references."""

    programme: ProgrammeInfo
    roles: Annotated[list[Role], Field(min_length=1)]
    sectors: Annotated[list[Sector], Field(min_length=1)]
    stages: Annotated[list[Stage], Field(min_length=1)]
    lcps: Annotated[list[Lcp], Field(min_length=1)]
    schedule: Schedule = Schedule()
    workshops: Annotated[list[WorkshopSpec], Field(min_length=1)]
    reminders: Reminders = Reminders()
    escalation: Escalation
    runs: Runs = Runs()
    waves: Annotated[list[Wave], Field(min_length=1)]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.programme.timezone)

    def wave(self, wave_id: str) -> Wave:
        for wave in self.waves:
            if wave.id == wave_id:
                return wave
        known = ", ".join(w.id for w in self.waves)
        raise KeyError(f"unknown wave {wave_id!r} (known: {known})")

    def lcp(self, lcp_id: str) -> Lcp:
        return next(lcp for lcp in self.lcps if lcp.id == lcp_id)

    def stage(self, number: int) -> Stage:
        return next(stage for stage in self.stages if stage.number == number)

    @property
    def workshops_in_order(self) -> list[WorkshopSpec]:
        return sorted(self.workshops, key=lambda w: w.number)

    @property
    def role_ids(self) -> list[str]:
        return [role.id for role in self.roles]

    @property
    def sector_ids(self) -> list[str]:
        return [sector.id for sector in self.sectors]

    @property
    def max_stage(self) -> int:
        return max(stage.number for stage in self.stages)
