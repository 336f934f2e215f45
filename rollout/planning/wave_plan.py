"""A wave's plan with its invitees: what the CLI prints and what the launch flow publishes and sends."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rollout.config.schema import Programme, Wave
from rollout.planning.audience import Invitee, PartnerContact, describe, invitees
from rollout.planning.planner import WorkshopSlot, plan


@dataclass(frozen=True)
class PlannedWorkshop:
    slot: WorkshopSlot
    audience: str
    invitees: tuple[Invitee, ...]

    @property
    def invitees_per_lcp(self) -> dict[str, int]:
        return dict(sorted(Counter(i.lcp_id for i in self.invitees).items()))

    def as_json(self) -> dict[str, Any]:
        slot = self.slot
        return {
            "wave": slot.wave_id,
            "number": slot.number,
            "title": slot.title,
            "start": slot.start.isoformat(),
            "end": slot.end.isoformat(),
            "format": slot.format,
            "venue": slot.venue,
            "cancelled": slot.cancelled,
            "audience": self.audience,
            "invitee_count": len(self.invitees),
            "invitees_per_lcp": self.invitees_per_lcp,
            "actions": [{"title": a.title, "owner": a.owner, "due": a.due.isoformat()} for a in slot.actions],
        }


def plan_wave(wave: Wave, programme: Programme, partners: Sequence[PartnerContact]) -> list[PlannedWorkshop]:
    return [
        PlannedWorkshop(
            slot=slot,
            audience=describe(slot.audience, programme),
            invitees=tuple(invitees(slot.audience, partners, wave.lcps, programme)),
        )
        for slot in plan(wave, programme)
    ]
