"""How a flow ends when it cannot or must not go on: one clear message in the run's state, no second traceback.

A flow that returns a State makes it the run's final state. A caller that ran the flow in-process never sees that
state (unless it asked with return_state=True): it gets the error raised, so the CLI reports it with its exit
status. Hence these return Any: to the caller, the flow returns its summary or raises.
"""

from __future__ import annotations

from typing import Any

from prefect import get_client, get_run_logger
from prefect.context import FlowRunContext
from prefect.states import Cancelled, Failed, Running

from rollout.errors import InputError, SystemicError


def stopped(error: SystemicError | InputError, done: str | None = None) -> Any:
    """Failed, with a message naming the cause, the fix and what the run left (`done`); the error is the data."""
    message = "; ".join([*error.render().splitlines(), *([done] if done else [])])
    get_run_logger().error("%s", message)
    return Failed(message=message, data=error)


def refused(name: str, message: str) -> Any:
    """Cancelled under `name` ("Rejected", "Approval timed out"): nothing was sent, and the UI says why. A direct
    caller gets prefect.exceptions.CancelledRun carrying `message`."""
    get_run_logger().warning("%s", message)
    return Cancelled(name=name, message=message)


def end_expired_pause() -> None:
    """After FlowPauseTimeout the run is still Paused on the server, which turns any later state into Failed ("never
    resumed"). Set it Running again (forced: the pause is over), so its final state can say what happened."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(context.flow_run.id, Running(), force=True)
