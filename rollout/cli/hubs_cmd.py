"""`rollout hubs list` and `rollout hubs progress HUB --stage N`."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
from rollout.errors import InputError, NotFoundError
from rollout.limits import MAX_NUMBERED, NAME_LENGTH, text_problem
from rollout.programme.progress import create_hub, move_hub
from rollout.suggest import did_you_mean

app = typer.Typer(no_args_is_help=True)

REASON_WORDS = {"no_progress": "no progress", "overdue_actions": "overdue actions"}


@app.command("list")
def list_cmd(
    lcp: Annotated[str | None, typer.Option("--lcp", help="Only this LCP (id).")] = None,
    stalled: Annotated[bool, typer.Option("--stalled", help="Only hubs stalled today.")] = False,
    as_json: JsonOption = False,
    as_of: AsOfOption = None,
    config: ConfigOption = None,
) -> None:
    """Hubs with their stage, how long they have been there, and whether they are stalled or escalated."""
    from rollout.reconcile import load_snapshot  # the reconciler loads only for this command, not every `rollout`
    from rollout.reconcile.views import hub_statuses

    run = services(config)
    loaded = run.programme
    check_lcp(loaded, lcp)
    now = as_of_moment(as_of, loaded)
    sessions = database(run)
    with sessions() as session:
        statuses = hub_statuses(load_snapshot(session, now), loaded, now)
    chosen = [s for s in statuses if (lcp is None or s.lcp_id == lcp) and (not stalled or s.stalled)]
    if as_json:
        print(json.dumps([s.as_json() for s in chosen], indent=2))
        return
    title = f"{'Stalled hubs' if stalled else 'Hubs'}{f' in {lcp}' if lcp else ''}: {len(chosen)}"
    table = new_table(
        title,
        *("ID", "Organisation", "LCP", "Stage", "Since", "Days", "Stalled", "Actions", "Escalation"),
        right=("ID", "Days"),
    )
    for s in chosen:
        stall = "; ".join(f"{REASON_WORDS.get(r, r)} since {d}" for r, d in s.stalls.items()) or "-"
        actions = f"{s.open_actions} open" + (f", {s.overdue_actions} overdue" if s.overdue_actions else "")
        escalation = "; ".join(f"#{e.id} level {e.level} {e.status}" for e in s.escalations) or "-"
        table.add_row(
            str(s.hub_id),
            s.organisation,
            s.lcp_id,
            f"{s.stage} {s.stage_title}",
            s.stage_since.isoformat(),
            str(s.days_at_stage),
            stall,
            actions,
            escalation,
        )
    console.print(table)


def find_organisation(session: Session, text: str) -> models.Organisation:
    """A hub id, or an organisation's name (any case); several organisations of that name is an error."""
    cleaned = text.strip().lstrip("#")
    if cleaned.isascii() and cleaned.isdigit():
        hub = session.get(models.Hub, record_id(cleaned, "HUB"))
        if hub is None:
            ids = [str(i) for i in session.scalars(select(models.Hub.id))]
            hint = did_you_mean(cleaned, ids, n=1)
            raise NotFoundError("HUB", [f"no hub with id {cleaned}{hint} (see `rollout hubs list`)"])
        return hub.organisation
    problem = text_problem(cleaned, NAME_LENGTH)
    if problem:  # no organisation could have this name: refused before the database sees it
        raise NotFoundError("HUB", [f"no hub id or organisation named so: the name {problem}"])
    matches = session.scalars(
        select(models.Organisation).where(func.lower(models.Organisation.name) == cleaned.casefold())
    ).all()
    if not matches:
        names = session.scalars(select(models.Organisation.name).distinct())
        raise NotFoundError(
            "HUB", [f"no hub id or organisation named {text!r}{did_you_mean(cleaned, names)} (see `rollout hubs list`)"]
        )
    if len(matches) > 1:
        options = ", ".join(f"{o.name} ({o.lcp_id}, hub id {o.hub.id if o.hub else 'none'})" for o in matches)
        raise InputError("HUB", [f"{text!r} names {len(matches)} organisations: {options}; give the hub id"])
    return matches[0]


@app.command("progress")
def progress_cmd(
    hub: Annotated[str, typer.Argument(help="Hub id, or the organisation's name.")],
    stage: Annotated[int, typer.Option("--stage", min=1, max=MAX_NUMBERED, help="The stage the hub has reached.")],
    note: Annotated[str | None, typer.Option("--note", help="What happened, for the record.")] = None,
    backwards: Annotated[
        bool, typer.Option("--backwards", help="Allow moving the hub to an earlier stage (a correction).")
    ] = False,
    by: ByOption = None,
    config: ConfigOption = None,
) -> None:
    """Record that a hub has reached a stage (an organisation that is not a hub yet becomes one).

    Moving a hub to an earlier stage is refused unless --backwards says it is meant (e.g. correcting a mistake).
    """
    run = services(config)
    loaded = run.programme
    stages = [s.number for s in loaded.stages]
    if stage not in stages:
        raise InputError("--stage", [f"{stage} is not a stage (stages: {', '.join(map(str, stages))})"])
    person, note = who(by), note_text(note)
    sessions = database(run)
    now = run.now()
    with unit_of_work(sessions) as session:
        organisation = find_organisation(session, hub)
        row = organisation.hub
        title = loaded.stage(stage).title
        if row is None:
            row = create_hub(session, organisation, stage, by=person, source="cli", at=now, note=note)
            console.print(f"{organisation.name} ({organisation.lcp_id}) is now hub {row.id} at stage {stage} ({title})")
            return
        before = row.stage
        if stage < before and not backwards:
            raise InputError(
                "--stage",
                [
                    f"{organisation.name} is at stage {before}; {stage} would move it backwards "
                    "(add --backwards if that is meant)"
                ],
            )
        from rollout.outbound.emails import long_date  # jinja2: only when it is needed

        if not move_hub(session, row, stage, by=person, source="cli", note=note, at=now):
            since = long_date(row.stage_since.astimezone(loaded.tz))
            console.print(f"{organisation.name} is already at stage {stage} (since {since}); nothing recorded")
            return
        console.print(
            f"{organisation.name} ({organisation.lcp_id}, hub {row.id}): stage {before} -> {stage} ({title}), "
            f"recorded by {person}"
        )
        open_stalls = session.scalars(
            select(models.Escalation.id).where(
                models.Escalation.hub_id == row.id,
                models.Escalation.reason == "no_progress",
                models.Escalation.status != "closed",
            )
        ).all()
        if open_stalls:
            ids = ", ".join(f"#{i}" for i in open_stalls)
            console.print(f"the next reconcile closes escalation {ids}: progress resolves the stall")
