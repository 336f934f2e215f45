"""`rollout escalations list | ack ID | snooze ID --until DATE`: the programme manager's say over the ladder."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from rollout.cli.common import (
    ByOption,
    ConfigOption,
    JsonOption,
    console,
    database,
    new_table,
    note_text,
    record_id,
    services,
    who,
)
from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.errors import InputError, NotFoundError
from rollout.limits import LATEST_DATE
from rollout.programme.progress import acknowledge_escalation, snooze_escalation

app = typer.Typer(no_args_is_help=True)

NoteOption = Annotated[str | None, typer.Option("--note", help="Why, for the record.")]


@app.command("list")
def list_cmd(
    show_all: Annotated[bool, typer.Option("--all", help="Closed escalations too.")] = False,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Escalations of stalled hubs: open, acknowledged and snoozed ones (with --all, closed ones too)."""
    run = services(config)
    loaded = run.programme
    levels = len(loaded.escalation.levels)
    sessions = database(run)
    with sessions() as session:
        query = (
            select(models.Escalation)
            .options(joinedload(models.Escalation.hub).joinedload(models.Hub.organisation))
            .order_by(models.Escalation.stalled_since, models.Escalation.id)
        )
        if not show_all:
            query = query.where(models.Escalation.status != "closed")
        rows: list[dict[str, Any]] = [
            {
                "id": e.id,
                "hub_id": e.hub_id,
                "hub": e.hub.organisation.name,
                "lcp": e.hub.organisation.lcp_id,
                "reason": e.reason,
                "stalled_since": e.stalled_since.isoformat(),
                "level": e.level,
                "levels": levels,
                "status": e.status,
                "snoozed_until": e.snoozed_until.isoformat() if e.snoozed_until else None,
                "acknowledged_by": e.acknowledged_by,
                "closed_reason": e.closed_reason,
            }
            for e in session.scalars(query).unique()
        ]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = new_table(
        f"{'Escalations' if show_all else 'Open escalations'}: {len(rows)}",
        *("ID", "Hub", "LCP", "Reason", "Stalled since", "Level", "Status"),
        right=("ID",),
    )
    for row in rows:
        status = row["status"]
        if status == "snoozed":
            status = f"snoozed until {row['snoozed_until']}"
        elif status == "acknowledged":
            status = f"acknowledged by {row['acknowledged_by']}"
        elif status == "closed":
            status = f"closed: {row['closed_reason']}"
        table.add_row(
            str(row["id"]),
            f"{row['hub']} (hub {row['hub_id']})",
            row["lcp"],
            row["reason"].replace("_", " "),
            row["stalled_since"],
            f"{row['level']} of {levels}",
            status,
        )
    console.print(table)


def _open_escalation(session: Session, text: str) -> models.Escalation:
    escalation_id = record_id(text, "ESCALATION")
    escalation = session.get(models.Escalation, escalation_id)
    if escalation is None:
        raise NotFoundError("ESCALATION", [f"no escalation with id {escalation_id} (see `rollout escalations list`)"])
    if escalation.status == "closed":
        raise InputError("ESCALATION", [f"escalation {escalation_id} is closed ({escalation.closed_reason})"])
    return escalation


@app.command("ack")
def ack_cmd(
    escalation: Annotated[str, typer.Argument(help="Escalation id (see `rollout escalations list`).")],
    note: NoteOption = None,
    by: ByOption = None,
) -> None:
    """Acknowledge: no further levels for this stall (it still closes when the hub makes progress)."""
    person, note = who(by), note_text(note)
    run = services(None)
    sessions = database(run)
    with unit_of_work(sessions) as session:
        row = _open_escalation(session, escalation)
        name = row.hub.organisation.name
        if not acknowledge_escalation(session, row, by=person, source="cli", note=note):
            console.print(f"escalation {row.id} was already acknowledged by {row.acknowledged_by}; nothing recorded")
            return
    console.print(f"escalation {row.id} ({name}) acknowledged by {person}: no further levels for this stall")


@app.command("snooze")
def snooze_cmd(
    escalation: Annotated[str, typer.Argument(help="Escalation id (see `rollout escalations list`).")],
    until: Annotated[str, typer.Option("--until", help="No levels before this date (YYYY-MM-DD).")],
    note: NoteOption = None,
    by: ByOption = None,
    config: ConfigOption = None,
) -> None:
    """Snooze: no levels before the date; then the ladder resumes where it was."""
    run = services(config)
    loaded = run.programme
    try:
        day = dt.date.fromisoformat(until.strip())
    except ValueError:
        raise InputError("--until", [f"{until!r} is not a date like 2023-01-31"]) from None
    today = run.now().astimezone(loaded.tz).date()
    if day > LATEST_DATE:
        raise InputError("--until", [f"{day} is after {LATEST_DATE}"])
    if day <= today:
        raise InputError("--until", [f"{day} is not after today ({today})"])
    person, note = who(by), note_text(note)
    sessions = database(run)
    with unit_of_work(sessions) as session:
        row = _open_escalation(session, escalation)
        name = row.hub.organisation.name
        if not snooze_escalation(session, row, day, by=person, source="cli", note=note):
            console.print(f"escalation {row.id} is already snoozed until {day}; nothing recorded")
            return
    console.print(f"escalation {row.id} ({name}) snoozed until {day} by {person}")
