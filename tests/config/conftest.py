"""Fixtures for config tests: the real config/waves.toml as a dict, and a way to load a mutated copy."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from toml_writer import dumps

from rollout.config import Programme, load_programme
from rollout.errors import InputError

REAL_CONFIG = Path(__file__).resolve().parents[2] / "config" / "waves.toml"

Raw = dict[str, Any]


@pytest.fixture
def raw() -> Raw:
    """A fresh copy of the real config, to mutate."""
    return tomllib.loads(REAL_CONFIG.read_text(encoding="utf-8"))


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    folder = tmp_path / "council"
    folder.mkdir()
    return folder / "waves.toml"


@pytest.fixture
def write_config(config_path: Path) -> Callable[[Raw], Path]:
    def write(data: Raw) -> Path:
        config_path.write_text(dumps(data), encoding="utf-8")
        return config_path

    return write


@pytest.fixture
def load_raw(write_config: Callable[[Raw], Path]) -> Callable[[Raw], Programme]:
    """Write `data` as TOML and load it the way `rollout validate` does."""
    return lambda data: load_programme(write_config(data))


@pytest.fixture
def problems(write_config: Callable[[Raw], Path]) -> Callable[[Raw], list[str]]:
    """Problem lines from loading `data`; fails unless load_programme raises InputError naming the file."""

    def load(data: Raw) -> list[str]:
        path = write_config(data)
        with pytest.raises(InputError) as caught:
            load_programme(path)
        assert caught.value.source == str(path)
        assert str(caught.value) == "\n".join(f"{path}: {line}" for line in caught.value.problems)
        return caught.value.problems

    return load
