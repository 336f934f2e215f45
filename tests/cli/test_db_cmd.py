"""`rollout db`: the schema revision and upgrades, whatever state the programme file is in."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_db_upgrade_migrates_an_empty_database_once_and_current_says_so(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    database = tmp_path / "fresh.db"
    monkeypatch.setenv("ROLLOUT_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("ROLLOUT_CONFIG", str(tmp_path / "no-such-programme.toml"))  # not needed to migrate

    before = run_cli("db", "current")
    assert before.exit_code == 0 and "current: empty" in before.stdout
    head = before.stdout.split("head:")[1].strip()

    first = run_cli("db", "upgrade")
    assert first.exit_code == 0 and f"upgraded empty -> {head}" in first.stdout
    again = run_cli("db", "upgrade")
    assert again.exit_code == 0 and f"already at {head}" in again.stdout
    assert f"current: {head}" in run_cli("db", "current").stdout
    assert oct(database.stat().st_mode & 0o777) == "0o600"
