"""A new programme file from a council's answers: its LCPs and waves, plus the shipped defaults (roles, sectors,
stages, workshops, reminders, escalation), which are copied as TOML text so their comments stay to guide edits."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import tomllib
from dataclasses import dataclass
from importlib.resources import files

from rollout.config.load import programme_from_dict
from rollout.config.schema import Programme

DEFAULT_VENUE = "Venue to be confirmed"
_PERSON = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<\s*(?P<email>[^<>\s]+)\s*>\s*$")


@dataclass(frozen=True)
class LcpAnswer:
    name: str
    lead_name: str
    lead_email: str

    @property
    def id(self) -> str:
        return slug(self.name)


@dataclass(frozen=True)
class Answers:
    council: str
    programme_name: str
    timezone: str
    holidays_country: str
    holidays_subdivision: str | None
    organiser_mailbox: str
    managers: list[tuple[str, str]]
    lcps: list[LcpAnswer]
    first_wave_start: dt.date
    wave_months: int
    lcps_per_wave: int
    venue: str = DEFAULT_VENUE


def slug(name: str) -> str:
    """An LCP id from its name: 'Bramley, Wortley & Middleton' -> 'bramley-wortley-middleton'."""
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:64] or "lcp"


def parse_person(text: str) -> tuple[str, str]:
    """'Ann Lead <ann@example.org>' -> (name, email); ValueError saying the expected form otherwise."""
    match = _PERSON.match(text)
    if not match or not match["name"]:
        raise ValueError(f"{text!r} is not like 'Ann Lead <ann.lead@example.org>'")
    return match["name"], match["email"]


def parse_lcp(text: str) -> LcpAnswer:
    """'Morley=Ann Lead <ann@example.org>': the LCP's name, then its lead."""
    name, sep, lead = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"{text!r} is not like 'Morley=Ann Lead <ann.lead@example.org>'")
    lead_name, lead_email = parse_person(lead)
    return LcpAnswer(" ".join(name.split()), lead_name, lead_email)


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_first_start(today: dt.date) -> dt.date:
    """The first day of the month after next: time to import partners and approve the plan."""
    return add_months(today.replace(day=1), 2)


def waves(answers: Answers) -> list[tuple[str, str, dt.date, dt.date, list[str]]]:
    """(id, name, start, end, LCP ids): consecutive waves of `lcps_per_wave` LCPs, each `wave_months` long."""
    ids = [lcp.id for lcp in answers.lcps]
    out = []
    for n, first in enumerate(range(0, len(ids), answers.lcps_per_wave)):
        start = add_months(answers.first_wave_start, n * answers.wave_months)
        end = add_months(answers.first_wave_start, (n + 1) * answers.wave_months) - dt.timedelta(days=1)
        out.append((f"wave-{n + 1}", f"Wave {n + 1}", start, end, ids[first : first + answers.lcps_per_wave]))
    return out


def defaults_text() -> str:
    """The shipped defaults (rollout/config/defaults.toml), read from the installed package."""
    return files("rollout.config").joinpath("defaults.toml").read_text(encoding="utf-8")


def render(answers: Answers) -> str:
    q = _quote
    holidays = f"country = {q(answers.holidays_country)}"
    if answers.holidays_subdivision:
        holidays += f", subdivision = {q(answers.holidays_subdivision)}"
    lines = [
        f"# {answers.council}: the Digital Health Hubs rollout, as data. Written by `rollout init`; edit freely.",
        "# `rollout validate` checks it; errors name this file and the key path.",
        "",
        "[programme]",
        f"name = {q(answers.programme_name)}",
        f"timezone = {q(answers.timezone)}",
    ]
    if answers.timezone == "Europe/London":
        lines.append('time_label = "UK time"')
    lines += [
        "# Bank holidays come from the `holidays` package (country and subdivision codes as it names them).",
        f"holidays = {{ {holidays} }}",
        "# The mailbox that owns the workshop events and sends every email. ROLLOUT_ORGANISER overrides it.",
        f"organiser_mailbox = {q(answers.organiser_mailbox)}",
        "require_approval = true",
        "",
    ]
    for name, email in answers.managers:
        lines += ["[[programme.managers]]", f"name = {q(name)}", f"email = {q(email)}", ""]
    lines.append("# Local Care Partnerships and their leads. Ids are what the partner CSV's lcp column uses.")
    for lcp in answers.lcps:
        lead = f"{{ name = {q(lcp.lead_name)}, email = {q(lcp.lead_email)} }}"
        lines += ["[[lcps]]", f"id = {q(lcp.id)}", f"name = {q(lcp.name)}", f"lead = {lead}", ""]
    defaults = defaults_text().replace(q(DEFAULT_VENUE), q(answers.venue))
    lines += [defaults.rstrip(), ""]
    for wave_id, name, start, end, lcp_ids in waves(answers):
        members = ", ".join(q(i) for i in lcp_ids)
        lines += [
            "[[waves]]",
            f"id = {q(wave_id)}",
            f"name = {q(name)}",
            f"start = {start.isoformat()}",
            f"end = {end.isoformat()}",
            f"lcps = [{members}]",
            "",
        ]
    return "\n".join(lines)


def check(text: str, source: str) -> Programme:
    """The written text through the same loader `rollout validate` uses (raises InputError naming `source`)."""
    return programme_from_dict(tomllib.loads(text), source)


def _quote(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes), so json.dumps quotes safely.
    return json.dumps(value, ensure_ascii=False)
