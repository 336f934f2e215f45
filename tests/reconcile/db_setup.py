"""Database set-up shared by the reconciler's database and end-to-end tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event, select, update
from sqlalchemy.orm import Session, sessionmaker

from rollout.config import Programme
from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.partners.csv_rows import read_partner_csv
from rollout.partners.importer import import_partners
from rollout.programme.launch import prepare_launch, queue_launch
from tests.conftest import SAMPLE_PARTNERS
from tests.reconcile.builders import UK

# Hubs in the sample have been at their stage since before wave 1 (the import would stamp them with today).
HUBS_SINCE = dt.datetime(2022, 8, 31, 12, tzinfo=UK)


def import_sample(sessions: sessionmaker[Session], programme: Programme, hubs_since: dt.datetime = HUBS_SINCE) -> None:
    with unit_of_work(sessions) as session:
        import_partners(session, programme, read_partner_csv(SAMPLE_PARTNERS, programme), source="sample")
        session.execute(update(models.Hub).values(stage_since=hubs_since))
        session.execute(update(models.HubStageChange).values(changed_at=hubs_since))


def plan_in_database_only(sessions: sessionmaker[Session], programme: Programme, as_of: dt.datetime) -> None:
    """Persist wave-1's plan and invitations and mark its workshops scheduled, without any Outlook: for tests of
    the database steps alone (the end-to-end tests launch through the emulator instead)."""
    with unit_of_work(sessions) as session:
        queue_launch(session, prepare_launch(session, programme, "wave-1", as_of))
        for workshop in session.scalars(select(models.Workshop)):
            workshop.status, workshop.event_id = "scheduled", f"not-in-outlook-{workshop.number}"
        session.execute(
            update(models.OutboundMessage).where(models.OutboundMessage.kind.like("event.%")).values(status="sent")
        )


@contextmanager
def counting_statements(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
