"""The lab's commands, added to `rollout` through the `rollout.commands` entry point (rollout never imports the lab)."""

from __future__ import annotations

import typer

from rollout_lab.demo_cmd import demo
from rollout_lab.emulator_cmd import emulator
from rollout_lab.simulate_cmd import simulate_cmd


def register(cli: typer.Typer) -> None:
    cli.command("demo")(demo)
    cli.command("simulate")(simulate_cmd)
    cli.command("emulator")(emulator)
