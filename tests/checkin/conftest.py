"""Check-in fixtures: a signing secret, a small partner world in the database, and the real page over HTTP."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from rollout.checkin.app import CheckinService, create_app
from rollout.checkin.serve import uvicorn_config
from rollout.checkin.tokens import TokenCodec, codec
from rollout.config import Programme
from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.programme.progress import create_hub
from rollout.programme.sync import sync_programme

SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
PUBLIC_URL = "https://checkin.example.gov.uk"
STAGE_SINCE = dt.datetime(2023, 1, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def checkin_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLOUT_CHECKIN_SECRET", SECRET)
    monkeypatch.setenv("ROLLOUT_PUBLIC_URL", PUBLIC_URL)
    for name in (
        "ROLLOUT_CHECKIN_SECRET_BLOCK",
        "ROLLOUT_CHECKIN_PREVIOUS_SECRET",
        "ROLLOUT_CHECKIN_TOKEN_DAYS",
        "ROLLOUT_TRUST_PROXY",
        "ROLLOUT_CHECKIN_RATE_LIMIT",
    ):
        monkeypatch.delenv(name, raising=False)


@dataclass
class World:
    """Ids of the rows the tests use. Morley Community Hub (a hub at stage 1) and Morley Library (stage 2) are
    both in the Morley LCP; Alice works for the first, Bob for the second, Dee was a contact there once."""

    hub_org: int
    hub: int
    alice: int
    dee: int
    library_org: int
    library_hub: int
    bob: int
    hub_action: int
    library_action: int
    lead_action: int
    evil_org: int
    evil_contact: int
    evil_action: int


def _action(
    session: Session, workshop: models.Workshop, org: models.Organisation | None, title: str, owner: str
) -> int:
    action = models.Action(
        key=f"test:{owner}:{org.id if org else 'lead'}:{title[:40]}",
        workshop_id=workshop.id,
        lcp_id="morley",
        organisation_id=org.id if org else None,
        title=title,
        owner_role=owner,
        due_date=dt.date(2023, 2, 14),
    )
    session.add(action)
    session.flush()
    return action.id


@pytest.fixture
def world(sessions: sessionmaker[Session], programme: Programme) -> World:
    with unit_of_work(sessions) as s:
        sync_programme(s, programme)
        workshop = models.Workshop(
            wave_id="wave-1",
            number=3,
            title="Developing your hub: supporting digital inclusion",
            starts_at=dt.datetime(2023, 1, 10, 10, tzinfo=dt.UTC),
            ends_at=dt.datetime(2023, 1, 10, 12, 30, tzinfo=dt.UTC),
            format="venue",
            venue="Leeds Central Library",
            status="scheduled",
        )
        s.add(workshop)

        def org(name: str) -> models.Organisation:
            row = models.Organisation(lcp_id="morley", name=name, sector="third_sector", roles=["supporting_skills"])
            s.add(row)
            s.flush()
            return row

        def contact(organisation: models.Organisation, name: str, email: str, active: bool = True) -> int:
            row = models.Contact(organisation_id=organisation.id, name=name, email=email, active=active)
            s.add(row)
            s.flush()
            return row.id

        hub_org, library, evil = org("Morley Community Hub"), org("Morley Library"), org("<script>alert(1)</script>")
        hub = create_hub(s, hub_org, 1, by="import test", source="import", at=STAGE_SINCE)
        library_hub = create_hub(s, library, 2, by="import test", source="import", at=STAGE_SINCE)
        s.flush()
        return World(
            hub_org=hub_org.id,
            hub=hub.id,
            alice=contact(hub_org, "Alice Example", "alice@hub.example.org"),
            dee=contact(hub_org, "Dee Example", "dee@hub.example.org", active=False),
            library_org=library.id,
            library_hub=library_hub.id,
            bob=contact(library, "Bob Example", "bob@library.example.org"),
            hub_action=_action(
                s,
                workshop,
                hub_org,
                "Complete the hub self-assessment (stage 1: universal digital inclusion)",
                "each_hub",
            ),
            library_action=_action(s, workshop, library, "Share one example of unmet need", "each_partner"),
            lead_action=_action(s, workshop, None, "Map your LCP's partners against the six roles", "lcp_lead"),
            evil_org=evil.id,
            evil_contact=contact(evil, "Eve <b>Example</b>", "eve@evil.example.org"),
            evil_action=_action(s, workshop, evil, "Do <em>this</em> & that", "each_partner"),
        )


@dataclass
class Snapshot:
    """Everything a check-in could change, to compare before and after."""

    rows: dict[str, int]
    actions: list[tuple[int, str, str | None]]
    hubs: list[tuple[int, int]]


def snapshot(sessions: sessionmaker[Session]) -> Snapshot:
    with sessions() as s:
        tables = (
            models.ActionChange,
            models.HubStageChange,
            models.HubHelpRequest,
            models.CheckinUse,
            models.OutboundMessage,
        )
        rows = {m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0 for m in tables}
        actions = [(a.id, a.status, a.done_by) for a in s.scalars(select(models.Action).order_by(models.Action.id))]
        hubs = [(h.id, h.stage) for h in s.scalars(select(models.Hub).order_by(models.Hub.id))]
    return Snapshot(rows, actions, hubs)


@dataclass
class Page:
    """The check-in page served by uvicorn on a loopback port, and an HTTP client for it."""

    base_url: str
    client: httpx.Client
    server: uvicorn.Server

    def path(self, url: str) -> str:
        """A link from an email (under ROLLOUT_PUBLIC_URL) as a path on this test server."""
        assert url.startswith(PUBLIC_URL + "/c/"), url
        return url.removeprefix(PUBLIC_URL)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(self.path(url) if url.startswith("http") else url, **kwargs)

    def post(self, url: str, note: str | None = None, **kwargs: Any) -> httpx.Response:
        data = {"note": note} if note is not None else {"note": ""}
        return self.client.post(self.path(url) if url.startswith("http") else url, data=data, **kwargs)


def start_server(app: Any, **options: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    """uvicorn in a thread on 127.0.0.1 and an ephemeral port, configured exactly as `rollout checkin serve` does."""
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", 0, log_level="warning", **options))
    thread = threading.Thread(target=server.run, name="checkin-test-server", daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        if not thread.is_alive():
            raise RuntimeError("the check-in test server did not start")
        threading.Event().wait(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}"


ServePage = Callable[..., Page]


@pytest.fixture
def serve_page(sessions: sessionmaker[Session], programme: Programme) -> Iterator[ServePage]:
    """Start the real page; keyword arguments go to create_app (rate_limit, trusted_proxies) or the service."""
    running: list[tuple[uvicorn.Server, threading.Thread, httpx.Client]] = []

    def start(
        *,
        clock: Callable[[], dt.datetime] | None = None,
        token_codec: TokenCodec | None = None,
        rate_limit: tuple[int, int] = (1000, 60),
        trusted_proxies: int = 0,
        **uvicorn_options: Any,
    ) -> Page:
        service = CheckinService(sessions=sessions, programme=programme, codec=token_codec or codec())
        if clock is not None:
            service = CheckinService(sessions, programme, service.codec, clock)
        app = create_app(service, rate_limit=rate_limit, trusted_proxies=trusted_proxies)
        server, thread, base_url = start_server(app, **uvicorn_options)
        client = httpx.Client(base_url=base_url, timeout=10, follow_redirects=False)
        running.append((server, thread, client))
        return Page(base_url, client, server)

    yield start
    for server, thread, client in running:
        client.close()
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def page(serve_page: ServePage, world: World) -> Page:
    return serve_page()
