"""RSVP sync: Outlook's attendee responses into the database, with history; cancelled workshops left alone."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from rollout.config import load_programme
from rollout.db import models
from rollout.outbound.gateway import AttendeeResponse, EventState
from rollout.reconcile import sync_rsvps
from rollout.reconcile.rsvp import ResponseUpdate, response_updates
from tests.reconcile.builders import d, local
from tests.reconcile.db_setup import import_sample
from tests.reconcile.timeline import Timeline, days, with_wave_1_line

NOW = dt.datetime(2022, 10, 1, tzinfo=dt.UTC)


def test_only_changed_responses_are_updates_matched_case_blind() -> None:
    state = EventState(
        "e1",
        False,
        (
            AttendeeResponse("Ann@Example.org", "accepted", NOW),
            AttendeeResponse("bob@example.org", "none", None),
            AttendeeResponse("stranger@example.org", "declined", NOW),
        ),
    )
    stored = [(1, "ann@example.org", "none"), (2, "bob@example.org", "none"), (3, "cat@example.org", "tentative")]
    assert response_updates(stored, state) == [ResponseUpdate(1, "ann@example.org", "none", "accepted", NOW)]


@pytest.fixture
def timeline(data_dir, sessions, programme) -> Timeline:  # type: ignore[no-untyped-def]
    import_sample(sessions, programme)
    timeline = Timeline.start(sessions, programme)
    timeline.launch_core(d("2022-09-20"))
    return timeline


def invitation(sessions, number: int, email: str) -> models.Invitation:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return session.scalars(
            select(models.Invitation)
            .join(models.Workshop)
            .where(models.Workshop.number == number, models.Invitation.email == email)
        ).one()


@pytest.mark.slow
def test_responses_are_stored_with_their_history(timeline: Timeline, sessions, programme) -> None:  # type: ignore[no-untyped-def]
    ann = timeline.attendees()[1][0]
    timeline.respond(1, ann, "tentativelyAccepted")
    report = sync_rsvps(sessions, timeline.gateway, programme, local(d("2022-10-01")))
    assert (report.events_read, report.responses_changed) == (1, 1)  # workshop 1; 2 is more than six weeks away
    assert report.changes == [f"wave-1 workshop 1: {ann}: none -> tentative"]
    timeline.respond(1, ann, "declined")
    assert sync_rsvps(sessions, timeline.gateway, programme, local(d("2022-10-02"))).responses_changed == 1
    assert sync_rsvps(sessions, timeline.gateway, programme, local(d("2022-10-03"))).responses_changed == 0
    row = invitation(sessions, 1, ann)
    assert row.response == "declined" and row.responded_at is not None
    with sessions() as session:
        history = session.execute(
            select(models.ResponseChange.response, models.ResponseChange.recorded_at)
            .where(models.ResponseChange.invitation_id == row.id)
            .order_by(models.ResponseChange.id)
        ).all()
    # recorded at the runs' as_of (the simulated day), not the wall clock
    assert [tuple(h) for h in history] == [
        ("tentative", local(d("2022-10-01"))),
        ("declined", local(d("2022-10-02"))),
    ]


@pytest.mark.slow
def test_upcoming_workshops_within_six_weeks_are_read(timeline: Timeline, sessions, programme) -> None:  # type: ignore[no-untyped-def]
    # 16 November: workshop 3 (13 Dec) is within six weeks; 4 (10 Jan), 5 and 6 are further; 1 and 2 are past
    assert sync_rsvps(sessions, timeline.gateway, programme, local(d("2022-11-16"))).events_read == 1
    everything = sync_rsvps(sessions, timeline.gateway, programme, local(d("2022-11-16")), everything=True)
    assert everything.events_read == 4


@pytest.mark.slow
def test_a_workshop_cancelled_in_outlook_is_marked_cancelled_and_never_reminded(  # type: ignore[no-untyped-def]
    timeline: Timeline, sessions, programme
) -> None:
    timeline.gateway.cancel_event(timeline.event_ids()[1], "Cancelled by the organiser in Outlook")
    report = timeline.run(d("2022-10-04"))
    assert report.rsvp.cancelled_in_outlook == ["wave-1 workshop 1"]
    assert report.queued == {}
    with sessions() as session:
        status = session.scalars(select(models.Workshop.status).where(models.Workshop.number == 1)).one()
    assert status == "cancelled"
    for day in days(d("2022-10-05"), d("2022-10-20")):
        timeline.run(day)
    assert {what for (_, _, what, about) in timeline.ledger if about == "1"} == {"invitation", "cancellation"}


@pytest.mark.slow
def test_a_workshop_cancelled_mid_wave_gets_its_cancellation_and_no_more_reminders(  # type: ignore[no-untyped-def]
    tmp_path, timeline: Timeline, sessions
) -> None:
    attendees = timeline.attendees()[2]
    for email in attendees[:4]:
        timeline.respond(2, email, "accepted")
    for day in days(d("2022-10-25"), d("2022-11-02")):
        timeline.run(day)
    asked = {address for address, _ in timeline.on(d("2022-11-01"), "please reply")}
    assert asked == set(attendees[4:])
    timeline.programme = load_programme(with_wave_1_line(tmp_path, "cancelled_workshops = [2]"))
    timeline.launch_core(d("2022-11-03"))
    assert {address for address, _ in timeline.on(d("2022-11-03"), "cancellation")} == set(attendees)
    for day in days(d("2022-11-03"), d("2022-11-30")):
        timeline.run(day)
    after = [entry for entry in timeline.ledger if entry[3] == "2" and entry[0] > d("2022-11-03")]
    assert after == []  # no "see you there" on 11 November, no follow-up on the 16th
    with sessions() as session:
        assert (
            session.scalars(select(models.Action).join(models.Workshop).where(models.Workshop.number == 2)).all() == []
        )
    assert 2 not in timeline.attendees()
    assert all("workshop 2" not in e.spec.subject for e in timeline.gateway.live_events())
