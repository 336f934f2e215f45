"""`rollout db upgrade` and `rollout db current`: the database alone, so they work whatever state the programme file
is in (services() would read and check it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy import Engine

from rollout.cli.common import console
from rollout.db.migrate import current_revision, head_revision, upgrade
from rollout.db.session import make_engine
from rollout.settings import Settings

app = typer.Typer(no_args_is_help=True)


@contextmanager
def settings_engine() -> Iterator[Engine]:
    """An engine on the database the settings name (ROLLOUT_DATABASE_URL, default var/rollout.db), disposed of after."""
    engine = make_engine(Settings.from_env().database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@app.command("upgrade")
def upgrade_cmd() -> None:
    """Apply every pending migration to the database at $ROLLOUT_DATABASE_URL (default: var/rollout.db)."""
    with settings_engine() as engine:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
        where = engine.url.render_as_string(hide_password=True)
    if before == after:
        console.print(f"{where}: already at {after}")
    else:
        console.print(f"{where}: upgraded {before or 'empty'} -> {after}")


@app.command("current")
def current_cmd() -> None:
    """Show the database's schema revision and the one this version needs."""
    with settings_engine() as engine:
        console.print(f"current: {current_revision(engine) or 'empty'}\nhead: {head_revision(engine)}")
