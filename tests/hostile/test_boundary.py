"""The CLI's error boundary: one line per problem, a status per kind of failure, a traceback only with --debug."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rollout.cli import boundary
from rollout.errors import InputError
from tests.conftest import CliResult


def _status(call: Callable[[], object]) -> int:
    with pytest.raises(SystemExit) as ended:
        boundary.run(call)
    code = ended.value.code
    return code if isinstance(code, int) else 1


def test_an_unexpected_error_is_one_line_and_status_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(boundary.DEBUG_ENV, raising=False)

    def broken() -> None:
        raise OverflowError("date value out of range")

    assert _status(broken) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "error: unexpected OverflowError: date value out of range (run `rollout --debug ...` for the traceback)"
    ]


def test_debug_shows_the_traceback_and_keeps_the_status(
    run_cli: Callable[..., CliResult], data_dir: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(boundary.DEBUG_ENV, raising=False)
    quiet = run_cli("reconcile", "--as-of", "0001-01-01T00:00+05:00")
    loud = run_cli("--debug", "reconcile", "--as-of", "0001-01-01T00:00+05:00")

    assert (quiet.exit_code, loud.exit_code) == (2, 2)
    assert "Traceback" not in quiet.stderr
    assert "Traceback" in loud.stderr and "error: --as-of:" in loud.stderr
    assert boundary.DEBUG_ENV not in __import__("os").environ  # --debug lasts one invocation


def test_a_flow_failure_prints_its_cause_once(
    prefect_server: str, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect import flow, task

    monkeypatch.delenv(boundary.DEBUG_ENV, raising=False)
    cause = "wave wave-9: every workshop is in the past; nothing to launch"

    @task
    def refuse() -> None:
        raise InputError("wave wave-9", ["every workshop is in the past; nothing to launch"])

    @flow(name="hostile-boundary")
    def failing() -> None:
        refuse()

    def command() -> None:
        # As in `rollout launch`: Prefect sets its logging up (new console handlers) only when the flow is imported.
        from prefect.logging.configuration import setup_logging

        setup_logging()
        failing()

    capfd.readouterr()
    assert _status(command) == 2
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    assert (out + err).count(cause) == 1, out + err
    assert f"error: {cause}" in err

    monkeypatch.setenv(boundary.DEBUG_ENV, "1")
    assert _status(command) == 2
    out, err = capfd.readouterr()
    assert "Traceback" in out + err  # --debug: Prefect's run logs and the traceback as well
