"""Check-in links for an email's template context: one call when the email is rendered (queued), one link each.

Templates then show `action.done_url` ("Mark as done") for each action in `action`, `actions` or
`overdue_actions`, and `stage_url` ("We have reached stage N", N = `next_stage`) and `help_url` ("We need help")
for emails about a hub. Every key is always present and None when there is no link: the recipient is not a partner
contact (LCP leads and managers get none), the action has no organisation (an LCP lead's), or links are off.

Links are off when no check-in secret is configured (neither ROLLOUT_CHECKIN_SECRET nor
ROLLOUT_CHECKIN_SECRET_BLOCK): emails then go without them, and this is logged once per process. A secret that is
configured but unusable (too short, a missing block) raises, naming the setting.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from functools import partial
from typing import Any

from rollout import settings
from rollout.checkin import links
from rollout.errors import InputError

ALLOW = f"{settings.ALLOW_INSECURE_LINKS}=1"

log = logging.getLogger("rollout.checkin")
ACTION_KEYS = ("action",)
ACTION_LIST_KEYS = ("actions", "overdue_actions")
_warned = False


def checkin_configured() -> bool:
    return bool(os.environ.get("ROLLOUT_CHECKIN_SECRET") or os.environ.get("ROLLOUT_CHECKIN_SECRET_BLOCK", "").strip())


def email_links() -> links.Links | None:
    """The links of one rendering pass (one reconcile's emails): the secret read once. None when links are off."""
    return links.Links.from_env() if _enabled() else None


def with_checkin_links(
    context: Mapping[str, Any], contact_id: int | None, *, hub_links: bool, issuer: links.Links | None
) -> dict[str, Any]:
    """A copy of `context` with the links `issuer` signs added (action dicts are copied, never changed in place).
    Every link is None without an issuer (links are off) or for a recipient who is not a partner contact."""
    out = dict(context)
    done = partial(issuer.action_done, contact_id) if issuer is not None and contact_id is not None else None

    def with_done(action: Any) -> Any:
        if not isinstance(action, Mapping):
            return action
        url = None
        if done is not None and action.get("organisation_id") is not None and action.get("id") is not None:
            url = done(int(action["id"]))
        return {**action, "done_url": url}

    for key in ACTION_KEYS:
        if key in out:
            out[key] = with_done(out[key])
    for key in ACTION_LIST_KEYS:
        if isinstance(out.get(key), list | tuple):
            out[key] = [with_done(a) for a in out[key]]
    out["stage_url"] = out["help_url"] = out["stop_url"] = None
    if issuer is None or contact_id is None:
        return out
    # The objection link (privacy): every email to a partner contact carries one, whatever else it links to.
    out["stop_url"] = issuer.stop_emails(contact_id)
    hub_id, next_stage = context.get("hub_id"), context.get("next_stage")
    if hub_links and hub_id is not None:
        if next_stage:
            out["stage_url"] = issuer.hub_stage(contact_id, int(hub_id), int(next_stage))
        out["help_url"] = issuer.hub_help(contact_id, int(hub_id))
    return out


def refuse_insecure_links() -> None:
    """Raises InputError naming ROLLOUT_PUBLIC_URL when emails to a real tenant would carry http:// or loopback
    check-in links (set it to the page's https address, or ROLLOUT_ALLOW_INSECURE_LINKS=1 to allow them)."""
    if not checkin_configured():
        return
    problem = settings.insecure_public_url()
    if problem:
        raise InputError(
            "ROLLOUT_PUBLIC_URL", [f"{problem}; set it to the check-in page's https address ({ALLOW} to allow)"]
        )


def _enabled() -> bool:
    global _warned
    if checkin_configured():
        refuse_insecure_links()
        return True
    if not _warned:
        log.warning(
            "check-in links are off: set ROLLOUT_CHECKIN_SECRET (or ROLLOUT_CHECKIN_SECRET_BLOCK) so emails let "
            "partners answer with one click; see docs/checkin.md"
        )
        _warned = True
    return False
