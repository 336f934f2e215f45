"""The shape of config/waves.toml. Field checks live here; cross-references live in load.py."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from rollout.limits import (
    DESCRIPTION_LENGTH,
    EARLIEST_DATE,
    ID_LENGTH,
    LATEST_DATE,
    MAX_ATTENDEES,
    MAX_DAYS,
    MAX_NUMBERED,
    NAME_LENGTH,
    TITLE_LENGTH,
    text_problem,
)
from rollout.partners.addresses import Email
from rollout.planning.workdays import working_calendar
from rollout.suggest import did_you_mean

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=ID_LENGTH)]


def _fits(max_length: int, multi_line: bool = False) -> AfterValidator:
    """Refuses what the database column (or an email header) could not hold: too long, or control characters."""

    def check(value: str) -> str:
        problem = text_problem(value, max_length, multi_line)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


# Every string lands in a column or an email: the same lengths as rollout.db.models, no control characters.
Name = Annotated[str, Field(min_length=1), _fits(NAME_LENGTH)]
Title = Annotated[str, Field(min_length=1), _fits(TITLE_LENGTH)]
Label = Annotated[str, _fits(ID_LENGTH)]
Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]  # ten years: anything longer is a typo, and overflows dates
PositiveDays = Annotated[int, Field(ge=1, le=MAX_DAYS)]
Numbered = Annotated[int, Field(ge=1, le=MAX_NUMBERED)]


def _in_calendar(value: dt.date) -> dt.date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"{value} is outside {EARLIEST_DATE.year}-{LATEST_DATE.year}")
    return value


Day = Annotated[dt.date, AfterValidator(_in_calendar)]
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
    name: Name
    email: Email


class Holidays(Strict):
    country: Annotated[str, Field(min_length=2, max_length=3)]
    subdivision: Label | None = None

    @model_validator(mode="after")
    def _known_to_holidays_package(self) -> Holidays:
        working_calendar(self.country, self.subdivision)  # raises ValueError naming what it does not know
        return self


class ProgrammeInfo(Strict):
    name: Name
    # How subjects name the programme to partners ("Digital Health Hubs workshop: ..."); the name when unset.
    short_name: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    timezone: str
    time_label: Label | None = None  # how emails name local time, e.g. "UK time"; the zone name when unset
    holidays: Holidays
    organiser_mailbox: Email
    privacy_url: Annotated[str, Field(pattern=r"^https://\S+$", max_length=500)] | None = None  # the privacy notice
    require_approval: bool = True
    managers: Annotated[list[Person], Field(min_length=1, max_length=MAX_ATTENDEES)]

    @property
    def subject_name(self) -> str:
        return self.short_name or self.name

    @field_validator("name", "short_name")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or "\n" in value):
            raise ValueError("must be one line of text")
        return value.strip() if value is not None else None

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
    title: Name


class Sector(Strict):
    id: Slug
    title: Name


class Stage(Strict):
    number: Numbered
    title: Name
    stall_after_days: PositiveDays | None = None


class Lcp(Strict):
    id: Slug
    name: Name
    lead: Person


class Schedule(Strict):
    lead_in_days: Days = 14
    lead_out_days: Days = 14
    preferred_weekday: Weekday | None = None
    min_gap_working_days: PositiveDays = 5


HubStatus = Literal["hub", "prospective", "none"]


class Audience(Strict):
    sectors: Annotated[list[str], Field(max_length=MAX_ATTENDEES)] = []
    roles: Annotated[list[str], Field(max_length=MAX_ATTENDEES)] = []
    hub: Annotated[list[HubStatus], Field(max_length=3)] = []


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
        if len(match["n"]) > len(str(MAX_DAYS)) or int(match["n"]) > MAX_DAYS:
            raise ValueError(f"due rule {text!r}: {match['n']} days is more than ten years ({MAX_DAYS} days)")
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
    title: Title
    owner: ActionOwner
    due: DueRule

    @field_validator("due", mode="before")
    @classmethod
    def _parse_due(cls, value: object) -> object:
        return DueRule.parse(value) if isinstance(value, str) else value


class WorkshopSpec(Strict):
    number: Numbered
    title: Name
    audience: Audience
    start: dt.time
    duration_minutes: Annotated[int, Field(ge=15, le=480)]
    format: Literal["teams", "venue"]
    venue: Title | None = None
    description: Annotated[str, _fits(DESCRIPTION_LENGTH, multi_line=True)] = ""
    actions: Annotated[list[ActionRule], Field(max_length=MAX_NUMBERED)] = []
    materials_url: str | None = None  # slides and notes, linked from "sorry we missed you"

    @field_validator("materials_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        return None if value is None else https_url(value)

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
    no_response_days_before: PositiveDays = 14
    attending_working_days_before: PositiveDays = 2
    action_working_days_before: PositiveDays = 3


class Attendance(Strict):
    """How long the reconcile keeps asking Teams for a workshop's attendance report, and how long follow-ups wait
    for attendance to be known (a report collected, or any mark or import for the workshop)."""

    collect_for_days: Annotated[int, Field(ge=1, le=60)] = 7
    # Days a follow-up may wait, after its usual day (the first working day after the workshop), for attendance to
    # become known; then it goes with what is known. 0: it goes on its usual day.
    follow_up_cutoff_days: Annotated[int, Field(ge=0, le=30)] = 0


_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(?::\d{1,5})?(?:[/?#][^\s<>\"']*)?$")


def https_url(value: str) -> str:
    if len(value) > 2000 or not _HTTPS_URL.fullmatch(value):
        raise ValueError("must be an https:// address with no spaces or quotes, like https://example.org/slides")
    return value


class EscalationLevel(Strict):
    to: Literal["hub_contact", "lcp_lead", "programme_manager"]
    after_days: Days


class Escalation(Strict):
    levels: Annotated[list[EscalationLevel], Field(min_length=1, max_length=MAX_NUMBERED)]


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
    workshop: Numbered
    date: Day
    start: dt.time | None = None

    @field_validator("start", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        return None if value is None else clock(value)


class Wave(Strict):
    id: Slug
    name: Name
    start: Day
    end: Day
    lcps: Annotated[list[str], Field(min_length=1, max_length=MAX_ATTENDEES)]
    overrides: Annotated[list[WorkshopOverride], Field(max_length=MAX_NUMBERED)] = []
    cancelled_workshops: Annotated[list[Numbered], Field(max_length=MAX_NUMBERED)] = []

    @model_validator(mode="after")
    def _end_after_start(self) -> Wave:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        if (self.end - self.start).days > MAX_DAYS:
            raise ValueError(f"runs {(self.end - self.start).days} days, more than ten years ({MAX_DAYS} days)")
        return self


# --- retention (privacy issue): how long personal data is kept, in days ---------------------------------------
RetentionDays = Annotated[int, Field(ge=7, le=3650)]  # at least a week (replies still arrive), at most ten years


class Retention(Strict):
    """Storage limitation: after these many days the daily reconcile erases or anonymises (counts are kept)."""

    outbox_bodies_days: RetentionDays = 90  # rendered body and recipients of a delivered or dropped message
    checkin_notes_days: RetentionDays = 365  # notes typed on the check-in page (and names on those records)
    rsvp_history_days: RetentionDays = 365  # the response history of each invitation
    removed_contacts_days: RetentionDays = 365  # a contact deactivated (removed from the programme) becomes a tombstone
    closed_wave_invitations_days: RetentionDays = 730  # names and addresses on invitations of a wave that has ended


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
    attendance: Attendance = Attendance()
    retention: Retention = Retention()
    waves: Annotated[list[Wave], Field(min_length=1)]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.programme.timezone)

    def wave(self, wave_id: str) -> Wave:
        for wave in self.waves:
            if wave.id == wave_id:
                return wave
        known = [w.id for w in self.waves]
        raise KeyError(f"unknown wave {wave_id!r}{did_you_mean(wave_id, known)} (known: {', '.join(known)})")

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
