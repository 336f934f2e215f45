"""One line per request the emulator answered, for tests and the demo to check client behaviour."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # without the query string
    status: int  # 0 when the connection was dropped without a response
    started: float  # time.time() when the request line had been read
    finished: float
    app: str | None  # client_id, once known from the token or the token request
    mailbox: str | None
    is_send: bool  # counted against the mailbox's send pace (the operation delivered something)
    # It arrived while the Retry-After this server last gave the same app was still running.
    before_retry_after: bool = False
    retry_after: int | None = None  # what this response told the client to wait
    fault: str | None = None  # injected: "drop", "status", or "lost-response" (after_commit)
    committed: bool = False  # the operation took effect (even if the client never heard)
    query: str = ""


def most_in_window(times: Sequence[float], window: float = 60.0) -> int:
    """The most timestamps in any `window` seconds (Exchange's send limit is such a sliding window)."""
    ordered = sorted(times)
    best = left = 0
    for right, t in enumerate(ordered):
        while ordered[left] <= t - window:
            left += 1
        best = max(best, right - left + 1)
    return best


def most_in_flight(records: Sequence[RequestRecord]) -> int:
    """The most Graph requests the emulator was answering at once."""
    edges = sorted(
        [(r.started, 1) for r in records if r.path.startswith("/v1.0/")]
        + [(r.finished, -1) for r in records if r.path.startswith("/v1.0/")]
    )
    most = current = 0
    for _, step in edges:
        current += step
        most = max(most, current)
    return most


def accepted_sends(records: Sequence[RequestRecord]) -> list[float]:
    """When each send the emulator accepted arrived."""
    return sorted(r.started for r in records if r.is_send and r.status < 400)
