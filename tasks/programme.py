"""Reading the programme file."""

from __future__ import annotations

from prefect import task

from rollout import settings
from rollout.config import Programme, load_programme


@task(name="load-programme", retries=0)
def load_programme_file(config_path: str | None = None) -> Programme:
    return load_programme(config_path or settings.config_path())
