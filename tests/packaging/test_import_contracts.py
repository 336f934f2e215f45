"""The import contracts in pyproject.toml ([tool.importlinter]) hold for the tree, and each one has teeth.

The second half builds a stand-in tree in a temporary directory with every module the contracts name (and the imports
they deliberately ignore), checks it passes, then adds one forbidden import per contract and expects lint-imports to
report exactly that contract broken.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
SETTINGS: dict[str, Any] = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
CONTRACTS: list[dict[str, Any]] = SETTINGS["contracts"]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def lint_imports(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)  # ahead of the editable installs' finders
    command = [LINT_IMPORTS, "--config", str(PYPROJECT), "--no-cache"]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_tree_keeps_every_import_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout


def _concrete(expression: str) -> str:
    return expression.replace("**", "x").replace("*", "x")


def _is_internal(module: str) -> bool:
    return module.split(".")[0] in SETTINGS["root_packages"]


def _add_module(tree: Path, module: str, body: str = "") -> None:
    """module as a package (so a violation can sit inside it), with its parents; body appended to its __init__."""
    parts = module.split(".")
    for depth in range(1, len(parts) + 1):
        package = tree.joinpath(*parts[:depth])
        package.mkdir(exist_ok=True)
        (package / "__init__.py").touch()
    with (tree.joinpath(*parts) / "__init__.py").open("a") as init:
        init.write(body)


@pytest.fixture
def stand_in_tree(tmp_path: Path) -> Path:
    """Every module the contracts name, importing nothing but what their ignore_imports allow."""
    for root in SETTINGS["root_packages"]:
        _add_module(tmp_path, root)
    for contract in CONTRACTS:
        named = [m for key in ("source_modules", "forbidden_modules", "layers") for m in contract.get(key, [])]
        for module in filter(_is_internal, map(_concrete, named)):
            _add_module(tmp_path, module)
        for ignored in contract.get("ignore_imports", []):
            importer, imported = (_concrete(side.strip()) for side in ignored.split("->"))
            if _is_internal(imported):
                _add_module(tmp_path, imported)
            _add_module(tmp_path, importer, f"import {imported}\n")
    return tmp_path


def _violation(contract: dict[str, Any]) -> tuple[str, str]:
    """(importer, imported): one import the contract forbids."""
    if contract["type"] == "layers":
        return contract["layers"][-1], contract["layers"][0]  # the lowest layer importing the highest
    return _concrete(contract["source_modules"][0]), _concrete(contract["forbidden_modules"][0])


def test_the_stand_in_tree_keeps_every_contract(stand_in_tree: Path) -> None:
    result = lint_imports(stand_in_tree, pythonpath=stand_in_tree)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("contract", CONTRACTS, ids=[c["name"][:40] for c in CONTRACTS])
def test_a_forbidden_import_breaks_its_contract(stand_in_tree: Path, contract: dict[str, Any]) -> None:
    importer, imported = _violation(contract)
    _add_module(stand_in_tree, f"{importer}.breaks_the_rule", f"import {imported}\n")

    result = lint_imports(stand_in_tree, pythonpath=stand_in_tree)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 broken" in result.stdout
    assert f"{importer}.breaks_the_rule -> {imported}" in result.stdout


def test_a_pure_module_may_not_reach_sqlalchemy_through_another_module(stand_in_tree: Path) -> None:
    pure = next(c for c in CONTRACTS if "sqlalchemy" in c.get("forbidden_modules", []))
    _add_module(stand_in_tree, "rollout.db_stand_in", "import sqlalchemy\n")
    _add_module(stand_in_tree, f"{pure['source_modules'][0]}.uses_the_database", "import rollout.db_stand_in\n")

    result = lint_imports(stand_in_tree, pythonpath=stand_in_tree)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "rollout.db_stand_in -> sqlalchemy" in result.stdout
