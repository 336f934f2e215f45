"""The outbox: every intended event change or email becomes one row under a deterministic idempotency key.

Deciding what to send (pure) and sending it (the deliverer) never happen in the same step: a crash between them
leaves a row that the next run delivers, and deciding again finds the key already there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rollout.db import models
from rollout.outbound.intents import KINDS, Intent, event_payload, event_spec, mail_payload, mail_spec

# Intents and their payloads are pure (rollout.outbound.intents); re-exported for the callers that also enqueue.
__all__ = ["KINDS", "Intent", "enqueue", "event_payload", "event_spec", "mail_payload", "mail_spec"]


def enqueue(session: Session, intents: Iterable[Intent], at: dt.datetime | None = None) -> list[str]:
    """Insert each intent whose key is new, created `at` (the run's clock; None: the database's now); returns the
    keys actually added. Safe under concurrent callers."""
    stamp: dict[str, Any] = {"created_at": at} if at is not None else {}
    rows: list[dict[str, Any]] = [
        {
            **stamp,
            "idempotency_key": i.key,
            "kind": i.kind,
            "purpose": i.purpose,
            "payload": i.payload,
            "recipients": list(i.recipients),
            "status": "pending",
            "attempts": 0,
            "wave_id": i.wave_id,
            "lcp_id": i.lcp_id,
            "workshop_id": i.workshop_id,
            "not_before": i.not_before,
            "stale_after": i.stale_after,
        }
        for i in intents
    ]
    if not rows:
        return []
    keys: list[str] = [row["idempotency_key"] for row in rows]
    existing = set(
        session.scalars(
            select(models.OutboundMessage.idempotency_key).where(models.OutboundMessage.idempotency_key.in_(keys))
        )
    )
    fresh = [row for row in rows if row["idempotency_key"] not in existing]
    if not fresh:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(models.OutboundMessage).on_conflict_do_nothing(index_elements=["idempotency_key"])
    session.execute(statement, fresh)
    session.flush()
    return [row["idempotency_key"] for row in fresh]
