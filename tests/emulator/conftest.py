"""One HTTPS emulator per test session, reset before each test; clients get their tokens through msal."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import msal
import pytest
import requests

from graph_emulator import EmulatorConfig, GraphEmulator

TENANT = "emulator-tenant"
CLIENT_ID = "rollout-test-client"
SECRET = "emulator-test-secret"
ORGANISER = "organiser@example.org"
OTHER_CLIENT = "other-client"
GRAPH_SCOPE = ["https://graph.microsoft.com/.default"]


@pytest.fixture(scope="session", autouse=True)
def _trust_the_emulator_bundle() -> Iterator[None]:
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a Session's verify= (msal sets only the
    # session's), so the emulator's own CA bundle would be ignored where those are set.
    saved = {k: os.environ.pop(k) for k in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE") if k in os.environ}
    yield
    os.environ.update(saved)


def start_emulator(**overrides: Any) -> GraphEmulator:
    emulator = GraphEmulator(EmulatorConfig(**overrides)).start()
    emulator.register_app(TENANT, CLIENT_ID, SECRET, [ORGANISER, "second@example.org"])
    emulator.register_app(TENANT, OTHER_CLIENT, "other-secret", ["elsewhere@example.org"])
    return emulator


@pytest.fixture(scope="session")
def _shared_emulator(_trust_the_emulator_bundle: None) -> Iterator[GraphEmulator]:
    emulator = start_emulator()
    yield emulator
    emulator.stop()


@pytest.fixture
def emu(_shared_emulator: GraphEmulator) -> GraphEmulator:
    _shared_emulator.reset()
    _shared_emulator.token_lifetime_s = 3600
    return _shared_emulator


def msal_app(emulator: GraphEmulator, client_id: str = CLIENT_ID, secret: str = SECRET) -> Any:
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=f"{emulator.login_url}/{TENANT}",
        verify=str(emulator.ca_bundle),
        instance_discovery=False,
    )


class Graph:
    """A thin client: paths are relative to /users/{mailbox}; responses are plain requests.Response."""

    def __init__(self, emulator: GraphEmulator, token: str, mailbox: str = ORGANISER) -> None:
        self.emulator = emulator
        self.mailbox = mailbox
        self.session = requests.Session()
        self.session.verify = str(emulator.ca_bundle) if emulator.ca_bundle else True
        self.session.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return f"{self.emulator.graph_url}/users/{self.mailbox}{path}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def token_for(emulator: GraphEmulator, client_id: str = CLIENT_ID, secret: str = SECRET) -> str:
    result = msal_app(emulator, client_id, secret).acquire_token_for_client(GRAPH_SCOPE)
    assert "access_token" in result, result
    return str(result["access_token"])


@pytest.fixture
def graph(emu: GraphEmulator) -> Iterator[Graph]:
    client = Graph(emu, token_for(emu))  # a fresh token: some tests expire every token issued so far
    yield client
    client.session.close()


def ids(event_id: str) -> str:
    """Graph ids end in '=': percent-encode them in paths as a careful client does."""
    return quote(event_id, safe="")


def event_body(subject: str = "Workshop 1", attendees: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": subject,
        "body": {"contentType": "html", "content": f"<p>{subject} agenda</p>"},
        "start": {"dateTime": "2026-03-02T09:00:00", "timeZone": "Europe/London"},
        "end": {"dateTime": "2026-03-02T11:00:00", "timeZone": "Europe/London"},
        "attendees": [{"emailAddress": {"address": a, "name": a.split("@")[0]}, "type": "required"} for a in attendees],
    }
    body.update(extra)
    return body
