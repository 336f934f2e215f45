"""Sample contexts for the reconciler's email templates, as its deciders build them (tests/test_email_templates.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rollout.checkin.email_links import email_links
from rollout.config import Programme
from rollout.reconcile.actions import action_reminders, overdue_marks, overdue_notices
from rollout.reconcile.follow_ups import follow_up_messages
from rollout.reconcile.messages import Message
from rollout.reconcile.reminders import workshop_reminders
from rollout.reconcile.stalls import OVERDUE_ACTIONS, escalation_notices
from tests.reconcile.builders import World, d, local


def _world() -> World:
    world = World()
    first = world.workshop(1, "2022-10-18")
    second = world.workshop(2, "2022-11-15")
    org = world.organisation("Tea & <Toast> Club", hub_stage=1)
    world.invite(first, org, "none")
    world.invite(second, org, "tentative")
    world.action(second, "2022-12-06", org, title="Share one <example> & a story")
    return world


def _one(messages: list[Message]) -> dict[str, Any]:
    assert messages, "the sample world decided no message"
    # With the check-in link keys (None unless a check-in secret is set).
    return messages[0].render_context(email_links())


def no_response(programme: Programme) -> dict[str, Any]:
    now = local(d("2022-10-05"))
    return _one(workshop_reminders(_world().snapshot(now), programme, now))


def attending(programme: Programme) -> dict[str, Any]:
    now = local(d("2022-11-11"))
    return _one(workshop_reminders(_world().snapshot(now), programme, now))


def follow_up(programme: Programme) -> dict[str, Any]:
    now = local(d("2022-11-16"))
    return _one(follow_up_messages(_world().snapshot(now), programme, now))


def missed_workshop(programme: Programme) -> dict[str, Any]:
    """The invited contact did not come to workshop 2 (attendance known): "sorry we missed you", with the action."""
    world = _world()
    world.attended(world.workshops[2])
    now = local(d("2022-11-16"))
    messages = follow_up_messages(world.snapshot(now), programme, now)
    assert messages and messages[0].template == "missed_workshop"
    return _one(messages)


def action_reminder(programme: Programme) -> dict[str, Any]:
    now = local(d("2022-12-01"))
    return _one(action_reminders(_world().snapshot(now), programme, now))


def action_overdue(programme: Programme) -> dict[str, Any]:
    now = local(d("2022-12-07"))
    snapshot = _world().snapshot(now)
    return _one(overdue_notices(snapshot, programme, now, overdue_marks(snapshot, programme, now)))


def escalation(programme: Programme) -> dict[str, Any]:
    world = _world()
    world.escalation(next(iter(world.hubs.values())), OVERDUE_ACTIONS, "2022-12-07", notified=(1, 2))
    now = local(d("2022-12-21"))
    (notice,) = escalation_notices(world.snapshot(now), programme, now)
    return _one(list(notice.messages))


def escalation_lead(programme: Programme) -> dict[str, Any]:
    """The lead's daily email: two stalled hubs of one LCP reach the lead level the same day."""
    world = _world()
    other = world.organisation("Second <Hub>", hub_stage=1)
    for hub in list(world.hubs.values()):
        world.escalation(hub, OVERDUE_ACTIONS, "2022-12-07", notified=(1,))
    assert other
    now = local(d("2022-12-14"))
    notices = escalation_notices(world.snapshot(now), programme, now)
    (message,) = {m.key: m for n in notices for m in n.messages}.values()
    return message.render_context(email_links())


RECONCILE_SAMPLES: dict[str, Callable[[Programme], dict[str, Any]]] = {
    "workshop_reminder_no_response": no_response,
    "workshop_reminder_attending": attending,
    "follow_up_actions": follow_up,
    "missed_workshop": missed_workshop,
    "action_reminder": action_reminder,
    "action_overdue": action_overdue,
    "escalation": escalation,
    "escalation_lead": escalation_lead,
}
