"""Read-only views over a snapshot, for people (CLI, digest): where each hub stands today."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from rollout.config.schema import Programme
from rollout.planning.status import is_overdue
from rollout.reconcile.clock import Clock
from rollout.reconcile.stalls import current_stalls
from rollout.reconcile.state import EscalationRow, Snapshot


@dataclass(frozen=True)
class HubStatus:
    hub_id: int
    organisation_id: int
    organisation: str
    lcp_id: str
    stage: int
    stage_title: str
    stage_since: dt.date
    days_at_stage: int
    stalls: dict[str, dt.date] = field(default_factory=dict)  # reason -> since; empty when moving
    open_actions: int = 0
    overdue_actions: int = 0
    escalations: tuple[EscalationRow, ...] = ()  # not closed

    @property
    def stalled(self) -> bool:
        return bool(self.stalls)

    def as_json(self) -> dict[str, Any]:
        return {
            "hub_id": self.hub_id,
            "organisation": self.organisation,
            "lcp": self.lcp_id,
            "stage": self.stage,
            "stage_title": self.stage_title,
            "stage_since": self.stage_since.isoformat(),
            "days_at_stage": self.days_at_stage,
            "stalled": {reason: since.isoformat() for reason, since in self.stalls.items()},
            "open_actions": self.open_actions,
            "overdue_actions": self.overdue_actions,
            "escalations": [
                {"id": e.id, "reason": e.reason, "level": e.level, "status": e.status} for e in self.escalations
            ],
        }


def hub_statuses(snapshot: Snapshot, programme: Programme, now: dt.datetime) -> list[HubStatus]:
    clock = Clock.of(programme, now)
    stalls = current_stalls(snapshot, programme, clock.today)
    titles = {s.number: s.title for s in programme.stages}
    statuses = []
    for hub in snapshot.hubs.values():
        org = snapshot.organisations[hub.organisation_id]
        actions = snapshot.open_actions_by_organisation.get(org.id, [])
        since = clock.local_date(hub.stage_since)
        statuses.append(
            HubStatus(
                hub_id=hub.id,
                organisation_id=org.id,
                organisation=org.name,
                lcp_id=org.lcp_id,
                stage=hub.stage,
                stage_title=titles.get(hub.stage, f"stage {hub.stage}"),
                stage_since=since,
                days_at_stage=(clock.today - since).days,
                stalls=stalls.get(hub.id, {}),
                open_actions=len(actions),
                overdue_actions=sum(is_overdue(a, clock.today) for a in actions),
                escalations=tuple(e for e in snapshot.active_escalations if e.hub_id == hub.id),
            )
        )
    return sorted(statuses, key=lambda s: (s.lcp_id, s.organisation.casefold()))
