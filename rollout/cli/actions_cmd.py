"""`rollout actions list` and `rollout actions done ID`."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from rollout.cli.common import (
    AsOfOption,
    ByOption,
    ConfigOption,
    JsonOption,
    as_of_moment,
    check_lcp,
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
from rollout.errors import NotFoundError
from rollout.planning.status import is_overdue
from rollout.programme.progress import complete_action

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_cmd(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open actions past their due date.")] = False,
    lcp: Annotated[str | None, typer.Option("--lcp", help="Only this LCP (id).")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Done actions too.")] = False,
    as_json: JsonOption = False,
    as_of: AsOfOption = None,
    config: ConfigOption = None,
) -> None:
    """Follow-up actions: who owns each, which workshop set it, when it is due, and whether it is overdue."""
    run = services(config)
    loaded = run.programme
    check_lcp(loaded, lcp)
    today = as_of_moment(as_of, loaded).astimezone(loaded.tz).date()
    sessions = database(run)
    with sessions() as session:
        query = (
            select(models.Action)
            .options(joinedload(models.Action.workshop), joinedload(models.Action.organisation))
            .order_by(models.Action.due_date, models.Action.lcp_id, models.Action.id)
        )
        if not show_all or overdue:
            query = query.where(models.Action.status == "open")
        if lcp:
            query = query.where(models.Action.lcp_id == lcp)
        rows: list[dict[str, Any]] = [
            {
                "id": a.id,
                "lcp": a.lcp_id,
                "owner": a.organisation.name if a.organisation else f"{loaded.lcp(a.lcp_id).name} LCP lead",
                "organisation_id": a.organisation_id,
                "title": a.title,
                "wave": a.workshop.wave_id,
                "workshop": a.workshop.number,
                "due": a.due_date.isoformat(),
                "status": a.status,
                "overdue": is_overdue(a, today),
                "done_at": a.done_at.isoformat() if a.done_at else None,
                "done_by": a.done_by,
            }
            for a in session.scalars(query).unique()
            if not overdue or is_overdue(a, today)
        ]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    label = "Overdue actions" if overdue else ("Actions" if show_all else "Open actions")
    table = new_table(
        f"{label}{f' in {lcp}' if lcp else ''}: {len(rows)}",
        *("ID", "LCP", "Owner", "Action", "From", "Due", "Status"),
        right=("ID",),
    )
    for row in rows:
        status = "overdue" if row["overdue"] else row["status"]
        if row["status"] == "done":
            status = f"done by {row['done_by']}"
        table.add_row(
            str(row["id"]),
            row["lcp"],
            row["owner"],
            row["title"],
            f"{row['wave']} workshop {row['workshop']}",
            row["due"],
            status,
        )
    console.print(table)


@app.command("done")
def done_cmd(
    action: Annotated[str, typer.Argument(help="Action id (see `rollout actions list`).")],
    note: Annotated[str | None, typer.Option("--note", help="What was done, for the record.")] = None,
    by: ByOption = None,
) -> None:
    """Record an action as done: no more reminders, and it no longer holds its hub back."""
    action_id = record_id(action, "ACTION")
    person, note = who(by), note_text(note)
    run = services(None)
    sessions = database(run)
    with unit_of_work(sessions) as session:
        row = session.get(models.Action, action_id)
        if row is None:
            raise NotFoundError("ACTION", [f"no action with id {action_id} (see `rollout actions list`)"])
        owner = row.organisation.name if row.organisation else f"{row.lcp_id} LCP lead"
        if not complete_action(session, row, by=person, source="cli", note=note):
            when = f"{row.done_at:%Y-%m-%d}" if row.done_at else "earlier"
            console.print(f"action {action_id} was already done ({when}, by {row.done_by}); nothing recorded")
            return
    console.print(f"action {action_id} done: {row.title} ({owner}), recorded by {person}")
