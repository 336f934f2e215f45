"""Set up .venv with the locked dependencies and this project. Needs only Python 3.11 and pip.

    python3.11 bootstrap.py

Installs requirements-dev.lock (the product's locked dependencies plus the dev tools and the lab's dependencies, every
file checked against its hash), then this checkout and lab/ as editable installs. Re-running is fast: nothing is
installed again unless a lock or a pyproject.toml changed. Re-lock with `python3.11 scripts/lock.py`.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".rollout-installed"
LOCK = "requirements-dev.lock"


def main() -> int:
    if sys.version_info[:2] != (3, 11):
        print(f"bootstrap: rollout needs Python 3.11, this is {sys.version.split()[0]}", file=sys.stderr)
        return 2
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"bootstrap: creating {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(
        b"".join((ROOT / name).read_bytes() for name in (LOCK, "pyproject.toml", "lab/pyproject.toml"))
    ).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return 0
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    print(f"bootstrap: installing locked dependencies ({LOCK})")
    subprocess.run([*pip, "--require-hashes", "--requirement", str(ROOT / LOCK)], check=True)
    # A separate call: --require-hashes cannot check a local project. No build isolation: the locked setuptools
    # builds it, so this step needs no download.
    editables = ["--editable", str(ROOT), "--editable", str(ROOT / "lab")]
    subprocess.run([*pip, "--no-deps", "--no-build-isolation", *editables], check=True)
    STAMP.write_text(digest)
    print("bootstrap: ready: .venv/bin/rollout --help")
    return 0


if __name__ == "__main__":
    sys.exit(main())
