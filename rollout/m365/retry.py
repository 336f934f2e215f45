"""One retry policy for every Graph operation.

Retrying is safe only because every gateway operation is idempotent as a whole (transactionId on create,
read-compare-write on update, read-before-cancel, lookup-before-send for mail). So the unit that is retried
is the *operation*, re-run from its first step, never a single blind request: a re-run re-reads the state
that a lost response would have told us about.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from rollout.m365.systemic import gave_up
from rollout.outbound.gateway import TransientGraphError

log = logging.getLogger("rollout.m365")

T = TypeVar("T")

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


class RetryableFailure(Exception):
    """A failure worth another attempt: throttling, a 5xx, a dropped connection, a timeout."""

    def __init__(
        self, status: int, code: str, message: str, retry_after: float | None = None, *, systemic: bool = False
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        # When retries run out: is every other message stuck behind the same cause? Throttling (429) is the
        # tenant's or the mailbox's, and a token endpoint that does not answer blocks every request; a 5xx or a
        # dropped connection on one request may be that message's own trouble.
        self.systemic = systemic or status == 429
        super().__init__(f"{status} {code}: {message}")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    max_elapsed_s: float = 300.0
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before attempt `attempt + 1`. Retry-After is a floor, never shortened; jitter is
        added on top so that parallel workers throttled together do not come back together."""
        if retry_after is not None:
            return retry_after + random.uniform(0, min(1.0, 0.1 * retry_after + self.base_delay_s / 2))
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is delta-seconds or an HTTP date (RFC 9110); Graph sends seconds."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def run_with_retries(
    operation: Callable[[], T],
    policy: RetryPolicy,
    *,
    name: str,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run `operation` until it succeeds, raises something not retryable, or the policy's budget is spent."""
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            return operation()
        except RetryableFailure as failure:
            wait = policy.delay(attempt, failure.retry_after)
            elapsed = clock() - started
            if attempt >= policy.max_attempts or elapsed + wait > policy.max_elapsed_s:
                message = f"{failure.message} (gave up on {name} after {attempt} attempts in {elapsed:.1f}s)"
                if failure.systemic:
                    raise gave_up(failure.status, failure.code, message, policy.max_elapsed_s) from None
                raise TransientGraphError(failure.status, failure.code, message) from None
            log.info(
                "graph %s: %s %s, attempt %d, retrying in %.2fs",
                name,
                failure.status,
                failure.code,
                attempt,
                wait,
            )
            sleep(wait)
