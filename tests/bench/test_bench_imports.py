"""Every benchmark script still imports: they run only by hand, so a helper moved or renamed elsewhere would
otherwise break them unnoticed (delivery_pacing.py and gateway_soak.py once imported a helper that had moved)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(p.stem for p in BENCH.glob("*.py") if not p.stem.startswith("_"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_benchmark_script_imports(script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))  # the scripts import their shared `_support` as run from bench/
    module = importlib.import_module(f"bench.{script}")
    assert callable(module.main)
    sys.modules.pop(f"bench.{script}", None)
