"""Fixtures for the reconciler's tests."""

from __future__ import annotations

import pytest

from rollout.config import Programme
from tests.reconcile.builders import World


@pytest.fixture
def world() -> World:
    return World()


def with_cancelled(programme: Programme, wave_id: str, *numbers: int) -> Programme:
    """The programme with workshops of one wave cancelled in the config."""
    waves = [
        w.model_copy(update={"cancelled_workshops": list(numbers)}) if w.id == wave_id else w for w in programme.waves
    ]
    return programme.model_copy(update={"waves": waves})
