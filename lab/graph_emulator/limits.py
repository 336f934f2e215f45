"""Exchange Online's throttles: concurrent requests per app and the per-mailbox message rate."""

from __future__ import annotations

import math
import threading
from collections import deque

from graph_emulator.errors import ServiceError

WINDOW_S = 60.0


class ConcurrencyLimit:
    """At most `limit` requests in flight per app; the next one is refused at once, never queued."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()

    def enter(self, app: str) -> None:
        with self._lock:
            current = self._in_flight.get(app, 0)
            if current >= self.limit:
                raise ServiceError(
                    429,
                    "ApplicationThrottled",
                    "Application is over its MailboxConcurrency limit.",
                    retry_after=1,
                )
            self._in_flight[app] = current + 1

    def leave(self, app: str) -> None:
        with self._lock:
            self._in_flight[app] = max(0, self._in_flight.get(app, 0) - 1)

    def in_flight(self, app: str) -> int:
        with self._lock:
            return self._in_flight.get(app, 0)


class SendPace:
    """A sliding 60-second window of sends per mailbox. Callers hold the store lock."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._sends: dict[str, deque[float]] = {}

    def take(self, mailbox: str, now: float) -> None:
        """Count one send now, or raise 429 with the seconds until the oldest send leaves the window."""
        window = self._sends.setdefault(mailbox, deque())
        while window and window[0] <= now - WINDOW_S:
            window.popleft()
        if len(window) >= self.per_minute:
            wait = max(1, math.ceil(window[0] + WINDOW_S - now))
            raise ServiceError(
                429,
                "ErrorExceededMessageLimit",
                "Cannot send mail. The sender has exceeded the message rate limit; try again later.",
                retry_after=wait,
            )
        window.append(now)

    def clear(self) -> None:
        self._sends.clear()
