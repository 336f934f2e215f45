"""Workshop reminders (pure): who is reminded, from when, until when, under which key."""

from __future__ import annotations

from rollout.checkin.email_links import email_links
from rollout.config import Programme
from rollout.reconcile.reminders import workshop_reminders
from rollout.reconcile.state import WorkshopRow
from tests.reconcile.builders import World, d, local
from tests.reconcile.conftest import with_cancelled

# Workshop on Tuesday 18 October 2022, 10:00 UK time. 14 days before: Tuesday 4 October.
# 2 working days before: Friday 14 October.
WORKSHOP_DAY = "2022-10-18"


def reminded(world: World, programme: Programme, day: str, hour: int = 7) -> dict[str, str]:
    """email -> template of each reminder decided at that local time."""
    messages = workshop_reminders(world.snapshot(local(d(day), hour)), programme, local(d(day), hour))
    return {m.to.email: m.template for m in messages}


def setup(world: World) -> tuple[WorkshopRow, dict[str, str]]:
    workshop = world.workshop(1, WORKSHOP_DAY)
    answers = {"none": "Quiet Group", "accepted": "Yes Group", "tentative": "Maybe Group", "declined": "No Group"}
    emails = {}
    for response, name in answers.items():
        org = world.organisation(name)
        (invitation,) = world.invite(workshop, org, response)
        emails[response] = invitation.email
    return workshop, emails


def test_no_reply_reminder_opens_fourteen_days_before_at_local_midnight(world: World, programme: Programme) -> None:
    _, emails = setup(world)
    assert reminded(world, programme, "2022-10-03", hour=23) == {}
    assert reminded(world, programme, "2022-10-04", hour=0) == {emails["none"]: "workshop_reminder_no_response"}


def test_only_invitees_without_a_reply_get_the_no_reply_reminder(world: World, programme: Programme) -> None:
    _, emails = setup(world)
    assert reminded(world, programme, "2022-10-10") == {emails["none"]: "workshop_reminder_no_response"}


def test_see_you_there_goes_to_accepted_and_tentative_from_two_working_days_before(
    world: World, programme: Programme
) -> None:
    _, emails = setup(world)
    assert emails["declined"] not in reminded(world, programme, "2022-10-14")
    assert reminded(world, programme, "2022-10-14") == {
        emails["accepted"]: "workshop_reminder_attending",
        emails["tentative"]: "workshop_reminder_attending",
    }


def test_the_no_reply_window_closes_when_see_you_there_opens(world: World, programme: Programme) -> None:
    _, emails = setup(world)
    assert emails["none"] in reminded(world, programme, "2022-10-13", hour=23)
    assert emails["none"] not in reminded(world, programme, "2022-10-14", hour=0)


def test_nothing_once_the_workshop_has_started(world: World, programme: Programme) -> None:
    setup(world)
    assert reminded(world, programme, WORKSHOP_DAY, hour=9) != {}
    assert reminded(world, programme, WORKSHOP_DAY, hour=10) == {}


def test_reminders_are_stale_when_their_window_closes(world: World, programme: Programme) -> None:
    workshop, _ = setup(world)
    now = local(d("2022-10-05"))
    (no_reply,) = workshop_reminders(world.snapshot(now), programme, now)
    assert no_reply.stale_after == local(d("2022-10-14"), 0)
    now = local(d("2022-10-17"))
    attending = workshop_reminders(world.snapshot(now), programme, now)
    assert {m.stale_after for m in attending} == {workshop.starts_at}


def test_keys_name_the_workshop_date_and_repeat_exactly(world: World, programme: Programme) -> None:
    _, emails = setup(world)
    now = local(d("2022-10-05"))
    first = workshop_reminders(world.snapshot(now), programme, now)
    later = local(d("2022-10-06"))
    again = workshop_reminders(world.snapshot(later), programme, later)
    assert [m.key for m in first] == [m.key for m in again]
    assert first[0].key == f"reminder:no-response:wave-1:workshop-1:2022-10-18:{emails['none']}"


def test_a_moved_workshop_is_reminded_for_its_new_date(world: World, programme: Programme) -> None:
    world.workshop(1, "2022-10-25")
    org = world.organisation("Quiet Group")
    world.invite(world.workshops[1], org)
    now = local(d("2022-10-11"))
    (message,) = workshop_reminders(world.snapshot(now), programme, now)
    assert ":2022-10-25:" in message.key
    payload = message.render(email_links()).payload
    assert payload["subject"].endswith(", Tue 25 Oct 10:00")  # what and when, short enough for a subject
    assert "Tuesday 25 October 2022, 10:00–12:00 (UK time)" in payload["text"]


def test_cancelled_workshops_get_no_reminders(world: World, programme: Programme) -> None:
    setup(world)
    world.workshop(2, "2022-10-18", status="cancelled")
    world.invite(world.workshops[2], world.organisation("Other Group"))
    assert set(reminded(world, programme, "2022-10-05")) == {"c1@quiet-group.example.org"}
    # cancelled in the config: nothing, even before the cancellation reaches Outlook
    assert reminded(world, with_cancelled(programme, "wave-1", 1), "2022-10-05") == {}


def test_workshops_not_yet_in_outlook_get_no_reminders(world: World, programme: Programme) -> None:
    workshop = world.workshop(1, WORKSHOP_DAY, status="planned")
    world.invite(workshop, world.organisation("Quiet Group"))
    assert reminded(world, programme, "2022-10-05") == {}


def test_bank_holidays_move_see_you_there_earlier(world: World, programme: Programme) -> None:
    # Tuesday 3 January 2023: Monday 2 January is a bank holiday, so two working days before is Thursday 29 December.
    workshop = world.workshop(4, "2023-01-03")
    world.invite(workshop, world.organisation("Yes Group"), "accepted")
    assert reminded(world, programme, "2022-12-28") == {}
    assert reminded(world, programme, "2022-12-29") == {"c1@yes-group.example.org": "workshop_reminder_attending"}


def test_lcp_leads_are_reminded_like_partners(world: World, programme: Programme) -> None:
    workshop = world.workshop(1, WORKSHOP_DAY)
    world.invite_lead(workshop, "central", "central.lead@example.org")
    now = local(d("2022-10-05"))
    (message,) = workshop_reminders(world.snapshot(now), programme, now)
    assert message.to.contact_id is None
    assert message.context["contact_id"] is None and message.context["invitation_id"] == 1
