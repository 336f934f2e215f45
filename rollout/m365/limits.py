"""Process-wide limits: requests in flight per app, and sending pace per mailbox.

Both are shared by every gateway instance in the process (keyed by client id / mailbox), because the limits
Microsoft enforces are per app and per mailbox, not per Python object. Both are thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Clock = Callable[[], float]

_registry_lock = threading.Lock()
_semaphores: dict[str, threading.BoundedSemaphore] = {}
_pacers: dict[tuple[str, int, float], SendPacer] = {}
_gates: dict[str, RetryAfterGate] = {}


def in_flight_semaphore(client_id: str, limit: int) -> threading.BoundedSemaphore:
    """The semaphore every gateway for `client_id` shares. The first caller's limit wins; Outlook allows 4
    concurrent requests per app per mailbox, so the setting should not differ between gateways anyway."""
    with _registry_lock:
        semaphore = _semaphores.get(client_id)
        if semaphore is None:
            semaphore = _semaphores[client_id] = threading.BoundedSemaphore(limit)
        return semaphore


def retry_gate(client_id: str) -> RetryAfterGate:
    """The Retry-After gate every gateway for `client_id` shares."""
    with _registry_lock:
        gate = _gates.get(client_id)
        if gate is None:
            gate = _gates[client_id] = RetryAfterGate()
        return gate


class RetryAfterGate:
    """When Graph answers 429/503 with Retry-After, no request of the app goes out before that time, from
    any thread: a throttled app that keeps calling from other threads only stays throttled longer."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._not_before = 0.0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + seconds)

    def wait(self) -> None:
        while True:
            with self._lock:
                delay = self._not_before - self._clock()
            if delay <= 0:
                return
            time.sleep(delay)


def send_pacer(mailbox: str, per_window: int, window_s: float = 60.0) -> SendPacer:
    """The pacer every gateway sending from `mailbox` at this pace shares."""
    key = (mailbox.lower(), per_window, window_s)
    with _registry_lock:
        pacer = _pacers.get(key)
        if pacer is None:
            pacer = _pacers[key] = SendPacer(per_window, window_s)
        return pacer


class SendPacer:
    """At most `per_window` sending requests in any `window_s` seconds, spread out rather than in bursts.

    Two rules, both must allow a send:
    - a token bucket (capacity `burst`, refilled at per_window/window_s) spreads a steady drain evenly
      (30/min -> a burst of 5, then one every 2 s) instead of 30 at once and a minute of silence, which is
      kinder to whatever algorithm Exchange uses and to the 4-requests-in-flight limit;
    - a sliding window is the hard guarantee: a slot is taken before the request and its timestamp recorded
      when the request *completes*. The server receives a request between those two instants, so it never
      sees request k + per_window less than a window after request k, whatever the latency. Requests still
      in flight count against the window, so concurrent senders cannot overshoot either.
    """

    def __init__(
        self,
        per_window: int,
        window_s: float = 60.0,
        burst: int | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        if per_window < 1 or window_s <= 0:
            raise ValueError("pace must be at least one message per positive window")
        self.per_window = per_window
        self.window_s = window_s
        self.burst = burst if burst is not None else max(1, per_window // 6)
        self._rate = per_window / window_s  # tokens per second
        self._tokens = float(self.burst)
        self._refilled_at = clock()
        self._clock = clock
        # A little slack so that a server counting its window inclusively still sees fewer than the limit.
        self._expiry_s = window_s + min(0.25, window_s * 0.01)
        self._done: deque[float] = deque()
        self._in_flight = 0
        self._cond = threading.Condition()
        self.waited_s = 0.0  # total time callers spent waiting, for the soak report

    @contextmanager
    def slot(self) -> Iterator[None]:
        self._acquire()
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._done.append(self._clock())
                self._cond.notify_all()

    def _acquire(self) -> None:
        started = self._clock()
        with self._cond:
            while True:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._refilled_at) * self._rate)
                self._refilled_at = now
                while self._done and self._done[0] + self._expiry_s <= now:
                    self._done.popleft()
                window_full = len(self._done) + self._in_flight >= self.per_window
                if not window_full and self._tokens >= 1:
                    self._tokens -= 1
                    self._in_flight += 1
                    self.waited_s += now - started
                    return
                waits = []
                if self._tokens < 1:
                    waits.append((1 - self._tokens) / self._rate)
                if window_full and self._done:
                    waits.append(self._done[0] + self._expiry_s - now)
                # No timeout when only in-flight sends fill the window: their completion notifies us.
                self._cond.wait(max(waits) if waits else None)
