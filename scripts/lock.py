"""Re-lock the dependencies (the one command; docs/development.md):

    python3.11 scripts/lock.py                          # keep every locked version, add what is new
    python3.11 scripts/lock.py --upgrade-package NAME   # move NAME (and only what it needs) to its newest version

Writes two hashed locks with `uv pip compile --generate-hashes` (uv comes with the dev set; run bootstrap first):
- requirements.lock: the product's dependencies (pyproject.toml [project.dependencies]); what production installs;
- requirements-dev.lock: the same versions plus the `dev` extra and the lab's dependencies (lab/pyproject.toml);
  what bootstrap.py and CI install.
Both resolve for CPython 3.11.5+ on x86_64 Linux from PyPI. A version already in a lock is kept unless upgraded by
name: prefect 3.8.8, fastapi 0.149.0 and SQLAlchemy 2.0.x are pinned on purpose (see the ranges in pyproject.toml).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_LOCK = "requirements.lock"
DEV_LOCK = "requirements-dev.lock"
LAB_INPUT = "lab/.dependencies.in"  # written from lab/pyproject.toml for the run, then removed
COMMAND = "python3.11 scripts/lock.py"
PYTHON = "3.11.5"  # the oldest 3.11 the locked versions support (soupsieve 4.1 needs 3.11.5)


def _uv() -> str:
    for candidate in (ROOT / ".venv" / "bin" / "uv", shutil.which("uv")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    sys.exit("lock: uv not found: run `python3.11 bootstrap.py` first (uv is in the dev set)")


def _lab_requirements() -> list[str]:
    """The lab's own dependencies, less the product (which is this checkout, not a registry package)."""
    lab = tomllib.loads((ROOT / "lab" / "pyproject.toml").read_text())
    product = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    return [req for req in lab["project"]["dependencies"] if not req.startswith(product)]


def _compile(uv: str, sources: list[str], output: str, extra: list[str]) -> None:
    command = [uv, "pip", "compile", *sources, "--output-file", output, "--generate-hashes", "--no-strip-extras"]
    command += ["--python-version", PYTHON, "--python-platform", "x86_64-unknown-linux-gnu"]
    command += ["--index-url", "https://pypi.org/simple", "--custom-compile-command", COMMAND, "--quiet", *extra]
    subprocess.run(command, cwd=ROOT, check=True)
    _pin_without_extras_too(ROOT / output)


def _pin_without_extras_too(lock: Path) -> None:
    """After each `name[extra]==version` block, the same block as `name==version`.

    pip's --require-hashes wants every requirement it meets pinned as written: prefect asks for sqlalchemy[asyncio]
    and alembic for plain SQLAlchemy, so the lock must pin both spellings (same version, same hashes)."""
    out: list[str] = []
    block: list[str] = []

    def flush() -> None:
        out.extend(block)
        head = block[0] if block else ""
        if re.match(r"^[A-Za-z0-9._-]+\[[^\]]+\]==", head):
            hashes = [line for line in block[1:] if line.lstrip().startswith("--hash=")]
            out.append(re.sub(r"\[[^\]]+\]", "", head, count=1))
            out.extend(hashes)
            out.append("    # via the line above (the same pin without extras, for pip's hash-checking mode)")
        block.clear()

    for line in lock.read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            flush()
        block.append(line)
    flush()
    lock.write_text("\n".join(out) + "\n")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description="Re-lock requirements.lock and requirements-dev.lock.")
    parser.add_argument("--upgrade-package", action="append", default=[], metavar="NAME", help="upgrade NAME")
    extra = [flag for name in parser.parse_args(argv).upgrade_package for flag in ("--upgrade-package", name)]
    uv = _uv()
    _compile(uv, ["pyproject.toml"], RUNTIME_LOCK, extra)
    lab_input = ROOT / LAB_INPUT
    lab_input.write_text("# from lab/pyproject.toml by scripts/lock.py\n" + "\n".join(_lab_requirements()) + "\n")
    try:
        # The runtime lock constrains the dev set, so both install the same version of every shared package.
        _compile(uv, ["pyproject.toml", LAB_INPUT], DEV_LOCK, [*extra, "--extra", "dev", "--constraint", RUNTIME_LOCK])
    finally:
        lab_input.unlink()
    print(f"lock: wrote {RUNTIME_LOCK} and {DEV_LOCK}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
