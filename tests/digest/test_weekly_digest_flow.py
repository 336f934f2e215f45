"""The weekly-digest flow on a real Prefect server: its artifact, its snapshot, and one email per recipient per week.

Until the Graph emulator is on main, delivery goes through RecordingGateway (a plain stand-in implementing the
Gateway protocol) and the assertions count outbox rows and the sends the deliverer made.
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

import tasks.delivery
from flows.weekly_digest import weekly_digest
from rollout.config import Programme
from rollout.db import models
from rollout.m365.types import EventSpec, EventState, MailSpec
from tests.digest.conftest import AS_OF, World

pytestmark = pytest.mark.usefixtures("prefect_server")


class RecordingGateway:
    """Sends mail into a list, once per idempotency key, as the real gateway promises."""

    def __init__(self) -> None:
        self.sent: dict[str, MailSpec] = {}

    def send_mail(self, mail: MailSpec, idempotency_key: str) -> str:
        self.sent.setdefault(idempotency_key, mail)
        return f"msg-{idempotency_key}"

    def create_event(self, spec: EventSpec, transaction_id: str) -> str:
        raise NotImplementedError

    def update_event(self, event_id: str, spec: EventSpec) -> None:
        raise NotImplementedError

    def cancel_event(self, event_id: str, comment: str) -> None:
        raise NotImplementedError

    def get_event(self, event_id: str) -> EventState:
        raise NotImplementedError


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> RecordingGateway:
    recording = RecordingGateway()
    monkeypatch.setattr(tasks.delivery, "gateway", lambda programme: recording)
    return recording


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
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in markdown and "<script" not in markdown
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
    data_dir: Path, world: World, sessions: sessionmaker[Session], programme: Programme, gateway: RecordingGateway
) -> None:
    first = weekly_digest(as_of=AS_OF)
    second = weekly_digest(as_of=AS_OF + dt.timedelta(hours=5))  # a manual re-run later the same Monday

    recipients = 1 + len(programme.lcps)
    assert (first["queued"], second["queued"]) == (recipients, 0)
    rows = digest_rows(sessions)
    assert len(rows) == recipients
    assert Counter(row.status for row in rows) == {"sent": recipients}
    assert {row.idempotency_key for row in rows} == {
        "digest:2022-10-17:programme.manager@example.org",
        *(f"digest:2022-10-17:{lcp.lead.email}" for lcp in programme.lcps),
    }
    digest_sends = [key for key in gateway.sent if key.startswith("digest:")]
    assert len(digest_sends) == recipients
    central = gateway.sent["digest:2022-10-17:central.lead@example.org"]
    assert [r.email for r in central.to] == ["central.lead@example.org"]
    assert "for Central" in central.subject and "Morley Secret Pantry" not in central.html
    with sessions() as session:
        snapshots = session.scalars(select(models.DigestSnapshot).order_by(models.DigestSnapshot.week_start)).all()
    assert [s.week_start for s in snapshots] == [dt.date(2022, 10, 10), dt.date(2022, 10, 17)]
    assert snapshots[-1].figures["programme"]["partners"] == 4


def test_next_weeks_digest_is_a_new_email_compared_with_this_weeks(
    data_dir: Path, world: World, sessions: sessionmaker[Session], programme: Programme, gateway: RecordingGateway
) -> None:
    weekly_digest(as_of=AS_OF)
    following = weekly_digest(as_of=AS_OF + dt.timedelta(days=7))

    assert following["week"] == "2022-10-24" and following["queued"] == 1 + len(programme.lcps)
    mail = gateway.sent["digest:2022-10-24:programme.manager@example.org"]
    assert "Changes are since last week" in mail.text
    assert "Workshops held: 1 (no change)" in mail.text  # compared with the 17 Oct snapshot, not the 10 Oct one


def test_an_as_of_without_an_offset_is_read_as_uk_time(data_dir: Path, world: World) -> None:
    # Sunday 23:30 UK time is still the week of the 17th; read as UTC it would be Monday 00:30 of the next week.
    result = weekly_digest(as_of=dt.datetime(2022, 10, 23, 23, 30), send=False)
    assert result["week"] == "2022-10-17"
