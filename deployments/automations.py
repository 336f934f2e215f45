"""The automations that tell ops when something needs them, created or updated by name by `rollout deploy`.

Each sends a notification through the Prefect notification block named in ROLLOUT_NOTIFY_BLOCK
(`<block type slug>/<block name>`, e.g. `ms-teams-webhook/rollout-ops` or `custom-webhook/rollout-ops`); the message
names the flow run, its state and its link in the Prefect UI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from prefect.automations import AutomationCore
from prefect.client.orchestration import get_client
from prefect.events.actions import SendNotification
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.exceptions import ObjectNotFound

from rollout.config import Programme
from rollout.errors import InputError
from tasks.delivery import SYSTEMIC_EVENT

NOTIFY_SETTING = "ROLLOUT_NOTIFY_BLOCK"
RUN_TAG = "rollout"

_RUN_BODY = (
    "Flow run {{ flow_run.name }} ({{ flow.name }}) is {{ flow_run.state.name }}.\n"
    "{{ flow_run.state.message or '' }}\n"
    "Open it in the Prefect UI: {{ flow_run|ui_url }}"
)
_AFTER_APPROVAL = {
    f"prefect.flow-run.{state}" for state in ("Running", "Completed", "Failed", "Cancelled", "Cancelling", "Crashed")
}


@dataclass(frozen=True)
class AutomationSpec:
    name: str
    description: str
    trigger: EventTrigger
    subject: str
    body: str


@dataclass(frozen=True)
class AutomationChange:
    name: str
    outcome: str  # created, updated, unchanged


def automation_specs(programme: Programme, deployment_ids: Mapping[str, UUID]) -> list[AutomationSpec]:
    """`deployment_ids` by full name (flow/deployment), as `rollout deploy` registered them."""
    approval_wait = dt.timedelta(hours=programme.runs.approval_alert_hours)
    return [
        AutomationSpec(
            name="rollout: a run failed",
            description="A run of a rollout deployment failed, crashed or timed out.",
            trigger=EventTrigger(
                expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.flow-run.TimedOut"},
                match={"prefect.resource.id": "prefect.flow-run.*"},
                match_related={"prefect.resource.role": "tag", "prefect.resource.id": f"prefect.tag.{RUN_TAG}"},
                posture=Posture.Reactive,
                threshold=1,
            ),
            subject="rollout: {{ flow_run.name }} is {{ flow_run.state.name }}",
            body=_RUN_BODY,
        ),
        AutomationSpec(
            name="rollout: daily reconcile is late",
            description="reconcile/daily did not start on time: is a worker running on the work pool?",
            trigger=EventTrigger(
                expect={"prefect.flow-run.Late"},
                match={"prefect.resource.id": "prefect.flow-run.*"},
                match_related=_deployment(deployment_ids, "reconcile/daily"),
                posture=Posture.Reactive,
                threshold=1,
            ),
            subject="rollout: the daily reconcile is late",
            body=_RUN_BODY + "\nNo worker picked it up on time: check that `prefect worker start` runs on the pool.",
        ),
        AutomationSpec(
            name="rollout: launch waiting for approval",
            description=f"A launch has waited for its approval for {programme.runs.approval_alert_hours} hours.",
            trigger=EventTrigger(
                after={"prefect.flow-run.Paused"},
                expect=_AFTER_APPROVAL,
                for_each={"prefect.resource.id"},
                match={"prefect.resource.id": "prefect.flow-run.*"},
                match_related=_deployment(deployment_ids, "launch-wave/launch-wave"),
                posture=Posture.Proactive,
                threshold=1,
                within=approval_wait,
            ),
            subject="rollout: a launch is waiting for approval",
            body=(
                f"Launch {{{{ flow_run.name }}}} has waited {programme.runs.approval_alert_hours} hours for approval.\n"
                "Approve or reject it in the Prefect UI: {{ flow_run|ui_url }} (or `rollout approve WAVE --by NAME`)."
            ),
        ),
        AutomationSpec(
            name="rollout: delivery stopped",
            description="Microsoft 365 refused a whole delivery run (credentials, mailbox, throttling).",
            trigger=EventTrigger(
                expect={SYSTEMIC_EVENT},
                match={"prefect.resource.id": "rollout.mailbox.*"},
                posture=Posture.Reactive,
                threshold=1,
            ),
            subject="rollout: delivery stopped: {{ event.payload.cause }}",
            body=(
                "Delivery from {{ event.resource.get('rollout.mailbox') }} stopped: {{ event.payload.cause }}\n"
                "Nothing was lost: the messages wait in the outbox and go at the next run once this is fixed.\n"
                "{% if flow_run %}Flow run {{ flow_run.name }}: {{ flow_run|ui_url }}{% endif %}"
            ),
        ),
    ]


def _deployment(deployment_ids: Mapping[str, UUID], full_name: str) -> dict[str, Any]:
    resource = f"prefect.deployment.{deployment_ids[full_name]}"
    return {"prefect.resource.role": "deployment", "prefect.resource.id": resource}


def notification_block_id(env: Mapping[str, str]) -> UUID | None:
    """The document id of ROLLOUT_NOTIFY_BLOCK's block, or None when the setting is empty."""
    reference = env.get(NOTIFY_SETTING, "").strip()
    if not reference:
        return None
    slug, _, name = reference.partition("/")
    if not slug or not name:
        raise InputError(NOTIFY_SETTING, ["must be '<block type slug>/<block name>', e.g. ms-teams-webhook/ops"])
    with get_client(sync_client=True) as client:
        try:
            document = client.read_block_document_by_name(name=name, block_type_slug=slug)
        except ObjectNotFound:
            problem = (
                f"no {slug!r} block named {name!r} on the Prefect server; create it in the UI (Blocks) or with "
                "Python, then run `rollout deploy` again"
            )
            raise InputError(NOTIFY_SETTING, [problem]) from None
    return document.id


def ensure_automations(specs: Iterable[AutomationSpec], block_document_id: UUID) -> list[AutomationChange]:
    changes = []
    with get_client(sync_client=True) as client:
        for spec in specs:
            wanted = AutomationCore(
                name=spec.name,
                description=spec.description,
                enabled=True,
                trigger=spec.trigger,
                actions=[SendNotification(block_document_id=block_document_id, subject=spec.subject, body=spec.body)],
            )
            existing = client.read_automations_by_name(spec.name)
            if not existing:
                client.create_automation(wanted)
                changes.append(AutomationChange(spec.name, "created"))
                continue
            first, *duplicates = existing
            for duplicate in duplicates:  # made by hand or by an older version: one automation per name
                client.delete_automation(duplicate.id)
            if _comparable(first) == _comparable(wanted) and not duplicates:
                changes.append(AutomationChange(spec.name, "unchanged"))
                continue
            client.update_automation(first.id, wanted)
            changes.append(AutomationChange(spec.name, "updated"))
    return changes


def _comparable(automation: AutomationCore) -> dict[str, Any]:
    # Python mode: the trigger's sets (expect, after, for_each) compare as sets, whatever order the server keeps.
    dumped = automation.model_dump(include={"name", "description", "enabled", "trigger", "actions"})
    dumped["trigger"].pop("id", None)
    return dumped
