"""serve_forever: what `rollout emulator --port N` runs in the foreground."""

from __future__ import annotations

import os
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from graph_emulator.config import EmulatorConfig
from graph_emulator.emulator import GraphEmulator

AppRegistration = tuple[str, str, str, Sequence[str]]  # tenant_id, client_id, client_secret, mailboxes

# Credentials that only ever exist inside this emulator; printing them is safe.
DEMO_APP: AppRegistration = (
    "rollout-demo-tenant",
    "rollout-demo-client",
    "emulator-only-secret",
    ("digital.health.hubs@example.org",),
)


def environment(emulator: GraphEmulator, app: AppRegistration) -> dict[str, str]:
    """The variables that point the gateway at this emulator."""
    tenant_id, client_id, client_secret, mailboxes = app
    env = {
        "ROLLOUT_LOGIN_URL": emulator.login_url,
        "ROLLOUT_GRAPH_URL": emulator.graph_url,
        "ROLLOUT_TENANT_ID": tenant_id,
        "ROLLOUT_CLIENT_ID": client_id,
        "ROLLOUT_CLIENT_SECRET": client_secret,
    }
    if emulator.ca_bundle is not None:
        env["ROLLOUT_CA_BUNDLE"] = str(emulator.ca_bundle)
    if mailboxes:
        env["ROLLOUT_ORGANISER"] = mailboxes[0]
    return env


def serve_forever(
    config: EmulatorConfig,
    app: AppRegistration = DEMO_APP,
    *,
    out: TextIO | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Run until Ctrl-C / SIGTERM (or `stop` is set), after printing how to point the gateway here."""
    stream = out or sys.stdout
    stop = stop or threading.Event()
    tenant_id, client_id, client_secret, mailboxes = app
    with GraphEmulator(config) as emulator:
        emulator.register_app(tenant_id, client_id, client_secret, list(mailboxes))
        lines = [
            f"Graph emulator listening on {emulator.base_url}",
            f"  Graph:   {emulator.graph_url}",
            f"  Entra:   {emulator.login_url}/{tenant_id}",
            f"  Admin:   {emulator.base_url}/_emulator/stats",
        ]
        if emulator.ca_bundle is not None:
            lines.append(f"  CA bundle (trust this, e.g. requests verify=): {emulator.ca_bundle}")
        if emulator.mailbox_dir is not None:
            lines.append(f"  Delivered mail is written to: {emulator.mailbox_dir}")
        else:
            lines.append(
                "  Delivered mail is kept in memory (GET /_emulator/mailboxes); set a data dir to keep .eml files"
            )
        lines.append(f"  App {client_id} may act on: {', '.join(mailboxes)}")
        lines.append("Point the gateway at it with:")
        lines += [f"export {k}={shlex.quote(v)}" for k, v in environment(emulator, app).items()]
        overriding = [k for k in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE") if os.environ.get(k)]
        if overriding and emulator.ca_bundle is not None:
            # requests lets these override a Session's verify= (msal sets only the Session's).
            lines.append(f"Note: {' and '.join(overriding)} is set; requests prefers it to a session's verify=.")
        print("\n".join(lines), file=stream, flush=True)
        _stop_on_signals(stop)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        print("Graph emulator stopped.", file=stream, flush=True)


def _stop_on_signals(stop: threading.Event) -> None:
    # Signal handlers can only be installed from the main thread; elsewhere (tests) `stop` is enough.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
