"""Every third-party package the code imports is declared by the distribution that ships the code: the product's in
pyproject.toml, the lab's in lab/pyproject.toml (a package that only arrives as someone else's dependency can vanish
with that dependency's next release)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("rollout", "flows", "tasks", "deployments")
LAB = ("graph_emulator", "rollout_lab")
FIRST_PARTY = {*PRODUCT, *LAB}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(pyproject: Path) -> set[str]:
    requirements = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return {_normalise(re.match(r"[A-Za-z0-9._-]+", req)[0]) for req in requirements}  # type: ignore[index]


def imported(folders: list[Path]) -> dict[str, str]:
    """Top-level third-party module -> one file importing it."""
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for top in (name.split(".")[0] for name in names):
                    if top not in sys.stdlib_module_names and top not in FIRST_PARTY and top != "__future__":
                        found.setdefault(top, str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize(
    ("folders", "pyproject"),
    [([ROOT / p for p in PRODUCT], ROOT / "pyproject.toml"), ([ROOT / "lab"], ROOT / "lab" / "pyproject.toml")],
    ids=["product", "lab"],
)
def test_every_imported_package_is_declared(folders: list[Path], pyproject: Path) -> None:
    providers = importlib.metadata.packages_distributions()
    deps = declared(pyproject)
    undeclared = {
        module: where
        for module, where in imported(folders).items()
        if not {_normalise(d) for d in providers.get(module, [])} & deps
    }
    assert not undeclared, f"imported but not declared in {pyproject.relative_to(ROOT)}: {undeclared}"
