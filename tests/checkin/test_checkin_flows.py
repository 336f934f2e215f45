"""Partners answer from the email: open a link (GET shows, records nothing), confirm (POST records once)."""

from __future__ import annotations

import datetime as dt
import threading

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rollout.checkin import links
from rollout.checkin.tokens import hub_stage
from rollout.config import Programme
from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.programme.progress import move_hub
from tests.checkin.conftest import PUBLIC_URL, Page, ServePage, World, snapshot
from tests.checkin.pages import visible


def test_opening_a_done_link_says_what_will_be_recorded_and_records_nothing(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    url = links.action_done_url(world.alice, world.hub_action)
    before = snapshot(sessions)

    for _ in range(3):  # a mail scanner, a prefetcher, then the partner
        response = page.get(url)
        assert response.status_code == 200
        text = visible(response)
        assert (
            "Mark 'Complete the hub self-assessment (stage 1: universal digital inclusion)' as done for "
            "Morley Community Hub" in text
        )
        assert "Alice Example (alice@hub.example.org)" in text
        assert '<form method="post">' in response.text and 'name="note"' in response.text
        assert "<script" not in response.text

    assert page.client.head(page.path(url)).status_code == 200
    assert snapshot(sessions) == before


def test_confirming_a_done_link_marks_the_action_done_once_with_who_when_and_the_note(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    url = links.action_done_url(world.alice, world.hub_action)

    response = page.post(url, note="Done at our team meeting.\nSee the shared drive.")

    assert response.status_code == 200
    text = visible(response)
    assert "Thank you" in text and "is marked as done for Morley Community Hub" in text
    assert "Done at our team meeting." in text
    with sessions() as s:
        action = s.get(models.Action, world.hub_action)
        assert action is not None
        assert (action.status, action.done_by) == ("done", "alice@hub.example.org")
        [change] = action.history
        assert (change.status, change.changed_by, change.source) == ("done", "alice@hub.example.org", "checkin")
        assert change.note == "Done at our team meeting.\nSee the shared drive."
        assert abs(change.changed_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
        [use] = s.scalars(select(models.CheckinUse)).all()
        assert (use.contact_id, use.subject, use.transition) == (
            world.alice,
            f"action:{world.hub_action}",
            "action.done",
        )

    after_first = snapshot(sessions)
    replay = page.post(url, note="again")
    assert replay.status_code == 410
    assert "This link has already been used" in visible(replay)
    assert page.get(url).status_code == 410
    assert snapshot(sessions) == after_first


def test_confirming_a_reached_stage_link_moves_the_hub_one_stage_with_history(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    url = links.hub_stage_url(world.alice, world.hub, 2)
    shown = visible(page.get(url))
    assert "Record that Morley Community Hub has reached stage 2: Universal health participation" in shown
    assert "Stage now 1: Universal digital inclusion" in shown

    response = page.post(url, note="We ran our first NHS App session.")

    assert response.status_code == 200
    assert "Morley Community Hub is now recorded at stage 2: Universal health participation." in visible(response)
    with sessions() as s:
        hub = s.get(models.Hub, world.hub)
        assert hub is not None and hub.stage == 2
        change = hub.history[-1]
        assert (change.from_stage, change.to_stage, change.changed_by, change.source, change.note) == (
            1,
            2,
            "alice@hub.example.org",
            "checkin",
            "We ran our first NHS App session.",
        )
        assert hub.stage_since == change.changed_at
    assert page.post(url).status_code == 410


def test_asking_for_help_records_one_request_and_tells_the_lcp_lead(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    url = links.hub_help_url(world.alice, world.hub)
    assert "Ask the 100% Digital Leeds: Digital Health Hubs rollout team to help Morley Community Hub" in visible(
        page.get(url)
    )

    response = page.post(url, note="We cannot find a venue with Wi-Fi.")

    assert response.status_code == 200
    assert "Someone will be in touch." in visible(response)
    with sessions() as s:
        [request] = s.scalars(select(models.HubHelpRequest)).all()
        assert (request.hub_id, request.stage, request.requested_by, request.contact_id, request.source) == (
            world.hub,
            1,
            "alice@hub.example.org",
            world.alice,
            "checkin",
        )
        assert request.note == "We cannot find a venue with Wi-Fi."
        [mail] = s.scalars(select(models.OutboundMessage)).all()
        assert (mail.kind, mail.purpose, mail.idempotency_key) == ("mail", "help_request", f"help-request:{request.id}")
        assert mail.recipients == ["morley.lead@example.org", "programme.manager@example.org"]
        assert "Morley Community Hub (Morley) would like help" in mail.payload["subject"]
        assert "We cannot find a venue with Wi-Fi." in mail.payload["text"]

    # A second help link for the same stall (another email, a colleague) is answered without a second request.
    before = snapshot(sessions)
    again = page.post(links.hub_help_url(world.alice, world.hub))
    assert again.status_code == 410
    assert "You have already asked for help" in visible(again)
    assert snapshot(sessions) == before


def test_a_hub_can_ask_for_help_again_once_it_has_moved_to_another_stage(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    assert page.post(links.hub_help_url(world.alice, world.hub)).status_code == 200
    assert page.post(links.hub_stage_url(world.alice, world.hub, 2)).status_code == 200

    assert page.post(links.hub_help_url(world.alice, world.hub)).status_code == 200

    with sessions() as s:
        assert [r.stage for r in s.scalars(select(models.HubHelpRequest).order_by(models.HubHelpRequest.id))] == [1, 2]


def test_a_stage_link_no_longer_applies_once_the_hub_has_moved_another_way(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    reach_two = links.hub_stage_url(world.alice, world.hub, 2)
    reach_three = links.hub_stage_url(world.alice, world.hub, 3)
    assert "This link no longer applies" in visible(page.get(reach_three))  # skips a stage
    with unit_of_work(sessions) as s:
        hub = s.get(models.Hub, world.hub)
        assert hub is not None
        move_hub(s, hub, 2, by="programme.manager@example.org", source="cli")
    before = snapshot(sessions)

    response = page.post(reach_two)

    assert response.status_code == 410
    assert "Morley Community Hub is already recorded at stage 2" in visible(response)
    assert snapshot(sessions) == before


def test_an_action_done_another_way_is_not_done_again(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    first, second = (links.action_done_url(world.alice, world.hub_action) for _ in range(2))
    assert page.post(first).status_code == 200
    before = snapshot(sessions)

    response = page.post(second)

    assert response.status_code == 410
    assert "was already marked as done" in visible(response)
    assert snapshot(sessions) == before


def confirm_together(page: Page, urls: list[str]) -> list[int]:
    """POST every link at the same moment, one client each; the statuses in order of the links."""
    statuses: dict[int, int] = {}
    barrier = threading.Barrier(len(urls))

    def confirm(index: int, url: str) -> None:
        with httpx.Client(base_url=page.base_url, timeout=30) as client:
            barrier.wait()
            statuses[index] = client.post(page.path(url), data={"note": "same time"}).status_code

    threads = [threading.Thread(target=confirm, args=(i, url)) for i, url in enumerate(urls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [statuses[i] for i in range(len(urls))]


def test_two_confirmations_of_one_link_at_the_same_moment_record_once(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    url = links.action_done_url(world.alice, world.hub_action)

    assert sorted(confirm_together(page, [url] * 4)) == [200, 410, 410, 410]

    with sessions() as s:
        action = s.get(models.Action, world.hub_action)
        assert action is not None and len(action.history) == 1
        assert len(s.scalars(select(models.CheckinUse)).all()) == 1


def test_different_links_for_the_same_change_confirmed_at_once_record_it_once(
    page: Page, world: World, sessions: sessionmaker[Session]
) -> None:
    done = [links.action_done_url(world.alice, world.hub_action) for _ in range(4)]
    stage = [links.hub_stage_url(world.alice, world.hub, 2) for _ in range(4)]
    help_ = [links.hub_help_url(world.alice, world.hub) for _ in range(4)]

    # One kind at a time: help asked after the stage moved would rightly be a new request, for the new stage.
    for group in (done, stage, help_):
        assert sorted(confirm_together(page, group)) == [200, 410, 410, 410]

    with sessions() as s:
        action, hub = s.get(models.Action, world.hub_action), s.get(models.Hub, world.hub)
        assert action is not None and hub is not None
        assert (len(action.history), [c.to_stage for c in hub.history]) == (1, [1, 2])
        assert len(s.scalars(select(models.HubHelpRequest)).all()) == 1
        assert len(s.scalars(select(models.OutboundMessage)).all()) == 1
        assert len(s.scalars(select(models.CheckinUse)).all()) == 3


def test_the_record_time_comes_from_the_pages_clock(
    serve_page: ServePage, world: World, sessions: sessionmaker[Session]
) -> None:
    then = dt.datetime(2023, 5, 2, 9, 30, tzinfo=dt.UTC)
    page = serve_page(clock=lambda: then)

    response = page.post(links.hub_stage_url(world.alice, world.hub, 2))

    assert "Recorded at 10:30 on Tuesday 2 May 2023 (UK time)" in visible(response)
    with sessions() as s:
        hub = s.get(models.Hub, world.hub)
        assert hub is not None and hub.stage_since == then


def test_the_page_built_from_a_runs_services_records_times_from_their_clock(
    world: World, sessions: sessionmaker[Session], programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rollout.checkin.app import create_app
    from rollout.checkin.serve import service_from
    from rollout.services import build_services
    from rollout.settings import Settings
    from tests.checkin.conftest import start_server

    then = dt.datetime(2023, 6, 6, 14, 0, tzinfo=dt.UTC)
    run = build_services(Settings.from_env(), programme=programme, sessions=sessions, clock=lambda: then)
    service = service_from(run)
    monkeypatch.setenv("ROLLOUT_CHECKIN_SECRET", "changed-after-start-changed-after-start-!")  # read once, at start
    server, thread, base_url = start_server(create_app(service, rate_limit=(1000, 60), trusted_proxies=0))
    try:
        with httpx.Client(base_url=base_url, timeout=10) as client:
            url = service.codec.issue(world.alice, "hub", world.hub, hub_stage(2))
            response = Page(base_url, client, server).post(f"{PUBLIC_URL}{links.PATH}{url}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)

    assert response.status_code == 200, visible(response)
    with sessions() as s:
        hub = s.get(models.Hub, world.hub)
        assert hub is not None and hub.stage_since == then
