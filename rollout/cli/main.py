"""Entry point: `rollout COMMAND`. Bad input exits 2 with a message naming the file and the key or row."""

from __future__ import annotations

import sys

import typer

from rollout.cli import (
    db_cmd,
    deliver_cmd,
    demo_cmd,
    emulator_cmd,
    launch_cmd,
    partners_cmd,
    plan_cmd,
    serve_cmd,
    status_cmd,
)
from rollout.errors import InputError

cli = typer.Typer(
    name="rollout",
    help="Run the Digital Health Hubs rollout: plan waves, invite partners, keep hubs moving.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
cli.command("validate")(plan_cmd.validate)
cli.command("plan")(plan_cmd.plan)
cli.command("status")(status_cmd.status)
cli.command("demo")(demo_cmd.demo)
cli.command("launch")(launch_cmd.launch)
cli.command("approve")(launch_cmd.approve)
cli.command("deliver")(deliver_cmd.deliver)
cli.command("serve")(serve_cmd.serve)
cli.command("deploy")(serve_cmd.deploy)
cli.command("emulator")(emulator_cmd.emulator)
cli.add_typer(partners_cmd.app, name="partners", help="Import and list partner organisations and contacts.")
cli.add_typer(db_cmd.app, name="db", help="The application database.")


def app() -> None:
    try:
        cli()
    except InputError as exc:
        for line in exc.render().splitlines():
            print(f"error: {line}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    app()
