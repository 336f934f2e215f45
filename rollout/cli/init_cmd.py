"""`rollout init`: a new council's programme file from a few questions (or flags, for scripts)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from rollout import settings
from rollout.cli.common import console, plural
from rollout.config import init as template
from rollout.errors import InputError


def init(
    file: Annotated[
        Path | None, typer.Argument(help="Where to write it (default: $ROLLOUT_CONFIG or config/waves.toml).")
    ] = None,
    council: Annotated[str | None, typer.Option("--council", help="The council, e.g. 'Kirklees Council'.")] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="The programme's name (default: 'COUNCIL Digital Health Hubs').")
    ] = None,
    timezone: Annotated[str, typer.Option("--timezone", help="IANA time zone.")] = "Europe/London",
    holidays: Annotated[
        str, typer.Option("--holidays", help="Bank-holiday region as COUNTRY or COUNTRY-SUBDIVISION, e.g. GB-SCT.")
    ] = "GB-ENG",
    organiser: Annotated[
        str | None, typer.Option("--organiser", help="The mailbox that sends invitations and emails.")
    ] = None,
    manager: Annotated[
        list[str] | None, typer.Option("--manager", help="A programme manager: 'Name <email>' (repeatable).")
    ] = None,
    lcp: Annotated[
        list[str] | None,
        typer.Option("--lcp", help="An LCP and its lead: 'Morley=Ann Lead <ann@example.org>' (repeatable)."),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="First wave's start date, YYYY-MM-DD (default: month after next).")
    ] = None,
    wave_months: Annotated[int, typer.Option("--wave-months", help="How long each wave runs, in months.")] = 6,
    lcps_per_wave: Annotated[int, typer.Option("--lcps-per-wave", help="How many LCPs start together.")] = 4,
    venue: Annotated[
        str, typer.Option("--venue", help="Where in-person workshops meet (edit per workshop later).")
    ] = template.DEFAULT_VENUE,
    today: Annotated[
        str | None, typer.Option("--today", help="Treat this date as today (YYYY-MM-DD); waves start after it.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a new programme file: your council, LCPs and waves, with editable defaults.

    The defaults are six workshops, six partner roles and four hub stages. In a terminal it asks for what the
    options leave out; it never overwrites a file without --force.
    """
    path = file or settings.config_path()
    if path.exists() and not force:
        raise InputError(str(path), ["already exists; choose another file or add --force to overwrite it"])
    ask = sys.stdin.isatty()
    missing: list[str] = []

    def need(value: str | None, option: str, question: str) -> str:
        if value:
            return value
        if ask:
            return str(typer.prompt(question)).strip()
        missing.append(option)
        return ""

    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError("--timezone", [f"unknown time zone {timezone!r} (e.g. Europe/London)"]) from None
    day = _date(today, "--today") if today else dt.datetime.now(zone).date()
    council = need(council, "--council", "Council")
    organiser = need(organiser, "--organiser", "Organiser mailbox (sends invitations)")
    managers = manager or ([need(None, "--manager", "Programme manager, as 'Name <email>'")] if ask else [])
    if not managers:
        missing.append("--manager")
    lcps = lcp or (_ask_lcps() if ask else [])
    if not lcps:
        missing.append("--lcp")
    if missing:
        raise InputError("rollout init", [f"missing {', '.join(missing)} (or run it in a terminal to be asked)"])
    first = _date(start, "--start") if start else template.default_first_start(day)
    if first <= day:
        raise InputError("--start", [f"{first} is not after today ({day}): waves must start in the future"])
    if wave_months < 1 or lcps_per_wave < 1:
        raise InputError("rollout init", ["--wave-months and --lcps-per-wave must be 1 or more"])
    country, _, subdivision = holidays.upper().partition("-")
    try:
        answers = template.Answers(
            council=council,
            programme_name=name or f"{council} Digital Health Hubs",
            timezone=timezone,
            holidays_country=country,
            holidays_subdivision=subdivision or None,
            organiser_mailbox=organiser,
            managers=[template.parse_person(m) for m in managers],
            lcps=[template.parse_lcp(item) for item in lcps],
            first_wave_start=first,
            wave_months=wave_months,
            lcps_per_wave=lcps_per_wave,
            venue=venue,
        )
    except ValueError as exc:
        raise InputError("rollout init", [str(exc)]) from None
    text = template.render(answers)
    loaded = template.check(text, str(path))  # nothing is written unless it is a valid programme
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    console.print(
        f"wrote {path}: {loaded.programme.name}: {plural(len(loaded.lcps), 'LCP')} "
        f"in {plural(len(loaded.waves), 'wave')} "
        f"({loaded.waves[0].start} to {loaded.waves[-1].end}), {len(loaded.workshops)} workshops per wave"
    )
    hint = "" if path == settings.config_path() else f"ROLLOUT_CONFIG={path} "
    console.print(f"next: {hint}rollout plan wave-1, then rollout partners import PARTNERS.csv (see README)")


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(option, [f"{text!r} is not a date like 2027-01-04"]) from None


def _ask_lcps() -> list[str]:
    console.print("Local Care Partnerships: one at a time; an empty name finishes.")
    answers: list[str] = []
    while True:
        name = str(typer.prompt("LCP name", default="", show_default=False)).strip()
        if not name:
            return answers
        lead = str(typer.prompt(f"{name}'s lead, as 'Name <email>'")).strip()
        answers.append(f"{name}={lead}")
