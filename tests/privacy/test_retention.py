"""Retention: what remains after each daily run is what the policy says, a year on, with the counts kept."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import select, update

from rollout.config.schema import Retention
from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.privacy import apply_retention_policy
from rollout.privacy.rules import (
    ContactRow,
    OutboxRow,
    RetentionRows,
    is_tombstone,
    retention_due,
)
from tests.privacy.conftest import figures
from tests.reconcile.builders import d, local

SHORT = Retention(
    outbox_bodies_days=14,
    checkin_notes_days=30,
    rsvp_history_days=60,
    removed_contacts_days=90,
    closed_wave_invitations_days=120,
)
NOW = dt.datetime(2023, 6, 1, 6, tzinfo=dt.UTC)


def test_a_delivered_email_body_is_due_after_its_period_and_never_again() -> None:
    old = OutboxRow(1, "mail", "sent", NOW - dt.timedelta(days=14), erased=False, wave_ended=None)
    new = OutboxRow(2, "mail", "sent", NOW - dt.timedelta(days=13), erased=False, wave_ended=None)
    pending = OutboxRow(3, "mail", "pending", NOW - dt.timedelta(days=40), erased=False, wave_ended=None)
    erased = OutboxRow(4, "mail", "sent", NOW - dt.timedelta(days=40), erased=True, wave_ended=None)
    plan = retention_due(RetentionRows(outbox=(old, new, pending, erased)), SHORT, NOW)
    assert plan.outbox_bodies == (1,)


def test_only_removed_contacts_become_tombstones() -> None:
    long_ago = NOW - dt.timedelta(days=91)
    rows = RetentionRows(
        contacts=(
            ContactRow(1, False, False, long_ago),
            ContactRow(2, True, False, long_ago),
            ContactRow(3, False, True, long_ago),
            ContactRow(4, False, False, NOW),
        )
    )
    assert retention_due(rows, SHORT, NOW).contacts == (1,)


def test_the_retention_section_refuses_periods_out_of_bounds() -> None:
    with pytest.raises(ValueError, match="greater than or equal to 7"):
        Retention(outbox_bodies_days=1)
    with pytest.raises(ValueError, match="less than or equal to 3650"):
        Retention(rsvp_history_days=100000)


@pytest.mark.slow
def test_a_year_of_daily_runs_leaves_exactly_what_the_policy_allows(wave, sessions, programme) -> None:  # type: ignore[no-untyped-def]
    _, partner = wave
    policy_programme = programme.model_copy(update={"retention": SHORT})
    removed_on = local(d("2022-12-01"))
    with unit_of_work(sessions) as session:
        session.execute(
            update(models.Contact)
            .where(models.Contact.id == partner.contact_id)
            .values(active=False, updated_at=removed_on)
        )
    fixed = local(d("2022-11-11"), 12)
    before = figures(sessions, programme, fixed)
    totals: Counter[str] = Counter()
    day = local(d("2022-11-12"))
    while day <= local(d("2023-11-12")):
        erased = apply_retention_policy(sessions, policy_programme, day)
        totals.update(erased)
        assert sum(apply_retention_policy(sessions, policy_programme, day).values()) == 0  # idempotent
        assert_only_what_the_policy_allows(sessions, day, partner.contact_id, removed_on)
        day += dt.timedelta(days=7)
    assert figures(sessions, programme, fixed) == before
    print("retention over a year:", dict(totals))  # the figures in the report
    assert totals["outbox_bodies"] > 0 and totals["removed_contacts"] == 1 and totals["rsvp_history"] > 0
    assert totals["closed_wave_invitations"] > 0 and totals["checkin_notes"] > 0
    with sessions() as session:
        assert session.scalars(select(models.Erasure.reason)).all() == ["retention"] * len(
            session.scalars(select(models.Erasure)).all()
        )


def assert_only_what_the_policy_allows(sessions, as_of: dt.datetime, removed_id: int, removed_on: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    def older(days: int, at: dt.datetime) -> bool:
        return at <= as_of - dt.timedelta(days=days)

    with sessions() as session:
        for message in session.scalars(select(models.OutboundMessage).where(models.OutboundMessage.kind == "mail")):
            if message.status in ("sent", "dropped", "failed"):
                at = message.sent_at or message.created_at
                assert (message.payload == {"erased": True}) == older(SHORT.outbox_bodies_days, at), message.id
        for change in session.scalars(select(models.ActionChange).where(models.ActionChange.source == "checkin")):
            assert (change.note is None) == older(SHORT.checkin_notes_days, change.changed_at)
        for history in session.scalars(select(models.ResponseChange)):
            assert not older(SHORT.rsvp_history_days, history.recorded_at)
        contact = session.get(models.Contact, removed_id)
        assert contact is not None
        assert (contact.erased_at is not None) == older(SHORT.removed_contacts_days, removed_on)
        ended = (as_of - dt.timedelta(days=SHORT.closed_wave_invitations_days)).date()
        for invitation, end in session.execute(
            select(models.Invitation, models.Wave.end_date)
            .join(models.Workshop, models.Workshop.id == models.Invitation.workshop_id)
            .join(models.Wave, models.Wave.id == models.Workshop.wave_id)
        ).tuples():
            if end <= ended:
                assert is_tombstone(invitation.email) and invitation.name == "Erased contact"
