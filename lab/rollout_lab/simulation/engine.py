"""How the simulation runs the programme's jobs: the real Prefect flows, called with a simulated `as_of`.

The world's services (its database, its Graph emulator's gateway, the simulated clock) are built once and provided
to every flow run (rollout.services.provided), so the runs share one engine and one gateway. Approval is off: a
simulated launch sends its invitations at once (`require_approval=False`), as a programme manager approving
straight away would.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from prefect.states import State

from rollout.services import Services, provided


class Engine(Protocol):
    def launch(self, wave_id: str, as_of: dt.datetime) -> dict[str, object]: ...

    def reconcile(self, as_of: dt.datetime) -> dict[str, object]: ...

    def digest(self, as_of: dt.datetime) -> dict[str, object]: ...


class FlowEngine:
    """launch-wave, reconcile and weekly-digest as Prefect flow runs (visible in the UI when PREFECT_API_URL is
    set). Each summary carries the run's id under "flow_run_id"; a failed run raises, ending the simulation."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def launch(self, wave_id: str, as_of: dt.datetime) -> dict[str, object]:
        from flows.launch_wave import launch_wave

        with provided(self.services):
            return _result(launch_wave(wave=wave_id, as_of=as_of, require_approval=False, return_state=True))

    def reconcile(self, as_of: dt.datetime) -> dict[str, object]:
        from flows.reconcile import reconcile

        with provided(self.services):
            return _result(reconcile(as_of=as_of, return_state=True))

    def digest(self, as_of: dt.datetime) -> dict[str, object]:
        from flows.weekly_digest import weekly_digest

        with provided(self.services):
            return _result(weekly_digest(as_of=as_of, return_state=True))


def _result(state: State[Any]) -> dict[str, object]:
    summary = state.result()  # raises the run's exception if it failed
    if not isinstance(summary, dict):
        raise TypeError(f"a flow returned {type(summary).__name__}, not its summary")
    return {**summary, "flow_run_id": str(state.state_details.flow_run_id)}
