"""Follow-ups (pure): which actions a held workshop creates, for whom, and the one email per owner contact."""

from __future__ import annotations

import pytest

from rollout.checkin.email_links import email_links
from rollout.config import Programme
from rollout.reconcile.follow_ups import follow_up_messages, new_actions
from tests.reconcile.builders import World, d, local
from tests.reconcile.conftest import with_cancelled

# wave-1 as planned from config/waves.toml:
# 1: Tue 18 Oct 2022, lcp_lead action due Tue 8 Nov; 2: Tue 15 Nov, each_partner due Tue 6 Dec;
# 3: Tue 13 Dec, each_hub due Thu 29 Dec. LCPs: central, woodsley-holt-park, morley.
WAVE_LCPS = ["central", "morley", "woodsley-holt-park"]


def test_nothing_until_the_first_working_day_after_the_workshop(world: World, programme: Programme) -> None:
    world.workshop(1, "2022-10-18")
    assert new_actions(world.snapshot(local(d("2022-10-18"), 23)), programme, local(d("2022-10-18"), 23)) == []
    created = new_actions(world.snapshot(local(d("2022-10-19"))), programme, local(d("2022-10-19")))
    assert [a.owner_role for a in created] == ["lcp_lead"] * 3


def test_lcp_lead_actions_one_per_lcp_of_the_wave_due_as_planned(world: World, programme: Programme) -> None:
    world.workshop(1, "2022-10-18")
    now = local(d("2022-10-19"))
    created = new_actions(world.snapshot(now), programme, now)
    assert sorted(a.lcp_id for a in created) == WAVE_LCPS
    assert {a.organisation_id for a in created} == {None}
    assert {a.due_date for a in created} == {d("2022-11-08")}
    assert {a.title for a in created} == {"Map your LCP's partners against the six roles"}
    assert "action:wave-1:workshop-1:0:central:lead" in {a.key for a in created}


def test_each_partner_actions_go_to_organisations_invited_to_that_workshop(world: World, programme: Programme) -> None:
    workshop = world.workshop(2, "2022-11-15")
    came = world.organisation("Came Group", contacts=2)
    elsewhere = world.organisation("Morley Group", "morley")
    world.organisation("Not Invited Group")
    world.invite(workshop, came)
    world.invite(workshop, elsewhere, "declined")  # invited is what counts, not the reply
    world.invite_lead(workshop, "central", "central.lead@example.org")
    now = local(d("2022-11-16"))
    created = new_actions(world.snapshot(now), programme, now)
    assert sorted((a.lcp_id, a.organisation_id) for a in created) == [("central", came.id), ("morley", elsewhere.id)]
    assert {a.due_date for a in created} == {d("2022-12-06")}


def test_each_hub_actions_go_to_hubs_and_prospective_hubs_of_the_wave(world: World, programme: Programme) -> None:
    world.workshop(3, "2022-12-13")
    hub = world.organisation("Hub Group", hub_stage=1)
    prospective = world.organisation("Keen Group", "morley", interest=True)
    world.organisation("Plain Group")
    world.organisation("Armley Hub", "armley", hub_stage=2)  # not in wave-1
    now = local(d("2022-12-14"))
    created = new_actions(world.snapshot(now), programme, now)
    assert sorted(a.organisation_id or 0 for a in created) == [hub.id, prospective.id]
    assert {a.due_date for a in created} == {d("2022-12-29")}


def test_actions_already_stored_are_not_created_again(world: World, programme: Programme) -> None:
    workshop = world.workshop(1, "2022-10-18")
    now = local(d("2022-10-20"))
    first = new_actions(world.snapshot(now), programme, now)
    for stored in first[:2]:
        world.action(workshop, "2022-11-08", lcp=stored.lcp_id, key=stored.key)
    assert [a.key for a in new_actions(world.snapshot(now), programme, now)] == [first[2].key]


def test_a_missed_follow_up_day_is_caught_up_until_the_due_date(world: World, programme: Programme) -> None:
    world.workshop(1, "2022-10-18")
    assert len(new_actions(world.snapshot(local(d("2022-11-07"))), programme, local(d("2022-11-07")))) == 3
    assert new_actions(world.snapshot(local(d("2022-11-08"))), programme, local(d("2022-11-08"))) == []


def test_cancelled_workshops_set_no_actions(world: World, programme: Programme) -> None:
    world.workshop(1, "2022-10-18", status="cancelled")
    now = local(d("2022-10-19"))
    assert new_actions(world.snapshot(now), programme, now) == []
    world.workshops.clear()
    world.workshop(1, "2022-10-18")
    assert new_actions(world.snapshot(now), with_cancelled(programme, "wave-1", 1), now) == []


def test_one_follow_up_email_per_owner_contact_listing_its_open_actions(world: World, programme: Programme) -> None:
    workshop = world.workshop(2, "2022-11-15")
    came = world.organisation("Came Group", contacts=2, hub_stage=1)
    action = world.action(workshop, "2022-12-06", came)
    world.action(workshop, "2022-12-06", world.organisation("Done Group"), status="done")
    lead_action = world.action(workshop, "2022-12-06", lcp="morley")
    now = local(d("2022-11-16"))
    messages = follow_up_messages(world.snapshot(now), programme, now)
    assert sorted(m.to.email for m in messages) == [
        "c1@came-group.example.org",
        "c2@came-group.example.org",
        "morley.lead@example.org",
    ]
    partner = next(m for m in messages if m.to.email == "c2@came-group.example.org")
    assert partner.key == f"follow-up:wave-1:workshop-2:central:org-{came.id}:c2@came-group.example.org"
    assert partner.context["contact_id"] == world.people_of(came)[1].id
    assert partner.context["hub_id"] == world.hub_of(came).id
    assert [a["id"] for a in partner.context["actions"]] == [action.id]
    assert partner.stale_after == local(d("2022-12-06"), 0)
    lead = next(m for m in messages if m.to.email == "morley.lead@example.org")
    assert lead.key == "follow-up:wave-1:workshop-2:morley:lead:morley.lead@example.org"
    assert lead.context["organisation"] is None and lead.context["actions"][0]["id"] == lead_action.id


def test_follow_up_email_renders_due_dates_and_escapes_partner_text(world: World, programme: Programme) -> None:
    workshop = world.workshop(2, "2022-11-15")
    org = world.organisation("Smith & <Sons>")
    world.action(workshop, "2022-12-06", org)
    now = local(d("2022-11-16"))
    (message,) = follow_up_messages(world.snapshot(now), programme, now)
    payload = message.render(email_links()).payload
    assert "Smith & <Sons> (Central)" in payload["text"]
    assert "Smith &amp; &lt;Sons&gt;" in payload["html"] and "<Sons>" not in payload["html"]
    assert "due Tuesday 6 December 2022" in payload["text"]
    assert payload["subject"] == "Your actions after the Digital Health Hubs workshop: Workshop 2"


@pytest.mark.parametrize(
    ("response", "opening"),
    [
        ("accepted", "Thank you for taking part in the Digital Health Hubs workshop Workshop 2"),
        ("tentative", "Thank you for taking part in the Digital Health Hubs workshop Workshop 2"),
        # A decliner hears "sorry you could not make it" (templates/emails/missed_workshop), never thanks.
        ("declined", "You let us know you couldn't come to the Digital Health Hubs workshop Workshop 2"),
        ("none", "We did not hear from you about the Digital Health Hubs workshop Workshop 2"),
    ],
)
def test_the_follow_up_is_worded_for_how_the_person_replied(
    world: World, programme: Programme, response: str, opening: str
) -> None:
    workshop = world.workshop(2, "2022-11-15")
    org = world.organisation("Tea Club")
    world.invite(workshop, org, response)
    world.action(workshop, "2022-12-06", org)
    now = local(d("2022-11-16"))
    (message,) = follow_up_messages(world.snapshot(now), programme, now)
    payload = message.render(email_links()).payload
    assert message.context["response"] == response
    assert opening in payload["text"]
    assert opening.replace("workshop Workshop 2", "workshop <strong>Workshop 2</strong>") in payload["html"]
    assert ("Thank you" in payload["text"]) == (response in ("accepted", "tentative"))
