"""The same jobs as the flows, without Prefect: for tests that compare ways of running the simulation quickly
(the flows themselves are exercised by the tests that use FlowEngine)."""

from __future__ import annotations

import datetime as dt

from rollout.config import Programme
from rollout.db.session import unit_of_work
from rollout.digest import compute_digests, digest_intents, store_snapshot
from rollout.outbound.outbox import enqueue
from rollout.programme.launch import prepare_launch, queue_launch
from rollout.reconcile import deliver, run_reconcile
from rollout_lab.simulation.world import World


class DirectEngine:
    def __init__(self, world: World) -> None:
        self.world = world
        self.programme: Programme = world.programme

    def launch(self, wave_id: str, as_of: dt.datetime) -> dict[str, object]:
        with unit_of_work(self.world.sessions) as session:
            launch = prepare_launch(session, self.programme, wave_id, as_of)
            queue_launch(session, launch)
        deliver(self.world.sessions, self.world.services.gateway, as_of)
        return {"wave": wave_id, "changes": len(launch.intents), "invitations": launch.invitations}

    def reconcile(self, as_of: dt.datetime) -> dict[str, object]:
        return run_reconcile(self.world.services, as_of).summary()

    def digest(self, as_of: dt.datetime) -> dict[str, object]:
        with unit_of_work(self.world.sessions) as session:
            digests = compute_digests(session, self.programme, as_of)
            store_snapshot(session, digests.programme)
            queued = enqueue(session, digest_intents(digests.by_recipient))
        deliver(self.world.sessions, self.world.services.gateway, as_of)
        return {"week": digests.week.start.isoformat(), "queued": len(queued)}
