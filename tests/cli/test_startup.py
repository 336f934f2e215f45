"""Read-only commands start without Prefect, O365, msal or Alembic: checked in a fresh interpreter."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rollout.db.migrate import _alembic_head, head_revision
from rollout.db.session import make_engine
from tests.conftest import CONFIG, CliResult

PROBE = """
import json, sys
from rollout.cli.main import app
sys.argv = ["rollout", *{args!r}]
try:
    app()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
loaded = [m for m in {heavy!r} if m in sys.modules]
commands = sorted(m for m in sys.modules if m.startswith(("rollout.cli.", "rollout_lab")) and m.endswith("_cmd"))
print("PROBE " + json.dumps({{"code": code, "loaded": loaded, "commands": commands}}))
"""
HEAVY = ["prefect", "O365", "msal", "alembic", "flows"]


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["plan", "wave-1"],
        ["status"],
        ["hubs", "list"],
        ["actions", "list"],
        ["partners", "list"],
        ["escalations", "list"],
        ["--help"],
    ],
    ids=lambda a: " ".join(a),
)
def test_a_read_only_command_imports_no_prefect(data_dir: Path, args: list[str]) -> None:
    probe = _probe(args)
    assert probe["code"] == 0, probe
    assert probe["loaded"] == []


@pytest.mark.parametrize(
    ("args", "module"),
    [
        (["validate"], "rollout.cli.plan_cmd"),
        (["status"], "rollout.cli.status_cmd"),
        (["hubs", "list"], "rollout.cli.hubs_cmd"),
        (["actions", "list"], "rollout.cli.actions_cmd"),
    ],
    ids=lambda a: " ".join(a) if isinstance(a, list) else "",
)
def test_a_command_imports_its_own_module_only(data_dir: Path, args: list[str], module: str) -> None:
    """Neither the other commands' modules nor the lab's plugin commands are imported to run one command."""
    probe = _probe(args)
    assert probe["code"] == 0, probe
    assert probe["commands"] == [module]


def test_help_still_lists_every_command_and_the_plugins(data_dir: Path) -> None:
    probe = _probe(["--help"])
    assert probe["code"] == 0, probe
    assert "rollout.cli.launch_cmd" in probe["commands"]
    assert "rollout_lab.demo_cmd" in probe["commands"]


def test_the_garbage_collector_is_as_the_caller_left_it(data_dir: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    """`rollout` pauses the collector while it starts and freezes what its imports made; an in-process caller (the
    tests, the demo) gets it back as it was, nothing left frozen, whether the command succeeds or fails."""
    for args in (["validate"], ["plan", "no-such-wave"], ["--help"]):
        result: CliResult = run_cli(*args)
        assert result.exit_code in (0, 2), result
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0
    gc.disable()
    try:
        assert run_cli("validate").exit_code == 0
        assert not gc.isenabled()
        assert gc.get_freeze_count() == 0
    finally:
        gc.enable()


def _probe(args: list[str]) -> dict[str, object]:
    env = {**os.environ, "ROLLOUT_CONFIG": str(CONFIG), "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("PROBE ")), None)
    assert line is not None, done.stderr
    probe: dict[str, object] = json.loads(line.removeprefix("PROBE "))
    probe["stderr"] = done.stderr[-2000:]
    return probe


def test_the_schema_head_read_from_the_migration_files_is_alembics(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert head_revision(engine) == _alembic_head(engine)
