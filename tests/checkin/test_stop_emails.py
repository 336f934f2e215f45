"""The objection link in every partner email: GET shows a confirm page, POST records once, then no more mail."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rollout.checkin import links
from rollout.config import Programme
from rollout.db import models
from rollout.digest import preview_digest
from rollout.digest.render import render_email
from rollout.partners.query import active_partner_contacts
from rollout.reconcile.state import load_snapshot
from tests.checkin.conftest import Page, World, snapshot
from tests.checkin.pages import visible


def opted_out(sessions: sessionmaker[Session], contact_id: int) -> tuple[dt.datetime | None, bool]:
    with sessions() as session:
        contact = session.get(models.Contact, contact_id)
        assert contact is not None
        return contact.mail_opted_out_at, contact.keep_calendar


def test_opening_the_stop_link_asks_and_records_nothing(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    url = links.stop_emails_url(world.alice)
    before = snapshot(sessions)
    for _ in range(2):  # a mail scanner, then the partner
        response = page.get(url)
        assert response.status_code == 200
        text = visible(response)
        assert "Stop emails from this programme" in text and "alice@hub.example.org" in text
        assert 'name="keep_calendar"' in response.text
    assert snapshot(sessions) == before
    assert opted_out(sessions, world.alice) == (None, False)


def test_confirming_stops_programme_emails_once_and_excludes_them_afterwards(
    page: Page, world: World, sessions: sessionmaker[Session], programme: Programme
) -> None:
    url = links.stop_emails_url(world.alice)

    response = page.post(url)

    assert response.status_code == 200 and "no more emails" in visible(response)
    stopped_at, keep_calendar = opted_out(sessions, world.alice)
    assert stopped_at is not None and keep_calendar is False
    again = page.post(url)
    assert again.status_code == 410
    assert opted_out(sessions, world.alice) == (stopped_at, False)
    with sessions() as session:
        uses = session.scalars(select(models.CheckinUse).where(models.CheckinUse.contact_id == world.alice)).all()
        assert [u.transition for u in uses] == ["contact.stop"]
        mail_to = {c.id for c in load_snapshot(session, stopped_at).contacts}
        calendar = {p.contact_id for p in active_partner_contacts(session, for_calendar=True)}
        digest = preview_digest(session, programme, stopped_at + dt.timedelta(hours=1))
    assert world.alice not in mail_to and world.bob in mail_to
    assert world.alice not in calendar and world.bob in calendar
    assert digest.totals is not None and digest.totals.opted_out_this_week == 1
    email = render_email(digest)  # the programme manager reads it in either part
    assert "1 person opted out of programme emails this week" in email.text
    assert "1 person opted out of programme emails this week" in email.html


def test_keeping_calendar_invitations_keeps_them_on_workshop_invitations_only(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    url = links.stop_emails_url(world.bob)

    response = page.client.post(page.path(url), data={"keep_calendar": "yes"})

    assert response.status_code == 200 and "still get workshop invitations" in visible(response)
    with sessions() as session:
        calendar = {p.contact_id for p in active_partner_contacts(session, for_calendar=True)}
        mail_to = {c.id for c in load_snapshot(session, dt.datetime.now(dt.UTC)).contacts}
    assert world.bob in calendar and world.bob not in mail_to


def test_a_stop_link_for_someone_else_is_refused(page: Page, world: World, sessions: sessionmaker[Session]) -> None:
    from rollout.checkin.tokens import STOP_EMAILS, codec

    forged = links.checkin_url(codec().issue(world.alice, "contact", world.bob, STOP_EMAILS))
    response = page.post(forged)
    assert response.status_code == 410
    assert opted_out(sessions, world.bob) == (None, False)


@pytest.mark.parametrize("width", [1000, 360])
def test_the_keep_invitations_box_sits_beside_its_words_and_they_tick_it_in_chromium(
    page: Page, world: World, width: int
) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            tab = browser.new_page(viewport={"width": width, "height": 800})
            assert tab.goto(page.base_url + page.path(links.stop_emails_url(world.alice))).status == 200
            box = tab.locator("#keep_calendar").bounding_box()
            words = tab.locator("label[for=keep_calendar]").bounding_box()
            assert box is not None and words is not None
            assert box["width"] >= 24 and box["height"] >= 24  # a target a thumb can hit
            assert words["x"] > box["x"] + box["width"]  # beside it, not on a line of its own
            assert words["y"] < box["y"] + box["height"] and box["y"] < words["y"] + words["height"]
            tab.click("label[for=keep_calendar]")
            assert tab.is_checked("#keep_calendar")
        finally:
            browser.close()
