"""One function per check-in link, for email templates' callers and for support staff.

Each returns an absolute URL under ROLLOUT_PUBLIC_URL (`{public}/c/{token}`) naming one contact, one action or hub
and one transition. Emails are rendered when they are queued, so the link stored in the outbox payload is the
one sent; a link works for ROLLOUT_CHECKIN_TOKEN_DAYS from `issued_at` (default: now), once.

Links are issued only to partner contacts, for their own organisation's actions and hub: an action owned by an LCP
lead has no organisation and its email carries no link. The page checks all of this again when a link is used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rollout import settings
from rollout.checkin.tokens import (
    ACTION_DONE,
    HUB_HELP,
    STOP_EMAILS,
    SubjectKind,
    TokenCodec,
    Transition,
    codec,
    hub_stage,
)

PATH = "/c/"


@dataclass(frozen=True)
class Links:
    """Check-in links signed with one codec under one public address. Whoever issues many (a reconcile queuing
    its emails) builds one and keeps it: building reads the secret, which may be a Prefect Secret block (an API
    request)."""

    codec: TokenCodec
    public_url: str

    @classmethod
    def from_env(cls) -> Links:
        """From the environment as it is now; raises CheckinConfigError naming what to set without a secret."""
        return cls(codec(), settings.checkin_public_url())

    def action_done(self, contact_id: int, action_id: int, *, issued_at: dt.datetime | None = None) -> str:
        """'Mark as done' for one action of the contact's organisation."""
        return self._url(contact_id, "action", action_id, ACTION_DONE, issued_at)

    def hub_stage(self, contact_id: int, hub_id: int, stage: int, *, issued_at: dt.datetime | None = None) -> str:
        """'We have reached stage N' for the contact's organisation's hub (moves it from stage N-1 to N)."""
        return self._url(contact_id, "hub", hub_id, hub_stage(stage), issued_at)

    def hub_help(self, contact_id: int, hub_id: int, *, issued_at: dt.datetime | None = None) -> str:
        """'We need help' for the contact's organisation's hub (once per period at a stage)."""
        return self._url(contact_id, "hub", hub_id, HUB_HELP, issued_at)

    def stop_emails(self, contact_id: int, *, issued_at: dt.datetime | None = None) -> str:
        """'Stop emails from this programme': the objection link in the footer of every partner email."""
        return self._url(contact_id, "contact", contact_id, STOP_EMAILS, issued_at)

    def _url(
        self,
        contact_id: int,
        kind: SubjectKind,
        subject_id: int,
        transition: Transition,
        issued_at: dt.datetime | None,
    ) -> str:
        token = self.codec.issue(contact_id, kind, subject_id, transition, issued_at=issued_at)
        return f"{self.public_url}{PATH}{token}"


# One link at a time, from the environment as it is (support staff's `rollout checkin link`, tests).


def action_done_url(contact_id: int, action_id: int, *, issued_at: dt.datetime | None = None) -> str:
    return Links.from_env().action_done(contact_id, action_id, issued_at=issued_at)


def hub_stage_url(contact_id: int, hub_id: int, stage: int, *, issued_at: dt.datetime | None = None) -> str:
    return Links.from_env().hub_stage(contact_id, hub_id, stage, issued_at=issued_at)


def hub_help_url(contact_id: int, hub_id: int, *, issued_at: dt.datetime | None = None) -> str:
    return Links.from_env().hub_help(contact_id, hub_id, issued_at=issued_at)


def stop_emails_url(contact_id: int, *, issued_at: dt.datetime | None = None) -> str:
    return Links.from_env().stop_emails(contact_id, issued_at=issued_at)


def checkin_url(token: str) -> str:
    return f"{settings.checkin_public_url()}{PATH}{token}"
