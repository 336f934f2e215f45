"""Every hostile input gets one clear error naming the file and key or row, the right exit status, no traceback,
and leaves the database exactly as it was. In-process (the console script's own `app()`), on either database lane."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import CliResult
from tests.hostile.cases import ALL_CASES, Case
from tests.hostile.conftest import fingerprint

ROLLOUT = Path(sys.executable).with_name("rollout")


def test_the_corpus_is_at_least_sixty_cases() -> None:
    assert len(ALL_CASES) >= 60
    assert len({case.id for case in ALL_CASES}) == len(ALL_CASES)


def _check(result: CliResult, status: int, expect: list[str]) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-3000:]
    assert result.exit_code == status, output[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors or "Usage:" in output, output[-3000:]
    text = "\n".join(errors) or output
    for needle in expect:
        assert needle in text, f"{needle!r} not in:\n{text[-3000:]}"


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.id)
def test_hostile_input_is_refused_cleanly_and_changes_nothing(
    case: Case,
    seeded: Engine,
    tmp_path: Path,
    run_cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = case.build(tmp_path)
    before = fingerprint(seeded)
    for name, value in run.env.items():
        monkeypatch.setenv(name, value)

    result = run_cli(*run.args)

    _check(result, run.status, run.expect)
    assert fingerprint(seeded) == before


SUBPROCESS_CASES = ["config-file-array-5000-deep", "cli-actions-done-huge-id", "cli-reconcile-as-of-year-1"]


@pytest.mark.slow
@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_the_real_entry_point_refuses_cleanly(case_id: str, seeded: Engine, tmp_path: Path) -> None:
    case = next(c for c in ALL_CASES if c.id == case_id)
    run = case.build(tmp_path)
    before = fingerprint(seeded)

    done = subprocess.run(
        [str(ROLLOUT), *run.args], capture_output=True, text=True, env={**os.environ, **run.env}, timeout=120
    )

    _check(CliResult(done.returncode, done.stdout, done.stderr), run.status, run.expect)
    assert len([line for line in done.stderr.splitlines() if line.startswith("error: ")]) == 1
    assert fingerprint(seeded) == before
