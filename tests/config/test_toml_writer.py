"""The test-only TOML writer reads back, with tomllib, to exactly the data it was given."""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

import pytest
from toml_writer import dumps


def test_shipped_config_round_trips(raw: dict[str, Any]) -> None:
    assert tomllib.loads(dumps(raw)) == raw


def test_awkward_strings_keys_and_scalars_round_trip() -> None:
    data = {
        "text": 'quote " backslash \\ tab \t newline \n bell \x07 del \x7f caf\u00e9 \U0001f600',
        "key with spaces": True,
        "n": -3,
        "off": False,
        "day": dt.date(2022, 12, 27),
        "clock": dt.time(10, 0),
        "when": dt.datetime(2023, 3, 26, 1, 30),
        "empty": [],
        "nested_lists": [[1, 2], ["a"]],
        "inline_in_list": [1, {"a": 1}],
        "table": {"empty": {}, "deeper": {"x": "y"}},
        "rows": [{"a": 1, "sub": {"b": 2}, "more": [{"c": 3}]}, {"a": 2}],
    }
    assert tomllib.loads(dumps(data)) == data


def test_unsupported_types_are_refused() -> None:
    with pytest.raises(TypeError, match="cannot write float"):
        dumps({"x": 1.5})
