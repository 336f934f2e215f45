"""Every email template renders with a sample context: no missing variable (StrictUndefined), no broken HTML.

To add a template, add a folder to templates/emails/ and its sample context to SAMPLE_CONTEXTS below (a function of
the programme config, so a context may be built from the pure core). The test fails for a folder with no context.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest

from rollout.config import Programme
from rollout.outbound.emails import render, template_names
from tests.reconcile.samples import RECONCILE_SAMPLES

Context = Callable[[Programme], dict[str, Any]]


def workshop_invitation(programme: Programme) -> dict[str, Any]:
    return {
        "programme_name": programme.programme.name,
        "programme_short_name": programme.programme.subject_name,
        "number": 2,
        "workshop_count": 6,
        "when_short": "Tue 25 Oct 10:00",
        "wave_name": "Wave 1",
        "title": "Understanding community need",
        "when": "Tuesday 25 October 2022, 10:00–12:00 (UK time)",
        "where": "Leeds Central Library",
        "audience": "all partners",
        "description": "Using local data & partner knowledge <to find> who is digitally excluded.",
        "privacy_url": programme.programme.privacy_url,
        "stop_url": None,  # one event for every attendee: no personal objection link in it
    }


def weekly_digest(programme: Programme) -> dict[str, Any]:
    """A digest computed (purely) from a hand-made state: one partner, one hub, one workshop held, one to come."""
    from rollout.digest.figures import Baseline, programme_digest
    from rollout.digest.render import email_context
    from rollout.digest.state import ActionRow, HubRow, InvitationRow, OrgRow, ProgrammeState, WorkshopRow
    from rollout.digest.week import Week

    def utc(day: int, hour: int = 9) -> dt.datetime:
        return dt.datetime(2022, 10, day, hour, tzinfo=dt.UTC)

    state = ProgrammeState(
        lcp_ids=frozenset(lcp.id for lcp in programme.lcps),
        organisations=(OrgRow(1, "central", "Tea & <Toast> Club", ("motivating",), 1),),
        hubs=(HubRow(1, 1, "central", 1, utc(1)),),
        recent_stage_changes=(),
        workshops=(
            WorkshopRow(1, "wave-1", 1, "Introduction", utc(11), utc(11, 11), "scheduled", True),
            WorkshopRow(2, "wave-1", 2, "Need", utc(25), utc(25, 11), "scheduled", True),
        ),
        invitations=(InvitationRow(2, "central", "Pat", 1, "none"),),
        actions=(
            ActionRow(1, 1, "central", 1, "Say hello", "each_partner", dt.date(2022, 10, 14), "open", None, None),
        ),
        escalations=(),
        messages={"sent": 2},
    )
    previous = Baseline(dt.date(2022, 10, 10), {"programme": {"partners": 0}})
    week = Week.of(utc(17, 7), programme.programme.timezone)
    return email_context(programme_digest(state, programme, week, previous))


def help_requested(programme: Programme) -> dict[str, Any]:
    from rollout.checkin.notify import help_request_context

    return help_request_context(
        programme,
        organisation="Tea & <Toast> Club",
        lcp_id="central",
        stage=1,
        stage_since=dt.datetime(2022, 9, 1, 11, tzinfo=dt.UTC),
        requested_at=dt.datetime(2022, 12, 1, 10, 15, tzinfo=dt.UTC),
        contact_name="Pat <Example>",
        contact_email="pat@example.org",
        note="We cannot find a venue with Wi-Fi.\n<b>Please</b> help.",
    )


SAMPLE_CONTEXTS: dict[str, Context] = {
    "workshop_invitation": workshop_invitation,
    "weekly_digest": weekly_digest,
    **RECONCILE_SAMPLES,  # built by the reconciler's deciders from a small world
    "help_requested": help_requested,
}


class _Balanced(HTMLParser):
    VOID = frozenset({"meta", "br", "hr", "img", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> does not close <{self.stack[-1:]}>"
        self.stack.pop()


def test_every_template_folder_has_a_sample_context() -> None:
    assert set(template_names()) <= set(SAMPLE_CONTEXTS), "add a sample context for each new template"


@pytest.mark.parametrize("name", template_names())
def test_template_renders_with_its_sample_context(name: str, programme: Programme) -> None:
    context = SAMPLE_CONTEXTS[name](programme)
    email = render(name, **context)
    assert email.subject and "\n" not in email.subject
    assert email.text.strip()
    assert email.html.lstrip().startswith("<!DOCTYPE html>")
    assert programme.programme.name in email.html  # the shared layout
    checker = _Balanced()
    checker.feed(email.html)
    assert checker.stack == []
    assert "<script" not in email.html


# The weekly digest's HTML draws charts and tables its text part writes as lines: its parts are checked in
# tests/digest. Every other email says the same in both parts, word for word.
SAME_WORDS = [name for name in template_names() if name != "weekly_digest"]


def words(text: str) -> list[str]:
    """What a reader reads, as words: links' addresses and punctuation dropped, case folded."""
    text = re.sub(r"https?://\S+", " ", text)
    return [w.casefold() for w in re.findall(r"[\w'’@.-]*\w", text)]


class _Content(HTMLParser):
    """The text of the email's content block (the layout's banner and footer left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.parts: list[str] = []

    def handle_comment(self, data: str) -> None:
        self.inside = {" content ": True, " /content ": False}.get(data, self.inside)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.parts.append(data)


@pytest.mark.parametrize("name", SAME_WORDS)
def test_the_text_and_html_parts_say_the_same(name: str, programme: Programme) -> None:
    email = render(name, **SAMPLE_CONTEXTS[name](programme))
    content = _Content()
    content.feed(email.html)
    body = email.text.split("\n--\n")[0]  # the text part's footer (privacy notice, stop link) is the layout's
    assert words("".join(content.parts)) == words(body)


PARTNER_TEMPLATES = [
    "action_overdue",
    "action_reminder",
    "escalation",
    "follow_up_actions",
    "workshop_invitation",
    "workshop_reminder_attending",
    "workshop_reminder_no_response",
]


@pytest.mark.parametrize("name", PARTNER_TEMPLATES)
def test_every_partner_email_links_the_privacy_notice_and_the_stop_link(name: str, programme: Programme) -> None:
    privacy_url = programme.programme.privacy_url
    assert privacy_url
    stop = "https://checkin.example.org/c/stop-token"
    email = render(name, **{**SAMPLE_CONTEXTS[name](programme), "stop_url": stop})
    assert privacy_url in email.text and privacy_url in email.html
    assert f"To stop emails from this programme: {stop}" in email.text
    assert f'href="{stop}"' in email.html
    assert email.text.rstrip().endswith(stop)  # the footer is the last thing in the text part
