"""The page escapes what it echoes, sends strict headers, limits each client's rate and keeps tokens out of logs."""

from __future__ import annotations

import base64
import hashlib
import logging
import re

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rollout.checkin import links
from rollout.checkin.serve import redact
from rollout.db import models
from tests.checkin.conftest import PUBLIC_URL, Page, ServePage, World
from tests.checkin.pages import token_of, visible

SCRIPT = "<script>alert(1)</script>"


def test_organisation_names_titles_and_notes_are_escaped(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    url = links.action_done_url(world.evil_contact, world.evil_action)
    note = '<img src=x onerror="alert(2)"> & </textarea><b>bold</b>'

    shown = page.get(url)
    done = page.post(url, note=note)

    for response in (shown, done):
        assert response.status_code == 200
        assert SCRIPT not in response.text and "<img" not in response.text and "<b>" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "Mark 'Do <em>this</em> & that' as done for <script>alert(1)</script>" in visible(shown)
    assert "Eve <b>Example</b> (eve@evil.example.org)" in visible(shown)
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt; &amp; &lt;/textarea&gt;" in done.text
    assert note in visible(done)
    with sessions() as s:
        [change] = s.scalars(select(models.ActionChange)).all()
        assert change.note == note  # stored as typed; escaped only when shown


def test_every_response_carries_the_security_headers(page: Page, world: World) -> None:
    url = links.action_done_url(world.alice, world.hub_action)
    responses = {
        "confirm page": page.get(url),
        "thank-you page": page.post(url),
        "used link": page.post(url),
        "tampered link": page.get("/c/not-a-token"),
        "unknown page": page.get("/admin"),
        "wrong method": page.client.put(page.path(url)),
        "health": page.get("/healthz"),
    }
    statuses = {name: r.status_code for name, r in responses.items()}
    assert statuses == {
        "confirm page": 200,
        "thank-you page": 200,
        "used link": 410,
        "tampered link": 400,
        "unknown page": 404,
        "wrong method": 405,
        "health": 200,
    }
    for name, response in responses.items():
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "form-action 'self'" in csp and "frame-ancestors 'none'" in csp, name
        assert "unsafe-inline" not in csp and "script-src" not in csp, name
        assert headers["x-content-type-options"] == "nosniff", name
        assert headers["referrer-policy"] == "no-referrer", name
        assert headers["x-frame-options"] == "DENY", name
        assert headers["cache-control"] == "no-store", name
        assert "server" not in headers, name
        assert "set-cookie" not in headers, name


def test_the_only_inline_style_is_the_one_the_csp_allows(page: Page, world: World) -> None:
    response = page.get(links.action_done_url(world.alice, world.hub_action))

    [style] = re.findall(r"<style>(.*?)</style>", response.text, flags=re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in response.headers["content-security-policy"]
    assert "style=" not in response.text and "<script" not in response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_the_page_is_usable_on_a_phone_and_with_assistive_technology(page: Page, world: World) -> None:
    text = page.get(links.action_done_url(world.alice, world.hub_action)).text

    assert '<html lang="en">' in text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert '<label for="note">' in text and 'id="note"' in text
    assert '<button type="submit">Mark as done</button>' in text
    assert "<h1>" in text and "<main>" in text


def test_too_many_requests_from_one_client_are_refused_with_retry_after(
    serve_page: ServePage, world: World, sessions: sessionmaker[Session]
) -> None:
    page = serve_page(rate_limit=(3, 60))
    url = links.action_done_url(world.alice, world.hub_action)

    statuses = [page.get(url).status_code for _ in range(3)]
    limited = page.post(url)

    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "Too many requests" in visible(limited)
    assert limited.headers["referrer-policy"] == "no-referrer"
    assert page.get("/healthz").status_code == 200  # monitoring is not limited
    with sessions() as s:
        action = s.get(models.Action, world.hub_action)
        assert action is not None and action.status == "open"


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(serve_page: ServePage, world: World) -> None:
    direct = serve_page(rate_limit=(2, 60))
    claimed = [{"x-forwarded-for": f"203.0.113.{n}"} for n in range(3)]

    assert [direct.get("/c/x", headers=h).status_code for h in claimed] == [400, 400, 429]

    proxied = serve_page(rate_limit=(2, 60), trusted_proxies=1)
    # Behind one trusted proxy the client is the last address it appended; anything left of it is the client's claim.
    from_one_client = [{"x-forwarded-for": f"198.51.100.{n}, 203.0.113.7"} for n in range(3)]
    assert [proxied.get("/c/x", headers=h).status_code for h in from_one_client] == [400, 400, 429]
    assert proxied.get("/c/x", headers={"x-forwarded-for": "203.0.113.8"}).status_code == 400


def test_health_check_reports_ok(page: Page) -> None:
    response = page.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok\n")


def test_access_logs_never_show_a_token(serve_page: ServePage, world: World) -> None:
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    page = serve_page(access_log=True)  # uvicorn configures its loggers as it starts: listen after that
    handler = Keep()
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    old_level = access.level
    access.setLevel(logging.INFO)
    try:
        url = links.action_done_url(world.alice, world.hub_action)
        page.get(url)
        page.post(url + "?utm_source=email")
    finally:
        access.removeHandler(handler)
        access.setLevel(old_level)

    token = token_of(url)
    assert len(records) == 2
    assert all(token not in line and "/c/[token]" in line for line in records), records
    assert redact(f'"GET /c/{token} HTTP/1.1" 200') == '"GET /c/[token] HTTP/1.1" 200'


@pytest.mark.parametrize("base", [PUBLIC_URL, PUBLIC_URL + "/"])
def test_links_point_at_the_public_url(monkeypatch: pytest.MonkeyPatch, world: World, base: str) -> None:
    monkeypatch.setenv("ROLLOUT_PUBLIC_URL", base)
    url = links.hub_help_url(world.alice, world.hub)
    assert url.startswith("https://checkin.example.gov.uk/c/") and httpx.URL(url).path.count("/") == 2
