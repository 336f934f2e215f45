"""Which workshops the reconciler acts on: scheduled in Outlook, not cancelled there or in the config."""

from __future__ import annotations

from rollout.config.schema import Programme, Wave
from rollout.reconcile.state import Snapshot, WorkshopRow


def configured_wave(programme: Programme, wave_id: str) -> Wave | None:
    return next((w for w in programme.waves if w.id == wave_id), None)


def is_live(workshop: WorkshopRow, programme: Programme) -> bool:
    """Its event exists and nobody has cancelled it (in Outlook or in the config, even before the cancellation
    is delivered); a workshop of a wave no longer configured is left alone."""
    wave = configured_wave(programme, workshop.wave_id)
    return (
        wave is not None
        and workshop.status == "scheduled"
        and workshop.event_id is not None
        and workshop.number not in wave.cancelled_workshops
    )


def live_workshops(snapshot: Snapshot, programme: Programme) -> list[WorkshopRow]:
    return sorted(
        (w for w in snapshot.workshops.values() if is_live(w, programme)),
        key=lambda w: (w.starts_at, w.wave_id, w.number),
    )
