"""`rollout emulator`: a local Microsoft Graph for the demo and for trying the flows without a tenant."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rollout import settings
from rollout.cli.common import ConfigOption, programme


def emulator(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0 picks a free one).")] = 8443,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Where delivered mail is written (default: $ROLLOUT_DATA_DIR/emulator)."),
    ] = None,
    pace: Annotated[int, typer.Option("--pace", help="Messages per minute the organiser mailbox may send.")] = 30,
    token_lifetime: Annotated[int, typer.Option("--token-lifetime", help="Access-token lifetime in seconds.")] = 3600,
    config: ConfigOption = None,
) -> None:
    """Serve a Graph + Entra ID emulator over HTTPS and print the ROLLOUT_* settings that point rollout at it."""
    from graph_emulator import EmulatorConfig, serve_forever
    from graph_emulator.cli import DEMO_APP

    organiser = programme(config).programme.organiser_mailbox
    tenant, client, secret, _ = DEMO_APP
    serve_forever(
        EmulatorConfig(
            port=port,
            data_dir=data_dir or settings.data_dir() / "emulator",
            send_pace_per_minute=pace,
            token_lifetime_s=token_lifetime,
        ),
        app=(tenant, client, secret, [organiser]),
    )
