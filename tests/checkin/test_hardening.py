"""Hostile clients: slow headers and bodies are cut off, odd forms and out-of-range ids get 400, never 500."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rollout.checkin import app as checkin_app
from rollout.checkin import links
from rollout.checkin.serve import MAX_CONNECTIONS, uvicorn_config
from rollout.checkin.tokens import ACTION_DONE, TokenCodec
from tests.checkin.conftest import SECRET, ServePage, World, snapshot

SLOW_CLIENTS = 20
HEADER_TIMEOUT = 1.0


def _connect(base_url: str) -> socket.socket:
    parts = urlsplit(base_url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=5)
    sock.setblocking(False)
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1024) == b""
    except BlockingIOError:
        return False
    except OSError:  # reset
        return True


def test_slow_header_connections_are_closed_within_a_bounded_time(serve_page: ServePage, world: World) -> None:
    page = serve_page(header_timeout=HEADER_TIMEOUT)
    clients = [_connect(page.base_url) for _ in range(SLOW_CLIENTS)]
    for sock in clients:
        sock.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    open_ = set(range(SLOW_CLIENTS))
    # One more header line every 0.3 s, as a slow-loris client does, until the server hangs up (or 6 s).
    while open_ and time.monotonic() - started < 6 * HEADER_TIMEOUT:
        for index in list(open_):
            sock = clients[index]
            if _closed_by_server(sock):
                open_.discard(index)
                continue
            try:
                sock.send(b"X-Slow: 1\r\n")
            except OSError:
                open_.discard(index)
        time.sleep(0.3)
    elapsed = time.monotonic() - started
    for sock in clients:
        sock.close()

    assert not open_, f"{len(open_)} of {SLOW_CLIENTS} slow connections still open after {elapsed:.1f} s"
    assert elapsed < 3 * HEADER_TIMEOUT
    assert page.get("/healthz").status_code == 200  # and the page still serves others


def test_a_body_that_never_arrives_gets_408(
    serve_page: ServePage, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkin_app, "BODY_TIMEOUT_SECONDS", 0.5)
    page = serve_page()
    path = page.path(links.action_done_url(world.alice, world.hub_action))
    sock = _connect(page.base_url)
    sock.setblocking(True)
    sock.settimeout(5)
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 100\r\n\r\nnote=".encode()
    )
    reply = sock.recv(4096)
    sock.close()
    assert reply.startswith(b"HTTP/1.1 408")


def test_a_valid_link_posted_with_too_many_form_fields_gets_400_and_records_nothing(
    serve_page: ServePage, world: World, sessions: sessionmaker[Session]
) -> None:
    page = serve_page()
    url = links.action_done_url(world.alice, world.hub_action)
    before = snapshot(sessions)

    response = page.client.post(page.path(url), data={f"f{n}": "x" for n in range(25)})

    assert response.status_code == 400
    assert snapshot(sessions) == before


@pytest.mark.parametrize(
    ("contact", "subject"), [(2**63, 1), (1, 2**63), (2**64 + 5, 2**70), (0, 1), (1, 2**31)], ids=str
)
def test_ids_out_of_range_in_a_signed_link_get_400(
    serve_page: ServePage, world: World, sessions: sessionmaker[Session], contact: int, subject: int
) -> None:
    page = serve_page()
    token = TokenCodec(SECRET).issue(contact, "action", subject, ACTION_DONE)
    before = snapshot(sessions)

    shown, posted = page.get(f"/c/{token}"), page.client.post(f"/c/{token}", data={"note": ""})

    assert (shown.status_code, posted.status_code) == (400, 400)
    assert snapshot(sessions) == before


def test_the_server_caps_connections_and_times_out_idle_ones() -> None:
    config = uvicorn_config(object(), "127.0.0.1", 0)
    assert config.limit_concurrency == MAX_CONNECTIONS
    assert config.timeout_keep_alive <= 5
    assert config.h11_max_incomplete_event_size is not None
