"""The reconcile collects a Teams workshop's attendance through the gateway, records who came, keeps who it cannot
match, and tells each invitee the right thing, once. The gateway here is the recording fake; the same reports read
through Graph (the emulator over HTTPS: empty, several reports, no address, pages) are tests/m365's."""

from __future__ import annotations

from sqlalchemy import select

from rollout.db import models
from rollout.outbound.gateway import AttendanceRecord, AttendanceReport
from tests.reconcile.builders import d
from tests.reconcile.db_setup import import_sample
from tests.reconcile.timeline import Timeline

LEADS = {"central.lead@example.org", "morley.lead@example.org", "woodsley-holt-park.lead@example.org"}


def test_attendance_is_collected_once_the_workshop_has_ended_and_follow_ups_follow_it(
    data_dir,
    sessions,
    programme,  # type: ignore[no-untyped-def]
) -> None:
    import_sample(sessions, programme)
    timeline = Timeline.start(sessions, programme)
    timeline.launch_core(d("2022-09-20"))
    partners = [a for a in timeline.attendees()[1] if a not in LEADS]
    came, decliner, missed = partners[:3], partners[3], partners[4:]
    timeline.respond(1, decliner, "declined")
    timeline.run(d("2022-10-17"))  # the decline is recorded

    first = AttendanceReport(
        "report-1",
        ended=True,
        records=(
            AttendanceRecord("Came 0", came[0].upper(), 3000),
            AttendanceRecord("Came 1", came[1], 2000),
            AttendanceRecord("Came 2", came[2], 1000),
            AttendanceRecord("Central lead", "central.lead@example.org", 7000),
            AttendanceRecord("A Stranger", "stranger@elsewhere.example", 500),
            AttendanceRecord("Guest (phone)", None, 400),
        ),
    )
    rejoined = AttendanceReport("report-2", ended=True, records=(AttendanceRecord("Came 0", came[0], 300),))
    workshop_1 = timeline.gateway.events[timeline.event_ids()[1]]
    assert workshop_1.join_url is not None, "workshop 1 is a Teams workshop in the Leeds programme"
    timeline.gateway.attended(workshop_1.join_url, first, rejoined)

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
