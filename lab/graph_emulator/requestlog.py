"""One line per request the emulator answered, for tests and the demo to check client behaviour."""

from __future__ import annotations

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
