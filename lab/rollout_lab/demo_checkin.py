"""The demo's last step: the partners' check-in page, running, with one working "Mark as done" link."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from rollout.checkin.app import create_app
from rollout.checkin.links import action_done_url
from rollout.checkin.serve import service_from, uvicorn_config
from rollout.cli.common import console
from rollout.db import models
from rollout.db.session import make_engine, session_factory
from rollout.services import build_services
from rollout.settings import Settings
from rollout_lab.simulation.world import CheckinPage, environment_variables


def show_checkin_link(
    database_url: str, config_path: Path, page: CheckinPage | None = None, *, wait: bool | None = None
) -> str | None:
    """Start the page on loopback, prove one partner's link opens it, print the link; returns the link. `page`: the
    address and secret the simulated emails' links use (default: a new port and secret). The secret is the demo's
    only: its links stop working when the demo ends."""
    import uvicorn

    emails_link_here = page is not None
    page = page or CheckinPage.on_free_port()
    port = urlsplit(page.public_url).port
    if port is None:
        raise ValueError(f"the check-in page's address {page.public_url} names no port")
    settings = {"ROLLOUT_DATABASE_URL": database_url, **page.environment()}
    with environment_variables(settings):
        engine = make_engine(database_url)
        sessions = session_factory(engine)
        with sessions() as session:
            found = session.execute(
                select(models.Action, models.Contact)
                .join(models.Contact, models.Contact.organisation_id == models.Action.organisation_id)
                .where(models.Action.status == "open", models.Contact.active.is_(True))
                .order_by(models.Action.id)
                .limit(1)
            ).first()
        if found is None:
            console.print("Check-in page: no open action left in the simulated programme to show a link for.")
            return None
        action, contact = found
        link = action_done_url(contact.id, action.id)
        # The page's services, from the demo's settings and its open database (the demo disposes of the engine).
        services = build_services(Settings.from_env(config_path=config_path), sessions=sessions)
        server = uvicorn.Server(
            uvicorn_config(
                create_app(service_from(services)),
                "127.0.0.1",
                port,
                log_level="warning",
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 20
            while not server.started:
                if time.monotonic() > deadline or not thread.is_alive():
                    raise RuntimeError("the check-in page did not start")
                time.sleep(0.05)
            httpx.get(link, timeout=10).raise_for_status()
            console.print(
                f'Check-in page running at http://127.0.0.1:{port}. {contact.name}\'s "Mark as done" link for '
                f'"{action.title}" (it opens a confirmation page; nothing is recorded until the button is pressed):'
            )
            console.print(link, markup=False, highlight=False, soft_wrap=True)
            if wait if wait is not None else sys.stdin.isatty():
                if emails_link_here:
                    console.print(
                        "The links in the simulated partners' emails (the .eml files above) open this page too, "
                        "while it runs.",
                        markup=False,
                        highlight=False,
                        soft_wrap=True,
                    )
                input("Press Enter to stop the check-in page ... ")
            else:
                console.print("(Not a terminal, so the page stops now; `rollout checkin serve` runs it for good.)")
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            engine.dispose()
        return link
