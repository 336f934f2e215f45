"""Teams attendance through the gateway, against the emulator over HTTPS: the meeting found by its join link, no
report before the start, an empty report while it runs, and after the end every report (a rejoin makes a second),
every page of records, records without an address."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from gateway_support import LONDON, ORGANISER

from graph_emulator import GraphEmulator
from rollout.m365.gateway import O365Gateway
from rollout.outbound.gateway import EventSpec, Recipient

START = dt.datetime(2022, 10, 18, 10, 0, tzinfo=LONDON)
END = START + dt.timedelta(hours=2)


class Clock:
    def __init__(self) -> None:
        self.now = START - dt.timedelta(days=1)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(emu: GraphEmulator) -> Iterator[Clock]:
    clock = Clock()
    emu.set_clock(clock)
    yield clock
    emu.set_clock(None)


def online_workshop(gateway: O365Gateway, key: str = "teams-1") -> str:
    spec = EventSpec(
        subject="Wave 1 workshop 1",
        body_html="<p>Hello</p>",
        start=START,
        end=END,
        timezone="Europe/London",
        attendees=(Recipient("Pat", "pat@hub.example"), Recipient("Sam", "sam@hub.example")),
        online=True,
    )
    return gateway.create_event(spec, key)


def people(n: int) -> list[dict[str, object]]:
    return [{"name": f"Person {i}", "email": f"Person{i}@Hub.Example", "seconds": 600 + i} for i in range(n)]


def test_the_meeting_is_found_by_the_events_join_link(gateway: O365Gateway, clock: Clock) -> None:
    event_id = online_workshop(gateway)
    join_url = gateway.get_event(event_id).join_url
    assert join_url is not None and join_url.startswith("https://teams.microsoft.com/l/meetup-join/")
    assert gateway.find_online_meeting(join_url) is not None
    assert gateway.find_online_meeting(join_url.replace("meeting_", "meeting_x")) is None


def test_no_report_before_the_start_and_an_empty_one_while_it_runs(
    emu: GraphEmulator, gateway: O365Gateway, clock: Clock
) -> None:
    event_id = online_workshop(gateway)
    emu.set_attendance(ORGANISER, event_id, [people(3)])
    meeting = gateway.find_online_meeting(gateway.get_event(event_id).join_url or "")
    assert meeting is not None
    assert gateway.get_attendance_reports(meeting) == ()
    clock.now = START + dt.timedelta(minutes=30)
    (live,) = gateway.get_attendance_reports(meeting)
    assert not live.ended and live.records == ()


def test_after_the_end_every_report_and_every_page_of_records(
    emu: GraphEmulator, gateway: O365Gateway, clock: Clock
) -> None:
    event_id = online_workshop(gateway)
    guest = {"name": "Guest (phone)", "email": None, "seconds": 900}
    emu.set_attendance(ORGANISER, event_id, [[*people(23), guest], [people(1)[0]]])  # 24 records: three pages
    meeting = gateway.find_online_meeting(gateway.get_event(event_id).join_url or "")
    assert meeting is not None
    clock.now = END + dt.timedelta(hours=20)
    first, rejoined = gateway.get_attendance_reports(meeting)
    assert first.ended and rejoined.ended
    assert len(first.records) == 24 and len(rejoined.records) == 1
    assert {r.email for r in first.records} == {f"person{i}@hub.example" for i in range(23)} | {None}
    assert next(r for r in first.records if r.email is None).name == "Guest (phone)"
    pages = [r for r in emu.requests if r.path.endswith("/attendanceRecords")]
    assert len(pages) >= 4  # three pages of the first report (page size 10), one of the second


def test_a_meeting_nobody_joined_has_no_report(gateway: O365Gateway, clock: Clock) -> None:
    event_id = online_workshop(gateway)
    meeting = gateway.find_online_meeting(gateway.get_event(event_id).join_url or "")
    assert meeting is not None
    clock.now = END + dt.timedelta(days=1)
    assert gateway.get_attendance_reports(meeting) == ()
