"""Tables. Every timestamp is UTC and tz-aware; every change a person makes is stored with who and when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from rollout.db.types import (
    UTCDateTime,
    created_at,
    email_str,
    intpk,
    json_data,
    name_str,
    short_str,
    str_id,
    utc_time,
    utcnow,
)
from rollout.limits import ID_LENGTH, NAME_LENGTH, TITLE_LENGTH, TOKEN_ID_LENGTH


class Base(DeclarativeBase):
    pass


class Lcp(Base):
    """A Local Care Partnership, mirrored from config/waves.toml so rows can refer to it."""

    __tablename__ = "lcp"
    id: Mapped[str_id]
    name: Mapped[name_str]
    lead_name: Mapped[name_str]
    lead_email: Mapped[email_str]


class Wave(Base):
    __tablename__ = "wave"
    id: Mapped[str_id]
    name: Mapped[name_str]
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    approved_at: Mapped[utc_time | None]
    approved_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    workshops: Mapped[list[Workshop]] = relationship(back_populates="wave", order_by="Workshop.number")


class LaunchDecision(Base):
    """Every answer to a launch's approval request: approved, rejected (who and why) or timed out (nobody)."""

    __tablename__ = "launch_decision"
    id: Mapped[intpk]
    wave_id: Mapped[str] = mapped_column(ForeignKey("wave.id"), index=True)
    decision: Mapped[short_str]  # approved | rejected | timed_out
    decided_by: Mapped[str | None] = mapped_column(String(200))  # None when nobody answered in time
    note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[utc_time]
    flow_run_id: Mapped[str | None] = mapped_column(String(64))  # the launch-wave run that asked


class Organisation(Base):
    __tablename__ = "organisation"
    __table_args__ = (UniqueConstraint("lcp_id", "name"),)
    id: Mapped[intpk]
    lcp_id: Mapped[str] = mapped_column(ForeignKey("lcp.id"), index=True)
    name: Mapped[name_str]
    sector: Mapped[short_str]
    roles: Mapped[list[str]] = mapped_column(JSON)
    hub_interest: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[created_at]
    updated_at: Mapped[utc_time] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    contacts: Mapped[list[Contact]] = relationship(back_populates="organisation", order_by="Contact.email")
    hub: Mapped[Hub | None] = relationship(back_populates="organisation")


class Contact(Base):
    __tablename__ = "contact"
    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[name_str]
    email: Mapped[email_str] = mapped_column(unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Objection (the "stop emails" link): no programme emails from then on; calendar invitations only if kept.
    mail_opted_out_at: Mapped[utc_time | None]
    keep_calendar: Mapped[bool] = mapped_column(Boolean, default=False)
    # `rollout partners forget`: the row stays as a tombstone so counts and foreign keys hold; links are revoked.
    erased_at: Mapped[utc_time | None]
    created_at: Mapped[created_at]
    updated_at: Mapped[utc_time] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    organisation: Mapped[Organisation] = relationship(back_populates="contacts")


class Hub(Base):
    """An organisation that is a Digital Health Hub, at one of the configured stages."""

    __tablename__ = "hub"
    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    stage: Mapped[int] = mapped_column(Integer)
    stage_since: Mapped[utc_time]
    created_at: Mapped[created_at]
    organisation: Mapped[Organisation] = relationship(back_populates="hub")
    history: Mapped[list[HubStageChange]] = relationship(order_by="HubStageChange.changed_at")


class HubStageChange(Base):
    __tablename__ = "hub_stage_change"
    id: Mapped[intpk]
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id"), index=True)
    from_stage: Mapped[int | None] = mapped_column(Integer)
    to_stage: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[utc_time]
    changed_by: Mapped[name_str]
    source: Mapped[short_str]  # import | cli | checkin
    note: Mapped[str | None] = mapped_column(Text)


class HubHelpRequest(Base):
    """A hub asked the programme team for help, at most once per period at a stage (one stall)."""

    __tablename__ = "hub_help_request"
    __table_args__ = (UniqueConstraint("hub_id", "stage_since"),)
    id: Mapped[intpk]
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    stage_since: Mapped[utc_time]  # which period at the stage it belongs to
    requested_at: Mapped[utc_time]
    requested_by: Mapped[name_str]
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    source: Mapped[short_str]  # checkin | cli
    note: Mapped[str | None] = mapped_column(Text)
    hub: Mapped[Hub] = relationship()


class CheckinUse(Base):
    """A check-in link that has acted: each link acts once, so a replay finds its token id here and changes nothing."""

    __tablename__ = "checkin_use"
    token_id: Mapped[str] = mapped_column(String(TOKEN_ID_LENGTH), primary_key=True)
    used_at: Mapped[utc_time]
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    subject: Mapped[short_str]  # action:12 | hub:3
    transition: Mapped[short_str]  # action.done | hub.stage:2 | hub.help


class Workshop(Base):
    __tablename__ = "workshop"
    __table_args__ = (UniqueConstraint("wave_id", "number"),)
    id: Mapped[intpk]
    wave_id: Mapped[str] = mapped_column(ForeignKey("wave.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[name_str]
    starts_at: Mapped[utc_time]
    ends_at: Mapped[utc_time]
    format: Mapped[short_str]
    venue: Mapped[str | None] = mapped_column(String(TITLE_LENGTH))
    status: Mapped[short_str] = mapped_column(default="planned")  # planned | scheduled | cancelled
    event_id: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[utc_time] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    wave: Mapped[Wave] = relationship(back_populates="workshops")
    invitations: Mapped[list[Invitation]] = relationship(back_populates="workshop")


class Invitation(Base):
    """Someone on a workshop's attendee list (a partner contact or an LCP lead), with their latest response."""

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("workshop_id", "email"),)
    id: Mapped[intpk]
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id"), index=True)
    email: Mapped[email_str]
    name: Mapped[name_str]
    lcp_id: Mapped[str] = mapped_column(ForeignKey("lcp.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)  # None for LCP leads
    status: Mapped[short_str] = mapped_column(default="invited")  # invited | removed
    invited_at: Mapped[created_at]
    removed_at: Mapped[utc_time | None]
    response: Mapped[short_str] = mapped_column(default="none")  # none | accepted | tentative | declined
    responded_at: Mapped[utc_time | None]
    workshop: Mapped[Workshop] = relationship(back_populates="invitations")
    contact: Mapped[Contact | None] = relationship()


class ResponseChange(Base):
    __tablename__ = "response_change"
    id: Mapped[intpk]
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id"), index=True)
    response: Mapped[short_str]
    responded_at: Mapped[utc_time | None]
    recorded_at: Mapped[created_at]


class Action(Base):
    """A follow-up action a workshop set for an LCP lead or one organisation."""

    __tablename__ = "action"
    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(200), unique=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id"), index=True)
    lcp_id: Mapped[str] = mapped_column(ForeignKey("lcp.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    owner_role: Mapped[short_str]  # lcp_lead | each_partner | each_hub
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[short_str] = mapped_column(default="open", index=True)  # open | done
    overdue_since: Mapped[dt.date | None] = mapped_column(Date)
    done_at: Mapped[utc_time | None]
    done_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    created_at: Mapped[created_at]
    workshop: Mapped[Workshop] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    history: Mapped[list[ActionChange]] = relationship(order_by="ActionChange.changed_at")


class ActionChange(Base):
    __tablename__ = "action_change"
    id: Mapped[intpk]
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id"), index=True)
    status: Mapped[short_str]
    changed_at: Mapped[utc_time]
    changed_by: Mapped[name_str]
    source: Mapped[short_str]  # reconcile | cli | checkin
    note: Mapped[str | None] = mapped_column(Text)


class Escalation(Base):
    """One stall of one hub, from the day it began until progress resolves it; climbs the ladder level by level."""

    __tablename__ = "escalation"
    __table_args__ = (UniqueConstraint("hub_id", "stalled_since", "reason"),)
    id: Mapped[intpk]
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id"), index=True)
    reason: Mapped[short_str]  # no_progress | overdue_actions
    stalled_since: Mapped[dt.date] = mapped_column(Date)
    level: Mapped[int] = mapped_column(Integer, default=0)  # highest level notified; 0 = none yet
    status: Mapped[short_str] = mapped_column(default="open", index=True)  # open | acknowledged | snoozed | closed
    snoozed_until: Mapped[dt.date | None] = mapped_column(Date)
    acknowledged_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    acknowledged_at: Mapped[utc_time | None]
    closed_at: Mapped[utc_time | None]
    closed_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[created_at]
    hub: Mapped[Hub] = relationship()
    notices: Mapped[list[EscalationNotice]] = relationship(order_by="EscalationNotice.level")
    history: Mapped[list[EscalationChange]] = relationship(order_by="EscalationChange.changed_at")


class EscalationChange(Base):
    """What a person (or the reconciler) did to an escalation: acknowledged, snoozed, snooze ended, closed."""

    __tablename__ = "escalation_change"
    id: Mapped[intpk]
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalation.id"), index=True)
    change: Mapped[short_str]  # acknowledged | snoozed | snooze_ended | closed
    snoozed_until: Mapped[dt.date | None] = mapped_column(Date)
    changed_at: Mapped[utc_time]
    changed_by: Mapped[name_str]
    source: Mapped[short_str]  # reconcile | cli | checkin
    note: Mapped[str | None] = mapped_column(Text)


class EscalationNotice(Base):
    __tablename__ = "escalation_notice"
    __table_args__ = (UniqueConstraint("escalation_id", "level"),)
    id: Mapped[intpk]
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalation.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    sent_to: Mapped[short_str]  # hub_contact | lcp_lead | programme_manager
    message_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[created_at]


class OutboundMessage(Base):
    """The outbox: every intended event change or email, once, under a deterministic idempotency key."""

    __tablename__ = "outbound_message"
    id: Mapped[intpk]
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[short_str]  # event.create | event.update | event.cancel | mail
    purpose: Mapped[short_str]  # invitation, reminder, follow_up, escalation, digest, ...
    recipients: Mapped[list[str]] = mapped_column(JSON)
    payload: Mapped[json_data]
    status: Mapped[short_str] = mapped_column(default="pending", index=True)
    # pending | sending | sent | failed | dropped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[utc_time | None]
    stale_after: Mapped[utc_time | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(100))
    provider_id: Mapped[str | None] = mapped_column(String(300))
    wave_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    lcp_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshop.id"))
    created_at: Mapped[created_at]
    sent_at: Mapped[utc_time | None]


class DeliveryLease(Base):
    """Who may deliver the outbox now: one deliverer at a time, so no message is ever sent by two at once."""

    __tablename__ = "delivery_lease"
    name: Mapped[str_id]
    owner: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[utc_time]


class DigestSnapshot(Base):
    """The figures a weekly digest reported, kept for next week's week-over-week change."""

    __tablename__ = "digest_snapshot"
    id: Mapped[intpk]
    week_start: Mapped[dt.date] = mapped_column(Date, unique=True)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[created_at]


class Attendance(Base):
    """Whether one contact came to one workshop, as last recorded (Teams report, CSV, a person, the "I'm here" page).
    One row per contact and workshop: a Teams report with several sessions or a second import changes nothing."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("workshop_id", "contact_id"),)
    id: Mapped[intpk]
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    present: Mapped[bool] = mapped_column(Boolean, default=True)  # False: marked absent by a person
    source: Mapped[short_str]  # teams | import | mark | checkin
    recorded_at: Mapped[utc_time]
    recorded_by: Mapped[name_str]
    seconds: Mapped[int | None] = mapped_column(Integer)  # time in the Teams meeting, over every report


class AttendanceCollection(Base):
    """Collecting a Teams workshop's attendance report: retried each reconcile until a report exists or the
    configured window passes."""

    __tablename__ = "attendance_collection"
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id"), primary_key=True)
    status: Mapped[short_str] = mapped_column(default="waiting")  # waiting | collected | gave_up
    join_url: Mapped[str | None] = mapped_column(Text)
    meeting_id: Mapped[str | None] = mapped_column(String(300))
    reports: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[utc_time | None]
    collected_at: Mapped[utc_time | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class UnmatchedAttendee(Base):
    """Someone in a Teams report whose address matches no partner contact (or who has no address): a person
    resolves it with `rollout attendance mark ... --resolves ID`."""

    __tablename__ = "unmatched_attendee"
    __table_args__ = (UniqueConstraint("workshop_id", "identity"),)
    id: Mapped[intpk]
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id"), index=True)
    identity: Mapped[str] = mapped_column(String(320))  # the lower-cased address, or "name:" + display name
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    seen_at: Mapped[utc_time]
    resolved_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    resolved_at: Mapped[utc_time | None]
    resolved_by: Mapped[str | None] = mapped_column(String(200))


class Erasure(Base):
    """That personal data was erased, when and how much: never whose (that would defeat the erasure)."""

    __tablename__ = "erasure"
    id: Mapped[intpk]
    erased_at: Mapped[utc_time]
    reason: Mapped[short_str]  # forget | retention
    items: Mapped[int] = mapped_column(Integer)
