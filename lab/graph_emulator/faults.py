"""Injected failures: probabilistic rates and one-shot faults matched by method and path."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import asdict, dataclass
from typing import Any

DEFAULT_CODES = {
    429: "ApplicationThrottled",
    500: "generalException",
    502: "BadGateway",
    503: "ServiceNotAvailable",
    504: "GatewayTimeout",
}


@dataclass(frozen=True)
class FaultAction:
    """What to do to one request. after_commit: perform the operation first, then fail (a lost response)."""

    status: int | None = None
    code: str | None = None
    retry_after: int | None = None
    drop: bool = False
    after_commit: bool = False

    def describe(self) -> str:
        if self.after_commit:
            return "lost-response"
        return "drop" if self.drop else "status"


@dataclass
class OnceFault:
    method: str
    path: str  # '*' matches one path segment, '**' any number
    action: FaultAction
    remaining: int

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method.upper()) and _pattern(self.path).fullmatch(path) is not None


def _pattern(glob: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*|\*)", glob.rstrip("/"))
    regex = "".join({"**": ".*", "*": "[^/]+"}.get(p, re.escape(p)) for p in parts)
    return re.compile(regex, re.IGNORECASE)


class Faults:
    """Thread-safe. Rates are probabilities per Graph request; `once` faults are used up in order."""

    def __init__(self, seed: int) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._queue: list[OnceFault] = []
        self.rate_429 = 0.0
        self.rate_503 = 0.0
        self.rate_drop = 0.0
        self.rate_lost_response = 0.0  # perform, then drop the connection
        self.latency_ms = 0.0
        self.retry_after_s = 1  # Retry-After sent with probabilistic 429/503

    def once(
        self,
        method: str,
        path: str,
        *,
        status: int | None = None,
        retry_after: int | None = None,
        drop: bool = False,
        after_commit: bool = False,
        code: str | None = None,
        times: int = 1,
    ) -> None:
        """Fail the next `times` requests matching method and path (relative to /v1.0, e.g.
        "/users/*/messages/*/send"; a full path such as "/*/oauth2/v2.0/token" also works)."""
        if status is None and not drop:
            raise ValueError("a fault needs a status or drop=True")
        if status is not None and drop:
            raise ValueError("choose a status or drop=True, not both")
        action = FaultAction(
            status, code or DEFAULT_CODES.get(status or 0, "UnknownError"), retry_after, drop, after_commit
        )
        with self._lock:
            self._queue.append(OnceFault(method.upper(), path, action, times))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self.rate_429 = self.rate_503 = self.rate_drop = self.rate_lost_response = 0.0
            self.latency_ms = 0.0

    def pending(self) -> int:
        with self._lock:
            return sum(f.remaining for f in self._queue)

    def take(self, method: str, paths: tuple[str, ...], graph: bool) -> FaultAction | None:
        """The fault for this request, if any: a matching one-shot first, then (Graph only) the rates."""
        with self._lock:
            for fault in self._queue:
                if any(fault.matches(method, p) for p in paths):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._queue.remove(fault)
                    return fault.action
            if not graph:
                return None
            draw = self._random.random()
        for rate, action in (
            (self.rate_drop, FaultAction(drop=True)),
            (self.rate_lost_response, FaultAction(drop=True, after_commit=True)),
            (self.rate_503, FaultAction(503, DEFAULT_CODES[503], self.retry_after_s)),
            (self.rate_429, FaultAction(429, DEFAULT_CODES[429], self.retry_after_s)),
        ):
            if draw < rate:
                return action
            draw -= rate
        return None

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rate_429": self.rate_429,
                "rate_503": self.rate_503,
                "rate_drop": self.rate_drop,
                "rate_lost_response": self.rate_lost_response,
                "latency_ms": self.latency_ms,
                "retry_after_s": self.retry_after_s,
                "once": [
                    {"method": f.method, "path": f.path, "remaining": f.remaining, **asdict(f.action)}
                    for f in self._queue
                ],
            }

    def configure(self, settings: dict[str, Any]) -> None:
        """Apply the admin endpoint's JSON: rates, latency, and a list of one-shot faults under "once"."""
        if settings.get("clear"):
            self.clear()
        for key in ("rate_429", "rate_503", "rate_drop", "rate_lost_response", "latency_ms"):
            if key in settings:
                setattr(self, key, float(settings[key]))
        if "retry_after_s" in settings:
            self.retry_after_s = int(settings["retry_after_s"])
        for entry in settings.get("once", ()):
            self.once(
                str(entry["method"]),
                str(entry["path"]),
                status=entry.get("status"),
                retry_after=entry.get("retry_after"),
                drop=bool(entry.get("drop", False)),
                after_commit=bool(entry.get("after_commit", False)),
                code=entry.get("code"),
                times=int(entry.get("times", 1)),
            )
