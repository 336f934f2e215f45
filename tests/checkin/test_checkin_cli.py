"""`rollout checkin link` prints links that work; `rollout checkin serve` serves the page without logging tokens."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from rollout.db import models
from rollout_lab.simulation.world import free_port
from tests.checkin.conftest import PUBLIC_URL, Page, World
from tests.checkin.pages import token_of, visible

ROOT = Path(__file__).resolve().parents[2]


def test_link_prints_a_working_done_link(run_cli, page: Page, world: World, sessions: sessionmaker[Session]) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("checkin", "link", "--contact", "Alice@Hub.example.org", "--action", str(world.hub_action))

    assert result.exit_code == 0, result.stderr
    url = result.stdout.strip()
    assert url.startswith(f"{PUBLIC_URL}/c/") and "\n" not in url
    assert "Mark 'Complete the hub self-assessment" in result.stderr and "Works once, for 60 days" in result.stderr
    assert page.post(url).status_code == 200
    with sessions() as s:
        action = s.get(models.Action, world.hub_action)
        assert action is not None and action.done_by == "alice@hub.example.org"


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--stage", "2"], "Record that Morley Community Hub has reached stage 2"),
        (["--help"], "Ask the 100% Digital Leeds: Digital Health Hubs rollout team to help Morley Community Hub"),
    ],
)
def test_link_prints_working_hub_links(run_cli, page: Page, world: World, args: list[str], expect: str) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("checkin", "link", "--contact", "alice@hub.example.org", "--hub", str(world.hub), *args)

    assert result.exit_code == 0, result.stderr
    assert expect in visible(page.get(result.stdout.strip()))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--contact", "bob@library.example.org", "--hub", "{hub}", "--stage", "2"], "not for your organisation"),
        (["--contact", "alice@hub.example.org", "--action", "{lead_action}"], "not for your organisation"),
        (["--contact", "dee@hub.example.org", "--hub", "{hub}", "--help"], "This link no longer works"),
        (["--contact", "nobody@hub.example.org", "--hub", "{hub}", "--help"], "no contact nobody@hub.example.org"),
        (["--contact", "alice@hub.example.org", "--hub", "{hub}", "--stage", "4"], "no longer applies"),
        (["--contact", "alice@hub.example.org", "--hub", "{hub}"], "give exactly one of"),
        (["--contact", "alice@hub.example.org", "--action", "1", "--hub", "{hub}", "--help"], "give exactly one of"),
        (["--contact", "alice@hub.example.org", "--stage", "2"], "give exactly one of"),
        (["--action", "1"], "--contact EMAIL is required"),
    ],
)
def test_link_refuses_what_the_page_would_refuse(run_cli, world: World, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    filled = [a.format(hub=world.hub, lead_action=world.lead_action) for a in args]

    result = run_cli("checkin", "link", *filled)

    assert result.exit_code == 2
    assert message in result.stderr and result.stdout == ""


def test_link_alone_with_help_shows_how_to_use_it(run_cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("checkin", "link", "--help")
    assert result.exit_code == 0
    assert "--contact" in result.stdout and "--hub" in result.stdout


def test_link_without_a_secret_says_what_to_set(run_cli, world: World, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("ROLLOUT_CHECKIN_SECRET")
    result = run_cli("checkin", "link", "--contact", "alice@hub.example.org", "--hub", "1", "--help")
    assert result.exit_code == 2
    assert "error: check-in links: no signing secret: set ROLLOUT_CHECKIN_SECRET" in result.stderr


def test_serve_runs_the_page_and_its_access_log_hides_tokens(world: World, data_dir: Path) -> None:
    from rollout.checkin import links

    port = free_port()
    url = links.action_done_url(world.alice, world.hub_action)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-m", "rollout.cli.main", "checkin", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        response = httpx.get(base + url.removeprefix(PUBLIC_URL))
        assert response.status_code == 200
        assert "Mark 'Complete the hub self-assessment" in visible(response)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert f"links in emails point at: {PUBLIC_URL}" in output
    assert '"GET /c/[token] HTTP/1.1" 200' in output
    assert token_of(url) not in output


def test_serve_without_a_secret_exits_with_a_clear_error(
    run_cli, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("ROLLOUT_CHECKIN_SECRET")
    result = run_cli("checkin", "serve", "--port", "1")
    assert result.exit_code == 2
    assert "no signing secret" in result.stderr
