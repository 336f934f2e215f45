"""Wave 1's first three months, simulated: through the real flows, exactly once, the same for the same seed, and
the same whether quiet days are skipped or the reconcile runs every day."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

from rollout_lab.simulation import Result
from rollout_lab.simulation.schedule import Window
from tests.simulation.conftest import FIRST, LAST, SEED, Ledger, Simulator, files_in

MONDAYS = sum(1 for day in Window(FIRST, LAST).each_day() if day.weekday() == 0)
DIGEST_RECIPIENTS = 12  # the programme manager and the eleven LCP leads


# What two ways of running the same simulation must agree on.
FIELDS = (
    "emails",
    "outbox",
    "responses",
    "actions",
    "escalations",
    "levels",
    "hubs_by_stage",
    "happenings",
    "attendance",
)


def test_the_flows_run_the_programme_and_every_message_arrives_exactly_once(
    through_the_flows: tuple[Result, Ledger],
) -> None:
    result, ledger = through_the_flows
    totals, check = result.totals, result.check
    assert totals.runs == Counter({"launch": 1, "digest": MONDAYS, "reconcile": totals.runs["reconcile"]})
    assert 20 < totals.runs["reconcile"] < Window(FIRST, LAST).days  # quiet days are skipped
    assert totals.events == 6 and totals.invitations == 135
    assert totals.emails["please reply"] and totals.emails["see you there"]
    assert totals.emails["follow_up"] and totals.emails["action_reminder"] and totals.emails["action_overdue"]
    assert totals.escalations["opened"] and totals.emails["escalation"]
    assert totals.emails["digest"] == MONDAYS * DIGEST_RECIPIENTS
    assert totals.happenings["reply"] and totals.happenings["action_done"] and totals.happenings["hub_moved"]
    assert set(totals.outbox) <= {"sent", "dropped"}
    a = totals.attendance  # workshops 1 (Teams) and 2 (a venue, its sign-in sheet imported) have been held
    assert a["workshops"] == a["known"] == 2 and a["reports_collected"] == 1
    assert 0 < a["attended"] < a["invited"] and a["no_shows"] and a["recorded_teams"] and a["recorded_import"]
    assert totals.emails["missed_workshop"] and totals.happenings["attended"] == 2

    assert check.intended == check.received == sum(ledger.values()) > 300
    assert (check.duplicates, check.lost, check.unexpected) == (0, 0, 0)
    assert result.ok


def test_the_runs_are_real_prefect_flow_runs(through_the_flows: tuple[Result, Ledger]) -> None:
    result, _ = through_the_flows
    ids = [str(run.summary["flow_run_id"]) for run in result.runs]

    async def read() -> list[tuple[str, str]]:
        async with get_client() as client:
            runs = await client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)))
            return [(run.name, run.state_name or "") for run in runs]

    found = asyncio.run(read())
    assert len(found) == len(ids)
    assert {state for _, state in found} == {"Completed"}
    names = {name for name, _ in found}
    assert "wave-1 · launch" in names and "reconcile · 2022-10-04" in names
    assert f"digest · week of {FIRST + dt.timedelta(days=3)}" in names  # Monday 19 September


def test_mailboxes_and_digest_previews_are_files_people_can_open(through_the_flows: tuple[Result, Ledger]) -> None:
    result, ledger = through_the_flows
    mailboxes = result.directory / "mailboxes"
    assert len(files_in(mailboxes, "*/*.eml")) == sum(ledger.values())
    assert (mailboxes / "index.json").exists()
    manager = files_in(mailboxes / "programme.manager@example.org", "*-mail.eml")
    assert manager and b"Subject: Weekly digest" in manager[0].read_bytes()
    assert b"Date: Mon, 19 Sep 2022" in manager[0].read_bytes()  # the simulated day, not today
    digests = result.directory / "digests"
    assert len(files_in(digests, "*-programme.html")) == len(files_in(digests, "*-central.html")) == MONDAYS
    assert "<html" in files_in(digests, "*-programme.html")[0].read_text(encoding="utf-8").lower()
    assert result.digest_index == digests / "index.html"


def test_the_same_seed_gives_the_same_programme_through_the_flows_or_their_steps(
    through_the_flows: tuple[Result, Ledger], directly: tuple[Result, Ledger]
) -> None:
    """Two runs with the same seed, one through the Prefect flows and one calling their steps directly: the same
    messages to the same people on the same days, and the same totals. (So the faster direct runs below stand
    for the flows.)"""
    (flows, flows_ledger), (steps, steps_ledger) = through_the_flows, directly
    assert flows_ledger == steps_ledger
    for field in FIELDS:
        assert getattr(flows.totals, field) == getattr(steps.totals, field), field
    assert flows.totals.runs == steps.totals.runs


def test_another_seed_gives_other_partners(simulator: Simulator) -> None:
    fortnight = dt.date(2022, 9, 30)
    one, two = simulator.run(last=fortnight)[0].totals, simulator.run(seed=SEED + 1, last=fortnight)[0].totals
    assert one.invitations == two.invitations  # the same programme and partners ...
    assert (one.responses, one.happenings) != (two.responses, two.happenings)  # ... who behave otherwise


def test_skipping_quiet_days_sends_exactly_what_daily_runs_send(
    simulator: Simulator, directly: tuple[Result, Ledger]
) -> None:
    """The reconcile is level-triggered: skipping the days on which it would change nothing (and recording replies
    at the next run, or before the digest that reports them) leaves every message as daily runs send it: the same
    recipients, subjects and days, and the same records at the end."""
    daily, daily_ledger = simulator.run(every_day=True)
    skipping, skipping_ledger = directly
    assert daily.totals.runs["reconcile"] == Window(FIRST, LAST).days
    assert skipping.totals.runs["reconcile"] < daily.totals.runs["reconcile"] / 2
    assert skipping_ledger == daily_ledger
    for field in FIELDS:
        assert getattr(skipping.totals, field) == getattr(daily.totals, field), field
    assert [(m.label, m.emails, m.happenings) for m in skipping.months] == [
        (m.label, m.emails, m.happenings) for m in daily.months
    ]
