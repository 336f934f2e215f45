"""The demo's check-in step: the page really serves the link it prints, and opening it records nothing."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sqlalchemy import select

from rollout.db import models
from rollout.programme.sync import sync_programme
from rollout_lab.demo_checkin import show_checkin_link
from tests.conftest import CONFIG, SAMPLE_PARTNERS


def test_the_demo_prints_a_working_mark_as_done_link_and_opening_it_records_nothing(
    data_dir: Path,
    sessions,
    run_cli,
    programme,  # type: ignore[no-untyped-def]
) -> None:
    assert run_cli("partners", "import", str(SAMPLE_PARTNERS)).exit_code == 0
    with sessions.begin() as session:
        sync_programme(session, programme)
        org = session.scalars(select(models.Organisation).where(models.Organisation.lcp_id == "morley")).first()
        start = dt.datetime(2022, 10, 18, 9, tzinfo=dt.UTC)
        workshop = models.Workshop(
            wave_id="wave-1",
            number=1,
            title="Introduction",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            format="teams",
            status="scheduled",
        )
        session.add(workshop)
        session.flush()
        session.add(
            models.Action(
                key="demo-action",
                workshop_id=workshop.id,
                lcp_id="morley",
                organisation_id=org.id,
                title="Share one example of unmet need",
                owner_role="each_partner",
                due_date=dt.date(2022, 11, 8),
            )
        )

    link = show_checkin_link(os.environ["ROLLOUT_DATABASE_URL"], CONFIG, wait=False)

    assert link is not None and "/c/" in link
    with sessions() as session:
        action = session.scalars(select(models.Action)).one()
        assert action.status == "open"
        assert session.scalars(select(models.CheckinUse)).all() == []
