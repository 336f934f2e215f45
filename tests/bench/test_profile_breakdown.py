"""bench/profile_breakdown.py gives each sample of the main thread to one area, from py-spy's raw format."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "profile_breakdown.py"


def _module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("profile_breakdown", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_samples_are_counted_by_area_and_other_threads_are_left_out(tmp_path: Path) -> None:
    main = "<module> (rollout:8);simulate (rollout_lab/simulation/runner.py:250);Simulation.day (rollout_lab/x.py:1)"
    raw = tmp_path / "sim.txt"
    raw.write_text(
        f"{main};_deliver (rollout/reconcile/run.py:9);Deliverer.run (rollout/outbound/delivery.py:1);"
        "Session.execute (sqlalchemy/orm/session.py:1) 30\n"
        f"{main};Flow.__call__ (prefect/flows.py:1);run_flow (prefect/flow_engine.py:1) 20\n"
        f"{main};publish (tasks/reconcile.py:40);create_markdown_artifact (prefect/artifacts.py:3) 5\n"
        'process 12:"rollout simulate";'
        f"{main};Simulation.behave (rollout_lab/simulation/runner.py:170) 7\n"
        "Thread._bootstrap (threading.py:1002);Deliverer.run (rollout/outbound/delivery.py:1) 99\n",
        encoding="utf-8",
    )
    seconds = _module().breakdown(raw)
    assert seconds == {
        "ours: delivery": 30,
        "prefect: engine": 20,
        "prefect: artifacts": 5,
        "ours: simulation: partners' behaviour": 7,
    }
