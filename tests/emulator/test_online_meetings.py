"""Online meetings and attendance reports, as Graph serves them: scripted over the admin API by another process."""

from __future__ import annotations

import requests

from graph_emulator import GraphEmulator
from tests.emulator.conftest import Graph, event_body, ids


def _admin(emu: GraphEmulator, body: object) -> requests.Response:
    return requests.post(f"{emu.base_url}/_emulator/attendance", json=body, verify=str(emu.ca_bundle), timeout=5)


def test_attendance_scripted_over_http_is_served_after_the_meeting(graph: Graph, emu: GraphEmulator) -> None:
    online = graph.post("/events", json=event_body(isOnlineMeeting=True, onlineMeetingProvider="teamsForBusiness"))
    event = online.json()
    join_url = event["onlineMeeting"]["joinUrl"]
    people = [{"name": f"P{i}", "email": f"p{i}@example.org", "seconds": 60} for i in range(12)]
    assert _admin(emu, {"mailbox": graph.mailbox, "event_id": event["id"], "sessions": [people]}).status_code == 204

    meetings = graph.get("/onlineMeetings", params={"$filter": f"JoinWebUrl eq '{join_url}'"}).json()["value"]
    (meeting,) = meetings
    assert meeting["joinWebUrl"] == join_url
    (report,) = graph.get(f"/onlineMeetings/{ids(meeting['id'])}/attendanceReports").json()["value"]
    assert report["meetingEndDateTime"] and report["totalParticipantCount"] == 12  # the event ended in 2026-03
    page = graph.get(f"/onlineMeetings/{ids(meeting['id'])}/attendanceReports/{report['id']}/attendanceRecords").json()
    assert len(page["value"]) == 10 and "@odata.nextLink" in page
    rest = graph.session.get(page["@odata.nextLink"], timeout=10).json()
    assert len(rest["value"]) == 2 and "@odata.nextLink" not in rest


def test_online_meetings_are_listed_only_by_join_link_and_plain_events_have_none(
    graph: Graph, emu: GraphEmulator
) -> None:
    plain = graph.post("/events", json=event_body()).json()
    assert plain["onlineMeeting"] is None
    assert graph.get("/onlineMeetings").status_code == 400
    refused = _admin(emu, {"mailbox": graph.mailbox, "event_id": plain["id"], "sessions": [[]]})
    assert refused.status_code == 400 and "not an online meeting" in refused.text
    assert graph.get("/onlineMeetings/nope/attendanceReports").status_code == 404
