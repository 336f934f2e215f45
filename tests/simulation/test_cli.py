"""`rollout simulate` and `rollout demo` on short windows, through the flows and the session's Prefect server."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rollout_lab.simulation import ledger, runner, schedule
from tests.conftest import CONFIG

pytestmark = pytest.mark.usefixtures("prefect_server")


def test_simulate_prints_the_timeline_and_the_totals(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "sim"
    result = run_cli(
        "simulate",
        "--from",
        "2022-09-16",
        "--to",
        "2022-10-05",
        "--seed",
        "3",
        "--data-dir",
        str(directory),
        "--config",
        str(CONFIG),
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "approval: off in the simulation (a launch sends its invitations straight away)" in lines
    assert next(line for line in lines if line.startswith("month")).split()[:3] == ["month", "runs", "invitations"]
    assert any(line.startswith("2022-09-16 wave-1 launched: 6 workshop events, 135 invitations") for line in lines)
    assert any(line.startswith("2022-09 ") for line in lines) and any(line.startswith("2022-10 ") for line in lines)
    assert any(line.startswith("flow runs: 1 launch-wave, ") and "3 weekly-digest" in line for line in lines)
    assert "digests: 36 emails over 3 weeks" in lines
    assert "duplicates: 0" in lines and "lost: 0" in lines and "unexpected: 0" in lines
    assert (directory / "rollout.db").exists() and list((directory / "mailboxes").glob("*/*.eml"))


def test_simulate_exits_1_when_the_mailboxes_disagree_with_the_outbox(  # type: ignore[no-untyped-def]
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def one_lost(*args, **kwargs):  # type: ignore[no-untyped-def]
        check = ledger.check_delivery(*args, **kwargs)
        check.lost += 1
        return check

    monkeypatch.setattr(runner, "check_delivery", one_lost)
    result = run_cli("simulate", "--from", "2022-09-16", "--to", "2022-09-17", "--data-dir", str(tmp_path / "sim"))
    assert result.exit_code == 1
    assert "lost: 1" in [line.strip() for line in result.stdout.splitlines()]


def test_demo_runs_the_programme_and_says_where_to_look(  # type: ignore[no-untyped-def]
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROLLOUT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("ROLLOUT_DATABASE_URL", raising=False)
    # The demo's window is the whole programme (about two minutes); its first fortnight is enough here.
    short = schedule.Window(dt.date(2022, 9, 16), dt.date(2022, 9, 27))
    monkeypatch.setattr(schedule, "default_window", lambda programme: short)
    result = run_cli("demo", "--config", str(CONFIG))
    assert result.exit_code == 0, result.stdout + result.stderr
    out = result.stdout
    for heading in (
        "1. The programme file",
        "2. Wave 1's plan",
        "3. The whole programme, simulated",
        "4. Where to look",
    ):
        assert heading in out
    simulation = tmp_path / "var" / "simulation"
    assert "Introduction to the approach" in out  # the plan table
    assert "duplicates: 0" in out and "lost: 0" in out
    assert str(simulation / "mailboxes") in out
    assert str(simulation / "digests" / "index.html") in out
    assert "prefect server start" in out or "Prefect: every launch" in out
    assert "outbox: sent" in out  # rollout status of the simulated programme
    assert not (tmp_path / "var" / "rollout.db").exists()  # the user's own database is left alone
