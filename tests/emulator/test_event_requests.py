"""Creating and reading events: schema rules, transactionId dedupe, paging, time zones, Teams, hiding."""

from __future__ import annotations

from graph_emulator import GraphEmulator
from tests.emulator.conftest import ORGANISER, Graph, event_body, ids


def test_create_returns_the_event_and_invites_each_attendee(graph: Graph, emu: GraphEmulator) -> None:
    response = graph.post("/events", json=event_body(attendees=("a@example.org", "b@example.org")))

    assert response.status_code == 201
    event = response.json()
    assert event["subject"] == "Workshop 1"
    assert event["organizer"]["emailAddress"]["address"] == ORGANISER
    assert [a["status"]["response"] for a in event["attendees"]] == ["none", "none"]
    for address in ("a@example.org", "b@example.org"):
        (invitation,) = emu.mailbox(address)
        assert invitation.kind == "invitation"
        assert invitation.event_id == event["id"]
        assert invitation.sender == ORGANISER
    assert emu.requests[-1].is_send


def test_calendar_events_path_creates_in_the_same_calendar(graph: Graph, emu: GraphEmulator) -> None:
    created = graph.post("/calendar/events", json=event_body()).json()

    assert graph.get(f"/events/{ids(created['id'])}").status_code == 200
    assert not emu.requests[-2].is_send  # no attendees: nothing was sent


def test_string_is_online_meeting_is_rejected_as_graph_does(graph: Graph, emu: GraphEmulator) -> None:
    response = graph.post("/events", json=event_body(isOnlineMeeting="true"))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "RequestBodyRead"
    assert "innerError" in response.json()["error"]
    assert emu.events(ORGANISER) == []


def test_unknown_property_is_rejected_naming_it(graph: Graph) -> None:
    response = graph.post("/events", json=event_body(sendInvites=True))

    assert response.status_code == 400
    assert "'sendInvites' does not exist on type 'microsoft.graph.event'" in response.json()["error"]["message"]


def test_unparseable_json_is_rejected(graph: Graph) -> None:
    response = graph.post("/events", data=b"{not json", headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "RequestBodyRead"


def test_unknown_time_zone_is_rejected(graph: Graph) -> None:
    body = event_body()
    body["start"]["timeZone"] = "Mars/Olympus_Mons"

    response = graph.post("/events", json=body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "TimeZoneNotSupportedException"


def test_same_transaction_id_returns_the_first_event_and_sends_nothing_more(graph: Graph, emu: GraphEmulator) -> None:
    body = event_body(attendees=("a@example.org",), transactionId="wave1-workshop1")
    first = graph.post("/events", json=body).json()

    again = graph.post("/events", json=body)

    assert again.status_code == 201
    assert again.json()["id"] == first["id"]
    assert len(emu.events(ORGANISER)) == 1
    assert len(emu.mailbox("a@example.org")) == 1
    assert not emu.requests[-1].is_send


def test_events_are_paged_with_an_absolute_next_link(graph: Graph) -> None:
    for n in range(12):
        assert graph.post("/events", json=event_body(f"Workshop {n}")).status_code == 201

    first = graph.get("/events", params={"$select": "subject"}).json()
    assert len(first["value"]) == 10  # Graph's default page size
    assert set(first["value"][0]) <= {"@odata.etag", "id", "subject"}
    second = graph.session.get(first["@odata.nextLink"], timeout=5).json()

    assert first["@odata.nextLink"].startswith(graph.emulator.graph_url)
    assert len(second["value"]) == 2
    assert "@odata.nextLink" not in second
    subjects = [e["subject"] for e in first["value"] + second["value"]]
    assert sorted(subjects) == sorted(f"Workshop {n}" for n in range(12))


def test_top_sets_the_page_size(graph: Graph) -> None:
    for n in range(3):
        graph.post("/events", json=event_body(f"W{n}"))

    page = graph.get("/events", params={"$top": "2"}).json()

    assert len(page["value"]) == 2
    assert "$top=2" in page["@odata.nextLink"]


def test_calendar_view_returns_events_overlapping_the_window_in_start_order(graph: Graph) -> None:
    late = event_body("Late")
    late["start"]["dateTime"], late["end"]["dateTime"] = "2026-03-09T09:00:00", "2026-03-09T10:00:00"
    graph.post("/events", json=late)
    graph.post("/events", json=event_body("Early"))

    window = {"startDateTime": "2026-03-01T00:00:00Z", "endDateTime": "2026-03-31T00:00:00Z"}
    view = graph.get("/calendarView", params=window).json()
    narrow = graph.get("/calendarView", params={**window, "endDateTime": "2026-03-05T00:00:00Z"}).json()

    assert [e["subject"] for e in view["value"]] == ["Early", "Late"]
    assert [e["subject"] for e in narrow["value"]] == ["Early"]
    assert graph.get("/calendarView").status_code == 400


def test_times_come_back_in_utc_unless_a_time_zone_is_preferred(graph: Graph) -> None:
    created = graph.post("/events", json=event_body()).json()  # 09:00 London in March = 09:00 UTC (GMT)
    summer = event_body()
    summer["start"]["dateTime"], summer["end"]["dateTime"] = "2026-06-01T09:00:00", "2026-06-01T10:00:00"
    bst = graph.post("/events", json=summer).json()

    preferred = graph.get(f"/events/{ids(bst['id'])}", headers={"Prefer": 'outlook.timezone="Europe/London"'}).json()

    assert created["start"] == {"dateTime": "2026-03-02T09:00:00.0000000", "timeZone": "UTC"}
    assert bst["start"] == {"dateTime": "2026-06-01T08:00:00.0000000", "timeZone": "UTC"}
    assert preferred["start"] == {"dateTime": "2026-06-01T09:00:00.0000000", "timeZone": "Europe/London"}
    assert bst["originalStartTimeZone"] == "Europe/London"


def test_windows_time_zone_names_are_understood(graph: Graph) -> None:
    body = event_body()
    body["start"] = {"dateTime": "2026-06-01T09:00:00", "timeZone": "GMT Standard Time"}
    body["end"] = {"dateTime": "2026-06-01T10:00:00", "timeZone": "GMT Standard Time"}

    created = graph.post("/events", json=body).json()

    assert created["start"]["dateTime"] == "2026-06-01T08:00:00.0000000"


def test_teams_meeting_gets_a_join_url_that_attendees_receive(graph: Graph, emu: GraphEmulator) -> None:
    body = event_body(attendees=("a@example.org",), isOnlineMeeting=True, onlineMeetingProvider="teamsForBusiness")

    created = graph.post("/events", json=body).json()

    join_url = created["onlineMeeting"]["joinUrl"]
    assert join_url.startswith("https://teams.microsoft.com/l/meetup-join/")
    assert emu.mailbox("a@example.org")[0].join_url == join_url
    assert join_url in emu.mailbox("a@example.org")[0].html
    assert join_url in emu.mailbox("a@example.org")[0].text


def test_hidden_attendees_do_not_see_each_other(graph: Graph, emu: GraphEmulator) -> None:
    graph.post("/events", json=event_body(attendees=("a@example.org", "b@example.org"), hideAttendees=True))
    graph.post("/events", json=event_body("Open", attendees=("a@example.org", "b@example.org")))

    hidden, visible = emu.mailbox("a@example.org")

    assert hidden.to == ("a@example.org",)
    assert "b@example.org" not in hidden.html + hidden.text
    assert visible.to == ("a@example.org", "b@example.org")


def test_more_than_500_attendees_is_refused(graph: Graph, emu: GraphEmulator) -> None:
    crowd = tuple(f"p{n}@example.org" for n in range(501))

    response = graph.post("/events", json=event_body(attendees=crowd))

    assert response.status_code == 400
    assert emu.mailboxes() == {}


def test_malformed_attendee_address_is_an_invalid_recipient(graph: Graph, emu: GraphEmulator) -> None:
    response = graph.post("/events", json=event_body(attendees=("not-an-address",)))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ErrorInvalidRecipients"
    assert emu.events(ORGANISER) == []


def test_end_before_start_is_refused(graph: Graph) -> None:
    body = event_body()
    body["end"]["dateTime"] = "2026-03-02T08:00:00"

    response = graph.post("/events", json=body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ErrorCalendarEndDateIsEarlierThanStartDate"


def test_unknown_event_id_is_item_not_found(graph: Graph) -> None:
    response = graph.get("/events/AAMkNOPE=")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ErrorItemNotFound"


def test_default_calendar_is_also_reachable_by_its_id(graph: Graph) -> None:
    calendar_id = graph.get("/calendar").json()["id"]
    created = graph.post(f"/calendars/{calendar_id}/events", json=event_body())

    listed = graph.get("/calendars").json()["value"]
    fetched = graph.get(f"/calendars/{calendar_id}/events/{ids(created.json()['id'])}")

    assert created.status_code == 201
    assert [c["id"] for c in listed] == [calendar_id]
    assert fetched.status_code == 200
    assert graph.get("/calendars/AAMkOTHER=/events").status_code == 404
