"""Where things are, read from the environment when asked (never at import time)."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """Local state for the default set-up: the SQLite file, emulator mailboxes, digest previews."""
    return Path(os.environ.get("ROLLOUT_DATA_DIR", "var"))


def database_url() -> str:
    url = os.environ.get("ROLLOUT_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / 'rollout.db'}"


def config_path() -> Path:
    return Path(os.environ.get("ROLLOUT_CONFIG", "config/waves.toml"))
