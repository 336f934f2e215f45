"""Links that must not act: tampered, expired, replayed, revoked, another organisation's. Each changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rollout.checkin import links
from rollout.checkin.tokens import ACTION_DONE, TokenCodec, hub_stage
from rollout.db import models
from rollout.db.session import unit_of_work
from tests.checkin.conftest import PUBLIC_URL, SECRET, Page, ServePage, World, snapshot
from tests.checkin.pages import token_of, visible


def refused_both_ways(page: Page, url: str, status: int, sessions: sessionmaker[Session]) -> str:
    """GET and POST both answer `status` and nothing in the database changes; returns the page's text."""
    before = snapshot(sessions)
    shown = page.get(url)
    posted = page.post(url, note="should not be stored")
    assert (shown.status_code, posted.status_code) == (status, status), visible(posted)
    assert visible(shown) == visible(posted)
    assert snapshot(sessions) == before
    return visible(posted)


def flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda t: flip(t, len(t) - 3), id="signature"),
        pytest.param(lambda t: flip(t, 10), id="payload"),
        pytest.param(lambda t: flip(t, t.index(".", 1) + 2), id="timestamp"),
    ],
)
def test_a_tampered_link_is_refused(
    page: Page, world: World, sessions: sessionmaker[Session], tamper: Callable[[str], str]
) -> None:
    url = links.action_done_url(world.alice, world.hub_action)
    text = refused_both_ways(page, f"{PUBLIC_URL}/c/{tamper(token_of(url))}", 400, sessions)
    assert "This link has been changed" in text


def test_a_link_signed_with_another_secret_is_refused(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    forged = TokenCodec("someone-else's-secret-that-is-long-enough").issue(
        world.alice, "action", world.hub_action, ACTION_DONE
    )
    assert "This link has been changed" in refused_both_ways(page, f"{PUBLIC_URL}/c/{forged}", 400, sessions)


@pytest.mark.parametrize("token", ["hello", "a.b.c", "x" * 600, "%3Cscript%3E"])
def test_something_that_is_not_a_link_is_refused(
    page: Page, world: World, sessions: sessionmaker[Session], token: str
) -> None:
    assert "This is not a working check-in link" in refused_both_ways(page, f"{PUBLIC_URL}/c/{token}", 400, sessions)


def test_an_expired_link_is_refused(page: Page, world: World, sessions: sessionmaker[Session]) -> None:
    sent = dt.datetime.now(dt.UTC) - dt.timedelta(days=61)
    url = links.hub_stage_url(world.alice, world.hub, 2, issued_at=sent)
    assert "This link has expired" in refused_both_ways(page, url, 410, sessions)


def test_a_link_lives_as_long_as_the_configured_lifetime(
    page: Page, world: World, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, serve_page: ServePage
) -> None:
    sent = dt.datetime.now(dt.UTC) - dt.timedelta(days=8)
    url = links.hub_stage_url(world.alice, world.hub, 2, issued_at=sent)
    assert page.get(url).status_code == 200  # within the default 60 days

    monkeypatch.setenv("ROLLOUT_CHECKIN_TOKEN_DAYS", "7")
    short_lived = serve_page()  # the lifetime is read when the page starts, and applies to links already sent
    assert "This link has expired" in refused_both_ways(short_lived, url, 410, sessions)


def test_a_replayed_link_is_refused(page: Page, world: World, sessions: sessionmaker[Session]) -> None:
    url = links.hub_help_url(world.alice, world.hub)
    assert page.post(url).status_code == 200
    assert "This link has already been used" in refused_both_ways(page, url, 410, sessions)


def test_a_removed_contacts_links_are_revoked(page: Page, world: World, sessions: sessionmaker[Session]) -> None:
    url = links.action_done_url(world.alice, world.hub_action)
    assert page.get(url).status_code == 200
    with unit_of_work(sessions) as s:
        alice = s.get(models.Contact, world.alice)
        assert alice is not None
        alice.active = False  # what `rollout partners import --remove-missing` does

    assert "This link no longer works" in refused_both_ways(page, url, 403, sessions)


def test_an_inactive_contact_never_had_a_working_link(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    url = links.hub_stage_url(world.dee, world.hub, 2)
    assert "This link no longer works" in refused_both_ways(page, url, 403, sessions)


def test_a_link_for_a_contact_that_does_not_exist_is_refused(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    assert "This link no longer works" in refused_both_ways(page, links.hub_help_url(9999, world.hub), 403, sessions)


@pytest.mark.parametrize(
    "make_url",
    [
        pytest.param(lambda w: links.action_done_url(w.bob, w.hub_action), id="another-organisations-action"),
        pytest.param(lambda w: links.hub_stage_url(w.bob, w.hub, 2), id="another-organisations-hub-stage"),
        pytest.param(lambda w: links.hub_help_url(w.bob, w.hub), id="another-organisations-hub-help"),
        pytest.param(lambda w: links.action_done_url(w.alice, w.library_action), id="neighbours-action"),
        pytest.param(lambda w: links.hub_stage_url(w.alice, w.library_hub, 3), id="neighbours-hub"),
        pytest.param(lambda w: links.action_done_url(w.alice, w.lead_action), id="lcp-leads-action"),
    ],
)
def test_a_link_can_never_act_on_another_organisations_action_or_hub(
    page: Page, world: World, sessions: sessionmaker[Session], make_url: Callable[[World], str]
) -> None:
    text = refused_both_ways(page, make_url(world), 403, sessions)
    assert "This link is not for your organisation" in text
    assert "Morley Community Hub" not in text and "Morley Library" not in text  # nothing about the other side leaks


def test_a_contact_who_moved_organisation_cannot_use_links_sent_for_the_old_one(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    url = links.hub_stage_url(world.alice, world.hub, 2)
    with unit_of_work(sessions) as s:
        alice = s.get(models.Contact, world.alice)
        assert alice is not None
        alice.organisation_id = world.library_org

    refused_both_ways(page, url, 403, sessions)


def test_a_link_for_an_action_or_hub_that_is_gone_is_refused(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    assert "no longer exists" in refused_both_ways(page, links.action_done_url(world.alice, 9999), 410, sessions)
    assert "no longer exists" in refused_both_ways(page, links.hub_help_url(world.alice, 9999), 410, sessions)
    beyond = f"{PUBLIC_URL}/c/{TokenCodec(SECRET).issue(world.alice, 'hub', world.hub, hub_stage(9))}"
    assert "no longer one of the programme's stages" in refused_both_ways(page, beyond, 410, sessions)


def test_a_note_longer_than_the_form_allows_is_refused_and_nothing_recorded(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    url = links.action_done_url(world.alice, world.hub_action)
    before = snapshot(sessions)

    response = page.post(url, note="x" * 1001)

    assert response.status_code == 400
    assert "Your note is too long" in visible(response)
    assert snapshot(sessions) == before
    assert page.post(url, note="x" * 1000).status_code == 200  # the link still works once


def test_a_post_that_did_not_come_from_the_form_is_refused(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    url = links.action_done_url(world.alice, world.hub_action)
    before = snapshot(sessions)
    as_json = page.client.post(page.path(url), json={"note": "hi"})
    too_big = page.client.post(
        page.path(url), content=b"note=" + b"x" * 20_000, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert (as_json.status_code, too_big.status_code) == (415, 413)
    assert snapshot(sessions) == before
