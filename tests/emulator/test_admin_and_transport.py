"""The /_emulator admin API, .eml output, serve_forever, keep-alive and plain-HTTP mode."""

from __future__ import annotations

import http.client
import io
import json
import re
import ssl
import threading
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

import requests

from graph_emulator import EmulatorConfig, GraphEmulator, serve_forever
from tests.emulator.conftest import (
    CLIENT_ID,
    ORGANISER,
    SECRET,
    TENANT,
    Graph,
    event_body,
    ids,
    start_emulator,
)


def _admin(emu: GraphEmulator, method: str, path: str, body: object = None) -> requests.Response:
    return requests.request(method, f"{emu.base_url}/_emulator/{path}", json=body, verify=str(emu.ca_bundle), timeout=5)


def test_another_process_can_answer_an_invitation_and_read_mailboxes(graph: Graph, emu: GraphEmulator) -> None:
    event_id = graph.post("/events", json=event_body(attendees=("a@example.org",))).json()["id"]

    answered = _admin(
        emu,
        "POST",
        f"events/{ids(event_id)}/responses",
        {"mailbox": ORGANISER, "email": "a@example.org", "response": "declined"},
    )
    boxes = _admin(emu, "GET", "mailboxes").json()
    one = _admin(emu, "GET", "mailboxes/a@example.org").json()

    assert answered.status_code == 204
    assert graph.get(f"/events/{ids(event_id)}").json()["attendees"][0]["status"]["response"] == "declined"
    assert list(boxes) == ["a@example.org"]
    assert one[0]["kind"] == "invitation"
    assert one[0]["event_id"] == event_id


def test_admin_reports_unknown_events_and_bad_responses(emu: GraphEmulator) -> None:
    missing = _admin(
        emu,
        "POST",
        "events/nope/responses",
        {"mailbox": ORGANISER, "email": "a@x.org", "response": "accepted"},
    )
    bad = _admin(emu, "POST", "events/nope/responses", {"mailbox": ORGANISER, "email": "a@x.org", "response": "maybe"})

    assert missing.status_code == 404
    assert bad.status_code == 400


def test_faults_and_token_lifetime_can_be_set_over_http(graph: Graph, emu: GraphEmulator) -> None:
    configured = _admin(
        emu,
        "POST",
        "faults",
        {
            "once": [{"method": "GET", "path": "/users/*/events", "status": 429, "retry_after": 3}],
            "token_lifetime_s": 120,
        },
    ).json()

    throttled = graph.get("/events")

    assert configured["once"][0]["status"] == 429
    assert configured["token_lifetime_s"] == 120
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "3"
    assert _admin(emu, "GET", "faults").json()["once"] == []
    assert graph.get("/events").json()["value"] == []
    assert emu.requests[-1].before_retry_after  # the client did not wait the 3 s


def test_stats_and_request_log_are_served(graph: Graph, emu: GraphEmulator) -> None:
    graph.post("/events", json=event_body(attendees=("a@example.org", "b@example.org")))

    stats = _admin(emu, "GET", "stats").json()
    log = _admin(emu, "GET", "requests").json()

    assert stats["sends"] == 1
    assert stats["events"] == {ORGANISER: 1}
    assert stats["received"] == {"a@example.org": 1, "b@example.org": 1}
    assert log[-1]["method"] == "POST" and log[-1]["is_send"] is True


def test_reset_over_http_forgets_everything_but_apps(graph: Graph, emu: GraphEmulator) -> None:
    graph.post("/events", json=event_body(attendees=("a@example.org",)))

    assert _admin(emu, "POST", "reset").status_code == 204
    assert emu.mailboxes() == {}
    assert graph.get("/events").json()["value"] == []


def test_delivered_items_are_written_as_eml_with_an_index(tmp_path: Path) -> None:
    emulator = start_emulator(data_dir=tmp_path)
    try:
        graph = Graph(emulator, _token(emulator))
        graph.post("/events", json=event_body(attendees=("a@example.org",), isOnlineMeeting=True))
        graph.post(
            "/sendMail",
            json={
                "message": {
                    "subject": "Digest",
                    "body": {"contentType": "html", "content": "<p>Hi</p>"},
                    "toRecipients": [{"emailAddress": {"address": "a@example.org"}}],
                }
            },
        )
        folder = tmp_path / "mailboxes" / "a@example.org"
        invitation = BytesParser(policy=policy.default).parsebytes((folder / "0001-invitation.eml").read_bytes())
        mail = BytesParser(policy=policy.default).parsebytes((folder / "0002-mail.eml").read_bytes())
        index = json.loads((tmp_path / "mailboxes" / "index.json").read_text())
    finally:
        emulator.stop()

    assert invitation["Subject"] == "Workshop 1"
    assert invitation["X-Rollout-Kind"] == "invitation"
    assert mail.get_body(preferencelist=("plain",)).get_content().strip() == "Hi"
    assert mail.get_body(preferencelist=("html",)).get_content().strip() == "<p>Hi</p>"
    assert [e["file"] for e in index["a@example.org"]] == [
        "a@example.org/0001-invitation.eml",
        "a@example.org/0002-mail.eml",
    ]
    assert emulator.config.data_dir is not None
    assert (tmp_path / "tls" / "emulator-ca.pem").exists()


def _token(emulator: GraphEmulator) -> str:
    response = requests.post(
        f"{emulator.login_url}/{TENANT}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "scope": "https://graph.microsoft.com/.default",
        },
        verify=str(emulator.ca_bundle) if emulator.ca_bundle else True,
        timeout=5,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_keep_alive_serves_many_requests_on_one_connection(emu: GraphEmulator) -> None:
    token = _token(emu)
    context = ssl.create_default_context(cafile=str(emu.ca_bundle))
    port = int(emu.base_url.rsplit(":", 1)[1])
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=5)
    try:
        statuses, sockets = [], []
        for _ in range(3):
            connection.request("GET", f"/v1.0/users/{ORGANISER}/events", headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            response.read()
            statuses.append((response.status, response.version))
            sockets.append(connection.sock)  # http.client drops its socket when the server closes it
    finally:
        connection.close()

    assert statuses == [(200, 11)] * 3
    assert sockets[0] is not None
    assert all(s is sockets[0] for s in sockets)


def test_localhost_name_is_also_valid_for_the_certificate(emu: GraphEmulator) -> None:
    port = emu.base_url.rsplit(":", 1)[1]

    response = requests.get(f"https://localhost:{port}/_emulator/stats", verify=str(emu.ca_bundle), timeout=5)

    assert response.status_code == 200


def test_plain_http_mode_has_no_ca_bundle() -> None:
    emulator = start_emulator(tls=False)
    try:
        graph = Graph(emulator, _token(emulator))
        assert emulator.base_url.startswith("http://127.0.0.1:")
        assert emulator.ca_bundle is None
        assert graph.get("/events").status_code == 200
    finally:
        emulator.stop()


def test_serve_forever_prints_how_to_point_the_gateway_at_it() -> None:
    out, stop = io.StringIO(), threading.Event()
    app = (TENANT, CLIENT_ID, SECRET, (ORGANISER,))
    worker = threading.Thread(
        target=serve_forever, args=(EmulatorConfig(),), kwargs={"app": app, "out": out, "stop": stop}
    )
    worker.start()
    try:
        deadline = time.monotonic() + 5
        while "ROLLOUT_CA_BUNDLE" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        printed = out.getvalue()
        exports = dict(re.findall(r"^export (ROLLOUT_\w+)=(\S+)$", printed, re.MULTILINE))
        stats = requests.get(
            f"{exports['ROLLOUT_LOGIN_URL']}/_emulator/stats", verify=exports["ROLLOUT_CA_BUNDLE"], timeout=5
        )
    finally:
        stop.set()
        worker.join(timeout=5)

    assert exports["ROLLOUT_GRAPH_URL"] == exports["ROLLOUT_LOGIN_URL"] + "/v1.0"
    assert exports["ROLLOUT_CLIENT_ID"] == CLIENT_ID
    assert stats.status_code == 200
    assert not worker.is_alive()
    assert "stopped" in out.getvalue()


def test_a_new_run_starts_with_empty_mailbox_folders(tmp_path: Path) -> None:
    stale = tmp_path / "mailboxes" / "a@example.org" / "0001-mail.eml"
    stale.parent.mkdir(parents=True)
    stale.write_text("from an earlier run")

    emulator = start_emulator(data_dir=tmp_path)
    emulator.stop()

    assert not stale.exists()
