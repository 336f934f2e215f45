"""`rollout reconcile`: today's run (or any day's) from the terminal."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer

from rollout.checkin.email_links import refuse_insecure_links
from rollout.cli.common import (
    ConfigOption,
    console,
    database,
    microsoft_365_ready,
    new_table,
    plural,
    services,
)
from rollout.planning.as_of import parse_as_of


def reconcile(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Run as if it were this date (YYYY-MM-DD: that day at runs.reconcile_time) or date and time.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be recorded and sent; change and send nothing.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Sync RSVPs, send due reminders and follow-ups, chase overdue actions and escalate stalled hubs."""
    from rollout.reconcile import preview  # the reconciler loads only for this command, not for every `rollout`
    from rollout.reconcile.run import PURPOSE_WORDS

    run = services(config)
    loaded = run.programme
    info = loaded.programme
    when = parse_as_of(as_of, info.timezone, loaded.runs.reconcile_time) if as_of else None
    if dry_run:
        result = preview(database(run), loaded, when or run.now())
        changes = result.changes
        console.print(
            f"would record: {changes.actions_created} follow-up actions, {changes.overdue_marked} overdue marks, "
            f"{changes.escalations_opened} escalations opened, {len(changes.escalations_closed)} closed"
        )
        counts = Counter(m.purpose for m in result.new_messages)
        table = new_table(
            "Would send (dry run: nothing sent; RSVPs not read from Outlook)", "Messages", "Count", right=("Count",)
        )
        for purpose, count in sorted(counts.items()):
            table.add_row(PURPOSE_WORDS.get(purpose, purpose), str(count))
        console.print(table if counts else "would send: nothing")
        return
    refuse_insecure_links()  # before anything is queued
    microsoft_365_ready(loaded)  # nothing is recorded or queued, the database not even made, unless the app can send
    database(run)
    from flows.reconcile import reconcile as reconcile_flow  # Prefect loads only for commands that run flows

    summary = reconcile_flow(as_of=when, config_path=str(config) if config else None)
    queued = summary["queued"] or {}
    assert isinstance(queued, dict)
    console.print(f"RSVPs: {summary['rsvp']}")
    console.print(
        f"recorded: {summary['actions_created']} follow-up actions, {summary['overdue_marked']} overdue, "
        f"{summary['escalations_opened']} escalations opened, {summary['escalations_closed']} closed"
    )
    total = sum(int(n) for n in queued.values())
    kinds = ", ".join(f"{PURPOSE_WORDS.get(p, p)} {n}" for p, n in queued.items())
    console.print(f"queued: {plural(total, 'message')} ({kinds})" if total else "queued: no new messages")
    console.print(f"delivery of messages: {summary['delivery']}")
