"""bench/cli_latency.py with one run of each command, so the benchmark keeps working. No timing assertions: only
that every command answers and none of them imports Prefect, O365 or msal."""

from __future__ import annotations

import pytest

from bench.cli_latency import COMMANDS, main


@pytest.mark.slow
def test_the_benchmark_runs_each_command_and_none_imports_prefect(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--runs", "1", "--max-seconds", "1000"])
    out = capsys.readouterr().out
    assert code == 0, out
    for label, _ in COMMANDS:
        assert f"| {label} |" in out and out.split(f"| {label} |")[1].splitlines()[0].endswith("| no |")
