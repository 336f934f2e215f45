"""Defaults for Prefect when it runs flows from the CLI, set before Prefect is imported (it reads its settings
once, at import). Each is only a default: a value in the environment or a Prefect profile wins."""

from __future__ import annotations

import os

# Without PREFECT_API_URL, a flow run starts Prefect's temporary server, which must create and migrate its SQLite
# database on first use. Prefect allows it 20 s; on a 2-core machine with a fresh PREFECT_HOME that took 31 s idle
# and longer under load, so the first `rollout launch` died with "Timed out while attempting to connect to
# ephemeral Prefect API server". Later starts take a few seconds: the limit only matters the first time.
EPHEMERAL_STARTUP_TIMEOUT_S = 180

DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(EPHEMERAL_STARTUP_TIMEOUT_S),
    # The temporary server's telemetry stays off.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}


def apply() -> None:
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
