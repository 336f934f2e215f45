"""Files holding partners' names and addresses are created 0600, in directories rollout creates 0700."""

from __future__ import annotations

import datetime as dt
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from graph_emulator.delivery import Delivery, Mailboxes
from rollout.db.session import make_engine
from rollout.files import write_private
from tests.conftest import CliResult


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_journal_are_private(tmp_path: Path) -> None:
    database = tmp_path / "fresh" / "state" / "rollout.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x TEXT)"))
        connection.execute(text("INSERT INTO t VALUES ('partner@example.org')"))
        wal = database.with_name("rollout.db-wal")
        assert wal.exists() and mode(wal) == 0o600
    engine.dispose()
    assert mode(database) == 0o600
    assert mode(database.parent) == 0o700 and mode(database.parent.parent) == 0o700


def test_a_digest_preview_is_private(
    tmp_path: Path, run_cli: Callable[..., CliResult], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    preview = tmp_path / "previews" / "week" / "digest.html"
    result = run_cli("digest", "--preview", str(preview), "--as-of", "2023-01-16")
    assert result.exit_code == 0, result.stderr
    assert mode(preview) == 0o600
    assert mode(preview.parent) == 0o700 and mode(preview.parent.parent) == 0o700


def test_rewriting_a_world_readable_file_makes_it_private(tmp_path: Path) -> None:
    path = tmp_path / "old.html"
    path.write_text("old")
    path.chmod(0o644)
    write_private(path, "new")
    assert (path.read_text(), mode(path)) == ("new", 0o600)


def test_the_emulators_mail_files_are_private(tmp_path: Path) -> None:
    boxes = Mailboxes(tmp_path / "emulator")
    delivery = Delivery("mail", "Hello", "organiser@example.org", "text", "<p>html</p>", "<id@example.org>")
    boxes.deliver("partner@example.org", delivery, ("partner@example.org",), (), dt.datetime.now(dt.UTC))
    files = [p for p in (tmp_path / "emulator").rglob("*") if p.is_file()]
    folders = [p for p in (tmp_path / "emulator").rglob("*") if p.is_dir()]
    assert files and all(mode(p) == 0o600 for p in files), [(p, oct(mode(p))) for p in files]
    assert all(mode(p) == 0o700 for p in [tmp_path / "emulator", *folders])
