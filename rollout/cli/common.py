"""What every command shares: the --config option, the database, output for people and for machines."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from rollout.config import Programme, load_programme
from rollout.errors import InputError, NotFoundError
from rollout.limits import MAX_ROW_ID, NAME_LENGTH, NOTE_LENGTH, text_problem
from rollout.planning.as_of import parse_as_of
from rollout.settings import Settings
from rollout.suggest import did_you_mean

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from rollout.services import Services

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Programme file (default: $ROLLOUT_CONFIG or config/waves.toml)."),
]

console = Console()
err_console = Console(stderr=True)


def programme(config: Path | None) -> Programme:
    """The programme file alone, for commands that need no database (plan validate, serve)."""
    return load_programme(Settings.from_env(config_path=config).config_path)


# The services of the command being run: `command_scope` (entered once per `rollout` invocation, by rollout.cli.main)
# holds them and closes them when the command ends.
_scope: ContextVar[_Scope | None] = ContextVar("rollout_command_scope", default=None)


class _Scope:
    def __init__(self, stack: ExitStack) -> None:
        self.stack = stack
        self.built: dict[tuple[str, str], Services] = {}


@contextmanager
def command_scope() -> Iterator[None]:
    """One command's lifetime: the services it builds are closed when it ends, however it ends."""
    with ExitStack() as stack:
        token = _scope.set(_Scope(stack))
        try:
            yield
        finally:
            _scope.reset(token)


def services(config: Path | None) -> Services:
    """The command's services (settings, programme, sessions, gateway, clock, renderer): built once per command
    invocation from the environment and --config, closed when the command ends. Asking again in the same command
    returns the same ones. Building them reads the programme file but does not touch the database (`database`)."""
    from rollout.services import build_services  # the gateway inside is lazy: O365/msal load only where mail is sent

    scope = _scope.get()
    if scope is None:
        raise RuntimeError("rollout.cli.common.services() is for commands: run it inside command_scope()")
    settings = Settings.from_env(config_path=config)
    key = (str(settings.config_path), settings.database_url)  # a command calling another (the demo) may differ
    run = scope.built.get(key)
    if run is None:
        run = scope.built[key] = build_services(settings)
        scope.stack.callback(run.close)
    return run


def engine_of(run: Services) -> Engine:
    """The database engine behind the command's sessions."""
    from sqlalchemy import Engine  # SQLAlchemy: only for commands with a database (not `rollout validate`)

    bind = run.sessions.kw["bind"]
    assert isinstance(bind, Engine), bind
    return bind


def database(run: Services) -> sessionmaker[Session]:
    """The command's database, created on first use; a database behind the code must be upgraded on purpose."""
    from sqlalchemy import inspect

    from rollout.db.migrate import current_revision, head_revision, upgrade  # Alembic: only for commands with a DB

    engine = engine_of(run)
    if not inspect(engine).get_table_names():
        upgrade(engine)
    elif current_revision(engine) != head_revision(engine):
        raise InputError(
            engine.url.render_as_string(hide_password=True),
            [
                f"schema is at revision {current_revision(engine)}, this version needs {head_revision(engine)}: "
                "run `rollout db upgrade`"
            ],
        )
    return run.sessions


ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Who is recording this (stored with the change; default: $USER)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON for machines.")]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="As the programme stood on this date (YYYY-MM-DD: that day at runs.reconcile_time) or date and time "
        "(default: now).",
    ),
]


def as_of_moment(text: str | None, loaded: Programme) -> dt.datetime:
    """A command's clock: --as-of, read as `rollout reconcile --as-of` reads it, else now."""
    if text is None:
        from rollout.db.types import utcnow

        return utcnow()
    return parse_as_of(text, loaded.programme.timezone, loaded.runs.reconcile_time)


def who(by: str | None) -> str:
    """The person recording a change: --by, else the login name. Nobody to name is an error, not a guess."""
    name = (by or os.environ.get("USER") or os.environ.get("USERNAME") or "").strip()
    if not name:
        raise InputError("--by", ["say who is recording this: --by NAME ($USER is not set)"])
    problem = text_problem(name, NAME_LENGTH)
    if problem:
        raise InputError("--by", [f"the name {problem}"])
    return name


def note_text(note: str | None) -> str | None:
    """A --note as stored: several lines are fine, control characters and novels are not."""
    if note is None:
        return None
    problem = text_problem(note, NOTE_LENGTH, multi_line=True)
    if problem:
        raise InputError("--note", [f"the note {problem}"])
    return note


def record_id(text: str, what: str) -> int:
    """A row id typed on the command line."""
    cleaned = text.strip().lstrip("#")
    if not cleaned.isascii() or not cleaned.isdigit():  # isascii: "²" and "٣" are digits to str.isdigit
        raise NotFoundError(what, [f"{text!r} is not an id (a whole number, as the list commands show)"])
    if len(cleaned) > len(str(MAX_ROW_ID)) or int(cleaned) > MAX_ROW_ID:
        raise NotFoundError(what, [f"no {what.lower()} with id {cleaned} (ids go up to {MAX_ROW_ID})"])
    return int(cleaned)


def check_lcp(loaded: Programme, lcp: str | None, option: str = "--lcp") -> None:
    """An LCP id typed on the command line: unknown ids get the nearest known ones suggested."""
    known = [item.id for item in loaded.lcps]
    if lcp is not None and lcp not in known:
        raise NotFoundError(option, [f"unknown LCP {lcp!r}{did_you_mean(lcp, known)} (known: {', '.join(known)})"])


def check_wave(loaded: Programme, wave: str, option: str = "wave") -> None:
    """A wave id typed on the command line (the programme's own lookup suggests near misses)."""
    try:
        loaded.wave(wave)
    except KeyError as exc:
        raise NotFoundError(option, [str(exc.args[0])]) from None


def new_table(title: str, *columns: str, right: tuple[str, ...] = ()) -> Table:
    """A table whose long cells (addresses, names) wrap onto more lines, never cut short with '…', however narrow
    the terminal; `right` names the columns aligned right (ids, counts)."""
    shown = Table(title=title)
    for column in columns:
        shown.add_column(column, justify="right" if column in right else "left", overflow="fold")
    return shown


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 person', '180 people', '6 workshops'."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def microsoft_365_ready(loaded: Programme) -> None:
    """Before a command queues anything to send: the ROLLOUT_* settings are complete (else InputError, exit 2), the
    app gets a token and reaches the organiser mailbox (else SystemicError, exit 5). The flow checks again, at no
    cost beyond one request."""
    from rollout.m365.settings import GatewaySettingsError
    from rollout.services import m365_gateway, provided_services
    from rollout.settings import Settings

    given = provided_services()
    try:
        ready = given.gateway if given is not None else m365_gateway(Settings.from_env(), loaded)
    except GatewaySettingsError as exc:  # one line, whatever is missing
        problems = "; ".join(exc.problems)
        raise InputError("environment", [f"{problems} (docs/microsoft365.md); nothing was queued or sent"]) from None
    try:
        ready.check_access()
    finally:
        if given is None:
            ready.close()
