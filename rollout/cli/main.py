"""Entry point: `rollout [--debug] COMMAND`. Errors and exit statuses: rollout.cli.boundary."""

from __future__ import annotations

from rollout.cli import prefect_defaults

prefect_defaults.apply()  # first: the commands and plugins below may import Prefect, which reads settings once

import os  # noqa: E402
from importlib.metadata import entry_points  # noqa: E402
from typing import Annotated  # noqa: E402

import typer  # noqa: E402

from rollout.cli import (  # noqa: E402
    actions_cmd,
    attendance_cmd,
    boundary,
    checkin_cmd,
    db_cmd,
    deliver_cmd,
    digest_cmd,
    escalations_cmd,
    hubs_cmd,
    init_cmd,
    launch_cmd,
    partners_cmd,
    plan_cmd,
    reconcile_cmd,
    serve_cmd,
    status_cmd,
)
from rollout.cli.common import command_scope  # noqa: E402
from rollout.cli.help_text import command_for_people  # noqa: E402

cli = typer.Typer(
    name="rollout",
    help="Run the Digital Health Hubs rollout: plan waves, invite partners, keep hubs moving.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@cli.callback()
def _global_options(
    debug: Annotated[
        bool, typer.Option("--debug", help="On an error, show the full traceback (and Prefect's run logs) too.")
    ] = False,
) -> None:
    if debug:
        os.environ[boundary.DEBUG_ENV] = "1"


cli.command("init")(init_cmd.init)
cli.command("validate")(plan_cmd.validate)
cli.command("plan")(plan_cmd.plan)
cli.command("status")(status_cmd.status)
cli.command("launch")(launch_cmd.launch)
cli.command("approve")(launch_cmd.approve)
cli.command("reconcile")(reconcile_cmd.reconcile)
cli.command("digest")(digest_cmd.digest)
cli.command("deliver")(deliver_cmd.deliver)
cli.command("serve")(serve_cmd.serve)
cli.command("deploy")(serve_cmd.deploy)
cli.add_typer(partners_cmd.app, name="partners", help="Import and list partner organisations and contacts.")
cli.add_typer(db_cmd.app, name="db", help="The application database.")
cli.add_typer(hubs_cmd.app, name="hubs", help="Hubs: where each stands, and recording progress.")
cli.add_typer(actions_cmd.app, name="actions", help="Follow-up actions: list them, record them done.")
cli.add_typer(escalations_cmd.app, name="escalations", help="Escalations of stalled hubs: list, acknowledge, snooze.")
cli.add_typer(checkin_cmd.app, name="checkin", help="Partners' check-in page and links.")
cli.add_typer(attendance_cmd.app, name="attendance", help="Who came to each workshop: import, mark, list, QR code.")

# Commands other installed packages add (the lab's demo, simulate and emulator): rollout never imports them itself.
for _plugin in entry_points(group="rollout.commands"):
    _plugin.load()(cli)


def app() -> None:
    # One line per problem and an exit status; never a traceback unless --debug.
    boundary.run(_command)


def _command() -> None:
    with command_scope():  # the services the command builds are closed when it ends
        command_for_people(cli)(prog_name="rollout")


if __name__ == "__main__":
    app()
