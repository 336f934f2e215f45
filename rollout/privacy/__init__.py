"""Personal data: retention (rules + store), erasure of one contact, access-request export, opt-out.

rules.py    pure: what is due for erasure now, tombstones
store.py    the writes: apply a retention plan, forget one contact (every table, local files)
export.py   everything held about one contact (access requests)
notice.py   the privacy notice and the "stop emails" objection
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from rollout.config.schema import Programme
from rollout.db.session import unit_of_work
from rollout.privacy.rules import Cutoffs, retention_due
from rollout.privacy.store import apply_retention, load_retention_rows


def apply_retention_policy(sessions: sessionmaker[Session], programme: Programme, as_of: dt.datetime) -> dict[str, int]:
    """The reconcile's retention step: erase what the policy says is due at `as_of`. One transaction; idempotent."""
    with unit_of_work(sessions) as session:
        cutoffs = Cutoffs.at(programme.retention, as_of)
        plan = retention_due(load_retention_rows(session, cutoffs), programme.retention, as_of)
        return apply_retention(session, plan, as_of)


__all__ = ["apply_retention_policy"]
