"""The reconcile collects a Teams workshop's attendance through the gateway (the emulator over HTTPS), records
who came, keeps who it cannot match, and tells each invitee the right thing, once."""

from __future__ import annotations

from sqlalchemy import select

from rollout.db import models
from tests.reconcile.builders import d
from tests.reconcile.db_setup import import_sample
from tests.reconcile.timeline import ORGANISER, Timeline

LEADS = {"central.lead@example.org", "morley.lead@example.org", "woodsley-holt-park.lead@example.org"}


def test_attendance_is_collected_once_the_workshop_has_ended_and_follow_ups_follow_it(
    data_dir,
    sessions,
    emulator,
    programme,  # type: ignore[no-untyped-def]
) -> None:
    import_sample(sessions, programme)
    timeline = Timeline.start(sessions, emulator, programme)
    timeline.launch_core(d("2022-09-20"))
    partners = [a for a in timeline.attendees()[1] if a not in LEADS]
    came, decliner, missed = partners[:3], partners[3], partners[4:]
    timeline.respond(1, decliner, "declined")
    timeline.run(d("2022-10-17"))  # the decline is recorded

    sessions_in_teams = [
        [
            {"name": "Came 0", "email": came[0].upper(), "seconds": 3000},
            {"name": "Came 1", "email": came[1], "seconds": 2000},
            {"name": "Came 2", "email": came[2], "seconds": 1000},
            {"name": "Central lead", "email": "central.lead@example.org", "seconds": 7000},
            {"name": "A Stranger", "email": "stranger@elsewhere.example", "seconds": 500},
            {"name": "Guest (phone)", "email": None, "seconds": 400},
        ],
        [{"name": "Came 0", "email": came[0], "seconds": 300}],  # rejoined after the end: a second report
    ]
    emulator.set_attendance(ORGANISER, timeline.event_ids()[1], sessions_in_teams)

    report = timeline.run(d("2022-10-19"))
    assert report.attendance.summary().startswith("1 collected")

    with sessions() as session:
        rows = {
            email: (source, seconds)
            for email, source, seconds in session.execute(
                select(models.Contact.email, models.Attendance.source, models.Attendance.seconds).join(
                    models.Attendance, models.Attendance.contact_id == models.Contact.id
                )
            ).tuples()
        }
        unmatched = {(u.name, u.email) for u in session.scalars(select(models.UnmatchedAttendee))}
        collection = session.scalars(select(models.AttendanceCollection)).one()
    assert rows == {came[0]: ("teams", 3300), came[1]: ("teams", 2000), came[2]: ("teams", 1000)}
    assert unmatched == {("A Stranger", "stranger@elsewhere.example"), ("Guest (phone)", None)}
    assert (collection.status, collection.reports) == ("collected", 2)

    day = timeline.on(d("2022-10-19"))
    assert {a for a, what in day if what == "missed: 1"} == set(missed)
    assert {a for a, what in day if what == "missed (declined): 1"} == {decliner}
    assert {a for a, what in day if what == "follow-up: 1"} == LEADS  # workshop 1's actions are the leads'
    assert not any(a in came for a, _ in day)  # who came owns nothing from workshop 1: nothing to say yet

    again = timeline.run(d("2022-10-20"))
    assert again.attendance.summary().startswith("0 collected")
    assert timeline.on(d("2022-10-20")) == {}  # each person heard once
