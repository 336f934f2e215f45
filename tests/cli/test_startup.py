"""Read-only commands start without Prefect, O365, msal or Alembic: checked in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rollout.db.migrate import _alembic_head, head_revision
from rollout.db.session import make_engine
from tests.conftest import CONFIG

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
print("PROBE " + json.dumps({{"code": code, "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
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
    probe = json.loads(line.removeprefix("PROBE "))
    assert probe["code"] == 0, done.stderr
    assert probe["loaded"] == []


def test_the_schema_head_read_from_the_migration_files_is_alembics(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert head_revision(engine) == _alembic_head(engine)
