"""Deterministic idempotency keys: deciding the same thing twice gives the same key, so it is queued once.

| key | one per |
|---|---|
| `reminder:no-response:{wave}:workshop-{n}:{YYYY-MM-DD}:{email}` | invitee without a reply, per workshop date |
| `reminder:attending:{wave}:workshop-{n}:{YYYY-MM-DD}:{email}` | invitee who accepted or is tentative, per date |
| `follow-up:{wave}:workshop-{n}:{lcp}:lead:{email}` | LCP lead, per workshop |
| `follow-up:{wave}:workshop-{n}:{lcp}:org-{id}:{email}` | contact of an organisation given actions |
| `action-reminder:{action_id}:due-{YYYY-MM-DD}:{email}` | owner contact, per action and due date |
| `action-overdue:{action_id}:{email}` | owner contact, per action |
| `escalation:{escalation_id}:level-{n}:{email}` | person on that level's audience, per stall (hub contacts, managers) |
| `escalations:lead:{YYYY-MM-DD}:{email}` | LCP lead, per day: all their hubs whose lead level is due that day |
| `action:{wave}:workshop-{n}:{index}:{lcp}:lead` / `...:org-{id}` | Action.key: one action per owner |

The workshop's date is in reminder keys, so a moved workshop gets its reminder for the new date and the old one
is superseded. Keys are at most 200 characters: a very long address is replaced by a digest of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib

MAX_KEY = 200


def bounded(prefix: str, email: str) -> str:
    key = f"{prefix}:{email}"
    if len(key) <= MAX_KEY:
        return key
    return f"{prefix}:sha256-{hashlib.sha256(email.encode()).hexdigest()[:24]}"[:MAX_KEY]


def workshop_part(wave_id: str, number: int) -> str:
    return f"{wave_id}:workshop-{number}"


def no_response_reminder(wave_id: str, number: int, day: dt.date, email: str) -> str:
    return bounded(f"reminder:no-response:{workshop_part(wave_id, number)}:{day.isoformat()}", email)


def attending_reminder(wave_id: str, number: int, day: dt.date, email: str) -> str:
    return bounded(f"reminder:attending:{workshop_part(wave_id, number)}:{day.isoformat()}", email)


def owner_part(lcp_id: str, organisation_id: int | None) -> str:
    return f"{lcp_id}:lead" if organisation_id is None else f"{lcp_id}:org-{organisation_id}"


def follow_up(wave_id: str, number: int, lcp_id: str, organisation_id: int | None, email: str) -> str:
    return bounded(f"follow-up:{workshop_part(wave_id, number)}:{owner_part(lcp_id, organisation_id)}", email)


def action(wave_id: str, number: int, index: int, lcp_id: str, organisation_id: int | None) -> str:
    return f"action:{workshop_part(wave_id, number)}:{index}:{owner_part(lcp_id, organisation_id)}"


def action_reminder(action_id: int, due: dt.date, email: str) -> str:
    return bounded(f"action-reminder:{action_id}:due-{due.isoformat()}", email)


def action_overdue(action_id: int, email: str) -> str:
    return bounded(f"action-overdue:{action_id}", email)


def escalation_level(escalation_id: int, level: int) -> str:
    return f"escalation:{escalation_id}:level-{level}"


def escalation(escalation_id: int, level: int, email: str) -> str:
    return bounded(escalation_level(escalation_id, level), email)


def lead_escalations(day: dt.date, email: str) -> str:
    return bounded(f"escalations:lead:{day.isoformat()}", email)


def is_lead_escalations(key: str) -> bool:
    return key.startswith("escalations:lead:")


def escalation_id_of(key: str) -> int | None:
    """The escalation a queued escalation message belongs to (None for any other key)."""
    parts = key.split(":")
    if len(parts) >= 2 and parts[0] == "escalation" and parts[1].isdigit():
        return int(parts[1])
    return None


def action_id_of(key: str) -> int | None:
    """The action a queued action reminder or overdue notice is about (None for any other key)."""
    parts = key.split(":")
    if len(parts) >= 2 and parts[0] in ("action-reminder", "action-overdue") and parts[1].isdigit():
        return int(parts[1])
    return None
