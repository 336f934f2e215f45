"""`rollout launch WAVE` and `rollout approve WAVE`: the programme manager's main action, from the terminal."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

from rollout.checkin.email_links import refuse_insecure_links
from rollout.cli.common import (
    ConfigOption,
    check_wave,
    console,
    database,
    microsoft_365_ready,
    plural,
    services,
)
from rollout.cli.plan_cmd import PlanFormat, plan
from rollout.errors import EXIT_FAILED, InputError
from rollout.planning.as_of import parse_as_of


def launch(
    wave: Annotated[str, typer.Argument(help="Wave id, e.g. wave-2.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan and what would be sent; send nothing.")
    ] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Pretend it is this date (YYYY-MM-DD) or date and time.")
    ] = None,
    approval: Annotated[
        bool | None,
        typer.Option("--approval/--no-approval", help="Pause for approval in the Prefect UI (default: from config)."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Launch a wave: plan it, publish the plan to Prefect, then invite each workshop's audience."""
    run = services(config)
    loaded = run.programme
    check_wave(loaded, wave)
    when = parse_as_of(as_of, loaded.programme.timezone) if as_of else None
    if not dry_run:
        refuse_insecure_links()  # before anything is queued
        # Before the plan is shown, the flow started or anything written, the database included.
        microsoft_365_ready(loaded)
    database(run)
    plan(wave, PlanFormat.table, config)
    if (approval if approval is not None else loaded.programme.require_approval) and not dry_run:
        console.print(
            "This run pauses for approval: approve it in the Prefect UI (Provide input to resume) "
            f"or with `rollout approve {wave} --by NAME` from another terminal using the same PREFECT_API_URL."
        )
    from flows.launch_wave import launch_wave  # Prefect loads only for commands that run flows

    state = launch_wave(
        wave=wave,
        dry_run=dry_run,
        require_approval=approval,
        as_of=when,
        config_path=str(config) if config else None,
        return_state=True,
    )
    if state.is_cancelled():  # rejected, or nobody answered: recorded, nothing sent
        console.print(f"{wave}: {state.message}", highlight=False)
        sys.exit(EXIT_FAILED)
    result = state.result()  # raises the run's error (InputError, SystemicError): the CLI reports it
    console.print(launch_summary(wave, result, dry_run))


def launch_summary(wave: str, result: dict[str, object], dry_run: bool) -> str:
    """People and messages, not internal counts: '180 people invited to 6 workshops (6 calendar events)'."""
    people, workshops, events = (int(str(result.get(key, 0))) for key in ("invitations", "workshops", "changes"))
    invited = "would be invited" if dry_run else "invited"
    line = (
        f"{wave}: {plural(people, 'person', 'people')} {invited} to {plural(workshops, 'workshop')} "
        f"({plural(events, 'calendar event')} to create, update or cancel)"
    )
    if not events:
        line = f"{wave}: every workshop's calendar event already matches the plan; nobody new to invite"
    outcome = str(result.get("outcome", ""))
    if "queued" in result:  # it ran to delivery: the outcome counts Graph messages (one per calendar event)
        outcome = f"delivery: {outcome}"
    return f"{line}; {outcome}"


def approve(
    wave: Annotated[str, typer.Argument(help="Wave id whose launch is waiting for approval.")],
    by: Annotated[str, typer.Option("--by", help="Who approves (recorded on the wave).")],
    reject: Annotated[bool, typer.Option("--reject", help="Reject instead: nothing is sent.")] = False,
    note: Annotated[str, typer.Option("--note", help="A note for the run log.")] = "",
) -> None:
    """Approve (or reject) a paused `launch-wave` run for WAVE."""
    if not by.strip():
        raise InputError("--by", ["say who decides: a name, recorded with the decision"])
    asyncio.run(_resume(wave, by, not reject, note))
    console.print(f"{wave}: {'rejected' if reject else 'approved'} by {by.strip()}", highlight=False)


async def _resume(wave: str, by: str, approve: bool, note: str) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.flow_runs import aresume_flow_run

    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                tags=FlowRunFilterTags(all_=[f"wave:{wave}"]),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])),
            )
        )
    if not runs:
        raise InputError(f"wave {wave}", ["no launch run is waiting for approval"])
    answer = {"decision": "approve" if approve else "reject", "decided_by": by, "note": note}
    for run in runs:
        try:
            await aresume_flow_run(run.id, run_input=answer)
        except RuntimeError as exc:  # the server refused the answer (its form's validation)
            raise InputError(f"wave {wave}", [str(exc)]) from None
