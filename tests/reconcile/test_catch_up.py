"""Level-triggered: a re-run sends nothing new; a missed week is caught up, and what went stale is never sent."""

from __future__ import annotations

import pytest

from tests.reconcile.builders import d, local
from tests.reconcile.db_setup import import_sample
from tests.reconcile.timeline import Timeline, days

pytestmark = pytest.mark.slow


@pytest.fixture
def timeline(data_dir, sessions, programme) -> Timeline:  # type: ignore[no-untyped-def]
    import_sample(sessions, programme)
    timeline = Timeline.start(sessions, programme)
    timeline.launch_core(d("2022-09-20"))
    return timeline


BUSY_DAYS = {
    "2022-10-04": "please reply",  # workshop 1 is in 14 days
    "2022-10-14": "see you there",
    "2022-10-19": "follow-up",
    "2022-11-09": "overdue",
    "2022-11-30": "escalation to hub",  # the Neighbourhood Networks have been at stage 1 for 90 days
}


def test_running_the_same_day_twice_sends_nothing_new(timeline: Timeline) -> None:
    for email in timeline.attendees()[1][:8]:
        timeline.respond(1, email, "accepted")
    stretches = [
        ("2022-09-21", "2022-10-05"),
        ("2022-10-13", "2022-10-20"),
        ("2022-11-07", "2022-11-10"),
        ("2022-11-28", "2022-12-01"),
    ]  # around each busy day; the gaps between are caught up
    for first_day, last_day in stretches:
        for day in days(d(first_day), d(last_day)):
            first = timeline.run(day)
            after_first = timeline.mail_counts()
            again = timeline.run(day)
            later_that_day = timeline.run(day, hour=18)
            assert timeline.mail_counts() == after_first, day
            assert again.queued == {} and later_that_day.queued == {}, day
            assert again.changes.actions_created == again.changes.escalations_opened == 0, day
            assert again.changes.overdue_marked == 0 and again.changes.escalations_closed == [], day
            if day.isoformat() in BUSY_DAYS:
                assert first.queued, day
                assert timeline.on(day, BUSY_DAYS[day.isoformat()]), day


def test_a_missed_week_is_caught_up_without_stale_messages(timeline: Timeline) -> None:
    accepted = timeline.attendees()[1][:5]
    for email in accepted:
        timeline.respond(1, email, "accepted")
    for day in days(d("2022-09-21"), d("2022-10-11")):
        timeline.run(day)
    # Nothing runs from 12 to 18 October: "see you there" (from Fri 14th until the workshop on Tue 18th, 10:00)
    # is missed for good; the follow-up (from Wed 19th) is sent on the first run back.
    first_back = timeline.run(d("2022-10-19"))
    assert first_back.queued == {"follow_up": 3}
    assert set(timeline.on(d("2022-10-19"))) == {
        (lead, "follow-up: 1")
        for lead in ("central.lead@example.org", "morley.lead@example.org", "woodsley-holt-park.lead@example.org")
    }
    for day in days(d("2022-10-20"), d("2022-10-26")):
        timeline.run(day)
    # Nothing from 27 October to 6 November: workshop 2's "please reply" (due 1 Nov, open until Fri 11th) and
    # workshop 1's action reminder (from Thu 3rd until the due date, Tue 8th) are still useful: sent on the 7th.
    timeline.run(d("2022-11-07"))
    arrived = timeline.on(d("2022-11-07"))
    assert {about for _, about in arrived} == {"please reply: 2", "action reminder: " + ACTION_1}
    assert sum(1 for _, about in arrived if about == "action reminder: " + ACTION_1) == 3
    assert all(what != "see you there" for (_, _, what, _) in timeline.ledger)
    never_late = [entry for entry in timeline.ledger if entry[2] == "please reply" and entry[3] == "1"]
    assert {entry[0] for entry in never_late} == {d("2022-10-04")}


ACTION_1 = "Map your LCP's partners against the six roles"


def test_reminders_queued_but_not_delivered_in_time_are_dropped_not_sent_late(timeline: Timeline) -> None:
    accepted = timeline.attendees()[1][:6]
    for email in accepted:
        timeline.respond(1, email, "accepted")
    for day in days(d("2022-09-21"), d("2022-10-13")):
        timeline.run(day)
    queued = timeline.run_without_sending(d("2022-10-14")).queued
    assert queued == {"reminder": 6}
    # Delivery comes back only after the workshop has started: the deliverer drops them as stale.
    report = timeline.deliver_at(local(d("2022-10-18"), 11))
    assert (report.sent, report.dropped) == (0, 6)
    assert timeline.on(d("2022-10-18")) == {}
    statuses = timeline.outbox_statuses("reminder")
    assert statuses["dropped"] == 6


def test_a_queued_reminder_no_longer_due_is_superseded_before_delivery(timeline: Timeline) -> None:
    for day in days(d("2022-09-21"), d("2022-10-03")):
        timeline.run(day)
    queued = timeline.run_without_sending(d("2022-10-04")).queued["reminder"]
    late_replier = timeline.attendees()[1][0]
    timeline.respond(1, late_replier, "declined")  # replies before the reminder went out
    report = timeline.run(d("2022-10-05"))
    assert report.queue.superseded == 1
    assert report.delivery is not None and report.delivery.sent == queued - 1
    assert late_replier not in {address for address, _ in timeline.on(d("2022-10-05"))}
