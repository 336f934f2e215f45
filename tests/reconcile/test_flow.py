"""The Prefect flow on a real Prefect server: a few days of reconcile runs, their names, tags and summaries (sending
through a recording gateway; the real one is tested against the Graph emulator elsewhere)."""

from __future__ import annotations

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowFilter, FlowFilterName
from prefect.client.schemas.sorting import ArtifactSort

from flows.launch_wave import launch_wave
from flows.reconcile import reconcile
from tests.reconcile.builders import d, local
from tests.reconcile.db_setup import import_sample
from tests.reconcile.timeline import Timeline

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]

LEADS = {"central.lead@example.org", "morley.lead@example.org", "woodsley-holt-park.lead@example.org"}


@pytest.fixture
def timeline(data_dir, sessions, programme, recording_gateway) -> Timeline:  # type: ignore[no-untyped-def]
    import_sample(sessions, programme)
    launch_wave(wave="wave-1", as_of=local(d("2022-09-20")), require_approval=False)
    timeline = Timeline.start(sessions, programme, recording_gateway)
    timeline.record(d("2022-09-20"))
    return timeline


def test_the_flow_sends_what_is_due_each_day_and_nothing_twice(timeline: Timeline) -> None:
    attendees = timeline.attendees()[1]
    coming, unanswered = attendees[:5], attendees[5:]
    for email in coming:
        timeline.respond(1, email, "accepted")

    first = reconcile(as_of=local(d("2022-10-04")))
    timeline.record(d("2022-10-04"))
    assert first["queued"] == {"reminder": len(unanswered)}
    assert first["rsvp"] == "1 event read, 5 responses changed"  # workshop 1; 2 is more than six weeks away
    assert {a for a, _ in timeline.on(d("2022-10-04"), "please reply")} == set(unanswered)

    again = reconcile(as_of=local(d("2022-10-04")))
    assert again["queued"] == {} and timeline.record(d("2022-10-04")) == []

    reconcile(as_of=local(d("2022-10-14")))
    timeline.record(d("2022-10-14"))
    assert {a for a, _ in timeline.on(d("2022-10-14"), "see you there")} == set(coming)

    after = reconcile(as_of=local(d("2022-10-19")))
    timeline.record(d("2022-10-19"))
    assert after["actions_created"] == 3
    assert {a for a, _ in timeline.on(d("2022-10-19"), "follow-up")} == LEADS


def test_runs_are_named_and_tagged_by_day_and_publish_a_summary(timeline: Timeline) -> None:
    reconcile(as_of=local(d("2022-10-19")))
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["reconcile"])))
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["reconcile-summary"])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    run = next(r for r in runs if r.name == "reconcile · 2022-10-19")
    assert {"reconcile", "wave:wave-1"} <= set(run.tags)
    markdown = str(artifact.data)
    assert markdown.startswith("# Reconcile · Wednesday 19 October 2022 07:00 (UK time)")
    assert "| Follow-up actions created | 3 |" in markdown
    assert "| Messages queued | follow-ups 3 |" in markdown
    assert "sent 3, failed 0" in markdown
    # Workshop 1 (Teams) has ended: its report is asked for (the emulator has none: nobody joined).
    assert "| Teams attendance | 0 collected, 1 waiting for a report, 0 given up |" in markdown
    assert "## Attendance" in markdown
    assert "| wave-1 #1 Introduction to the approach | 2022-10-18 | not yet |" in markdown


def test_rollout_reconcile_runs_the_flow_for_a_date(timeline: Timeline, run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("reconcile", "--as-of", "2022-10-19")
    assert result.exit_code == 0, result.stderr
    assert "recorded: 3 follow-up actions" in result.stdout
    assert "queued: 3 messages (follow-ups 3)" in result.stdout
    assert "delivery of messages: sent 3, failed 0" in result.stdout
    timeline.record(d("2022-10-19"))
    assert {a for a, _ in timeline.on(d("2022-10-19"), "follow-up")} == LEADS
