"""Fixtures for planner tests: the real programme, and programmes built from edited copies of it."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rollout.config import Programme, load_programme
from rollout.config.load import programme_from_dict
from rollout.planning.workdays import WorkingCalendar, working_calendar

REAL_CONFIG = Path(__file__).resolve().parents[2] / "config" / "waves.toml"

Raw = dict[str, Any]


@pytest.fixture
def raw() -> Raw:
    """A fresh copy of the real config, to edit."""
    return tomllib.loads(REAL_CONFIG.read_text(encoding="utf-8"))


@pytest.fixture
def programme() -> Programme:
    return load_programme(REAL_CONFIG)


@pytest.fixture
def build() -> Callable[[Raw], Programme]:
    """Validate an edited config fully (schema, references and planning), as load_programme does."""
    return lambda data: programme_from_dict(data, "test-config")


@pytest.fixture
def cal() -> WorkingCalendar:
    return working_calendar("GB", "ENG")
