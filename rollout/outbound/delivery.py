"""The one deliverer: drains the outbox through the gateway, exactly once per idempotency key.

Each row is marked `sending` and committed before the gateway is called. A crash after that point leaves the row
`sending`; the next run calls the gateway again, and every gateway operation is idempotent for the same key
(transactionId for events, a Message-ID lookup for mail, diff-only PATCH, cancel-if-not-cancelled), so the second
call finishes the job instead of repeating it.

Failures come in three kinds. A message-level one (a recipient Exchange refuses, a body too large) fails that row
only. A transient one that outlasted the gateway's retries puts the row back with a backoff. A systemic one (the app
itself refused: an expired secret, no access to the organiser mailbox, throttling beyond a run's patience) stops the
run at once: the row in flight goes back to pending, nothing else is touched, and `DeliveryHalted` says what to fix.
The next run after the fix sends everything still due, each once; what went stale meanwhile is dropped as usual.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.db.types import utcnow
from rollout.errors import SystemicError
from rollout.outbound.gateway import (
    Gateway,
    NotFoundGraphError,
    PermanentGraphError,
    SystemicGraphError,
    TransientGraphError,
)
from rollout.outbound.outbox import event_spec, mail_spec

log = logging.getLogger(__name__)

LEASE_NAME = "outbox"
LEASE_SECONDS = 120
RENEW_EVERY_SECONDS = LEASE_SECONDS / 4  # renewing after every row would cost a commit per message
MAX_ATTEMPTS = 8

_OUTBOX = models.Base.metadata.tables[models.OutboundMessage.__tablename__]
_WORKSHOP = models.Base.metadata.tables[models.Workshop.__tablename__]
_UNSENT = _OUTBOX.c.status.in_(("pending", "sending"))
_DUE = (
    _UNSENT,
    or_(_OUTBOX.c.not_before.is_(None), _OUTBOX.c.not_before <= bindparam("now")),
)
# Built once, as plain Core statements over the tables: a claim is two or three statements per message, and
# building them (or loading the row as an ORM object) anew each time cost more than the statements themselves.
_NEXT_DUE = (
    select(
        _OUTBOX.c.id,
        _OUTBOX.c.kind,
        _OUTBOX.c.idempotency_key,
        _OUTBOX.c.attempts,
        _OUTBOX.c.stale_after,
        _OUTBOX.c.workshop_id,
        _OUTBOX.c.payload,
    )
    .where(*_DUE, _OUTBOX.c.id.not_in(bindparam("skipped", expanding=True)))
    .order_by(_OUTBOX.c.id)
    .limit(1)
)
_EVENT_ID = select(_WORKSHOP.c.event_id).where(_WORKSHOP.c.id == bindparam("workshop_id"))
_CLAIM = (
    update(_OUTBOX).where(_OUTBOX.c.id == bindparam("row_id")).values(status="sending", attempts=bindparam("attempts"))
)
_DUE_COUNT = select(func.count(_OUTBOX.c.id)).where(*_DUE)


class LeaseHeld(RuntimeError):
    """Another live deliverer holds the outbox."""


class DeliveryHalted(SystemicError):
    """Microsoft 365 refused the app itself: the run stopped, every unsent row is still pending."""

    def __init__(self, error: SystemicGraphError, report: DeliveryReport, waiting: int) -> None:
        self.error = error
        self.report = report
        self.waiting = waiting  # rows still to send (pending or interrupted), due now or later
        self.cause, self.fix = error.cause, error.fix
        super().__init__(self.render())

    def render(self) -> str:
        sent = f"{self.report.sent} sent before it stopped, " if self.report.sent else ""
        waiting = f"{self.waiting} message{'s' if self.waiting != 1 else ''} wait{'s' if self.waiting == 1 else ''}"
        return f"{self.cause}: {self.fix}; nothing was lost: {sent}{waiting} in the outbox for the next run"


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    retry_later: int = 0
    waiting: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.dropped

    def summary(self) -> str:
        return (
            f"sent {self.sent}, failed {self.failed}, dropped as stale {self.dropped}, "
            f"to retry {self.retry_later}, waiting {self.waiting}"
        )


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


class Deliverer:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        gateway: Gateway,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        owner: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.gateway = gateway
        self.clock = clock or utcnow
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._renewed_at = 0.0  # time.monotonic() of the last acquisition or renewal

    def run(
        self, *, limit: int | None = None, on_progress: Callable[[DeliveryReport, int], None] | None = None
    ) -> DeliveryReport:
        """Deliver every due row (or `limit` rows). `on_progress(report, total)` is called after each row."""
        report = DeliveryReport()
        self._acquire_lease()
        try:
            total = self._due_count()
            if total:
                self.gateway.check_access()  # a refused app touches no row at all
            skipped: set[int] = set()
            while limit is None or report.handled + report.retry_later < limit:
                claimed = self._deliver_next(skipped, report)
                if claimed is None:
                    break
                row_id, outcome = claimed
                if outcome == "waiting":
                    skipped.add(row_id)
                if on_progress:
                    on_progress(report, total)
                if time.monotonic() - self._renewed_at >= RENEW_EVERY_SECONDS:
                    self._renew_lease()
            report.waiting = len(skipped)
        except DBAPIError:
            # The database itself failed. Releasing the lease needs it too: that would only wait for it again
            # (SQLite's busy timeout, a reconnect) and then replace this error with its own. The lease frees
            # itself: at once for a deliverer on this host that has exited, after LEASE_SECONDS otherwise. A row
            # left `sending` is finished by the next run (the gateway recognises what it already sent).
            raise
        except SystemicGraphError as error:
            self._release_lease()
            raise DeliveryHalted(error, report, self._unsent_count()) from None
        except BaseException:
            self._release_lease()
            raise
        self._release_lease()
        return report

    # -- one row -------------------------------------------------------------------------------------------------

    def _deliver_next(self, skipped: set[int], report: DeliveryReport) -> tuple[int, str] | None:
        """Claim the next due row (the one not in `skipped` with the lowest id) and deliver it: (its id, the
        outcome), or None when nothing is due. Finding, checking and marking it `sending` is one transaction,
        committed before the gateway is called."""
        now = self.clock()
        with unit_of_work(self.sessions) as session:
            row = session.execute(_NEXT_DUE, {"now": now, "skipped": sorted(skipped)}).first()
            if row is None:
                return None
            row_id, kind, key, attempts, stale_after, workshop_id, payload = row
            if stale_after and now > stale_after:
                stale = f"stale: not delivered before {stale_after.isoformat()}"
                session.execute(
                    update(_OUTBOX).where(_OUTBOX.c.id == row_id).values(status="dropped", last_error=stale)
                )
                report.dropped += 1
                return row_id, "dropped"
            event_id = None
            if workshop_id is not None and kind in ("event.update", "event.cancel"):
                event_id = session.execute(_EVENT_ID, {"workshop_id": workshop_id}).scalar_one()
                if event_id is None:
                    return row_id, "waiting"  # its create has not been delivered yet
            session.execute(_CLAIM, {"row_id": row_id, "attempts": attempts + 1})
            first_attempt = attempts == 0

        try:
            provider_id = self._call_gateway(kind, payload, key, event_id, first_attempt=first_attempt)
        except SystemicGraphError as exc:
            self._put_back(row_id, exc)
            raise
        except PermanentGraphError as exc:
            self._fail(row_id, exc)
            report.failed += 1
            report.failures.append(f"{key}: {exc.code}")
            log.warning("outbox %s failed permanently: %s", key, exc.code)
            return row_id, "failed"
        except TransientGraphError as exc:
            retry = self._retry_later(row_id, exc)
            if retry:
                report.retry_later += 1
                return row_id, "retry"
            report.failed += 1
            report.failures.append(f"{key}: {exc.code} after {MAX_ATTEMPTS} attempts")
            return row_id, "failed"
        self._sent(row_id, kind, workshop_id, provider_id)
        report.sent += 1
        return row_id, "sent"

    def _call_gateway(
        self, kind: str, payload: dict[str, Any], key: str, event_id: str | None, *, first_attempt: bool
    ) -> str | None:
        if kind == "event.create":
            return self.gateway.create_event(event_spec(payload), transaction_id=key)
        if kind == "event.update":
            assert event_id is not None
            self.gateway.update_event(event_id, event_spec(payload))
            return event_id
        if kind == "event.cancel":
            assert event_id is not None
            with contextlib.suppress(NotFoundGraphError):  # already gone: the cancellation's purpose is met
                self.gateway.cancel_event(event_id, payload["comment"])
            return event_id
        # The attempt was committed before this call, so attempt 1 means no earlier call with this key exists.
        return self.gateway.send_mail(mail_spec(payload), idempotency_key=key, first_attempt=first_attempt)

    # The outcome is written by id, as plain UPDATEs of the tables (no ORM bulk-update bookkeeping): the claim
    # already read everything it depends on. Workshop.updated_at's onupdate applies all the same.

    def _sent(self, row_id: int, kind: str, workshop_id: int | None, provider_id: str | None) -> None:
        with unit_of_work(self.sessions) as session:
            session.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.id == row_id)
                .values(status="sent", provider_id=provider_id, sent_at=self.clock(), last_error=None)
            )
            if workshop_id is None or kind not in ("event.create", "event.cancel"):
                return
            workshop = (
                {"event_id": provider_id, "status": "scheduled"} if kind == "event.create" else {"status": "cancelled"}
            )
            session.execute(update(_WORKSHOP).where(_WORKSHOP.c.id == workshop_id).values(**workshop))

    def _fail(self, row_id: int, error: PermanentGraphError) -> None:
        with unit_of_work(self.sessions) as session:
            session.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.id == row_id)
                .values(status="failed", error_code=error.code, last_error=str(error))
            )

    def _put_back(self, row_id: int, exc: SystemicGraphError) -> None:
        """Pending again, due at once when the cause is fixed. The attempt stays counted: it may have reached
        Graph, so the next one looks for what it left (a draft) instead of assuming a first attempt."""
        with unit_of_work(self.sessions) as session:
            row = session.get_one(models.OutboundMessage, row_id)
            row.status, row.error_code, row.last_error = "pending", exc.code, exc.render()

    def _retry_later(self, row_id: int, exc: TransientGraphError) -> bool:
        with unit_of_work(self.sessions) as session:
            row = session.get_one(models.OutboundMessage, row_id)
            row.error_code, row.last_error = exc.code, str(exc)
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
                return False
            row.status, row.not_before = "pending", self.clock() + backoff(row.attempts)
            return True

    # -- queue ---------------------------------------------------------------------------------------------------

    def _due_count(self) -> int:
        with self.sessions() as session:
            return session.execute(_DUE_COUNT, {"now": self.clock()}).scalar_one()

    def _unsent_count(self) -> int:
        with self.sessions() as session:
            return session.execute(select(func.count(_OUTBOX.c.id)).where(_UNSENT)).scalar_one()

    # -- lease ---------------------------------------------------------------------------------------------------

    # The lease runs on real time even when the business clock (`clock`) is simulated.

    def _acquire_lease(self) -> None:
        now = utcnow()
        expires = now + dt.timedelta(seconds=LEASE_SECONDS)
        with unit_of_work(self.sessions) as session:
            lease = session.get(models.DeliveryLease, LEASE_NAME, with_for_update=True)
            if lease is None:
                session.add(models.DeliveryLease(name=LEASE_NAME, owner=self.owner, expires_at=expires))
            elif lease.owner != self.owner and lease.expires_at > now and _holder_alive(lease.owner):
                raise LeaseHeld(f"the outbox is being delivered by {lease.owner} until {lease.expires_at:%H:%M:%S}Z")
            else:
                lease.owner, lease.expires_at = self.owner, expires
        self._renewed_at = time.monotonic()

    def _renew_lease(self) -> None:
        with unit_of_work(self.sessions) as session:
            session.execute(
                update(models.DeliveryLease)
                .where(models.DeliveryLease.name == LEASE_NAME, models.DeliveryLease.owner == self.owner)
                .values(expires_at=utcnow() + dt.timedelta(seconds=LEASE_SECONDS))
            )
        self._renewed_at = time.monotonic()

    def _release_lease(self) -> None:
        with unit_of_work(self.sessions) as session:
            session.execute(
                update(models.DeliveryLease)
                .where(models.DeliveryLease.name == LEASE_NAME, models.DeliveryLease.owner == self.owner)
                .values(expires_at=utcnow() - dt.timedelta(seconds=1))
            )


def _holder_alive(owner: str) -> bool:
    """A lease held by a process on this host that no longer exists is free at once (a killed deliverer)."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
