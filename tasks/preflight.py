"""Pre-flight: before a flow writes a single outbox row, the app must get a token and reach the organiser mailbox."""

from __future__ import annotations

from typing import Any

from prefect import Task, task
from prefect.cache_policies import NONE
from prefect.client.schemas.objects import State, TaskRun

from rollout.errors import InputError, SystemicError
from rollout.services import Services


@task(name="check-microsoft-365", tags=["graph-read"], cache_policy=NONE)
def check_microsoft_365(services: Services) -> None:
    """Settings complete, a token granted, the organiser's calendar readable. Raises InputError (a setting is
    missing or malformed) or SystemicError (Microsoft 365 refuses the app), each naming the fix."""
    try:
        services.gateway.check_access()
    except SystemicError as error:
        from tasks.delivery import announce_refusal

        announce_refusal(services, error)
        raise


def unless_refused(task: Task[Any, Any], task_run: TaskRun, state: State[Any]) -> bool:
    """A task's retry condition: retry what may pass next time, not a refusal that needs a person to fix it."""
    try:
        state.result()
    except (SystemicError, InputError):
        return False
    except Exception:
        return True
    return True
