"""Helpers for the gateway tests, which run against the local Graph emulator over real HTTPS, through
O365's and msal's own code paths (no mocks).

REQUESTS_CA_BUNDLE is deliberately left as the machine has it: the gateway must trust the emulator's CA
bundle even when that variable points elsewhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from graph_emulator import EmulatorConfig, GraphEmulator
from graph_emulator.requestlog import RequestRecord
from rollout.m365.retry import RetryPolicy
from rollout.m365.settings import ClientCredential, GatewaySettings
from rollout.outbound.gateway import EventSpec, MailSpec, Recipient

TENANT = "gateway-test-tenant"
CLIENT_ID = "gateway-test-client"
SECRET = "Gw~Secret.Value-9f8e7d6c5b4a"  # checked for in logs and exception text
ORGANISER = "hubs@council.example"
OUT_OF_SCOPE = "chief.exec@council.example"
FAST_PACE = 6000  # per minute: pacing out of the way for everything but the pacing tests
LONDON = ZoneInfo("Europe/London")

# Quick retries so fault tests stay fast; Retry-After from the emulator still sets the floor.
FAST_RETRIES = RetryPolicy(max_attempts=6, max_elapsed_s=30, base_delay_s=0.05, max_delay_s=0.5)


def start_emulator(**overrides: Any) -> GraphEmulator:
    config = {"send_pace_per_minute": FAST_PACE, "max_concurrency": 4, "page_size": 10} | overrides
    emulator = GraphEmulator(EmulatorConfig(**config)).start()
    emulator.register_app(TENANT, CLIENT_ID, SECRET, mailboxes=[ORGANISER])
    return emulator


def settings_for(emulator: GraphEmulator, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "credential": ClientCredential(secret=SecretStr(SECRET)),
        "organiser": ORGANISER,
        "graph_url": emulator.graph_url,
        "login_url": emulator.login_url,
        "ca_bundle": str(emulator.ca_bundle),
        "send_pace_per_minute": FAST_PACE,
        "max_in_flight": 4,
    }
    values.update(overrides)
    return GatewaySettings(**values)


def people(count: int, domain: str = "hub.example") -> tuple[Recipient, ...]:
    return tuple(Recipient(f"Person {i}", f"person{i}@{domain}") for i in range(1, count + 1))


def workshop(**changes: Any) -> EventSpec:
    values: dict[str, Any] = {
        "subject": "Digital health hub: workshop 1",
        "body_html": "<p>Welcome. Bring a <b>device</b> if you have one.</p>",
        "start": dt.datetime(2026, 6, 2, 10, 0, tzinfo=LONDON),
        "end": dt.datetime(2026, 6, 2, 12, 0, tzinfo=LONDON),
        "timezone": "Europe/London",
        "attendees": people(3),
        "location": "Civic Hall, Room 2",
    }
    values.update(changes)
    return EventSpec(**values)


def letter(*to: Recipient, subject: str = "Your workshop place", cc: tuple[Recipient, ...] = ()) -> MailSpec:
    return MailSpec(
        to=to or people(1),
        cc=cc,
        subject=subject,
        text="Your place is booked for Tuesday.",
        html="<p>Your place is booked for <b>Tuesday</b>.</p>",
    )


def graph_requests(emulator: GraphEmulator, method: str | None = None, suffix: str = "") -> list[RequestRecord]:
    """Graph (not Entra) requests the emulator answered, optionally filtered by method and path ending."""
    return [
        r
        for r in emulator.requests
        if r.path.startswith("/v1.0/") and (method is None or r.method == method) and r.path.endswith(suffix)
    ]


def kinds_received(emulator: GraphEmulator, address: str) -> list[str]:
    return [item.kind for item in emulator.mailbox(address)]


def faulted(emulator: GraphEmulator) -> list[RequestRecord]:
    """Requests the emulator failed on purpose: proof that an injected fault actually fired."""
    return [r for r in emulator.requests if r.fault]
