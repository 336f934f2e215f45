"""The digest's figures for a programme state with known numbers (see conftest.py for how each is made)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rollout.config import Programme
from rollout.digest import Count, Digest, LcpFigures, Week, compute_digests, preview_digest
from tests.digest.conftest import AS_OF, NASTY, WEEK_START, World


@pytest.fixture
def digest(world: World, sessions: sessionmaker[Session], programme: Programme) -> Digest:
    with sessions() as session:
        return preview_digest(session, programme, AS_OF)


def lcp(digest: Digest, lcp_id: str) -> LcpFigures:
    return next(item for item in digest.lcps if item.id == lcp_id)


def test_the_week_is_the_iso_week_containing_as_of_in_local_time(digest: Digest) -> None:
    assert digest.week.start == WEEK_START
    assert digest.week.label == "2022-w42"
    assert digest.as_of_text == "Monday 17 October 2022, 08:00 (UK time)"
    # Sunday 23:30 UK time is 22:30 UTC the same day in October: still week 42, not 43.
    sunday_night = dt.datetime(2022, 10, 23, 22, 30, tzinfo=dt.UTC)
    assert Week.of(sunday_night, "Europe/London").start == WEEK_START


def test_programme_totals_compare_with_last_weeks_digest(digest: Digest) -> None:
    t = digest.totals
    assert t is not None
    assert digest.compared_with == dt.date(2022, 10, 10)
    assert digest.compared_text == "Changes are since last week's digest."
    assert t.partners == Count(4, 3) and t.partners.change == "+1"
    assert t.active_contacts == 4
    assert t.hubs == Count(4, 3)
    assert [(b.number, b.hubs.now, b.hubs.change) for b in t.funnel] == [
        (1, 1, "−1"),
        (2, 2, "+1"),
        (3, 1, "+1"),
        (4, 0, "no change"),
    ]
    assert t.workshops_done == Count(1, 0)
    assert t.actions_done == Count(2, 2) and t.actions_done.change == "no change"
    assert t.actions_overdue == Count(2, 0)
    assert t.open_escalations == Count(1, 1)
    assert t.role_gaps == Count(1 + 0 + 6 + 6 * 8, 57)  # central 1, morley 0, woodsley and 8 later LCPs 6 each
    assert t.people_invited == Count(6, 0)  # people, one per workshop: the 6 on workshop 2's event
    assert t.people_replied == Count(4)  # accepted, tentative, declined, accepted; last week's counters lack it
    assert t.messages_sent == Count(3, 1)
    assert t.messages_failed == Count(1, 1)
    assert (t.messages_waiting, t.messages_dropped) == (1, 0)


def test_workshops_done_and_upcoming_at_local_time_with_rsvps_for_the_next(digest: Digest) -> None:
    wave = next(w for w in digest.waves if w.id == "wave-1")
    assert wave.state == "running"
    assert [w.state for w in wave.workshops] == ["done"] + ["upcoming"] * 5
    assert wave.workshops_done == Count(1, 0) and wave.workshops_upcoming == 5
    assert wave.next_workshop is not None and wave.next_workshop.number == 2
    assert wave.next_workshop.when == "Tue 25 Oct 2022, 10:00–12:00"  # local, although stored in UTC
    r = wave.rsvp
    assert (r.accepted, r.tentative, r.declined, r.no_response) == (2, 1, 1, 2)  # the removed invitee is not counted
    by_lcp = {name: (x.accepted, x.tentative, x.declined, x.no_response) for name, x in wave.rsvp_by_lcp}
    assert by_lcp == {"Central": (1, 1, 0, 2), "Woodsley & Holt Park": (0, 0, 0, 0), "Morley": (1, 0, 1, 0)}
    later = [w for w in digest.waves if w.id != "wave-1"]
    assert [(w.state, w.launched) for w in later] == [("not started", False), ("not started", False)]


def test_an_lcps_rsvps_and_who_has_not_replied(digest: Digest) -> None:
    central = lcp(digest, "central")
    assert central.next_workshop is not None and central.next_workshop.number == 2
    assert (central.rsvp.accepted, central.rsvp.tentative, central.rsvp.declined, central.rsvp.no_response) == (
        1,
        1,
        0,
        2,
    )
    assert central.awaiting_reply == ("Carol Doctor (Central GP Practice)", "Central LCP lead")


def test_follow_up_actions_done_due_this_week_and_overdue_with_owners(digest: Digest) -> None:
    central, morley = lcp(digest, "central"), lcp(digest, "morley")
    assert central.actions_done == Count(1, 1) and central.actions_done_recently == 1
    assert [(a.owner, a.title, a.due_date, a.days_overdue) for a in central.overdue] == [
        ("Central LCP lead", "Map your LCP's partners against the six roles", dt.date(2022, 10, 14), 3)
    ]
    assert central.actions_overdue == Count(1, 0)
    assert [(a.owner, a.due_date, a.workshop_number) for a in central.due_soon] == [
        ("Central Library", dt.date(2022, 10, 19), 1)
    ]
    assert morley.actions_done.now == 1 and morley.actions_done_recently == 0  # done on 1 Oct: not this week
    assert [(a.owner, a.days_overdue) for a in morley.overdue] == [("Morley Secret Pantry", 7)]
    assert morley.actions_done.before is None  # last week's digest had no counters for morley


def test_hub_funnel_movements_stalls_and_open_escalations(digest: Digest) -> None:
    central, morley = lcp(digest, "central"), lcp(digest, "morley")
    assert [b.hubs.now for b in central.funnel] == [1, 2, 0, 0]
    assert [b.hubs.now for b in morley.funnel] == [0, 0, 1, 0]
    assert [(m.organisation, m.from_stage, m.to_stage, m.on) for m in central.movements] == [
        ("Central Library", 1, 2, dt.date(2022, 10, 16))
    ]  # the GP's move on 9 Oct is older than 7 days
    assert [(m.organisation, m.from_stage, m.to_stage) for m in morley.movements] == [("Morley Secret Pantry", 2, 3)]
    assert [(s.organisation, s.stage, s.days_at_stage, s.limit_days) for s in central.stalled] == [(NASTY, 1, 138, 90)]
    # Past its 90 days on 31 Aug (1 Jun + 91), but stalled only from wave 1's first day.
    assert central.stalled[0].no_progress_since == dt.date(2022, 10, 1)
    # The pantry moved 5 days ago, but its action due 10 Oct is overdue: stalled for that since 11 Oct.
    [pantry] = morley.stalled
    assert (pantry.organisation, pantry.no_progress_since, pantry.overdue_actions_since) == (
        "Morley Secret Pantry",
        None,
        dt.date(2022, 10, 11),
    )
    assert pantry.why == "overdue actions since 11 Oct"
    assert [(e.organisation, e.level, e.notified, e.status, e.days) for e in central.escalations] == [
        (NASTY, 2, "LCP lead", "open", 48)
    ]
    assert morley.escalations == () and morley.open_escalations.now == 0  # the closed one is not shown


def test_role_coverage_names_the_roles_an_lcp_has_no_partner_for(digest: Digest) -> None:
    central, morley, woodsley = lcp(digest, "central"), lcp(digest, "morley"), lcp(digest, "woodsley-holt-park")
    assert central.gaps == ("Supporting connectivity",)  # Gone Ltd plays it, but has no active contact
    assert central.role_gaps == Count(1, 2)
    assert {r.role_id: r.partners for r in central.roles}["signposting"] == 1
    assert morley.gaps == ()
    assert len(woodsley.gaps) == 6
    assert central.partners == Count(3, 2)


def test_stored_counters_hold_numbers_only_and_feed_next_weeks_change(
    world: World, sessions: sessionmaker[Session], programme: Programme
) -> None:
    with sessions() as session:
        this_week = compute_digests(session, programme, AS_OF).programme
    counters = this_week.counters()
    text = repr(counters)
    for name in (*world.central_orgs, *world.morley_orgs, *world.central_contacts):
        assert name not in text
    assert counters["programme"]["stages"] == {"1": 1, "2": 2, "3": 1, "4": 0}
    assert counters["lcps"]["central"]["role_gaps"] == 1


def test_with_no_earlier_digest_there_is_no_change_to_show(
    sessions: sessionmaker[Session], programme: Programme
) -> None:
    with sessions() as session:
        digest = preview_digest(session, programme, AS_OF)
    assert digest.compared_with is None
    assert digest.totals is not None and digest.totals.partners == Count(0, None)
    assert digest.totals.partners.change == ""
    assert "No earlier digest" in digest.compared_text
