"""The weekly-digest flow on a real Prefect server: its artifact, its snapshot, and one email per recipient per week.

Mail goes through the real gateway (O365 + msal over HTTPS) into the Graph emulator; assertions count what each
recipient's mailbox actually received.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterName
from prefect.client.schemas.sorting import ArtifactSort
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from flows.weekly_digest import weekly_digest
from rollout.config import Programme
from rollout.db import models
from tests.digest.conftest import AS_OF, World

pytestmark = pytest.mark.usefixtures("prefect_server")


def digest_mail(emulator) -> dict[str, list]:  # type: ignore[no-untyped-def,type-arg]
    """Weekly digests each address received."""
    return {
        email: found
        for email, items in emulator.mailboxes().items()
        if (found := [item for item in items if item.kind == "mail" and item.subject.startswith("Weekly digest")])
    }


def digest_rows(sessions: sessionmaker[Session]) -> list[models.OutboundMessage]:
    with sessions() as session:
        return list(session.scalars(select(models.OutboundMessage).where(models.OutboundMessage.purpose == "digest")))


def latest_artifact_markdown(key: str) -> str:
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])), sort=ArtifactSort.CREATED_DESC, limit=1
        )
    assert artifacts, f"no artifact {key}"
    return str(artifacts[0].data)


def test_the_flow_publishes_the_weeks_markdown_artifact_by_key(
    data_dir: Path, world: World, sessions: sessionmaker[Session]
) -> None:
    result = weekly_digest(as_of=AS_OF, send=False)

    assert result["artifact"] == "digest-2022-w42" and result["outcome"] == "not sent"
    markdown = latest_artifact_markdown("digest-2022-w42")
    assert "# Weekly digest: week of 17 October 2022" in markdown
    assert "| Partner organisations | 4 (+1) |" in markdown
    assert markdown.index("## Needs your attention") < markdown.index("## This week in numbers")
    assert "<script" not in markdown
    assert "Central LCP lead <central.lead@example.org>: central" in markdown  # who receives which part
    assert "**Not sent**" in markdown
    # A preview run sends nothing and stores no snapshot: next week still compares with what people were sent.
    assert digest_rows(sessions) == []
    with sessions() as session:
        assert (
            session.scalar(
                select(models.DigestSnapshot).where(models.DigestSnapshot.week_start == dt.date(2022, 10, 17))
            )
            is None
        )


def test_the_run_is_named_for_the_week_it_reports(data_dir: Path, world: World) -> None:
    weekly_digest(as_of=AS_OF + dt.timedelta(days=3), send=False)  # a Thursday still reports the week of Monday 17th
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=["digest · week of 2022-10-17"]))
        )
    assert runs and "digest" in (runs[0].tags or [])


def test_sending_the_digest_twice_for_the_same_week_sends_it_once(
    data_dir: Path,
    world: World,
    sessions: sessionmaker[Session],
    programme: Programme,
    emulator,  # type: ignore[no-untyped-def]
) -> None:
    first = weekly_digest(as_of=AS_OF)
    second = weekly_digest(as_of=AS_OF + dt.timedelta(hours=5))  # a manual re-run later the same Monday

    expected = {"programme.manager@example.org", *(str(lcp.lead.email) for lcp in programme.lcps)}
    assert (first["queued"], second["queued"]) == (len(expected), 0)
    received = digest_mail(emulator)
    assert {email: len(items) for email, items in received.items()} == dict.fromkeys(expected, 1)
    rows = digest_rows(sessions)
    assert Counter(row.status for row in rows) == {"sent": len(expected)}
    assert {row.idempotency_key for row in rows} == {f"digest:2022-10-17:{email}" for email in expected}

    central = received["central.lead@example.org"][0]
    assert central.to == ("central.lead@example.org",)
    assert "for Central" in central.subject
    assert "Morley Secret Pantry" not in central.html and "Morley Secret Pantry" not in central.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in central.html
    assert "Needs your attention" in received["programme.manager@example.org"][0].html

    with sessions() as session:
        snapshots = session.scalars(select(models.DigestSnapshot).order_by(models.DigestSnapshot.week_start)).all()
    assert [s.week_start for s in snapshots] == [dt.date(2022, 10, 10), dt.date(2022, 10, 17)]
    assert snapshots[-1].figures["programme"]["partners"] == 4


def test_next_weeks_digest_is_a_new_email_compared_with_this_weeks(
    data_dir: Path,
    world: World,
    programme: Programme,
    emulator,  # type: ignore[no-untyped-def]
) -> None:
    weekly_digest(as_of=AS_OF)
    following = weekly_digest(as_of=AS_OF + dt.timedelta(days=7))

    assert following["week"] == "2022-10-24" and following["queued"] == 1 + len(programme.lcps)
    first, second = digest_mail(emulator)["programme.manager@example.org"]
    assert "week of 17 October 2022" in first.subject and "week of 24 October 2022" in second.subject
    assert "Changes are since last week" in second.text
    assert "Workshops held: 1 (no change)" in second.text  # compared with the 17 Oct snapshot, not the 10 Oct one


def test_an_as_of_without_an_offset_is_read_as_uk_time(data_dir: Path, world: World) -> None:
    # Sunday 23:30 UK time is still the week of the 17th; read as UTC it would be Monday 00:30 of the next week.
    result = weekly_digest(as_of=dt.datetime(2022, 10, 23, 23, 30), send=False)
    assert result["week"] == "2022-10-17"
