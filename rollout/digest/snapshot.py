"""DigestSnapshot rows: the counters each week's digest reported, for the next digest's week-over-week change."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rollout.db import models
from rollout.digest.figures import Baseline, Digest


def previous_baseline(session: Session, week_start: dt.date) -> Baseline | None:
    """The counters of the most recent digest for a week before `week_start` (usually last week's)."""
    row = session.scalars(
        select(models.DigestSnapshot)
        .where(models.DigestSnapshot.week_start < week_start)
        .order_by(models.DigestSnapshot.week_start.desc())
        .limit(1)
    ).first()
    return Baseline(row.week_start, row.figures) if row else None


def store_snapshot(session: Session, digest: Digest) -> bool:
    """Keep the week's first reported counters (the ones its email was sent with); False when already stored."""
    if not digest.whole_programme:
        raise ValueError("only the whole-programme digest is stored")
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(models.DigestSnapshot)
        .values(week_start=digest.week.start, figures=digest.counters(), created_at=digest.week.as_of)
        .on_conflict_do_nothing(index_elements=["week_start"])
    )
    result = session.execute(statement)
    session.flush()
    return bool(getattr(result, "rowcount", 0))
