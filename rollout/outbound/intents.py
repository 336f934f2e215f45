"""What the outbox holds, as plain data: an Intent (one intended event change or email under its idempotency key) and
its JSON payload, converted to and from the gateway's specs. Pure: the deciders build intents without a database;
rollout.outbound.outbox stores them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
