"""Exchange Online's limits, shared by every worker through Prefect's global concurrency limits.

The per-process limiter (limits.py) stays the inner guard; these are the outer one, held on the Prefect server, so
that workers on several machines together stay within what Microsoft allows an app and a mailbox:
- `requests`: a concurrency limit of `max_in_flight` slots per app and mailbox, one slot held around every Graph
  request;
- `sends`: a rate limit per mailbox, one slot taken before every request that makes Exchange send something.

Prefect's rate limit is a bucket of `limit` slots decaying at `slot_decay_per_second`; a burst of the whole bucket
followed by the decay fits `limit + 60 * decay` sends into a minute. One slot decaying at (pace - 1) per minute
therefore never exceeds the pace in any minute, and loses one message a minute of throughput (29 of 30).

Strict: with ROLLOUT_SHARED_LIMITS=prefect a missing limit stops the run with a message that says how to create it
(`rollout deploy`), never a silent no-op.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from rollout.errors import InputError

SETTING = "ROLLOUT_SHARED_LIMITS"
MODES = ("", "prefect")


class SharedLimitMissingError(InputError):
    """A shared limit the gateway needs does not exist on the Prefect server."""


@dataclass(frozen=True)
class LimitSpec:
    name: str
    limit: int
    slot_decay_per_second: float = 0.0


@dataclass(frozen=True)
class LimitNames:
    requests: str
    sends: str


def limit_names(client_id: str, organiser: str) -> LimitNames:
    mailbox = organiser.lower()
    return LimitNames(requests=f"rollout-graph-requests:{client_id}:{mailbox}", sends=f"rollout-graph-sends:{mailbox}")


def limit_specs(client_id: str, organiser: str, max_in_flight: int, send_pace_per_minute: int) -> list[LimitSpec]:
    """What `rollout deploy` creates on the server, from the same settings the gateway reads."""
    names = limit_names(client_id, organiser)
    return [
        LimitSpec(names.requests, max_in_flight),
        LimitSpec(names.sends, 1, slot_decay_per_second=max(send_pace_per_minute - 1, 0.5) / 60.0),
    ]


def shared_mode(env: Mapping[str, str], problems: list[str]) -> str:
    mode = env.get(SETTING, "").strip().lower()
    if mode not in MODES:
        problems.append(f"{SETTING} must be empty (limits per process) or 'prefect' (shared by workers), got {mode!r}")
        return ""
    return mode


class SharedLimits(Protocol):
    def request(self) -> contextlib.AbstractContextManager[None]: ...

    def send(self) -> None: ...


class ProcessOnly:
    """No limits beyond the process's own: the CLI against a temporary Prefect server, tests, one machine."""

    def request(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def send(self) -> None:
        return None


class PrefectLimits:
    """Slots from the Prefect server's global concurrency limits (PREFECT_API_URL must be the shared server)."""

    def __init__(self, names: LimitNames) -> None:
        self.names = names

    @contextlib.contextmanager
    def request(self) -> Iterator[None]:
        from prefect.concurrency.sync import concurrency

        with _missing_limit_is_an_error(self.names.requests), concurrency(self.names.requests, occupy=1, strict=True):
            yield

    def send(self) -> None:
        from prefect.concurrency.sync import rate_limit

        with _missing_limit_is_an_error(self.names.sends):
            rate_limit(self.names.sends, occupy=1, strict=True)


@contextlib.contextmanager
def _missing_limit_is_an_error(name: str) -> Iterator[None]:
    from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError

    try:
        yield
    except ConcurrencySlotAcquisitionError as exc:
        if "must be created" not in str(exc):
            raise
        problem = (
            f"the Prefect global concurrency limit {name!r} does not exist on PREFECT_API_URL's server; run "
            "`rollout deploy --pool POOL` (it creates the limits) or unset the setting"
        )
        raise SharedLimitMissingError(f"{SETTING}=prefect", [problem]) from None


def shared_limits(mode: str, client_id: str, organiser: str) -> SharedLimits:
    return PrefectLimits(limit_names(client_id, organiser)) if mode == "prefect" else ProcessOnly()
