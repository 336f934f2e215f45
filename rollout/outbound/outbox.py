"""The outbox: every intended event change or email becomes one row under a deterministic idempotency key.

Deciding what to send (pure) and sending it (the deliverer) never happen in the same step: a crash between them
leaves a row that the next run delivers, and deciding again finds the key already there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rollout.db import models
from rollout.outbound.gateway import EventSpec, MailSpec, Recipient

KINDS = ("event.create", "event.update", "event.cancel", "mail")


@dataclass(frozen=True)
class Intent:
    key: str
    kind: str
    purpose: str
    payload: dict[str, Any]
    recipients: tuple[str, ...] = ()
    wave_id: str | None = None
    lcp_id: str | None = None
    workshop_id: int | None = None
    not_before: dt.datetime | None = None
    stale_after: dt.datetime | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown outbox kind {self.kind!r}")
        if len(self.key) > 200:
            raise ValueError(f"idempotency key longer than 200 characters: {self.key[:60]}...")


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


# Payloads are JSON in the outbox; these convert the gateway's plain data both ways.


def event_payload(spec: EventSpec) -> dict[str, Any]:
    return {
        "subject": spec.subject,
        "body_html": spec.body_html,
        "start": spec.start.isoformat(),
        "end": spec.end.isoformat(),
        "timezone": spec.timezone,
        "attendees": [{"name": a.name, "email": a.email} for a in spec.attendees],
        "location": spec.location,
        "online": spec.online,
        "hide_attendees": spec.hide_attendees,
        "response_requested": spec.response_requested,
        "categories": list(spec.categories),
    }


def event_spec(payload: dict[str, Any]) -> EventSpec:
    return EventSpec(
        subject=payload["subject"],
        body_html=payload["body_html"],
        start=dt.datetime.fromisoformat(payload["start"]),
        end=dt.datetime.fromisoformat(payload["end"]),
        timezone=payload["timezone"],
        attendees=_recipients(payload["attendees"]),
        location=payload["location"],
        online=payload["online"],
        hide_attendees=payload["hide_attendees"],
        response_requested=payload["response_requested"],
        categories=tuple(payload.get("categories", ())),
    )


def mail_payload(mail: MailSpec) -> dict[str, Any]:
    return {
        "to": [{"name": r.name, "email": r.email} for r in mail.to],
        "cc": [{"name": r.name, "email": r.email} for r in mail.cc],
        "subject": mail.subject,
        "text": mail.text,
        "html": mail.html,
    }


def mail_spec(payload: dict[str, Any]) -> MailSpec:
    return MailSpec(
        to=_recipients(payload["to"]),
        cc=_recipients(payload.get("cc", [])),
        subject=payload["subject"],
        text=payload["text"],
        html=payload["html"],
    )


def _recipients(items: Sequence[dict[str, str]]) -> tuple[Recipient, ...]:
    return tuple(Recipient(name=item["name"], email=item["email"]) for item in items)
