"""What a launch says in the Prefect UI: the wave's plan as one Markdown table, and the launch's outcome.

Pure Markdown builders (tested on their output) plus one read of the outbox rows a launch queued. Ops read these at
1440 px: cells stay short (a venue's first line, LCP counts as "Armley 32 · Bramley 28"), the workshop number is its
own column (a "1." at the start of a cell is list syntax and renders as "1." on every row), and no internal key
(`event:wave-2:workshop-1:create`) is shown: workshops are named by number and title.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.config.schema import Programme
from rollout.db import models
from rollout.digest.render import md
from rollout.programme.launch import LaunchPlan

VERBS = {"event.create": "created", "event.update": "updated", "event.cancel": "cancelled"}


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def short_venue(venue: str | None) -> str:
    """'Leeds Central Library' for 'Leeds Central Library, Calverley Street, Leeds LS1 3AB'; Teams when online."""
    return venue.split(",")[0].strip() if venue else "Teams"


def plan_markdown(launch: LaunchPlan, programme: Programme) -> str:
    """Two narrow tables and two lists. The Prefect UI renders table cells without wrapping inside an 870 px column
    (at a 1440 px window), so long text (audiences, action titles) goes in lists, which wrap."""
    wave, info = launch.wave, programme.programme
    label = md(info.time_label or info.timezone)
    names = {lcp.id: lcp.name for lcp in programme.lcps}
    lines = [
        f"# {md(wave.name)} plan",
        "",
        f"{wave.start:%d %b %Y} to {wave.end:%d %b %Y}. LCPs: {md(', '.join(names[i] for i in wave.lcps))}. "
        f"Times are {label}. Invited: people, one per person per workshop.",
        "",
        "| No. | Workshop | When | Where | Invited |",
        "|---:|---|---|---|---:|",
    ]
    for w in launch.workshops:
        slot = w.slot
        when = f"{slot.start:%a %d %b} {slot.start:%H:%M}–{slot.end:%H:%M}"  # the year is in the line above
        title = md(slot.title) + (" (**cancelled**)" if slot.cancelled else "")
        where = "Teams" if slot.is_online else md(short_venue(slot.venue))
        lines.append(f"| {slot.number} | {title} | {when} | {where} | {len(w.invitees)} |")
    numbers = [w.slot.number for w in launch.workshops]
    lines += [
        "",
        "## People invited per LCP",
        "",
        "| LCP | " + " | ".join(f"No. {n}" for n in numbers) + " |",
        "|---|" + "---:|" * len(numbers),
    ]
    for lcp_id in wave.lcps:
        counts = [str(w.invitees_per_lcp.get(lcp_id, 0)) for w in launch.workshops]
        lines.append(f"| {md(names.get(lcp_id, lcp_id))} | " + " | ".join(counts) + " |")
    lines += ["", "## Who each workshop is for", ""]
    lines += [f"- No. {w.slot.number}: {md(w.audience)}" for w in launch.workshops]
    actions = [(w.slot.number, a) for w in launch.workshops for a in w.slot.actions]
    if actions:
        owners = {"lcp_lead": "each LCP lead", "each_partner": "each partner invited", "each_hub": "each hub"}
        lines += ["", "## Follow-up actions", ""]
        lines += [
            f"- After No. {number}: {md(a.title)}; {owners.get(a.owner, a.owner)}; due {a.due:%a %d %b %Y}"
            for number, a in actions
        ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class EventChange:
    number: int
    title: str
    verb: str  # created | updated | cancelled
    people: int
    status: str  # pending | sending | sent | failed | dropped ("planned" before anything is queued)
    error: str | None = None


@dataclass(frozen=True)
class LaunchOutcome:
    """What a launch did, for its artifact. `state`: waiting | dry-run | sent | rejected | timed-out | no-changes."""

    state: str
    changes: tuple[EventChange, ...]
    approved_by: str | None = None
    approved_at: dt.datetime | None = None
    note: str = ""
    failures: tuple[str, ...] = field(default=())  # said for people: "workshop 2 (…): event not created: ErrorCode"


def planned_changes(
    launch: LaunchPlan, statuses: Mapping[str, tuple[str, str | None]] | None = None
) -> tuple[EventChange, ...]:
    """One line per event the launch creates, updates or cancels; statuses by outbox key when delivery ran."""
    titles = {launch.workshop_ids[w.slot.number]: (w.slot.number, w.slot.title) for w in launch.workshops}
    changes = []
    for intent in launch.intents:
        number, title = titles.get(intent.workshop_id or -1, (0, "?"))
        status, error = (statuses or {}).get(intent.key, ("planned", None))
        changes.append(EventChange(number, title, VERBS[intent.kind], len(intent.recipients), status, error))
    return tuple(sorted(changes, key=lambda c: c.number))


def outbox_statuses(session: Session, keys: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """The outbox's status (and error code) for each of these keys."""
    if not keys:
        return {}
    rows = session.execute(
        select(
            models.OutboundMessage.idempotency_key, models.OutboundMessage.status, models.OutboundMessage.error_code
        ).where(models.OutboundMessage.idempotency_key.in_(list(keys)))
    ).tuples()
    return {key: (status, code) for key, status, code in rows}


HEADLINES = {
    "waiting": "waiting for approval: nothing sent yet",
    "dry-run": "dry run: nothing was sent",
    "sent": "launched",
    "rejected": "rejected: nothing was sent",
    "timed-out": "not approved in time: nothing was sent",
    "no-changes": "nothing to send: every workshop event already matches the plan",
}
STATUS_WORDS = {
    "planned": "not sent",
    "pending": "not sent yet",
    "sending": "being sent",
    "sent": "sent",
    "failed": "**failed**",
    "dropped": "dropped (out of date)",
}


def outcome_markdown(launch: LaunchPlan, outcome: LaunchOutcome, at: dt.datetime, timezone: str) -> str:
    wave = launch.wave
    local = at.astimezone(ZoneInfo(timezone))
    failed = [c for c in outcome.changes if c.status == "failed"]
    headline = HEADLINES[outcome.state]
    if failed:
        headline += f", but {plural(len(failed), 'event')} failed"
    lines = [f"# {md(wave.name)} launch: {headline}", "", f"Updated {local:%a %d %b %Y, %H:%M}.", ""]
    if outcome.approved_by:
        when = (
            f" on {outcome.approved_at.astimezone(ZoneInfo(timezone)):%a %d %b %Y, %H:%M}"
            if outcome.approved_at
            else ""
        )
        note = f" Note: “{md(outcome.note)}”" if outcome.note else ""
        verb = "Rejected" if outcome.state == "rejected" else "Approved"
        lines += [f"{verb} by **{md(outcome.approved_by)}**{when}.{note}", ""]
    elif outcome.state == "sent":
        lines += ["Sent without an approval step (approval is not required for this launch).", ""]
    counts = {verb: sum(1 for c in outcome.changes if c.verb == verb) for verb in VERBS.values()}
    people = sum(c.people for c in outcome.changes if c.verb != "cancelled")
    lines += [
        f"Calendar events: {counts['created']} created, {counts['updated']} updated, {counts['cancelled']} cancelled."
        f" People invited: **{people}**.",
        "",
    ]
    if outcome.changes:
        lines += ["| No. | Workshop | Event | People | Status |", "|---:|---|---|---:|---|"]
        for c in outcome.changes:
            status = STATUS_WORDS.get(c.status, c.status) + (f": {md(c.error)}" if c.error else "")
            lines.append(f"| {c.number} | {md(c.title)} | {c.verb} | {c.people} | {status} |")
        lines.append("")
    if failed or outcome.failures:
        lines += ["## Failures", ""]
        lines += [
            f"- workshop {c.number} ({md(c.title)}): event not {c.verb}: {md(c.error or 'unknown error')}"
            for c in failed or ()
        ]
        lines += [f"- {md(f)}" for f in outcome.failures]
        lines.append("")
    elif outcome.state == "sent":
        lines += ["No failures.", ""]
    return "\n".join(lines)
