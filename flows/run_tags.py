"""Tags on the running flow run, so ops can filter by wave and LCP in the UI whatever started the run."""

from __future__ import annotations

from prefect import get_client
from prefect.context import FlowRunContext


def tag_this_run(*tags: str) -> None:
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    current = list(context.flow_run.tags or [])
    wanted = current + [t for t in tags if t not in current]
    if wanted != current:
        with get_client(sync_client=True) as client:
            client.update_flow_run(context.flow_run.id, tags=wanted)
