"""The reconciler's emails carry check-in links, and following one (over HTTP) is what the next reconcile sees."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rollout.config import Programme
from rollout.db import models
from rollout.planning.planner import plan
from rollout.reconcile import queue_messages, record_changes
from rollout.reconcile.keys import escalation_id_of
from tests.checkin.conftest import PUBLIC_URL, ServePage, snapshot
from tests.checkin.pages import visible
from tests.reconcile.builders import d, local
from tests.reconcile.db_setup import import_sample, plan_in_database_only
from tests.test_email_templates import _Balanced

LINK = re.escape(PUBLIC_URL) + r"/c/[A-Za-z0-9_.\-]+"


def reconcile(sessions: sessionmaker[Session], programme: Programme, moment: dt.datetime) -> dict[str, int]:
    """A reconcile without Outlook (no RSVP sync, nothing delivered): what it records and queues."""
    changes = record_changes(sessions, programme, moment)  # queues the overdue notices
    return dict(changes.queued.by_purpose + queue_messages(sessions, programme, moment).queued.by_purpose)


def mails(sessions: sessionmaker[Session], purpose: str) -> list[models.OutboundMessage]:
    with sessions() as s:
        query = select(models.OutboundMessage).where(models.OutboundMessage.purpose == purpose)
        found = list(s.scalars(query.order_by(models.OutboundMessage.id)))
    for mail in found:  # every email with links is still well-formed HTML
        checker = _Balanced()
        checker.feed(mail.payload["html"])
        assert checker.stack == [], mail.idempotency_key
    return found


def contact_ids(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as s:
        return {c.email: c.id for c in s.scalars(select(models.Contact))}


def hub_named(sessions: sessionmaker[Session], name: str) -> models.Hub:
    with sessions() as s:
        hub = s.scalars(select(models.Hub).join(models.Organisation).where(models.Organisation.name == name)).one()
        s.expunge(hub)
        return hub


def workshop_day(programme: Programme, number: int) -> dt.date:
    slot = next(s for s in plan(programme.wave("wave-1"), programme) if s.number == number)
    return slot.start.date()


def test_follow_ups_reminders_and_overdue_notices_carry_a_mark_as_done_link_per_action_for_partners_only(
    sessions: sessionmaker[Session], programme: Programme, serve_page: ServePage
) -> None:
    import_sample(sessions, programme)
    plan_in_database_only(sessions, programme, local(d("2022-09-20")))
    assert reconcile(sessions, programme, local(d("2022-10-19"))) == {"follow_up": 3}  # workshop 1: the leads'
    after_workshop_2 = workshop_day(programme, 2) + dt.timedelta(days=2)
    assert reconcile(sessions, programme, local(after_workshop_2)).get("follow_up")
    emails = contact_ids(sessions)

    follow_ups = mails(sessions, "follow_up")
    partners = [m for m in follow_ups if m.recipients[0] in emails]
    leads = [m for m in follow_ups if m.recipients[0] not in emails]
    assert partners and leads
    for mail in partners:
        [text_link] = re.findall(r"Mark as done: (" + LINK + ")", mail.payload["text"])
        [html_link] = re.findall(r'href="(' + LINK + ')"[^>]*>Mark as done<', mail.payload["html"])
        assert text_link == html_link
        [stop_link] = re.findall("To stop emails from this programme: (" + LINK + ")", mail.payload["text"])
        assert stop_link != text_link and f'href="{stop_link}"' in mail.payload["html"]
    for mail in leads:
        assert PUBLIC_URL not in mail.payload["text"] and PUBLIC_URL not in mail.payload["html"]

    # Each partner's link acts for that partner's organisation only, on the action the email lists.
    page = serve_page()
    mail = partners[0]
    link = re.findall("Mark as done: (" + LINK + ")", mail.payload["text"])[0]
    assert "Share one example of unmet digital health need in your community" in visible(page.get(link))
    assert page.post(link).status_code == 200
    with sessions() as s:
        [done] = s.scalars(select(models.Action).where(models.Action.status == "done")).all()
        assert done.done_by == mail.recipients[0]
        contact = s.scalars(select(models.Contact).where(models.Contact.email == mail.recipients[0])).one()
        assert done.organisation_id == contact.organisation_id

    with sessions() as s:
        open_actions = select(models.Action).where(
            models.Action.status == "open", models.Action.overdue_since.is_(None)
        )
        due = min(a.due_date for a in s.scalars(open_actions))
    assert reconcile(sessions, programme, local(due - dt.timedelta(days=1))).get("action_reminder")
    reminders = mails(sessions, "action_reminder")
    for mail in reminders:
        links = re.findall("Mark as done: (" + LINK + ")", mail.payload["text"])
        assert len(links) == (1 if mail.recipients[0] in emails else 0), mail.recipients
    assert all(m.recipients[0] != done.done_by or "Share one example" not in m.payload["subject"] for m in reminders)

    assert reconcile(sessions, programme, local(due + dt.timedelta(days=1))).get("action_overdue")
    for mail in mails(sessions, "action_overdue"):
        links = re.findall("Mark as done: (" + LINK + ")", mail.payload["text"])
        assert len(links) == (1 if mail.recipients[0] in emails else 0), mail.recipients


def test_a_stalled_hub_answers_the_nudge_with_one_click_and_the_ladder_stops(
    sessions: sessionmaker[Session], programme: Programme, serve_page: ServePage
) -> None:
    import_sample(sessions, programme)  # hubs at their stage since 1 September 2022; stage 1 stalls after 90 days
    hub = hub_named(sessions, "Central Neighbourhood Network")
    assert hub.stage == 1
    stalled = local(d("2022-11-30"))

    reconcile(sessions, programme, stalled)

    with sessions() as s:
        [escalation] = s.scalars(select(models.Escalation).where(models.Escalation.hub_id == hub.id)).all()
        assert (escalation.status, escalation.level, escalation.reason) == ("open", 1, "no_progress")
    nudges = [m for m in mails(sessions, "escalation") if m.recipients[0].endswith("@central.example.org")]
    nudge = next(m for m in nudges if m.recipients == ["aisha.example5@central.example.org"])
    [reached] = re.findall("We have reached stage 2: (" + LINK + ")", nudge.payload["text"])
    [need_help] = re.findall("We need help: (" + LINK + ")", nudge.payload["text"])
    assert f'href="{reached}"' in nudge.payload["html"] and f'href="{need_help}"' in nudge.payload["html"]

    # The next morning Aisha opens the link (GET: nothing recorded), then confirms (POST: recorded once).
    page = serve_page(clock=lambda: local(d("2022-12-01"), 10, 15))
    before = snapshot(sessions)
    shown = page.get(reached)
    assert "Record that Central Neighbourhood Network has reached stage 2: Universal health participation" in visible(
        shown
    )
    assert snapshot(sessions) == before
    confirmed = page.post(reached, note="Our first NHS App session ran last week.")
    assert confirmed.status_code == 200
    with sessions() as s:
        moved = s.get(models.Hub, hub.id)
        assert moved is not None and moved.stage == 2
        change = moved.history[-1]
        assert (change.changed_by, change.source, change.note) == (
            "aisha.example5@central.example.org",
            "checkin",
            "Our first NHS App session ran last week.",
        )

    # Reconciles on the following days, including when the LCP lead and the manager would have been told.
    for day in ("2022-12-01", "2022-12-02", "2022-12-07", "2022-12-14"):
        reconcile(sessions, programme, local(d(day)))

    with sessions() as s:
        escalation = s.get(models.Escalation, escalation.id)
        assert escalation is not None
        assert escalation.status == "closed" and escalation.level == 1
        assert [n.level for n in escalation.notices] == [1]
    about_this_hub = [m for m in mails(sessions, "escalation") if escalation_id_of(m.idempotency_key) == escalation.id]
    assert sorted(m.recipients[0] for m in about_this_hub) == [  # the nudge only: no lead, no manager
        "aisha.example5@central.example.org",
        "tom.example6@central.example.org",
    ]
    # The ladder goes on for hubs that did not answer; their LCP leads and the managers get no links.
    escalations = mails(sessions, "escalation")
    emails = contact_ids(sessions)
    assert {m.recipients[0] for m in escalations} - set(emails)
    for mail in escalations:
        has_links = PUBLIC_URL in mail.payload["text"]
        assert has_links == (mail.recipients[0] in emails), mail.idempotency_key
    # Tom's copy of the nudge asked for the same move: it no longer applies, and says so.
    tom = next(m for m in nudges if m.recipients == ["tom.example6@central.example.org"])
    [toms_link] = re.findall("We have reached stage 2: (" + LINK + ")", tom.payload["text"])
    assert page.post(toms_link).status_code == 410
