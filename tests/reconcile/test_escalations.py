"""Escalating stalled hubs, end to end through the gateway: the ladder, quiet days, acknowledge, snooze, progress."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from rollout.db import models
from rollout.db.session import unit_of_work
from tests.reconcile.builders import UK, d
from tests.reconcile.db_setup import import_sample
from tests.reconcile.scenario import acknowledge, move, people, set_stage_since, snooze
from tests.reconcile.timeline import Timeline, days

pytestmark = pytest.mark.slow

HUB = "Morley Neighbourhood Network"  # stage 1 (90 days), two contacts
LEAD = "morley.lead@example.org"
MANAGER = "programme.manager@example.org"


@pytest.fixture
def timeline(data_dir, sessions, programme) -> Timeline:  # type: ignore[no-untyped-def]
    """The sample partners, every hub but HUB at its stage since 1 December 2022 (too recent to stall in
    these tests), HUB at stage 1 since 31 August: longer than 90 days, so stalled, from Wednesday 30 November."""
    import_sample(sessions, programme, hubs_since=dt.datetime(2022, 12, 1, 12, tzinfo=UK))
    set_stage_since(sessions, HUB, d("2022-08-31"))
    return Timeline.start(sessions, programme)


def ladder(timeline: Timeline) -> list[tuple[str, str, str]]:
    """(day, who, what) of every escalation email, in order."""
    return sorted(
        (day.isoformat(), address, what)
        for (day, address, what, about), n in timeline.ledger.items()
        if what.startswith("escalation") and about == HUB
        for _ in range(n)
    )


def level(day: str, n: int) -> list[tuple[str, str, str]]:
    if n == 1:
        return [(day, email, "escalation to hub") for email in people(HUB)]
    return [(day, LEAD if n == 2 else MANAGER, "escalation to lead" if n == 2 else "escalation to manager")]


def escalation(sessions: sessionmaker[Session]) -> models.Escalation:
    with sessions() as session:
        return session.scalars(select(models.Escalation).options(selectinload(models.Escalation.notices))).one()


def test_the_ladder_climbs_on_its_days_once_each(timeline: Timeline, sessions) -> None:  # type: ignore[no-untyped-def]
    for day in days(d("2022-11-28"), d("2022-12-31")):
        timeline.run(day)
    assert ladder(timeline) == [*level("2022-11-30", 1), *level("2022-12-07", 2), *level("2022-12-14", 3)]
    row = escalation(sessions)
    assert (row.reason, row.stalled_since, row.level, row.status) == ("no_progress", d("2022-11-30"), 3, "open")
    assert [(n.level, n.sent_to) for n in row.notices] == [
        (1, "hub_contact"),
        (2, "lcp_lead"),
        (3, "programme_manager"),
    ]


def test_progress_resolves_the_stall_and_stops_the_ladder(timeline: Timeline, sessions) -> None:  # type: ignore[no-untyped-def]
    for day in days(d("2022-11-28"), d("2022-12-05")):
        timeline.run(day)
    move(sessions, d("2022-12-06"), HUB, 2)
    for day in days(d("2022-12-06"), d("2022-12-31")):
        timeline.run(day)
    assert ladder(timeline) == level("2022-11-30", 1)
    row = escalation(sessions)
    assert row.status == "closed"
    assert row.closed_reason == "progress: at stage 2 (Universal health participation) since Tuesday 6 December 2022"
    with sessions() as session:
        (change,) = session.scalars(select(models.EscalationChange)).all()
    assert (change.change, change.changed_by, change.source) == ("closed", "reconcile", "reconcile")


def test_acknowledged_stalls_climb_no_further_until_progress_closes_them(timeline: Timeline, sessions) -> None:  # type: ignore[no-untyped-def]
    for day in days(d("2022-11-28"), d("2022-12-01")):
        timeline.run(day)
    acknowledge(sessions, d("2022-12-02"), HUB)
    for day in days(d("2022-12-02"), d("2023-01-10")):
        timeline.run(day)
    assert ladder(timeline) == level("2022-11-30", 1)
    assert escalation(sessions).status == "acknowledged"
    move(sessions, d("2023-01-11"), HUB, 2)
    timeline.run(d("2023-01-11"))
    assert escalation(sessions).status == "closed"


def test_snoozed_stalls_wait_for_the_date_then_resume(timeline: Timeline, sessions) -> None:  # type: ignore[no-untyped-def]
    for day in days(d("2022-11-28"), d("2022-12-01")):
        timeline.run(day)
    snooze(sessions, d("2022-12-02"), HUB, d("2022-12-12"))
    for day in days(d("2022-12-02"), d("2022-12-31")):
        timeline.run(day)
    # level 2 was due on 7 December: it goes out when the snooze ends; level 3 on its own day, 14 December
    assert ladder(timeline) == [*level("2022-11-30", 1), *level("2022-12-12", 2), *level("2022-12-14", 3)]
    with sessions() as session:
        changes = session.scalars(select(models.EscalationChange).order_by(models.EscalationChange.id)).all()
    assert [(c.change, c.snoozed_until, c.changed_by) for c in changes] == [
        ("snoozed", d("2022-12-12"), "pm"),
        ("snooze_ended", d("2022-12-12"), "reconcile"),
    ]
    assert escalation(sessions).status == "open"


def test_no_escalation_at_weekends_it_goes_out_the_next_working_day(timeline: Timeline, sessions) -> None:  # type: ignore[no-untyped-def]
    set_stage_since(sessions, HUB, d("2022-09-03"))  # stalled from Saturday 3 December
    for day in days(d("2022-11-28"), d("2022-12-31")):
        timeline.run(day)
    # due Sat 3, Sat 10, Sat 17 December: sent Monday 5, 12 and 19
    assert ladder(timeline) == [*level("2022-12-05", 1), *level("2022-12-12", 2), *level("2022-12-19", 3)]
    assert escalation(sessions).stalled_since == d("2022-12-03")


def test_no_escalation_on_bank_holidays(timeline: Timeline, sessions) -> None:  # type: ignore[no-untyped-def]
    set_stage_since(sessions, HUB, d("2022-09-26"))  # stalled from Monday 26 December (Boxing Day)
    for day in days(d("2022-12-20"), d("2023-01-20")):
        timeline.run(day)
    # due Mon 26 Dec (bank holiday, and Tue 27th) -> Wed 28 Dec; Mon 2 Jan (bank holiday) -> Tue 3 Jan; Mon 9 Jan
    assert ladder(timeline) == [*level("2022-12-28", 1), *level("2023-01-03", 2), *level("2023-01-09", 3)]


def test_an_escalation_queued_then_acknowledged_is_never_sent(timeline: Timeline, sessions) -> None:  # type: ignore[no-untyped-def]
    for day in days(d("2022-11-28"), d("2022-11-29")):
        timeline.run(day)
    assert timeline.run_without_sending(d("2022-11-30")).queued == {"escalation": 2}
    acknowledge(sessions, d("2022-11-30"), HUB)
    report = timeline.run(d("2022-12-01"))
    assert report.queue.superseded == 2
    assert ladder(timeline) == []
    assert timeline.outbox_statuses("escalation") == {"dropped": 2}


def test_hubs_of_lcps_not_yet_in_a_started_wave_are_left_alone(timeline: Timeline, sessions) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(sessions) as session:
        session.execute(update(models.Hub).values(stage_since=dt.datetime(2022, 1, 1, 12, tzinfo=UK)))
    timeline.run(d("2022-12-01"))
    with sessions() as session:
        lcps = set(
            session.scalars(
                select(models.Organisation.lcp_id)
                .join(models.Hub)
                .join(models.Escalation, models.Escalation.hub_id == models.Hub.id)
            )
        )
    assert lcps == {"central", "woodsley-holt-park", "morley"}  # wave 2's LCPs start in April 2023
