"""What an email's context gains: a 'Mark as done' link per own action, stage and help links for hub emails."""

from __future__ import annotations

import logging

import pytest

from rollout.checkin.email_links import email_links, with_checkin_links
from rollout.checkin.links import Links
from rollout.checkin.tokens import Claim, codec
from tests.checkin.pages import token_of


def linked(context: dict[str, object], contact_id: int | None, *, hub_links: bool) -> dict[str, object]:
    return with_checkin_links(context, contact_id, hub_links=hub_links, issuer=Links.from_env())


def claim_of(url: str) -> Claim:
    claim = codec().verify(token_of(url))
    assert isinstance(claim, Claim)
    return claim


def test_a_contacts_actions_each_get_a_done_link_and_nothing_is_changed_in_place() -> None:
    actions = [{"id": 5, "title": "One", "organisation_id": 2}, {"id": 6, "title": "Two", "organisation_id": 2}]
    context = {"actions": actions, "action": {"id": 7, "organisation_id": 2}, "hub_id": 3, "next_stage": 2}

    out = linked(context, 11, hub_links=False)

    claims = [claim_of(a["done_url"]) for a in out["actions"]] + [claim_of(out["action"]["done_url"])]
    assert [(c.contact_id, c.subject, str(c.transition)) for c in claims] == [
        (11, "action:5", "action.done"),
        (11, "action:6", "action.done"),
        (11, "action:7", "action.done"),
    ]
    assert (out["stage_url"], out["help_url"]) == (None, None)
    assert "done_url" not in actions[0] and "done_url" not in context["action"]  # type: ignore[operator]


def test_hub_emails_get_reached_stage_and_need_help_links() -> None:
    out = linked({"hub_id": 3, "next_stage": 2, "overdue_actions": []}, 11, hub_links=True)

    assert (claim_of(out["stage_url"]).subject, str(claim_of(out["stage_url"]).transition)) == ("hub:3", "hub.stage:2")
    assert str(claim_of(out["help_url"]).transition) == "hub.help"
    at_last_stage = linked({"hub_id": 3, "next_stage": None}, 11, hub_links=True)
    assert at_last_stage["stage_url"] is None and at_last_stage["help_url"] is not None


def test_leads_and_lead_actions_get_no_links() -> None:
    lead = linked({"action": {"id": 7, "organisation_id": None}, "hub_id": 3, "next_stage": 2}, None, hub_links=True)
    assert (lead["action"]["done_url"], lead["stage_url"], lead["help_url"]) == (None, None, None)
    own = linked({"action": {"id": 7, "organisation_id": None}}, 11, hub_links=False)
    assert own["action"]["done_url"] is None


def test_without_a_secret_emails_go_without_links_and_say_so_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import rollout.checkin.email_links as module

    monkeypatch.delenv("ROLLOUT_CHECKIN_SECRET")
    monkeypatch.setattr(module, "_warned", False)
    with caplog.at_level(logging.WARNING, logger="rollout.checkin"):
        issuer = email_links()
        first = with_checkin_links(
            {"action": {"id": 7, "organisation_id": 2}, "hub_id": 3}, 11, hub_links=True, issuer=issuer
        )
        assert email_links() is None

    assert issuer is None
    assert (first["action"]["done_url"], first["stage_url"], first["help_url"], first["stop_url"]) == (None,) * 4
    assert [r.getMessage()[:27] for r in caplog.records] == ["check-in links are off: set"]


def test_one_rendering_pass_reads_the_secret_once_whatever_the_links_it_signs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import rollout.checkin.links as links_module

    built: list[object] = []
    real = links_module.codec

    def counted():  # type: ignore[no-untyped-def]
        built.append(1)
        return real()

    monkeypatch.setattr(links_module, "codec", counted)
    issuer = email_links()
    for n in range(5):
        with_checkin_links(
            {"actions": [{"id": n, "organisation_id": 2}], "hub_id": 3, "next_stage": 2},
            11,
            hub_links=True,
            issuer=issuer,
        )
    assert len(built) == 1
