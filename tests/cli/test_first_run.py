"""The first run on a fresh machine: no PREFECT_API_URL and a fresh Prefect home. Prefect's temporary server must
create and migrate its database before it answers, which takes longer than Prefect's 20 s default on a small
machine; the CLI allows it EPHEMERAL_STARTUP_TIMEOUT_S unless the environment says otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rollout.cli.prefect_defaults import EPHEMERAL_STARTUP_TIMEOUT_S
from tests.conftest import CONFIG, ROOT, SAMPLE_PARTNERS

READ_TIMEOUT = (
    "import rollout.cli.main\n"
    "from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS as limit\n"
    "print(limit.value())\n"
)


def fresh_machine(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any Prefect setting, with a Prefect home and rollout data of its own."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PREFECT_")}
    home = tmp_path / "prefect-home"
    home.mkdir()
    data = tmp_path / "var"
    return {
        **env,
        "PREFECT_HOME": str(home),
        "ROLLOUT_DATA_DIR": str(data),
        "ROLLOUT_DATABASE_URL": f"sqlite:///{data / 'rollout.db'}",
        "ROLLOUT_CONFIG": str(CONFIG),
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "200",
        **extra,
    }


def rollout(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("rollout")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "rollout.cli.main"]
    return subprocess.run(
        [*command, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_the_cli_gives_prefects_temporary_server_time_to_migrate_unless_told_otherwise(tmp_path: Path) -> None:
    default = subprocess.run(
        [sys.executable, "-c", READ_TIMEOUT], env=fresh_machine(tmp_path), capture_output=True, text=True, check=True
    )
    assert int(default.stdout.strip()) == EPHEMERAL_STARTUP_TIMEOUT_S >= 120

    other = tmp_path / "other"
    other.mkdir()
    chosen = fresh_machine(other, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="45")
    explicit = subprocess.run(
        [sys.executable, "-c", READ_TIMEOUT], env=chosen, capture_output=True, text=True, check=True
    )
    assert explicit.stdout.strip() == "45"


@pytest.mark.slow
def test_the_first_launch_on_a_fresh_prefect_home_succeeds(tmp_path: Path) -> None:
    env = fresh_machine(tmp_path)
    imported = rollout("partners", "import", str(SAMPLE_PARTNERS), env=env)
    assert imported.returncode == 0, imported.stderr

    started = time.monotonic()
    first = rollout("launch", "wave-1", "--dry-run", "--as-of", "2022-09-01", env=env)
    first_s = time.monotonic() - started
    started = time.monotonic()
    second = rollout("launch", "wave-1", "--dry-run", "--as-of", "2022-09-01", env=env)
    second_s = time.monotonic() - started

    for result in (first, second):
        assert "Timed out while attempting to connect" not in result.stderr
        assert result.returncode == 0, result.stderr[-2000:]
        assert "wave-1: " in result.stdout and "dry run: nothing sent" in result.stdout
    print(f"\nfirst dry-run launch on a fresh Prefect home: {first_s:.1f} s; second (warm): {second_s:.1f} s")


@pytest.mark.parametrize(
    "args",
    [("plan", "wave-9"), ("partners", "import", "no-such-file.csv"), ("attendance", "list", "--wave", "wave-9")],
)
def test_a_refused_argument_on_a_fresh_machine_leaves_no_database_behind(tmp_path: Path, args: tuple[str, ...]) -> None:
    env = fresh_machine(tmp_path)
    done = rollout(*args, env=env, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "var" / "rollout.db").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("deliver",),
        ("reconcile", "--as-of", "2022-10-04"),
        ("digest", "--as-of", "2022-10-03"),
        ("launch", "wave-1", "--no-approval", "--as-of", "2022-09-01"),
    ],
)
def test_sending_without_the_microsoft_365_settings_is_refused_before_a_database_is_made(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    env = {k: v for k, v in fresh_machine(tmp_path).items() if not k.startswith(("ROLLOUT_CLIENT", "ROLLOUT_TENANT"))}
    done = rollout(*args, env=env, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "ROLLOUT_CLIENT_ID is not set" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "var").exists()
