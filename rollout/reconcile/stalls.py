"""Stalled hubs and their escalation ladder. Pure.

Which hubs are stalled, since when and why (`no_progress`, `overdue_actions`; only once the hub's LCP's wave has
started) is rollout.planning.status's StallRule, the one definition the digest and `rollout hubs list` use too.

An LCP lead gets ONE email a day listing every stalled hub of theirs whose lead level is due that day (each with
its contacts' names and addresses and what is overdue), under the key `escalations:lead:{day}:{email}`. A lead level
falling due later the same day, after that email was queued, is not recorded (queue_outgoing) and goes in the next
day's email.

Each stall is one Escalation row (unique per hub, reason and start). Level n of `escalation.levels` is due
`after_days` after the stall began; it is sent once (EscalationNotice is unique per level), on working days only
(a level falling on a weekend or bank holiday goes out on the next working day), never while acknowledged or
before a snooze ends. Progress resolves a stall: a stage change ends a `no_progress` stall, the last overdue action
done ends an `overdue_actions` stall; the escalation is closed and no further level is sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rollout.config.schema import Programme
from rollout.outbound.emails import long_date
from rollout.planning.status import NO_PROGRESS, OVERDUE_ACTIONS, StallRule, is_overdue
from rollout.reconcile import keys
from rollout.reconcile.clock import Clock
from rollout.reconcile.messages import (
    Message,
    Person,
    action_context,
    base_context,
    lcp_name,
    leads_of,
    organisation_people,
)
from rollout.reconcile.state import EscalationRow, HubRow, Snapshot

AUDIENCE_WORDS = {
    "hub_contact": "the hub's contacts",
    "lcp_lead": "the LCP lead",
    "programme_manager": "the programme manager",
}


@dataclass(frozen=True)
class NewStall:
    hub_id: int
    reason: str
    stalled_since: dt.date


@dataclass(frozen=True)
class Closure:
    escalation_id: int
    reason: str  # why it is closed, for people (Escalation.closed_reason)


@dataclass(frozen=True)
class StallChanges:
    opened: list[NewStall]
    closed: list[Closure]
    snooze_ended: list[int]  # escalation ids whose snooze is over


@dataclass(frozen=True)
class Notice:
    """One level of one escalation, and the messages that tell that level's audience."""

    escalation_id: int
    level: int
    sent_to: str  # hub_contact | lcp_lead | programme_manager
    key: str  # EscalationNotice.message_key: the messages' common key prefix
    messages: tuple[Message, ...]


def current_stalls(snapshot: Snapshot, programme: Programme, today: dt.date) -> dict[int, dict[str, dt.date]]:
    """hub id -> {reason: the day the stall began} for every hub stalled today (rollout.planning.status)."""
    rule = StallRule.of(programme, today)
    tz = programme.tz
    stalls: dict[int, dict[str, dt.date]] = {}
    for hub in snapshot.hubs.values():
        organisation = snapshot.organisations.get(hub.organisation_id)
        if organisation is None:
            continue
        found = rule.stalls(
            organisation.lcp_id,
            hub.stage,
            hub.stage_since.astimezone(tz).date(),
            snapshot.open_actions_by_organisation.get(hub.organisation_id, []),
        )
        if found:
            stalls[hub.id] = found
    return stalls


def stall_changes(snapshot: Snapshot, programme: Programme, now: dt.datetime) -> StallChanges:
    clock = Clock.of(programme, now)
    stalls = current_stalls(snapshot, programme, clock.today)
    closed: list[Closure] = []
    snooze_ended: list[int] = []
    still_active: set[tuple[int, str]] = set()
    for escalation in snapshot.active_escalations:
        since = stalls.get(escalation.hub_id, {}).get(escalation.reason)
        resolved = since is None or (escalation.reason == NO_PROGRESS and since != escalation.stalled_since)
        if resolved:
            closed.append(Closure(escalation.id, _why_resolved(escalation, snapshot, programme)))
            continue
        still_active.add((escalation.hub_id, escalation.reason))
        if escalation.status == "snoozed" and (
            escalation.snoozed_until is None or clock.today >= escalation.snoozed_until
        ):
            snooze_ended.append(escalation.id)
    known = {(e.hub_id, e.reason, e.stalled_since) for e in snapshot.escalations}
    opened = [
        NewStall(hub_id, reason, since)
        for hub_id, reasons in sorted(stalls.items())
        for reason, since in sorted(reasons.items())
        if (hub_id, reason) not in still_active and (hub_id, reason, since) not in known
    ]
    return StallChanges(opened, closed, snooze_ended)


def _why_resolved(escalation: EscalationRow, snapshot: Snapshot, programme: Programme) -> str:
    hub = snapshot.hubs.get(escalation.hub_id)
    if hub is None:
        return "the hub no longer exists"
    if escalation.reason == OVERDUE_ACTIONS:
        return "progress: no overdue actions left"
    stage = next((s for s in programme.stages if s.number == hub.stage), None)
    title = f" ({stage.title})" if stage else ""
    return f"progress: at stage {hub.stage}{title} since {long_date(hub.stage_since.astimezone(programme.tz))}"


def escalation_notices(snapshot: Snapshot, programme: Programme, now: dt.datetime) -> list[Notice]:
    """Levels due today and not sent yet. Nothing on weekends and bank holidays: they go out the next working day."""
    clock = Clock.of(programme, now)
    if not clock.is_working_day:
        return []
    stalls = current_stalls(snapshot, programme, clock.today)
    levels = programme.escalation.levels
    notices: list[Notice] = []
    for_leads: dict[str, list[tuple[int, int, dict[str, Any]]]] = {}  # lead email -> (escalation id, level, about)
    for escalation in snapshot.active_escalations:
        if escalation.status == "acknowledged":
            continue
        if escalation.status == "snoozed" and (
            escalation.snoozed_until is not None and clock.today < escalation.snoozed_until
        ):
            continue
        if stalls.get(escalation.hub_id, {}).get(escalation.reason) is None:
            continue  # resolved since the escalation was opened: closing it is stall_changes' business
        hub = snapshot.hubs[escalation.hub_id]
        for number, level in enumerate(levels, start=1):
            if number in escalation.notified or clock.today < escalation.stalled_since + dt.timedelta(
                days=level.after_days
            ):
                continue
            base = keys.escalation_level(escalation.id, number)
            about = _escalation_context(escalation, hub, number, snapshot, programme, clock)
            if level.to == "lcp_lead":
                for lead in leads_of(programme, about["lcp_id"]):
                    for_leads.setdefault(lead.email, []).append((escalation.id, number, about))
                continue
            messages = tuple(
                Message(
                    key=keys.escalation(escalation.id, number, to.email),
                    purpose="escalation",
                    template="escalation",
                    to=to,
                    context={**base_context(programme, to), **about, "audience": level.to},
                    lcp_id=about["lcp_id"],
                )
                for to in _audience(level.to, hub, snapshot, programme)
            )
            notices.append(Notice(escalation.id, number, level.to, base, messages))
    for email, items in sorted(for_leads.items()):
        message = _lead_message(email, items, programme, clock)
        notices += [Notice(i, n, "lcp_lead", message.key, (message,)) for i, n, _ in items]
    return sorted(notices, key=lambda n: (n.escalation_id, n.level))


def _lead_message(
    email: str, items: list[tuple[int, int, dict[str, Any]]], programme: Programme, clock: Clock
) -> Message:
    """The lead's one email of the day: every hub of theirs whose lead level is due, most overdue first."""
    hubs = sorted((about for _, _, about in items), key=lambda a: (a["stalled_since"], a["hub_name"].casefold()))
    lead = next(p for p in leads_of(programme, hubs[0]["lcp_id"]) if p.email == email)
    lcp_names = sorted({a["lcp_name"] for a in hubs})
    return Message(
        key=keys.lead_escalations(clock.today, email),
        purpose="escalation",
        template="escalation_lead",
        to=lead,
        context={**base_context(programme, lead), "lcp_name": " and ".join(lcp_names), "hubs": hubs},
        lcp_id=hubs[0]["lcp_id"] if len(lcp_names) == 1 else None,
    )


def _audience(to: str, hub: HubRow, snapshot: Snapshot, programme: Programme) -> list[Person]:
    if to == "hub_contact":
        return organisation_people(snapshot, hub.organisation_id)
    if to == "lcp_lead":
        return leads_of(programme, snapshot.organisations[hub.organisation_id].lcp_id)
    return [Person(m.name, m.email) for m in programme.programme.managers]


def _escalation_context(
    escalation: EscalationRow, hub: HubRow, level: int, snapshot: Snapshot, programme: Programme, clock: Clock
) -> dict[str, Any]:
    organisation = snapshot.organisations[hub.organisation_id]
    stage = next((s for s in programme.stages if s.number == hub.stage), None)
    levels = programme.escalation.levels
    overdue = sorted(
        (a for a in snapshot.open_actions_by_organisation.get(hub.organisation_id, []) if is_overdue(a, clock.today)),
        key=lambda a: (a.due_date, a.id),
    )
    following = levels[level] if level < len(levels) else None
    next_day = escalation.stalled_since + dt.timedelta(days=following.after_days) if following else None
    return {
        "escalation_id": escalation.id,
        "level": level,
        "level_count": len(levels),
        "reason": escalation.reason,
        "stalled_since": escalation.stalled_since,
        "stalled_since_text": long_date(escalation.stalled_since),
        "days_stalled": (clock.today - escalation.stalled_since).days,
        "hub_id": hub.id,
        "organisation_id": organisation.id,
        "hub_name": organisation.name,
        "lcp_id": organisation.lcp_id,
        "lcp_name": lcp_name(programme, organisation.lcp_id),
        "lead_name": next((p.name for p in leads_of(programme, organisation.lcp_id)), "your LCP lead"),
        "stage": hub.stage,
        "stage_title": stage.title if stage else f"stage {hub.stage}",
        "next_stage": hub.stage + 1 if hub.stage < programme.max_stage else None,
        "stage_since": hub.stage_since.astimezone(clock.tz).date(),
        "stage_since_text": long_date(hub.stage_since.astimezone(clock.tz)),
        "stall_after_days": stage.stall_after_days if stage else None,
        "overdue_actions": [action_context(a, snapshot) for a in overdue],
        # Who to contact: the lead's email names them (the hub's own emails went to these addresses).
        "contacts": [{"name": p.name, "email": p.email} for p in organisation_people(snapshot, organisation.id)],
        "next_level_audience": AUDIENCE_WORDS[following.to] if following else None,
        "next_level_from_text": long_date(next_day) if next_day else None,
    }
