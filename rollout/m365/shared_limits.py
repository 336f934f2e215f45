"""Exchange Online's limits, shared by every worker through Prefect's global concurrency limits.

The per-process limiter (limits.py) stays the inner guard; these are the outer one, held on the Prefect server, so
that workers on several machines together stay within what Microsoft allows an app and a mailbox:
- `requests`: a concurrency limit of `max_in_flight` slots per app and mailbox, one slot held around every Graph
  request;
- `sends`: a concurrency limit of one slot per mailbox. Each request that makes Exchange send something starts a
  hold of 60 / (pace - 1/2) seconds, and only the slot's holder sends. Holds never overlap, so any 60 s sees at most
  `pace` sends even when a request takes a second to arrive. A busy worker keeps the slot from one hold to the next
  (up to KEEP_AT_MOST_S, then it lets others in), so a steady drain costs no server round trip per message and loses
  only the half message a minute of margin (29.5 of 30).

Why not Prefect's decaying rate limit: its decay is `floor(rate * seconds since the row last changed)`, and a refused
attempt changes the row, so with the slot decaying at ~1 per 2 s and callers retrying on a Poisson-jittered
Retry-After, two workers reached two thirds of the pace (bench/two_workers.py, measured 2026-12-01).

Strict: with ROLLOUT_SHARED_LIMITS=prefect a missing limit stops the run with a message that says how to create it
(`rollout deploy`), never a silent no-op.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

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


def limit_specs(client_id: str, organiser: str, max_in_flight: int) -> list[LimitSpec]:
    """What `rollout deploy` creates on the server, from the same settings the gateway reads."""
    names = limit_names(client_id, organiser)
    return [LimitSpec(names.requests, max_in_flight), LimitSpec(names.sends, 1)]


def send_hold_s(send_pace_per_minute: int) -> float:
    """How long one send holds the mailbox's slot: a little over 60 / pace (see the module's docstring)."""
    return 60.0 / max(send_pace_per_minute - 0.5, 0.5)


def shared_mode(env: Mapping[str, str], problems: list[str]) -> str:
    mode = env.get(SETTING, "").strip().lower()
    if mode not in MODES:
        problems.append(f"{SETTING} must be empty (limits per process) or 'prefect' (shared by workers), got {mode!r}")
        return ""
    return mode


class SharedLimits(Protocol):
    def request(self) -> contextlib.AbstractContextManager[None]: ...

    def send(self) -> contextlib.AbstractContextManager[None]: ...


class ProcessOnly:
    """No limits beyond the process's own: the CLI against a temporary Prefect server, tests, one machine."""

    def request(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def send(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


class PrefectLimits:
    """Slots from the Prefect server's global concurrency limits (PREFECT_API_URL must be the shared server)."""

    # A busy sender keeps the mailbox's slot from one send to the next (no server round trip between them), but
    # gives it back at least this often so that other workers get their turn, well inside the lease's minute.
    KEEP_AT_MOST_S = 45.0

    def __init__(self, names: LimitNames, send_hold_s: float) -> None:
        self.names = names
        self.send_hold_s = send_hold_s
        self._lock = threading.Lock()  # one send of this process at a time; guards the fields below
        self._lease: UUID | None = None
        self._kept_since = 0.0
        self._hold_until = 0.0
        self._generation = 0  # which send the pending release belongs to

    @contextlib.contextmanager
    def request(self) -> Iterator[None]:
        from prefect.concurrency.sync import concurrency

        with _missing_limit_is_an_error(self.names.requests), concurrency(self.names.requests, occupy=1, strict=True):
            yield

    @contextlib.contextmanager
    def send(self) -> Iterator[None]:
        with self._lock:
            time.sleep(max(0.0, self._hold_until - time.monotonic()))
            if self._lease is not None and time.monotonic() - self._kept_since >= self.KEEP_AT_MOST_S:
                self._give_back()
            if self._lease is None:
                self._lease = self._acquire()
                self._kept_since = time.monotonic()
            # Back to back on a kept slot, the next hold starts where the last one ended, not when the sleep returned
            # (a few ms later each time); after an idle spell, now.
            self._hold_until = max(time.monotonic() - 0.05, self._hold_until) + self.send_hold_s
            self._generation += 1
            generation = self._generation
            try:
                yield
            finally:
                # Given back once the hold ends unless another send of this process has taken it on by then.
                delay = max(0.0, self._hold_until - time.monotonic()) + 0.05
                threading.Timer(delay, self._release_if_idle, args=(generation,)).start()

    def _acquire(self) -> UUID:
        """The mailbox's slot. Asked for every 16th of a hold while another worker has it: the server's own
        Retry-After follows the average holding time (many seconds for a busy sender) and would leave the mailbox
        idle after a hand-over."""
        from prefect.concurrency._sync import acquire_concurrency_slots_with_lease
        from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError

        _quiet_refusals()
        while True:
            try:
                with _missing_limit_is_an_error(self.names.sends):
                    # A process killed while holding the slot frees it when the lease (the server's minimum) ends.
                    response = acquire_concurrency_slots_with_lease(
                        [self.names.sends], 1, strict=True, lease_duration=60, max_retries=0
                    )
                return response.lease_id
            except ConcurrencySlotAcquisitionError as exc:
                cause = getattr(exc.__cause__, "response", None)
                if getattr(cause, "status_code", None) != 423:  # Locked: another worker holds it
                    raise
            time.sleep(self.send_hold_s / 16)

    def _release_if_idle(self, generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self._give_back()

    def _give_back(self) -> None:
        from prefect.concurrency._sync import release_concurrency_slots_with_lease

        lease, self._lease = self._lease, None
        if lease is not None:
            release_concurrency_slots_with_lease(lease)


class _OurRefusals(logging.Filter):
    """Prefect logs an error for every refused acquisition made without retries: ours, while another worker sends."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        ours = len(args) == 2 and args[0] == "ConcurrencySlotAcquisitionWithLeaseService"
        return not (ours and isinstance(args[1], tuple) and len(args[1]) > 3 and args[1][3] == 0)


_REFUSALS = _OurRefusals()


def _quiet_refusals() -> None:
    logging.getLogger("prefect._internal.concurrency").addFilter(_REFUSALS)  # adding it twice keeps one


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


def shared_limits(mode: str, client_id: str, organiser: str, send_pace_per_minute: int) -> SharedLimits:
    if mode != "prefect":
        return ProcessOnly()
    return PrefectLimits(limit_names(client_id, organiser), send_hold_s(send_pace_per_minute))
