"""`--help` for people: options show a placeholder for their value (`--stage STAGE`), flags show nothing, and no
option shows a Python type (`<bool>`, `<str>`, `<path>`), which Typer prints by default."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer


def command_for_people(app: typer.Typer) -> Any:
    """The click command Typer builds for `app`, with a metavar set on every parameter that has none."""
    return for_people(typer.main.get_command(app))


def for_people(root: Any) -> Any:
    """`root` (a click command or group) and every command under it, with a metavar set on every parameter that has
    none. A group that loads its commands lazily (rollout.cli.main) calls this on each as it loads it."""
    for command in _walk(root):
        help_option = command.get_help_option(
            command.context_class(command, **(command.context_settings or {}))
        )  # made lazily by click: make it now
        for param in [*command.params, help_option]:
            if param is None:
                continue
            if param.param_type_name == "argument":
                # An argument's name is already its placeholder (HUB); Typer 0.29 always adds a type after it.
                param.display_type_rich = _no_type
                param.metavar = param.metavar or (param.name or "value").upper()
            elif param.metavar is None:
                param.metavar = "" if getattr(param, "is_flag", False) else (param.name or "value").upper()
    return root


def _walk(command: Any) -> Iterator[Any]:
    yield command
    for child in getattr(command, "commands", {}).values():
        yield from _walk(child)


def _no_type(ctx: Any) -> None:
    return None
