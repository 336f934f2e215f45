"""`rollout db upgrade` and `rollout db current`."""

from __future__ import annotations

import typer

from rollout.cli.common import console
from rollout.db.migrate import current_revision, head_revision, upgrade
from rollout.db.session import make_engine

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd() -> None:
    """Apply every pending migration to the database at $ROLLOUT_DATABASE_URL (default: var/rollout.db)."""
    engine = make_engine()
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
    engine = make_engine()
    console.print(f"current: {current_revision(engine) or 'empty'}\nhead: {head_revision(engine)}")
