"""The progress-recording CLI: hubs, actions, escalations; every change stored with who and when."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rollout.config import Programme
from rollout.db import models
from rollout.reconcile import record_changes
from tests.reconcile.builders import d, local
from tests.reconcile.db_setup import import_sample, plan_in_database_only

pytestmark = pytest.mark.usefixtures("data_dir")


@pytest.fixture
def sample(sessions: sessionmaker[Session], programme: Programme, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER", "pat")
    import_sample(sessions, programme)
    plan_in_database_only(sessions, programme, local(d("2022-09-20")))


def hub_named(sessions: sessionmaker[Session], name: str) -> models.Hub:
    with sessions() as session:
        return session.scalars(
            select(models.Hub).join(models.Organisation).where(models.Organisation.name == name)
        ).one()


def test_hubs_list_shows_stage_and_stall(run_cli, sample) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("hubs", "list", "--lcp", "central")
    assert result.exit_code == 0, result.stderr
    assert "Central Neighbourhood Network" in result.stdout and "Morley" not in result.stdout
    rows = json.loads(run_cli("hubs", "list", "--json").stdout)
    network = next(r for r in rows if r["organisation"] == "Central Neighbourhood Network")
    assert (network["stage"], network["stage_since"]) == (1, "2022-08-31")
    assert network["stalled"] == {"no_progress": "2022-11-30"}  # longer than 90 days at stage 1


def test_hubs_list_stalled_leaves_out_hubs_that_are_moving(run_cli, sample) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("hubs", "progress", "Central Community Library", "--stage", "4").exit_code == 0
    stalled = {r["organisation"] for r in json.loads(run_cli("hubs", "list", "--stalled", "--json").stdout)}
    assert "Central Neighbourhood Network" in stalled
    assert "Central Community Library" not in stalled


def test_hubs_progress_by_name_records_who_when_and_why(run_cli, sessions, sample) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("hubs", "progress", "central neighbourhood network", "--stage", "2", "--note", "hub launched")
    assert result.exit_code == 0, result.stderr
    assert "stage 1 -> 2 (Universal health participation), recorded by pat" in result.stdout
    hub = hub_named(sessions, "Central Neighbourhood Network")
    with sessions() as session:
        change = session.scalars(
            select(models.HubStageChange)
            .where(models.HubStageChange.hub_id == hub.id)
            .order_by(models.HubStageChange.id)
        ).all()[-1]
    assert (change.from_stage, change.to_stage, change.changed_by, change.source, change.note) == (
        1,
        2,
        "pat",
        "cli",
        "hub launched",
    )
    assert hub.stage == 2 and hub.stage_since > dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def test_hubs_progress_by_id_with_by(run_cli, sessions, sample) -> None:  # type: ignore[no-untyped-def]
    hub = hub_named(sessions, "Morley Neighbourhood Network")
    assert run_cli("hubs", "progress", str(hub.id), "--stage", "3", "--by", "Lee").exit_code == 0
    assert hub_named(sessions, "Morley Neighbourhood Network").stage == 3
    again = run_cli("hubs", "progress", str(hub.id), "--stage", "3", "--by", "Lee")
    assert again.exit_code == 0 and "already at stage 3" in again.stdout


def test_an_organisation_that_is_not_a_hub_yet_becomes_one(run_cli, sessions, sample) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("hubs", "progress", "Central Community Hub", "--stage", "1")
    assert result.exit_code == 0, result.stderr
    assert "is now hub" in result.stdout
    assert hub_named(sessions, "Central Community Hub").stage == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("hubs", "progress", "9999", "--stage", "2"), "HUB: no hub with id 9999"),
        (("hubs", "progress", "Nowhere Club", "--stage", "2"), "HUB: no hub id or organisation named 'Nowhere Club'"),
        (("hubs", "progress", "Central Neighbourhood Network", "--stage", "7"), "--stage: 7 is not a stage"),
        (("hubs", "list", "--lcp", "atlantis"), "--lcp: unknown LCP 'atlantis'"),
        (("actions", "done", "abc"), "ACTION: 'abc' is not an id"),
        (("actions", "done", "4242"), "ACTION: no action with id 4242"),
        (("escalations", "ack", "77"), "ESCALATION: no escalation with id 77"),
        (("escalations", "snooze", "1", "--until", "soon"), "--until: 'soon' is not a date"),
        (("escalations", "snooze", "1", "--until", "2020-01-01"), "--until: 2020-01-01 is not after today"),
    ],
)
def test_bad_ids_and_values_exit_2_with_a_clear_message(run_cli, sample, args, message) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(*args)
    assert result.exit_code == 2
    assert f"error: {message}" in result.stderr


def test_nobody_to_record_as_is_refused(run_cli, sample, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("USER")
    monkeypatch.delenv("USERNAME", raising=False)
    result = run_cli("hubs", "progress", "Central Neighbourhood Network", "--stage", "2")
    assert result.exit_code == 2 and "--by: say who is recording this" in result.stderr


def test_actions_list_and_done(run_cli, sessions, programme, sample) -> None:  # type: ignore[no-untyped-def]
    record_changes(sessions, programme, local(d("2022-10-19")))
    rows = json.loads(run_cli("actions", "list", "--json").stdout)
    assert [(r["lcp"], r["due"], r["overdue"]) for r in rows] == [
        ("central", "2022-11-08", True),
        ("morley", "2022-11-08", True),
        ("woodsley-holt-park", "2022-11-08", True),
    ]
    central = rows[0]["id"]
    table = run_cli("actions", "list", "--lcp", "central").stdout
    assert "Central LCP lead" in table and "Map your LCP's partners" in table

    done = run_cli("actions", "done", str(central), "--note", "mapped 9 partners")
    assert done.exit_code == 0 and "recorded by pat" in done.stdout
    assert [r["id"] for r in json.loads(run_cli("actions", "list", "--overdue", "--json").stdout)] == [
        rows[1]["id"],
        rows[2]["id"],
    ]
    assert "already done" in run_cli("actions", "done", str(central)).stdout
    with sessions() as session:
        (change,) = session.scalars(select(models.ActionChange).where(models.ActionChange.action_id == central)).all()
    assert (change.status, change.changed_by, change.source, change.note) == ("done", "pat", "cli", "mapped 9 partners")
    everything = json.loads(run_cli("actions", "list", "--all", "--json").stdout)
    assert {r["status"] for r in everything} == {"open", "done"}


def test_escalations_ack_and_snooze_are_recorded(run_cli, sessions, programme, sample) -> None:  # type: ignore[no-untyped-def]
    record_changes(sessions, programme, local(d("2022-11-30")))
    listed = json.loads(run_cli("escalations", "list", "--json").stdout)
    assert {(r["reason"], r["stalled_since"]) for r in listed} == {("no_progress", "2022-11-30")}
    first, second = listed[0]["id"], listed[1]["id"]

    ack = run_cli("escalations", "ack", str(first), "--note", "spoke to them")
    assert ack.exit_code == 0 and "no further levels" in ack.stdout
    until = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    snooze = run_cli("escalations", "snooze", f"#{second}", "--until", until, "--by", "Sam")
    assert snooze.exit_code == 0 and f"snoozed until {until} by Sam" in snooze.stdout

    with sessions() as session:
        acked = session.get_one(models.Escalation, first)
        snoozed = session.get_one(models.Escalation, second)
        history = session.scalars(select(models.EscalationChange).order_by(models.EscalationChange.id)).all()
    assert (acked.status, acked.acknowledged_by) == ("acknowledged", "pat")
    assert (snoozed.status, snoozed.snoozed_until) == ("snoozed", dt.date.fromisoformat(until))
    assert [(h.escalation_id, h.change, h.changed_by, h.source) for h in history] == [
        (first, "acknowledged", "pat", "cli"),
        (second, "snoozed", "Sam", "cli"),
    ]
    table = run_cli("escalations", "list").stdout
    assert "acknowledged by pat" in table and f"snoozed until {until}" in table


def test_closed_escalations_cannot_be_acknowledged(run_cli, sessions, programme, sample) -> None:  # type: ignore[no-untyped-def]
    record_changes(sessions, programme, local(d("2022-11-30")))
    network = hub_named(sessions, "Central Neighbourhood Network")
    with sessions() as session:
        escalation_id = session.scalars(
            select(models.Escalation.id).where(models.Escalation.hub_id == network.id)
        ).one()
    moved = run_cli("hubs", "progress", str(network.id), "--stage", "2")
    assert f"the next reconcile closes escalation #{escalation_id}" in moved.stdout
    record_changes(sessions, programme, local(d("2022-12-01")))
    result = run_cli("escalations", "ack", str(escalation_id))
    assert result.exit_code == 2 and "is closed (progress: at stage 2" in result.stderr
    closed = json.loads(run_cli("escalations", "list", "--all", "--json").stdout)
    assert any(r["id"] == escalation_id and r["status"] == "closed" for r in closed)
    assert all(r["id"] != escalation_id for r in json.loads(run_cli("escalations", "list", "--json").stdout))


def test_reconcile_dry_run_shows_what_would_be_sent(run_cli, sessions, sample) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("reconcile", "--dry-run", "--as-of", "2022-10-19")
    assert result.exit_code == 0, result.stderr
    assert "would record: 3 follow-up actions" in result.stdout
    assert "follow-ups" in result.stdout
    with sessions() as session:
        assert session.scalars(select(models.Action)).all() == []
