"""Action reminders, overdue marks and overdue notices (pure)."""

from __future__ import annotations

from rollout.checkin.email_links import email_links
from rollout.config import Programme
from rollout.reconcile.actions import OverdueMark, action_reminders, overdue_marks, overdue_notices
from tests.reconcile.builders import World, d, local

# Due Tuesday 8 November 2022; 3 working days before is Thursday 3 November.


def reminders_on(world: World, programme: Programme, day: str, hour: int = 7) -> list[str]:
    now = local(d(day), hour)
    return [m.key for m in action_reminders(world.snapshot(now), programme, now)]


def test_reminded_from_three_working_days_before_until_the_due_date(world: World, programme: Programme) -> None:
    workshop = world.workshop(1, "2022-10-18")
    action = world.action(workshop, "2022-11-08", lcp="morley")
    key = f"action-reminder:{action.id}:due-2022-11-08:morley.lead@example.org"
    assert reminders_on(world, programme, "2022-11-02", hour=23) == []
    assert reminders_on(world, programme, "2022-11-03", hour=0) == [key]
    assert reminders_on(world, programme, "2022-11-08", hour=23) == [key]
    assert reminders_on(world, programme, "2022-11-09", hour=0) == []


def test_a_reminder_is_stale_after_the_due_date(world: World, programme: Programme) -> None:
    action = world.action(world.workshop(1, "2022-10-18"), "2022-11-08")
    now = local(d("2022-11-04"))
    (message,) = action_reminders(world.snapshot(now), programme, now)
    assert message.stale_after == local(d("2022-11-09"), 0)
    assert message.context["action"]["id"] == action.id
    assert message.context["working_days_left"] == 2
    assert "in 2 working days" in message.render(email_links()).payload["text"]


def test_organisation_actions_remind_every_active_contact(world: World, programme: Programme) -> None:
    org = world.organisation("Two Person Group", contacts=2)
    world.action(world.workshop(2, "2022-11-15"), "2022-12-06", org)
    now = local(d("2022-12-01"))
    messages = action_reminders(world.snapshot(now), programme, now)
    assert [(m.to.email, m.to.contact_id) for m in messages] == [(c.email, c.id) for c in world.people_of(org)]


def test_done_actions_are_not_reminded_marked_or_chased(world: World, programme: Programme) -> None:
    world.action(world.workshop(1, "2022-10-18"), "2022-11-08", status="done")
    for day in ("2022-11-04", "2022-11-20"):
        now = local(d(day))
        snapshot = world.snapshot(now)
        assert action_reminders(snapshot, programme, now) == []
        assert overdue_marks(snapshot, programme, now) == []


def test_bank_holidays_do_not_count_as_working_days_before(world: World, programme: Programme) -> None:
    # Due Thursday 29 December 2022: 26 and 27 December are bank holidays, so the window opens Thursday 22nd.
    world.action(world.workshop(3, "2022-12-13"), "2022-12-29")
    assert reminders_on(world, programme, "2022-12-21") == []
    assert len(reminders_on(world, programme, "2022-12-22")) == 1


def test_overdue_from_the_day_after_the_due_date(world: World, programme: Programme) -> None:
    action = world.action(world.workshop(1, "2022-10-18"), "2022-11-08")
    now = local(d("2022-11-08"), 23)
    assert overdue_marks(world.snapshot(now), programme, now) == []
    now = local(d("2022-11-09"), 0)
    assert overdue_marks(world.snapshot(now), programme, now) == [OverdueMark(action.id, d("2022-11-09"))]


def test_an_action_marked_overdue_is_not_marked_again(world: World, programme: Programme) -> None:
    world.action(world.workshop(1, "2022-10-18"), "2022-11-08", overdue_since="2022-11-09")
    now = local(d("2022-11-15"))
    assert overdue_marks(world.snapshot(now), programme, now) == []


def test_the_owner_is_told_when_the_action_is_marked_overdue(world: World, programme: Programme) -> None:
    org = world.organisation("Late Group", contacts=2)
    action = world.action(world.workshop(2, "2022-11-15"), "2022-12-06", org)
    now = local(d("2022-12-12"))  # first seen overdue after a missed week: told now, overdue since the 7th
    snapshot = world.snapshot(now)
    marks = overdue_marks(snapshot, programme, now)
    messages = overdue_notices(snapshot, programme, now, marks)
    assert [m.key for m in messages] == [
        f"action-overdue:{action.id}:c1@late-group.example.org",
        f"action-overdue:{action.id}:c2@late-group.example.org",
    ]
    assert {m.stale_after for m in messages} == {None}
    assert messages[0].context["overdue_since"] == d("2022-12-07")
    rendered = messages[0].render(email_links()).payload
    assert rendered["subject"] == 'Overdue: "Do the thing" was due Tuesday 6 December 2022'


def test_once_marked_an_overdue_action_is_not_notified_again(world: World, programme: Programme) -> None:
    world.action(world.workshop(2, "2022-11-15"), "2022-12-06", overdue_since="2022-12-07")
    now = local(d("2022-12-20"))
    snapshot = world.snapshot(now)
    assert overdue_notices(snapshot, programme, now, overdue_marks(snapshot, programme, now)) == []
