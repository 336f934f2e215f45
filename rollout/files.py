"""Files rollout writes hold partner names and addresses: created 0600, in directories it creates 0700.

Existing directories keep their mode (they are the operator's); files are created private from the first byte
(no window in which another user could open them), and a file rewritten in place is made private too.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """`path` and any missing parents, each created 0700."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:  # another process made it between the check and here
            continue
        os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask; make it exactly 0700
    return path


def create_private(path: Path) -> None:
    """An empty file at `path`, 0600, unless one is there already (e.g. before SQLite creates its database)."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def write_private(path: Path, content: str | bytes) -> None:
    """Write `content` to `path` (replacing it), readable by this user only."""
    private_dir(path.parent)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # an existing file keeps its old mode through O_CREAT
        with os.fdopen(fd, "wb", closefd=False) as handle:
            handle.write(data)
    finally:
        os.close(fd)
