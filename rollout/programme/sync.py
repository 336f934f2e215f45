"""Mirror the configured LCPs and waves into the database, so rows can refer to them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.config.schema import Programme
from rollout.db import models


def sync_programme(session: Session, programme: Programme) -> None:
    lcps = {row.id: row for row in session.scalars(select(models.Lcp))}
    for lcp in programme.lcps:
        row = lcps.get(lcp.id) or models.Lcp(id=lcp.id)
        _assign(row, name=lcp.name, lead_name=lcp.lead.name, lead_email=lcp.lead.email)
        session.add(row)
    waves = {row.id: row for row in session.scalars(select(models.Wave))}
    for wave in programme.waves:
        wave_row = waves.get(wave.id) or models.Wave(id=wave.id)
        _assign(wave_row, name=wave.name, start_date=wave.start, end_date=wave.end)
        session.add(wave_row)
    session.flush()


def _assign(row: object, **values: object) -> None:
    """Set only what differs, so an unchanged config leaves rows (and their update times) untouched."""
    for name, value in values.items():
        if getattr(row, name, None) != value:
            setattr(row, name, value)
