"""The product as production installs it: a non-editable wheel in a fresh virtualenv.

pyproject.toml lists the packages explicitly (templates/ ships as rollout.templates), so one test compares the wheel
with the source tree; the other installs the wheel beside exactly the distributions of requirements.lock (linked from
this environment rather than downloaded again) and runs `rollout validate` and `rollout plan` from an empty directory.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "waves.toml"
PRODUCT = ("rollout", "flows", "tasks", "deployments")  # the top-level packages of the product distribution
LAB = ("graph_emulator", "rollout_lab")
BUILD_INPUTS = ("pyproject.toml", "README.md", "templates", *PRODUCT)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy of the checkout (setuptools writes build/ and *.egg-info beside the sources), with the
    locked setuptools of this environment: no download."""
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(origin, source / name)
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(out)]
    subprocess.run([*command, str(source)], check=True, timeout=300)
    (built,) = out.glob("digital_health_rollout-*.whl")
    return built


def source_packages() -> set[str]:
    packages = {"rollout.templates"}  # templates/, mapped by [tool.setuptools.package-dir]
    for top in PRODUCT:
        for init in (ROOT / top).rglob("__init__.py"):
            if "__pycache__" not in init.parts:
                packages.add(".".join(init.parent.relative_to(ROOT).parts))
    return packages


def test_the_wheel_holds_every_package_and_template_and_nothing_of_the_lab(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    in_wheel = {".".join(Path(name).parent.parts) for name in names if name.endswith("/__init__.py")}
    assert in_wheel == source_packages()

    templates = {
        f"rollout/templates/{path.relative_to(ROOT / 'templates').as_posix()}"
        for path in (ROOT / "templates").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert templates <= set(names), sorted(templates - set(names))
    data = {"rollout/py.typed", "rollout/contracts/graph-v1-subset.schema.json", "rollout/db/migrations/script.py.mako"}
    assert data <= set(names), sorted(data - set(names))
    assert not [name for name in names if name.split("/")[0] in (*LAB, "tests", "bench", "config")]


def _runtime_distributions() -> list[str]:
    lock = (ROOT / "requirements.lock").read_text()
    return sorted({m[1] for m in re.finditer(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==", lock, re.MULTILINE)})


def _link_runtime_distributions(site_packages: Path) -> None:
    """Each distribution of requirements.lock, as installed here, linked into the new environment: its files' top
    level entries (packages, modules, .dist-info). Nothing else of this environment is visible there."""
    for name in _runtime_distributions():
        distribution = importlib.metadata.distribution(name)
        base = Path(str(distribution.locate_file("")))
        tops = {Path(str(f)).parts[0] for f in distribution.files or ()} - {".."}
        for top in tops:
            link = site_packages / top
            if not link.exists() and (base / top).exists():
                link.symlink_to(base / top)


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh virtualenv holding the wheel and requirements.lock's distributions; returns its bin/."""
    environment = tmp_path_factory.mktemp("fresh") / "venv"
    venv.EnvBuilder(with_pip=False).create(environment)
    (site_packages,) = environment.glob("lib/python3.*/site-packages")
    _link_runtime_distributions(site_packages)
    python = environment / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet"]
    subprocess.run([*pip, str(wheel)], check=True, timeout=300)
    yield environment / "bin"


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROLLOUT_", "PYTHON"))}
    env |= {"ROLLOUT_DATA_DIR": str(cwd / "var"), "PREFECT_HOME": str(cwd / "prefect"), "HOME": str(cwd)}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_the_installed_wheel_validates_and_plans_from_any_directory(installed: Path, tmp_path: Path) -> None:
    rollout = str(installed / "rollout")

    validated = _run([rollout, "validate", "--config", str(CONFIG)], tmp_path)
    assert validated.returncode == 0, validated.stderr
    assert "valid" in validated.stdout

    planned = _run([rollout, "plan", "wave-1", "--config", str(CONFIG), "--format", "json"], tmp_path)
    assert planned.returncode == 0, planned.stderr
    assert '"number": 1' in planned.stdout

    usage = _run([rollout, "--help"], tmp_path)
    assert usage.returncode == 0, usage.stderr
    for lab_command in ("demo", "simulate", "emulator"):
        assert f" {lab_command} " not in usage.stdout


RENDER = """
import sys
from pathlib import Path
import rollout
from rollout.config import load_programme
from rollout.planning.invitations import workshop_event
from rollout.planning.wave_plan import plan_wave
from rollout.templates import __file__ as templates
programme = load_programme(Path(sys.argv[1]))
wave = programme.wave("wave-1")
event = workshop_event(plan_wave(wave, programme, [])[0], wave, programme)
print(rollout.__file__, templates, event.subject, event.body_html, sep="\\n")
for lab in ("graph_emulator", "rollout_lab"):
    try:
        __import__(lab)
    except ModuleNotFoundError:
        print("absent:", lab)
"""


@pytest.mark.slow
def test_the_installed_wheel_renders_its_own_templates(installed: Path, tmp_path: Path) -> None:
    result = _run([str(installed / "python"), "-c", RENDER, str(CONFIG)], tmp_path)

    assert result.returncode == 0, result.stderr
    package, templates, subject, *body = result.stdout.splitlines()
    site = str(installed.parent / "lib")
    assert package.startswith(site) and templates.startswith(site)  # the installed copy, not the checkout
    assert subject and "<" in "".join(body)
    assert "absent: graph_emulator" in result.stdout and "absent: rollout_lab" in result.stdout
