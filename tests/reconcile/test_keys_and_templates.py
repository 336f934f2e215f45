"""Idempotency keys stay within the outbox's limit; every reconciler email renders with a plain-text twin."""

from __future__ import annotations

import datetime as dt

import pytest

from rollout.outbound.emails import render
from rollout.reconcile import keys

LONG = "a" * 64 + "@" + ".".join(["very-long-label-" + str(n) for n in range(10)]) + ".example.org"


def test_keys_are_readable_and_never_longer_than_the_outbox_allows() -> None:
    assert keys.no_response_reminder("wave-1", 2, dt.date(2022, 11, 15), "a@b.org") == (
        "reminder:no-response:wave-1:workshop-2:2022-11-15:a@b.org"
    )
    long_key = keys.no_response_reminder("wave-1", 2, dt.date(2022, 11, 15), LONG)
    assert len(long_key) <= 200 and long_key.startswith("reminder:no-response:wave-1:workshop-2:2022-11-15:sha256-")
    assert long_key == keys.no_response_reminder("wave-1", 2, dt.date(2022, 11, 15), LONG)
    assert keys.escalation_id_of(keys.escalation(12, 3, "a@b.org")) == 12
    assert keys.action_id_of(keys.action_overdue(7, "a@b.org")) == 7
    assert keys.action_id_of("reminder:no-response:x") is None


WORKSHOP = {
    "programme_name": "Digital <Health> Hubs",
    "programme_short_name": "Digital <Health> Hubs",
    "when_short": "Tue 18 Oct 10:00",
    "recipient_name": "Ann & Co",
    "recipient_email": "ann@example.org",
    "contact_id": 5,
    "workshop_id": 1,
    "wave_id": "wave-1",
    "wave_name": "Wave 1",
    "number": 1,
    "title": "Introduction",
    "when": "Tuesday 18 October 2022, 10:00–12:00 (UK time)",
    "where": "Microsoft Teams",
    "online": True,
    "invitation_id": 3,
    "lcp_name": "Central",
    "days_before": 14,
}
ACTION = {
    "id": 9,
    "key": "k",
    "title": "Map <partners>",
    "due": dt.date(2022, 11, 8),
    "due_text": "Tuesday 8 November 2022",
    "organisation_id": 2,
    "hub_id": None,
}
CASES = {
    "workshop_reminder_no_response": {**WORKSHOP, "response": "none"},
    "workshop_reminder_attending": {**WORKSHOP, "response": "tentative"},
    "follow_up_actions": {
        **WORKSHOP,
        "lcp_id": "central",
        "organisation_id": 2,
        "organisation": "Ann & Co",
        "response": "accepted",
        "hub_id": 4,
        "actions": [ACTION],
    },
    "action_reminder": {
        **WORKSHOP,
        "action": ACTION,
        "lcp_id": "central",
        "organisation_id": 2,
        "organisation": None,
        "working_days_left": 1,
    },
    "action_overdue": {
        **WORKSHOP,
        "action": ACTION,
        "lcp_id": "central",
        "organisation_id": 2,
        "organisation": "Ann & Co",
        "overdue_since": dt.date(2022, 11, 9),
        "overdue_since_text": "Wednesday 9 November 2022",
    },
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_email_has_a_subject_a_text_body_and_an_escaped_html_body(name: str) -> None:
    email = render(name, **CASES[name])
    assert email.subject and "\n" not in email.subject and "{{" not in email.subject
    assert "Dear Ann & Co," in email.text and "{" not in email.text
    assert "Dear Ann &amp; Co," in email.html and "Digital &lt;Health&gt; Hubs" in email.html
    if "action" in CASES[name] or name == "follow_up_actions":
        assert "Map <partners>" in email.text and "Map &lt;partners&gt;" in email.html
        assert 'data-action-id="9"' in email.html
    else:
        assert "Tuesday 18 October 2022, 10:00–12:00 (UK time)" in email.text


def test_tentative_invitees_are_encouraged_not_thanked_for_accepting() -> None:
    email = render("workshop_reminder_attending", **CASES["workshop_reminder_attending"])
    assert "provisional reply" in email.text and "Thank you for accepting" not in email.text
    assert "Teams link" in email.text


def test_an_action_due_today_says_so() -> None:
    email = render("action_reminder", **{**CASES["action_reminder"], "working_days_left": 0})
    assert "is due on Tuesday 8 November 2022, today:" in email.text
    assert "Owner: Central LCP lead" in email.text
