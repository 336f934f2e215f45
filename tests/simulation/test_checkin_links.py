"""The simulated partners' emails carry the check-in links a configured deployment's do, signed with the
simulation's own secret, and the page the demo starts at its end (same address, same secret) opens them."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import os
import re
from email.policy import default
from pathlib import Path

import httpx
import pytest

from rollout.checkin.app import create_app
from rollout.checkin.serve import service_from
from rollout.db.session import make_engine, session_factory
from rollout.services import build_services
from rollout.settings import Settings
from rollout_lab.simulation import Options, simulate
from rollout_lab.simulation.world import CheckinPage, environment_variables
from tests.backends import PostgresBackend, SqliteBackend
from tests.conftest import CONFIG
from tests.simulation.conftest import FIRST, SEED
from tests.simulation.direct import DirectEngine


def get(path: str, public_url: str, url: str, secret: str) -> httpx.Response:
    """GET `path` from the check-in page served with this address, database and secret (in-process)."""
    engine = make_engine(url)
    page = CheckinPage(public_url, secret)
    try:
        with environment_variables({"ROLLOUT_DATABASE_URL": url, **page.environment()}):
            services = build_services(Settings.from_env(config_path=CONFIG), sessions=session_factory(engine))
            app = create_app(service_from(services))

            async def fetch() -> httpx.Response:
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=public_url) as client:
                    return await client.get(path)

            return asyncio.run(fetch())
    finally:
        engine.dispose()


def plain_text(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=default)
    body = message.get_body(("plain",))  # type: ignore[attr-defined]
    return "" if body is None else str(body.get_content())


def test_the_simulated_emails_links_open_the_page_with_the_simulations_address_and_secret(
    prefect_server: str, database_backend: SqliteBackend | PostgresBackend, tmp_path: Path
) -> None:
    page = CheckinPage.on_free_port()
    (tmp_path / "database").mkdir()
    url = database_backend.fresh(tmp_path / "database")
    directory = tmp_path / "simulation"
    options = Options(
        CONFIG, directory, first=FIRST, last=dt.date(2022, 10, 20), seed=SEED, database_url=url, checkin=page
    )
    try:
        simulate(options, say=lambda _: None, engine=DirectEngine)
        link = re.compile(re.escape(page.public_url) + r"/c/[A-Za-z0-9._~-]+")
        links = [found for eml in directory.glob("mailboxes/*/*.eml") for found in link.findall(plain_text(eml))]
        assert links, "no simulated email carried a check-in link"
        assert os.environ.get("ROLLOUT_CHECKIN_SECRET") != page.secret  # the simulation's, for its run only

        path = links[0].removeprefix(page.public_url)
        opened = get(path, page.public_url, url, page.secret)
        assert opened.status_code == 200, opened.text
        assert "expired" not in opened.text.lower() and "not valid" not in opened.text.lower()
        refused = get(path, page.public_url, url, "another-secret-" + "x" * 40)
        assert refused.status_code != 200
    finally:
        database_backend.drop(url)


@pytest.mark.parametrize("public_url", ["http://127.0.0.1"])
def test_a_check_in_page_address_without_a_port_is_refused_by_the_demo(public_url: str) -> None:
    from rollout_lab.demo_checkin import show_checkin_link

    with pytest.raises(ValueError, match="names no port"):
        show_checkin_link("sqlite://", CONFIG, CheckinPage(public_url=public_url), wait=False)
