"""Without PREFECT_API_URL the simulation records its runs on a temporary Prefect server, which starts from a kept
copy of an already-migrated database after the first time."""

from __future__ import annotations

from pathlib import Path

import prefect
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK, temporary_settings

from rollout_lab.simulation.world import PREFECT_TEMPLATE, prefect_api


@flow(name="simulation-probe")
def probe() -> int:
    return 7


def flow_runs_recorded() -> int:
    with get_client(sync_client=True) as client:
        return len(client.read_flow_runs())


def test_the_temporary_server_keeps_a_migrated_database_and_the_next_one_starts_empty_from_it(
    tmp_path: Path, prefect_server: str
) -> None:
    template = tmp_path / PREFECT_TEMPLATE.format(version=prefect.__version__)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        with prefect_api(tmp_path) as (where, _):
            assert where.startswith("temporary Prefect server at http://127.0.0.1:")
            assert PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK.value() == "local-file-system/rollout-simulation"
            assert probe() == 7
            assert flow_runs_recorded() == 1
        assert template.exists()
        kept = template.stat().st_mtime_ns

        with prefect_api(tmp_path):
            assert flow_runs_recorded() == 0  # the copy is of the database as migrated, before any run
            assert probe() == 7
            assert flow_runs_recorded() == 1
        assert template.stat().st_mtime_ns == kept
    assert PREFECT_API_URL.value() == prefect_server
