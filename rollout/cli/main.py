"""Entry point: `rollout [--debug] COMMAND`. Errors and exit statuses: rollout.cli.boundary."""

from __future__ import annotations

from rollout.cli import prefect_defaults

prefect_defaults.apply()  # first: the commands and plugins below may import Prefect, which reads settings once

import atexit  # noqa: E402
import gc  # noqa: E402
import os  # noqa: E402
from contextvars import ContextVar  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from importlib import import_module  # noqa: E402
from typing import Annotated, Any  # noqa: E402

import typer  # noqa: E402
from typer.core import TyperGroup  # noqa: E402

from rollout.cli import boundary  # noqa: E402
from rollout.cli.help_text import command_for_people, for_people  # noqa: E402

# The commands, in the order `rollout --help` lists them: (name, module in rollout.cli, function). Each module is
# imported only when its command is looked up, so `rollout status` loads neither launch's nor partners' code.
COMMANDS = (
    ("init", "init_cmd", "init"),
    ("validate", "plan_cmd", "validate"),
    ("plan", "plan_cmd", "plan"),
    ("status", "status_cmd", "status"),
    ("launch", "launch_cmd", "launch"),
    ("approve", "launch_cmd", "approve"),
    ("reconcile", "reconcile_cmd", "reconcile"),
    ("digest", "digest_cmd", "digest"),
    ("deliver", "deliver_cmd", "deliver"),
    ("serve", "serve_cmd", "serve"),
    ("deploy", "serve_cmd", "deploy"),
)
# The groups of commands, listed after the commands (as Typer lists sub-apps): (name, module with `app`, help).
GROUPS = (
    ("partners", "partners_cmd", "Import and list partner organisations and contacts."),
    ("db", "db_cmd", "The application database."),
    ("hubs", "hubs_cmd", "Hubs: where each stands, and recording progress."),
    ("actions", "actions_cmd", "Follow-up actions: list them, record them done."),
    ("escalations", "escalations_cmd", "Escalations of stalled hubs: list, acknowledge, snooze."),
    ("checkin", "checkin_cmd", "Partners' check-in page and links."),
    ("attendance", "attendance_cmd", "Who came to each workshop: import, mark, list, QR code."),
)
PLUGINS = "rollout.commands"  # the entry point group other installed packages add commands through


class RolloutCommands(TyperGroup):
    """The root group, loading lazily what it would otherwise build up front: a built-in command when it is looked
    up; the plugins' commands (the lab's demo, simulate and emulator) when a name is not a built-in one, or when
    every command is listed (`rollout --help`, a typo's suggestions). What it lists and runs is what a group built
    with every command registered lists and runs."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._plugin_commands: list[str] = []
        self._plugin_groups: list[str] = []
        self._plugins_loaded = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands:
            if cmd_name in _BUILT_IN:
                self.commands[cmd_name] = for_people(_built_in(cmd_name))
            else:
                self._load_all()
        return self.commands.get(cmd_name)

    def list_commands(self, ctx: Any) -> list[str]:
        self._load_all()
        return list(self.commands)

    def _load_all(self) -> None:
        """Every command, in the order a Typer app with all of them registered has them: the built-in commands,
        the plugins' commands, the built-in groups, the plugins' groups."""
        if not self._plugins_loaded:
            self._plugins_loaded = True
            for name, command in _plugin_commands().items():
                self.commands.setdefault(name, for_people(command))
                names = self._plugin_groups if isinstance(command, TyperGroup) else self._plugin_commands
                names.append(name)
        loaded = dict(self.commands)
        order = [*(c[0] for c in COMMANDS), *self._plugin_commands, *(g[0] for g in GROUPS), *self._plugin_groups]
        self.commands.clear()
        for name in order:
            self.commands[name] = loaded[name] if name in loaded else for_people(_built_in(name))


_BUILT_IN = {c[0] for c in COMMANDS} | {g[0] for g in GROUPS}

cli = typer.Typer(
    name="rollout",
    help="Run the Digital Health Hubs rollout: plan waves, invite partners, keep hubs moving.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=RolloutCommands,
)


@cli.callback()
def _global_options(
    debug: Annotated[
        bool, typer.Option("--debug", help="On an error, show the full traceback (and Prefect's run logs) too.")
    ] = False,
) -> None:
    if debug:
        os.environ[boundary.DEBUG_ENV] = "1"
    _startup_done()


def _built_in(name: str) -> Any:
    """The click command (or group) for a built-in command, importing its module now."""
    holder = typer.Typer(add_completion=False)  # a Typer app built as `cli` would build this one command
    for command, module, function in COMMANDS:
        if command == name:
            holder.command(name)(getattr(import_module(f"rollout.cli.{module}"), function))
            return typer.main.get_command(holder)
    for group, module, help_text in GROUPS:
        if group == name:
            holder.add_typer(import_module(f"rollout.cli.{module}").app, name=name, help=help_text)
            return typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]
    raise KeyError(name)


def _plugin_commands() -> dict[str, Any]:
    """The commands other installed packages add (`rollout.commands` entry points, each called with a Typer app to
    register on): rollout never imports them itself, and reads the entry points only when they may be wanted."""
    from importlib.metadata import entry_points

    holder = typer.Typer(add_completion=False)
    for plugin in entry_points(group=PLUGINS):
        plugin.load()(holder)
    if not holder.registered_commands and not holder.registered_groups:
        return {}
    holder.callback()(_no_options)  # always a group, even for one command
    return dict(typer.main.get_command(holder).commands)  # type: ignore[attr-defined]


def _no_options() -> None:
    return None


def app() -> None:
    # One line per problem and an exit status; never a traceback unless --debug.
    # Python's last collection, as the process exits, goes through every object the command left (about 0.2 s
    # after a read-only command, measured): the command has closed what it opened, so they are frozen instead.
    atexit.unregister(gc.freeze)  # once, however often `app` runs in one process (the tests)
    atexit.register(gc.freeze)
    pause = _Pause(collecting=gc.isenabled())
    token = _pause.set(pause)
    if pause.collecting:
        gc.disable()  # while rollout starts: until `_startup_done`
    try:
        boundary.run(_command)
    finally:
        _pause.reset(token)
        if pause.frozen:
            gc.unfreeze()
        if pause.collecting:
            gc.enable()


@dataclass
class _Pause:
    collecting: bool  # the garbage collector was on when `app` started
    frozen: bool = False


_pause: ContextVar[_Pause | None] = ContextVar("rollout_gc_pause", default=None)


def _startup_done() -> None:
    """Called once the command to run is imported, just before it runs. Python's garbage collector, left on while
    rollout starts, goes through the objects the imports made again and again as they pile up (about 0.15 s of a
    read-only command's 0.8 s, measured). They live as long as the process anyway: they are frozen (never looked at
    again), and from here on the collector works only on what the command makes."""
    pause = _pause.get()
    if pause is None or not pause.collecting or pause.frozen:
        return
    gc.freeze()
    pause.frozen = True
    gc.enable()


def _command() -> None:
    from rollout.cli.common import command_scope  # after `app` has paused the garbage collector (as every import)

    with command_scope():  # the services the command builds are closed when it ends
        command_for_people(cli)(prog_name="rollout")


if __name__ == "__main__":
    app()
