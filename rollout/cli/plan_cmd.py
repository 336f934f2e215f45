"""`rollout validate` and `rollout plan WAVE`."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Annotated

import typer

from rollout.cli.common import ConfigOption, check_wave, console, database, new_table, programme, services


class PlanFormat(StrEnum):
    table = "table"
    json = "json"
    ics = "ics"


def validate(config: ConfigOption = None) -> None:
    """Check the programme file: every error names the file and the key path; exit 0 when valid, 2 when not."""
    loaded = programme(config)
    console.print(
        f"[green]valid[/green]: {loaded.programme.name}: {len(loaded.waves)} waves, {len(loaded.lcps)} LCPs, "
        f"{len(loaded.workshops)} workshops per wave"
    )


def plan(
    wave: Annotated[str, typer.Argument(help="Wave id from the programme file, e.g. wave-1.")],
    format: Annotated[PlanFormat, typer.Option("--format", "-f", help="table, json or ics.")] = PlanFormat.table,
    config: ConfigOption = None,
) -> None:
    """Show a wave's workshops: dates at local time, audiences, invitees per LCP, follow-up actions."""
    from rollout.partners.query import active_partner_contacts  # SQLAlchemy and the planner: not for `validate`
    from rollout.planning.wave_plan import plan_wave

    run = services(config)
    loaded = run.programme
    check_wave(loaded, wave)
    wave_config = loaded.wave(wave)
    sessions = database(run)
    with sessions() as session:
        partners = active_partner_contacts(session, wave_config.lcps)
    workshops = plan_wave(wave_config, loaded, partners)
    if format is PlanFormat.json:
        print(json.dumps([w.as_json() for w in workshops], indent=2))
    elif format is PlanFormat.ics:
        from rollout.planning.ics import wave_calendar

        print(wave_calendar(workshops, loaded.programme.name, dt.datetime.now(dt.UTC)), end="")
    else:
        table = new_table(
            f"{wave_config.name} ({wave_config.start} to {wave_config.end})",
            *("#", "Workshop", "When (local)", "Where", "Audience", "Invitees per LCP"),
        )
        actions = new_table("Follow-up actions", "After #", "Action", "Owner", "Due")
        for w in workshops:
            slot = w.slot
            when = f"{slot.start:%a %d %b %Y %H:%M}–{slot.end:%H:%M}" + (" (cancelled)" if slot.cancelled else "")
            per_lcp = ", ".join(f"{lcp} {n}" for lcp, n in w.invitees_per_lcp.items())
            table.add_row(str(slot.number), slot.title, when, slot.venue or "Teams", w.audience, per_lcp)
            for a in slot.actions:
                actions.add_row(str(slot.number), a.title, a.owner.replace("_", " "), f"{a.due:%a %d %b %Y}")
        console.print(table)
        console.print(actions)
        if not any(w.invitees for w in workshops):
            console.print("No partners imported yet: `rollout partners import FILE.csv` (see README).")
