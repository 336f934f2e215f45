"""Wave 1, day by day from launch to the end of March, through the launch-wave flow, the reconciler and a recording
gateway (tests/fakes; the real gateway and the Graph emulator have their own tests).

Every reminder, follow-up, action chase and escalation must reach the right people on the right day, once. The
expected ledger below is worked out independently of rollout's code: dates by hand from the calendar (bank
holidays 26-27 December 2022 and 2 January 2023), people from config/sample_partners.csv, replies and progress
from the script in this file.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from rollout.config import load_programme
from rollout.db import models
from tests.reconcile.builders import d
from tests.reconcile.db_setup import import_sample
from tests.reconcile.scenario import (
    acknowledge,
    complete,
    move,
    owner_name,
    people,
    sample_rows,
    set_stage_since,
    snooze,
)
from tests.reconcile.timeline import Entry, Timeline, days, with_wave_1_line

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]

LEADS = {
    "central": "central.lead@example.org",
    "morley": "morley.lead@example.org",
    "woodsley-holt-park": "woodsley-holt-park.lead@example.org",
}
MANAGER = "programme.manager@example.org"


@dataclass(frozen=True)
class Dates:
    please_reply: str  # 14 days before
    see_you_there: str  # 2 working days before
    follow_up: str  # first working day after


WORKSHOPS = {
    1: Dates("2022-10-04", "2022-10-14", "2022-10-19"),  # Tue 18 Oct 2022
    2: Dates("2022-11-01", "2022-11-11", "2022-11-16"),  # Tue 15 Nov
    3: Dates("2022-11-29", "2022-12-09", "2022-12-14"),  # Tue 13 Dec
    # 4: Tue 10 Jan 2023, cancelled on 20 December: its "please reply" (27 December) is never sent
    5: Dates("2023-01-24", "2023-02-03", "2023-02-08"),  # Tue 7 Feb
    6: Dates("2023-02-21", "2023-03-03", "2023-03-08"),  # Tue 7 Mar
}


@dataclass(frozen=True)
class Chase:
    title: str
    reminder: str  # 3 working days before the due date
    overdue: str  # the day after


CHASES = {
    1: Chase("Map your LCP's partners against the six roles", "2022-11-03", "2022-11-09"),  # due Tue 8 Nov
    2: Chase("Share one example of unmet digital health need in your community", "2022-12-01", "2022-12-07"),
    3: Chase("Complete the hub self-assessment (stage 1: universal digital inclusion)", "2022-12-22", "2022-12-30"),
    5: Chase("Run one health participation session with your community", "2023-02-23", "2023-03-01"),
    6: Chase("Publish your LCP's hub network and its offer to residents", "2023-03-23", "2023-03-29"),
}
ANSWERS = ("accepted", "declined", "tentativelyAccepted", None)  # by position in each event's attendee list


def orgs(predicate) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted({r["organisation"] for r in sample_rows() if predicate(r)})


HUBS = orgs(lambda r: r["hub_stage"] not in ("", "interested"))
PROSPECTIVE = orgs(lambda r: r["hub_stage"] == "interested")
PHARMACIES = orgs(lambda r: "Pharmacy" in r["organisation"])
CENTRAL_NN, MORLEY_NN, WOODSLEY_NN = (
    f"{lcp} Neighbourhood Network" for lcp in ("Central", "Morley", "Woodsley and Holt Park")
)
CENTRAL_LIB, MORLEY_LIB, WOODSLEY_LIB = (
    f"{lcp} Community Library" for lcp in ("Central", "Morley", "Woodsley and Holt Park")
)


Reply = tuple[dt.date, int, str, str]  # (day, workshop number, attendee, answer)


def test_a_whole_wave_day_by_day_sends_everything_once_on_its_day(
    tmp_path: Path,
    data_dir,
    sessions,
    programme,  # type: ignore[no-untyped-def]
) -> None:
    import_sample(sessions, programme)  # every hub at its stage since 31 August 2022
    set_stage_since(sessions, CENTRAL_LIB, d("2022-09-02"))  # stage 2 longer than 120 days: stalled from Sun 1 Jan
    set_stage_since(sessions, WOODSLEY_LIB, d("2022-08-27"))  # ... from Mon 26 Dec (Boxing Day)
    timeline = Timeline.start(sessions, programme)
    timeline.launch(d("2022-09-20"))
    attendees = timeline.attendees()
    cancelled_config = with_wave_1_line(tmp_path, "cancelled_workshops = [4]")
    replies = scripted_replies(attendees)

    started = time.monotonic()
    for day in days(d("2022-09-21"), d("2023-03-31")):
        play_script(day, sessions, timeline, replies, cancelled_config)
        timeline.run(day)
    elapsed = time.monotonic() - started

    expected = expected_ledger(attendees, replies)
    missing = expected - timeline.ledger
    unexpected = timeline.ledger - expected
    assert not missing and not unexpected, (sorted(missing)[:20], sorted(unexpected)[:20])

    # Exactly once, in Outlook's own words too: each address's mailbox holds each email once.
    for address, items in timeline.gateway.mailboxes().items():
        subjects = Counter((item.kind, item.subject) for item in items)
        assert set(subjects.values()) == {1}, (address, [s for s, n in subjects.items() if n > 1])
    with sessions() as session:
        statuses = Counter(session.scalars(select(models.OutboundMessage.status)))
    assert statuses["failed"] == 0 and statuses["pending"] == 0
    print(f"\n{len(timeline.reports)} daily runs in {elapsed:.1f}s; outbox {dict(statuses)}")


def scripted_replies(attendees: dict[int, list[str]]) -> list[Reply]:
    """Replies: scripted per workshop, plus a late reply and a change of mind before workshop 1."""
    replies: list[Reply] = []
    for number, emails in attendees.items():
        for i, email in enumerate(emails):
            answer = ANSWERS[i % 4]
            if answer:
                replies.append((d("2022-09-21"), number, email, answer))
    late = attendees[1][3]  # no reply at first
    fickle = attendees[1][0]  # accepted at first
    return [*replies, (d("2022-10-10"), 1, late, "accepted"), (d("2022-10-12"), 1, fickle, "declined")]


def play_script(day: dt.date, sessions, timeline: Timeline, replies: list[Reply], cancelled_config: Path) -> None:  # type: ignore[no-untyped-def]
    """What people do on `day`: replies, actions done, an acknowledgement and a snooze, a hub's move, a cancellation."""
    for when, number, email, answer in replies:
        if when == day:
            timeline.respond(number, email, answer)
    match day.isoformat():
        case "2022-11-01":
            complete(sessions, day, 1, lambda a: a.lcp_id == "central")
        case "2022-11-07":
            complete(sessions, day, 1, lambda a: a.lcp_id == "morley")
        case "2022-11-25":
            complete(sessions, day, 2, lambda a: owner_name(a) not in PHARMACIES)
        case "2022-12-02":
            acknowledge(sessions, day, MORLEY_NN)
            snooze(sessions, day, WOODSLEY_NN, d("2022-12-19"))
        case "2022-12-05":
            move(sessions, day, CENTRAL_NN, 2)
        case "2022-12-20":
            complete(sessions, day, 3, lambda a: owner_name(a) in HUBS and owner_name(a) != CENTRAL_NN)
            timeline.programme = load_programme(cancelled_config)
            timeline.launch(day, cancelled_config)
        case "2023-01-10":
            complete(sessions, day, 3, lambda a: owner_name(a) == CENTRAL_NN)
        case "2023-02-20":
            complete(sessions, day, 5, lambda a: owner_name(a) in HUBS)
        case "2023-03-20":
            complete(sessions, day, 6, lambda a: a.lcp_id != "morley")


def answer_on(replies: list[Reply], number: int, email: str, day: str) -> str | None:
    answer = None
    for when, n, who, said in replies:
        if n == number and who == email and when <= d(day):
            answer = said
    return answer


def expected_ledger(attendees: dict[int, list[str]], replies: list[Reply]) -> Counter[Entry]:
    """The expected ledger, worked out by hand (see the module's docstring)."""
    expected: Counter[Entry] = Counter()

    def expect(day: str, emails: list[str], what: str, about: str) -> None:
        expected.update((d(day), email, what, about) for email in emails)

    for number, emails in attendees.items():
        expect("2022-09-20", emails, "invitation", str(number))
    expect("2022-12-20", attendees[4], "cancellation", "4")
    for number, dates in WORKSHOPS.items():
        emails = attendees[number]
        expect(
            dates.please_reply,
            [e for e in emails if answer_on(replies, number, e, dates.please_reply) is None],
            "please reply",
            str(number),
        )
        expect(
            dates.see_you_there,
            [
                e
                for e in emails
                if answer_on(replies, number, e, dates.see_you_there) in ("accepted", "tentativelyAccepted")
            ],
            "see you there",
            str(number),
        )
    expect_follow_ups_and_chases(expect)
    expect_escalations(expect)
    decliners_hear_sorry(expected, attendees, replies)
    return expected


def decliners_hear_sorry(expected: Counter[Entry], attendees: dict[int, list[str]], replies: list[Reply]) -> None:
    """Partners who declined are never thanked for coming: they hear "Sorry you couldn't make it" instead of the
    follow-up (with their organisation's actions, if it has any from that workshop). Nobody else's attendance is
    known here (no Teams report, no sign-in sheet), so nobody is told they were missed."""
    for number, dates in WORKSHOPS.items():
        declined = {
            e
            for e in attendees[number]
            if e not in LEADS.values() and answer_on(replies, number, e, dates.follow_up) == "declined"
        }
        for entry in [k for k in expected if k[1] in declined and k[2:] == ("follow-up", str(number))]:
            del expected[entry]
        expected.update((d(dates.follow_up), email, "missed (declined)", str(number)) for email in declined)


def expect_follow_ups_and_chases(expect) -> None:  # type: ignore[no-untyped-def]
    everyone = orgs(lambda r: True)
    hubs_and_prospective = HUBS + PROSPECTIVE
    expect(WORKSHOPS[1].follow_up, list(LEADS.values()), "follow-up", "1")
    expect(WORKSHOPS[2].follow_up, people(*everyone), "follow-up", "2")  # workshop 2 invited every partner
    expect(WORKSHOPS[3].follow_up, people(*hubs_and_prospective), "follow-up", "3")
    expect(WORKSHOPS[5].follow_up, people(*hubs_and_prospective), "follow-up", "5")
    expect(WORKSHOPS[6].follow_up, list(LEADS.values()), "follow-up", "6")

    chase = {n: c for n, c in CHASES.items()}
    expect(chase[1].reminder, [LEADS["morley"], LEADS["woodsley-holt-park"]], "action reminder", chase[1].title)
    expect(chase[1].overdue, [LEADS["woodsley-holt-park"]], "overdue", chase[1].title)
    for n, late_people in (
        (2, people(*PHARMACIES)),
        (3, people(CENTRAL_NN, *PROSPECTIVE)),
        (5, people(*PROSPECTIVE)),
        (6, [LEADS["morley"]]),
    ):
        expect(chase[n].reminder, late_people, "action reminder", chase[n].title)
        expect(chase[n].overdue, late_people, "overdue", chase[n].title)


def expect_escalations(expect) -> None:  # type: ignore[no-untyped-def]
    # Stage 1 longer than 90 days: the Neighbourhood Networks stall on Wed 30 Nov (levels after 0, 7 and 14 days).
    for hub in (CENTRAL_NN, MORLEY_NN, WOODSLEY_NN):
        expect("2022-11-30", people(hub), "escalation to hub", hub)
    # Central moved to stage 2 on 5 Dec (no level 2); Morley acknowledged on 2 Dec (no more levels);
    # Woodsley snoozed until Mon 19 Dec: levels 2 (due 7 Dec) and 3 (due 14 Dec) both then.
    expect("2022-12-19", [LEADS["woodsley-holt-park"]], "escalation to lead", WOODSLEY_NN)
    expect("2022-12-19", [MANAGER], "escalation to manager", WOODSLEY_NN)
    # Central NN's self-assessment is overdue from Fri 30 Dec: levels on 30 Dec and Fri 6 Jan; done 10 Jan, so
    # no level 3 (13 Jan).
    expect("2022-12-30", people(CENTRAL_NN), "escalation to hub: overdue actions", CENTRAL_NN)
    expect("2023-01-06", [LEADS["central"]], "escalation to lead", CENTRAL_NN)
    # Stage 2 longer than 120 days. Morley: from Fri 30 Dec. Woodsley: from Mon 26 Dec (bank holiday, and the 27th):
    # level 1 on Wed 28 Dec, level 2 due Mon 2 Jan (bank holiday) on Tue 3 Jan, level 3 on Mon 9 Jan.
    # Central: from Sun 1 Jan: level 1 on Tue 3 Jan, level 2 due Sun 8 Jan on Mon 9, level 3 due Sun 15 on Mon 16.
    for hub, lcp, dates in (
        (MORLEY_LIB, "morley", ("2022-12-30", "2023-01-06", "2023-01-13")),
        (WOODSLEY_LIB, "woodsley-holt-park", ("2022-12-28", "2023-01-03", "2023-01-09")),
        (CENTRAL_LIB, "central", ("2023-01-03", "2023-01-09", "2023-01-16")),
    ):
        expect(dates[0], people(hub), "escalation to hub", hub)
        expect(dates[1], [LEADS[lcp]], "escalation to lead", hub)
        expect(dates[2], [MANAGER], "escalation to manager", hub)
