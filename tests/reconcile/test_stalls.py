"""Stalled hubs and the escalation ladder (pure)."""

from __future__ import annotations

import html
from dataclasses import replace

from rollout.checkin.email_links import email_links
from rollout.config import Programme
from rollout.reconcile.stalls import (
    NO_PROGRESS,
    OVERDUE_ACTIONS,
    NewStall,
    StallChanges,
    current_stalls,
    escalation_notices,
    stall_changes,
)
from tests.reconcile.builders import World, d, local

# Stage 1 stalls after 90 days: a hub at stage 1 since Wednesday 31 August 2022 has been there longer than 90 days
# from Wednesday 30 November. Levels (config/waves.toml): hub_contact after 0 days, lcp_lead after 7,
# programme_manager after 14.


def changes_on(world: World, programme: Programme, day: str) -> StallChanges:
    now = local(d(day))
    return stall_changes(world.snapshot(now), programme, now)


def levels_on(world: World, programme: Programme, day: str) -> list[tuple[int, str, list[str]]]:
    now = local(d(day))
    return [
        (n.level, n.sent_to, [m.to.email for m in n.messages])
        for n in escalation_notices(world.snapshot(now), programme, now)
    ]


def test_a_hub_stalls_when_it_stays_at_a_stage_longer_than_configured(world: World, programme: Programme) -> None:
    hub = world.hub_of(world.organisation("Slow Hub", hub_stage=1))  # since 31 August
    assert changes_on(world, programme, "2022-11-29").opened == []  # 90 days: not longer than 90 yet
    assert changes_on(world, programme, "2022-11-30").opened == [NewStall(hub.id, NO_PROGRESS, d("2022-11-30"))]


def test_a_stage_without_a_limit_never_stalls(world: World, programme: Programme) -> None:
    world.organisation("Done Hub", hub_stage=4, stage_since="2020-01-01")
    assert current_stalls(world.snapshot(local(d("2023-06-01"))), programme, d("2023-06-01")) == {}


def test_a_hub_with_overdue_actions_is_stalled_since_the_first_became_overdue(
    world: World, programme: Programme
) -> None:
    org = world.organisation("Late Hub", hub_stage=2, stage_since="2022-11-01")
    workshop = world.workshop(3, "2022-12-13")
    world.action(workshop, "2022-12-29", org)
    world.action(workshop, "2023-01-10", org)
    world.action(workshop, "2022-12-20", org, status="done")
    hub = world.hub_of(org)
    assert changes_on(world, programme, "2022-12-29").opened == []
    assert changes_on(world, programme, "2023-01-12").opened == [NewStall(hub.id, OVERDUE_ACTIONS, d("2022-12-30"))]


def test_an_open_stall_is_not_opened_again_nor_a_closed_one_reopened(world: World, programme: Programme) -> None:
    hub = world.hub_of(world.organisation("Slow Hub", hub_stage=1))
    world.escalation(hub, NO_PROGRESS, "2022-11-30", status="closed")
    assert changes_on(world, programme, "2022-12-01").opened == []
    world.escalations.clear()
    world.escalation(hub, NO_PROGRESS, "2022-11-30")
    changes = changes_on(world, programme, "2022-12-01")
    assert changes.opened == [] and changes.closed == []


def test_a_stage_change_resolves_a_no_progress_stall(world: World, programme: Programme) -> None:
    org = world.organisation("Moving Hub", hub_stage=2, stage_since="2022-12-05")
    escalation = world.escalation(world.hub_of(org), NO_PROGRESS, "2022-11-30", notified=(1,))
    (closure,) = changes_on(world, programme, "2022-12-06").closed
    assert closure.escalation_id == escalation.id
    assert closure.reason == "progress: at stage 2 (Universal health participation) since Monday 5 December 2022"
    assert changes_on(world, programme, "2022-12-06").opened == []


def test_doing_the_overdue_actions_resolves_an_overdue_stall(world: World, programme: Programme) -> None:
    org = world.organisation("Late Hub", hub_stage=2, stage_since="2022-11-01")
    world.action(world.workshop(3, "2022-12-13"), "2022-12-29", org, status="done")
    world.escalation(world.hub_of(org), OVERDUE_ACTIONS, "2022-12-30", notified=(1,))
    (closure,) = changes_on(world, programme, "2023-01-04").closed
    assert closure.reason == "progress: no overdue actions left"


def test_a_snooze_ends_on_its_date(world: World, programme: Programme) -> None:
    hub = world.hub_of(world.organisation("Slow Hub", hub_stage=1))
    escalation = world.escalation(hub, NO_PROGRESS, "2022-11-30", status="snoozed", snoozed_until="2022-12-12")
    assert changes_on(world, programme, "2022-12-09").snooze_ended == []
    assert changes_on(world, programme, "2022-12-12").snooze_ended == [escalation.id]


def test_the_ladder_climbs_one_audience_at_a_time(world: World, programme: Programme) -> None:
    org = world.organisation("Slow Hub", hub_stage=1, contacts=2)
    hub = world.hub_of(org)
    world.escalation(hub, NO_PROGRESS, "2022-11-30")
    people = [c.email for c in world.people_of(org)]
    assert levels_on(world, programme, "2022-11-30") == [(1, "hub_contact", people)]
    world.escalations[0] = replace(world.escalations[0], notified=frozenset({1}), level=1)
    assert levels_on(world, programme, "2022-12-06") == []
    assert levels_on(world, programme, "2022-12-07") == [(2, "lcp_lead", ["central.lead@example.org"])]


def test_missed_levels_all_go_out_once_each(world: World, programme: Programme) -> None:
    org = world.organisation("Slow Hub", hub_stage=1)
    world.escalation(world.hub_of(org), NO_PROGRESS, "2022-11-30")
    assert [lvl[:2] for lvl in levels_on(world, programme, "2022-12-14")] == [
        (1, "hub_contact"),
        (2, "lcp_lead"),
        (3, "programme_manager"),
    ]
    world.escalations.clear()
    world.escalation(world.hub_of(org), NO_PROGRESS, "2022-11-30", notified=(1, 2, 3))
    assert levels_on(world, programme, "2022-12-15") == []


def test_no_escalation_on_weekends_it_goes_out_the_next_working_day(world: World, programme: Programme) -> None:
    # stalled from Saturday 3 December 2022
    org = world.organisation("Weekend Hub", hub_stage=1, stage_since="2022-09-03")
    world.escalation(world.hub_of(org), NO_PROGRESS, "2022-12-03")
    assert levels_on(world, programme, "2022-12-03") == []
    assert levels_on(world, programme, "2022-12-04") == []
    assert [lvl[:2] for lvl in levels_on(world, programme, "2022-12-05")] == [(1, "hub_contact")]


def test_no_escalation_on_bank_holidays(world: World, programme: Programme) -> None:
    # stalled from Monday 26 December 2022 (Boxing Day); Tuesday 27th is a bank holiday too
    org = world.organisation("Holiday Hub", hub_stage=1, stage_since="2022-09-26")
    world.escalation(world.hub_of(org), NO_PROGRESS, "2022-12-26")
    assert levels_on(world, programme, "2022-12-26") == []
    assert levels_on(world, programme, "2022-12-27") == []
    assert [lvl[:2] for lvl in levels_on(world, programme, "2022-12-28")] == [(1, "hub_contact")]


def test_acknowledged_escalations_climb_no_further(world: World, programme: Programme) -> None:
    hub = world.hub_of(world.organisation("Slow Hub", hub_stage=1))
    world.escalation(hub, NO_PROGRESS, "2022-11-30", status="acknowledged", notified=(1,))
    assert levels_on(world, programme, "2022-12-20") == []


def test_snoozed_escalations_wait_for_the_date(world: World, programme: Programme) -> None:
    hub = world.hub_of(world.organisation("Slow Hub", hub_stage=1))
    world.escalation(hub, NO_PROGRESS, "2022-11-30", status="snoozed", snoozed_until="2022-12-12", notified=(1,))
    assert levels_on(world, programme, "2022-12-09") == []
    assert [lvl[:2] for lvl in levels_on(world, programme, "2022-12-12")] == [(2, "lcp_lead")]


def test_programme_manager_email_names_the_escalation_and_how_to_stop_it(world: World, programme: Programme) -> None:
    org = world.organisation("Late Hub", hub_stage=2, stage_since="2022-11-01")
    action = world.action(world.workshop(3, "2022-12-13"), "2022-12-29", org, title="Self-assessment")
    world.escalation(world.hub_of(org), OVERDUE_ACTIONS, "2022-12-30", notified=(1, 2))
    now = local(d("2023-01-13"))
    (notice,) = escalation_notices(world.snapshot(now), programme, now)
    (message,) = notice.messages
    assert message.to.email == "programme.manager@example.org"
    assert notice.key == "escalation:1:level-3"
    assert message.key == "escalation:1:level-3:programme.manager@example.org"
    payload = message.render(email_links()).payload
    assert payload["subject"] == "Escalation #1: Late Hub (Central) is stalled (overdue actions)"
    assert "rollout escalations ack 1" in payload["text"]
    assert "- Self-assessment (due Thursday 29 December 2022)" in payload["text"]
    assert f'data-action-id="{action.id}"' in payload["html"]
    assert message.context["hub_id"] == world.hub_of(org).id


def test_hub_contacts_are_asked_whether_they_need_help(world: World, programme: Programme) -> None:
    org = world.organisation("Slow <Hub>", hub_stage=1)
    world.escalation(world.hub_of(org), NO_PROGRESS, "2022-11-30")
    now = local(d("2022-11-30"))
    (notice,) = escalation_notices(world.snapshot(now), programme, now)
    payload = notice.messages[0].render(email_links()).payload
    assert payload["subject"] == "Can we help? Slow <Hub>'s Digital Health Hub"
    assert "has been at stage 1 (Universal digital inclusion) since Wednesday 31 August 2022" in payload["text"]
    assert "the LCP lead will be told from Wednesday 7 December 2022" in payload["text"]
    assert "Slow &lt;Hub&gt;" in payload["html"]
    assert notice.messages[0].context["contact_id"] == world.people_of(org)[0].id


def test_hubs_of_lcps_whose_wave_has_not_started_are_not_escalated(world: World, programme: Programme) -> None:
    world.organisation("Armley Hub", "armley", hub_stage=1)  # wave 2 starts on 1 April 2023
    assert changes_on(world, programme, "2022-12-01").opened == []
    hub = world.hub_of(world.organisations[1])
    # Past its 90 days since 30 Nov 2022, but stalled only from its wave's first day (Saturday 1 April 2023) ...
    assert changes_on(world, programme, "2023-04-03").opened == [NewStall(hub.id, NO_PROGRESS, d("2023-04-01"))]


def test_a_hub_stalled_before_its_wave_starts_climbs_the_ladder_from_the_waves_first_day(
    world: World, programme: Programme
) -> None:
    org = world.organisation("Armley Hub", "armley", hub_stage=1)  # at stage 1 since 31 Aug 2022
    (opened,) = changes_on(world, programme, "2023-04-03").opened
    world.escalation(world.hub_of(org), NO_PROGRESS, opened.stalled_since.isoformat())
    # ... so on the first working day its contacts are asked whether they need help; the LCP lead and the programme
    # manager are not all told at once about an LCP that has not had its first workshop.
    assert [level for level, _, _ in levels_on(world, programme, "2023-04-03")] == [1]


def test_an_lcp_lead_gets_one_email_a_day_listing_every_stalled_hub_with_its_contacts(
    world: World, programme: Programme
) -> None:
    slow = world.organisation("Slow Hub", hub_stage=1, contacts=2)
    quiet = world.organisation("Quiet <Hub>", hub_stage=1)
    for org in (slow, quiet):
        world.escalation(world.hub_of(org), NO_PROGRESS, "2022-11-30", notified=(1,))
    now = local(d("2022-12-07"))
    notices = escalation_notices(world.snapshot(now), programme, now)

    assert [(n.level, n.sent_to) for n in notices] == [(2, "lcp_lead"), (2, "lcp_lead")]
    messages = {m.key: m for n in notices for m in n.messages}
    assert list(messages) == ["escalations:lead:2022-12-07:central.lead@example.org"]  # deterministic, per day
    assert {n.key for n in notices} == set(messages)  # both levels are recorded under the one email
    email = next(iter(messages.values())).render(email_links()).payload
    assert email["subject"] == "2 hubs in Central need your support: Quiet <Hub>; Slow Hub"
    for person in (*world.people_of(slow), *world.people_of(quiet)):
        assert f"{person.name} <{person.email}>" in email["text"]
        assert f'href="mailto:{html.escape(person.email)}"' in email["html"]
    assert email["text"].count("At stage 1 (Universal digital inclusion) since") == 2
    assert "Quiet &lt;Hub&gt;" in email["html"] and "<Hub>" not in email["html"]
