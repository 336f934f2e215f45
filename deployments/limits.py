"""Create or update, idempotently, the Prefect global concurrency limits the gateway takes slots from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
from prefect.exceptions import ObjectNotFound

from rollout.m365.settings import DEFAULT_MAX_IN_FLIGHT, GatewaySettingsError, int_from_env
from rollout.m365.shared_limits import LimitSpec, limit_specs


@dataclass(frozen=True)
class LimitChange:
    name: str
    outcome: str  # created, updated, unchanged


def gateway_limit_specs(env: Mapping[str, str], organiser_fallback: str) -> list[LimitSpec]:
    """The limits for the app and mailbox the gateway will use: ROLLOUT_CLIENT_ID, ROLLOUT_ORGANISER (or the
    configuration's organiser) and ROLLOUT_GRAPH_MAX_IN_FLIGHT. No secret is needed. The pace is each run's own
    ROLLOUT_SEND_PACE: how long a send holds the mailbox's one slot."""
    problems: list[str] = []
    client_id = env.get("ROLLOUT_CLIENT_ID", "").strip()
    if not client_id:
        problems.append("ROLLOUT_CLIENT_ID is not set (the shared limits are per app)")
    organiser = env.get("ROLLOUT_ORGANISER", "").strip() or organiser_fallback
    in_flight = int_from_env(env, "ROLLOUT_GRAPH_MAX_IN_FLIGHT", DEFAULT_MAX_IN_FLIGHT, problems)
    if problems:
        raise GatewaySettingsError(problems)
    return limit_specs(client_id, organiser, in_flight)


def ensure_limits(specs: Iterable[LimitSpec]) -> list[LimitChange]:
    changes = []
    with get_client(sync_client=True) as client:
        for spec in specs:
            try:
                existing = client.read_global_concurrency_limit_by_name(spec.name)
            except ObjectNotFound:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(
                        name=spec.name, limit=spec.limit, slot_decay_per_second=spec.slot_decay_per_second, active=True
                    )
                )
                changes.append(LimitChange(spec.name, "created"))
                continue
            same = (
                existing.limit == spec.limit
                and abs((existing.slot_decay_per_second or 0.0) - spec.slot_decay_per_second) < 1e-9
                and existing.active
            )
            if same:
                changes.append(LimitChange(spec.name, "unchanged"))
                continue
            client.update_global_concurrency_limit(
                spec.name,
                GlobalConcurrencyLimitUpdate(
                    limit=spec.limit, slot_decay_per_second=spec.slot_decay_per_second, active=True
                ),
            )
            changes.append(LimitChange(spec.name, "updated"))
    return changes
