"""What each person hears after a workshop depends on attendance (pure deciders on a built snapshot)."""

from __future__ import annotations

from rollout.checkin.email_links import email_links
from rollout.config import Programme
from rollout.outbound.emails import render
from rollout.reconcile import decide_messages
from rollout.reconcile.messages import Message
from tests.reconcile.builders import World, d, local

DAY_AFTER = local(d("2022-11-16"))  # workshop 2 is on Tuesday 15 November 2022


def small_world() -> tuple[World, dict[str, int]]:
    """Workshop 2 with three invited organisations, each owning an action from it: one came, one did not, one
    declined; a fourth organisation was invited, owns nothing, and did not come."""
    world = World()
    world.workshop(1, "2022-10-18")
    second = world.workshop(2, "2022-11-15")
    ids = {}
    for name, response in (("Came", "accepted"), ("Missed", "accepted"), ("Declined", "declined"), ("Idle", "none")):
        org = world.organisation(name)
        world.invite(second, org, response)
        if name != "Idle":
            world.action(second, "2022-12-06", org, title=f"{name}'s action")
        ids[name] = world.people_of(org)[0].id
    return world, ids


def by_contact(messages: list[Message]) -> dict[int | None, Message]:
    found: dict[int | None, Message] = {}
    for message in messages:
        assert message.to.contact_id not in found, "one email per person"
        found[message.to.contact_id] = message
    return found


def text_of(message: Message) -> str:
    email = render(message.template, **message.render_context(email_links()))
    return email.subject + "\n" + email.text


def after_workshop(world: World, programme: Programme) -> dict[int | None, Message]:
    outgoing = decide_messages(world.snapshot(DAY_AFTER), programme, DAY_AFTER)
    return by_contact([m for m in outgoing.messages if m.purpose in ("follow_up", "missed_workshop")])


def test_attendee_no_show_and_decliner_each_get_the_right_email(programme: Programme) -> None:
    world, ids = small_world()
    came = next(c for c in world.contacts if c.id == ids["Came"])
    world.attended(world.workshops[2], came)
    got = after_workshop(world, programme)

    assert got[ids["Came"]].template == "follow_up_actions"
    assert "Thank you for coming to the Digital Health Hubs workshop Workshop 2" in text_of(got[ids["Came"]])

    missed = got[ids["Missed"]]
    assert missed.template == "missed_workshop" and missed.purpose == "missed_workshop"
    assert "Sorry we missed you" in text_of(missed) and "Missed's action" in text_of(missed)

    declined = got[ids["Declined"]]
    assert declined.template == "missed_workshop"
    assert "couldn't come" in text_of(declined) and "Thank you for coming" not in text_of(declined)
    assert "Declined's action" in text_of(declined)

    idle = got[ids["Idle"]]  # invited, owns no action, did not come: the apology alone
    assert idle.template == "missed_workshop" and "Sorry we missed you" in text_of(idle)


def test_the_materials_link_is_in_sorry_we_missed_you(programme: Programme) -> None:
    world, ids = small_world()
    world.attended(world.workshops[2])
    spec = next(w for w in programme.workshops if w.number == 2)
    with_link = programme.model_copy(
        update={
            "workshops": [
                w.model_copy(update={"materials_url": "https://example.org/slides-2"}) if w is spec else w
                for w in programme.workshops
            ]
        }
    )
    got = after_workshop(world, with_link)
    assert "https://example.org/slides-2" in text_of(got[ids["Missed"]])


def test_nobody_is_thanked_for_coming_while_attendance_is_unknown(programme: Programme) -> None:
    world, ids = small_world()
    got = after_workshop(world, programme)
    assert got[ids["Came"]].template == "follow_up_actions"
    assert "Thank you for coming" not in text_of(got[ids["Came"]])
    assert got[ids["Missed"]].template == "follow_up_actions"  # not known to have missed it
    assert got[ids["Declined"]].template == "missed_workshop"  # they said so
    assert ids["Idle"] not in got


def test_follow_ups_wait_for_attendance_until_the_cut_off(programme: Programme) -> None:
    waiting = programme.model_copy(
        update={"attendance": programme.attendance.model_copy(update={"follow_up_cutoff_days": 3})}
    )
    world, ids = small_world()

    def decided(day: str) -> dict[int | None, Message]:
        now = local(d(day))
        outgoing = decide_messages(world.snapshot(now), waiting, now)
        return by_contact([m for m in outgoing.messages if m.purpose in ("follow_up", "missed_workshop")])

    assert decided("2022-11-16") == {} and decided("2022-11-18") == {}
    assert decided("2022-11-19")[ids["Came"]].template == "follow_up_actions"  # the cut-off passed: what is known
    world.attended(world.workshops[2], next(c for c in world.contacts if c.id == ids["Came"]))
    early = decided("2022-11-16")  # once attendance is known, nothing waits
    assert early[ids["Came"]].context["attended"] is True and early[ids["Missed"]].template == "missed_workshop"


def test_a_follow_up_and_an_apology_share_one_key_so_a_person_gets_one_email(programme: Programme) -> None:
    world, ids = small_world()
    before = after_workshop(world, programme)
    world.attended(world.workshops[2])
    after = after_workshop(world, programme)
    assert before[ids["Missed"]].template != after[ids["Missed"]].template
    assert before[ids["Missed"]].key == after[ids["Missed"]].key
