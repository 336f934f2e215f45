"""The digest, the CLI and the reconciler agree on who is stalled and what is overdue, on one database.

The digest's world (tests/digest/conftest.py, as of Monday 17 October 2022, wave 1 running) plus two hubs of
Armley, whose wave starts on 1 April 2023. Derived by hand:
- stalled: the nasty-named org (stage 1 since 1 Jun: no progress from 31 Aug) and Morley Secret Pantry (moved on
  12 Oct, but its action due 10 Oct is overdue);
- not stalled: Central Library and Central GP Practice (moving, nothing overdue), Armley Slow Hub (stage 1 since
  January, but its LCP's wave has not started) and Armley Fresh Hub;
- overdue: the Central lead's mapping action (due 14 Oct) and the pantry's outreach plan (due 10 Oct).
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rollout.config import Programme
from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.digest.compose import preview_digest
from rollout.digest.figures import Digest
from rollout.programme.progress import create_hub
from rollout.reconcile import record_changes
from tests.digest.conftest import AS_OF, NASTY, build_world, local, org

AS_OF_TEXT = "2022-10-17T08:00"  # AS_OF, local time

STALLED = {NASTY, "Morley Secret Pantry"}
OVERDUE = {"Map your LCP's partners against the six roles", "Pantry outreach plan"}


@pytest.fixture
def digest(sessions: sessionmaker[Session], programme: Programme) -> Digest:
    """One database, after the day's reconcile; the digest of that day read from it."""
    with unit_of_work(sessions) as session:
        build_world(session, programme)
        slow = org(session, "armley", "Armley Slow Hub", "third_sector", [], ("Ann Armley", "ann@armley.example", True))
        fresh = org(session, "armley", "Armley Fresh Hub", "health", [], ("Fay Fresh", "fay@armley.example", True))
        create_hub(session, slow, 1, by="test", source="import", at=local(2022, 1, 10))  # 280 days at stage 1
        create_hub(session, fresh, 1, by="test", source="import", at=local(2022, 10, 3))
    record_changes(sessions, programme, AS_OF)
    with sessions() as session:
        return preview_digest(session, programme, AS_OF)


def listed(run_cli, *args: str, key: str) -> set[str]:  # type: ignore[no-untyped-def]
    result = run_cli(*args, "--json", "--as-of", AS_OF_TEXT)
    assert result.exit_code == 0, result.stderr
    return {row[key] for row in json.loads(result.stdout)}


def test_digest_hubs_list_and_escalations_name_the_same_stalled_hubs(
    digest: Digest, sessions: sessionmaker[Session], run_cli
) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        escalated = set(
            session.scalars(
                select(models.Organisation.name)
                .join(models.Hub)
                .join(models.Escalation, models.Escalation.hub_id == models.Hub.id)
                .where(models.Escalation.status != "closed")
            )
        )
    in_digest = {s.organisation for lcp in digest.lcps for s in lcp.stalled}
    in_cli = listed(run_cli, "hubs", "list", "--stalled", key="organisation")

    assert in_digest == in_cli == escalated == STALLED


def test_digest_actions_list_and_overdue_marks_name_the_same_actions(
    digest: Digest, sessions: sessionmaker[Session], run_cli
) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        marked = set(session.scalars(select(models.Action.title).where(models.Action.overdue_since.is_not(None))))
    in_digest = {a.title for lcp in digest.lcps for a in lcp.overdue}
    in_cli = listed(run_cli, "actions", "list", "--overdue", key="title")

    assert in_digest == in_cli == marked == OVERDUE
