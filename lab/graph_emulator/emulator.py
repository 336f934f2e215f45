"""GraphEmulator: start/stop the server and drive or inspect it from Python (tests, the demo)."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from graph_emulator import events_api, meetings_api
from graph_emulator import state as state_module
from graph_emulator.admin import stats
from graph_emulator.config import EmulatorConfig
from graph_emulator.delivery import MailboxItem
from graph_emulator.faults import Faults
from graph_emulator.http_server import EmulatorHTTPServer
from graph_emulator.limits import ConcurrencyLimit
from graph_emulator.pipeline import Pipeline
from graph_emulator.requestlog import RequestRecord
from graph_emulator.state import App, State
from graph_emulator.tls import make_certificate, server_context


class GraphEmulator:
    """A loopback Microsoft Graph + Entra ID. Nothing listens until start()."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self._state = State(self.config)
        self.faults = Faults(self.config.seed)
        self._concurrency = ConcurrencyLimit(self.config.max_concurrency)
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._cert_dir: Path | None = None
        self.ca_bundle: Path | None = None

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> GraphEmulator:
        if self._server is not None:
            return self
        context = None
        if self.config.tls:
            if self.config.data_dir is not None:
                cert_dir = self.config.data_dir / "tls"
            else:
                self._cert_dir = cert_dir = Path(tempfile.mkdtemp(prefix="rollout-emulator-"))
            cert, key = make_certificate(cert_dir)
            context = server_context(cert, key)
            self.ca_bundle = cert
        with self._state.lock:
            # Items on disk from an earlier run would mix with this run's numbering and index.
            self._state.received.clear()
        pipeline = Pipeline(self._state, self.faults, self._concurrency)
        self._server = EmulatorHTTPServer(
            (self.config.host, self.config.port), pipeline, context, self.config.idle_timeout_s
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="graph-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self.flush_mailbox_index()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._cert_dir is not None:
            shutil.rmtree(self._cert_dir, ignore_errors=True)
            self._cert_dir = None
            self.ca_bundle = None

    def __enter__(self) -> GraphEmulator:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # -- where it is ------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._server.base_url

    @property
    def login_url(self) -> str:
        """Entra ID's authority host: msal's authority is f"{login_url}/{tenant_id}"."""
        return self.base_url

    @property
    def graph_url(self) -> str:
        return f"{self.base_url}/v1.0"

    # -- set-up and control -----------------------------------------------------------------------------
    def register_app(
        self, tenant_id: str, client_id: str, client_secret: str, mailboxes: list[str] | tuple[str, ...]
    ) -> None:
        """An app with a client secret, allowed (like RBAC for Applications) only on `mailboxes`."""
        with self._state.lock:
            self._state.apps[client_id] = App(
                tenant_id, client_id, client_secret, frozenset(m.lower() for m in mailboxes)
            )

    def rotate_client_secret(self, client_id: str, new_secret: str, *, revoke_tokens: bool = True) -> None:
        """An admin replaces the app's secret: the old one is refused (AADSTS7000215) from now on. With
        `revoke_tokens`, tokens issued so far stop working at once (what a client meets when its token runs out)."""
        with self._state.lock:
            self._state.change_app(client_id, client_secret=new_secret, revoke_tokens=revoke_tokens)

    def expire_client_secret(self, client_id: str, *, revoke_tokens: bool = True) -> None:
        """The app's secret reaches its end date: token requests with it are refused (AADSTS7000222) until
        rotate_client_secret() gives the app a new one."""
        with self._state.lock:
            self._state.change_app(client_id, secret_expired=True, revoke_tokens=revoke_tokens)

    def set_app_mailboxes(self, client_id: str, mailboxes: list[str] | tuple[str, ...]) -> None:
        """Change the mailboxes the app may act on (RBAC for Applications' scope); others answer 403."""
        with self._state.lock:
            self._state.change_app(client_id, mailboxes=mailboxes)

    def set_response(
        self, mailbox: str, event_id: str, attendee_email: str, response: str, at: dt.datetime | None = None
    ) -> None:
        """An attendee answers: accepted, tentativelyAccepted, declined or none (at `at`, default the clock)."""
        events_api.set_response(self._state, mailbox.lower(), event_id, attendee_email, response, at)

    def set_attendance(self, mailbox: str, event_id: str, sessions: list[list[dict[str, Any]]]) -> None:
        """Who came to an online event's Teams meeting: one list of {name, email (None: no address), seconds} per
        time the meeting ran (a second list: people rejoined after it ended, so Graph shows two reports)."""
        meetings_api.set_attendance(self._state, mailbox.lower(), event_id, sessions)

    def set_clock(self, clock: Callable[[], dt.datetime] | None) -> None:
        """When recipients receive items and attendees answer (None: real time). A simulation sets its own
        clock so mailboxes read like the simulated weeks; tokens, pacing and throttling stay on real time."""
        with self._state.lock:
            self._state.clock = clock or state_module.real_time

    def expire_tokens(self) -> None:
        """Every token issued so far is refused from now on (401 InvalidAuthenticationToken)."""
        with self._state.lock:
            self._state.expire_tokens()

    @property
    def token_lifetime_s(self) -> float:
        return self.config.token_lifetime_s

    @token_lifetime_s.setter
    def token_lifetime_s(self, seconds: float) -> None:
        with self._state.lock:
            self.config.token_lifetime_s = seconds  # applies to tokens issued from now on

    def reset(self) -> None:
        """Forget events, mail, deliveries, pacing, the request log and faults; apps stay registered."""
        self.faults.clear()
        with self._state.lock:
            self._state.reset()

    # -- inspection (snapshots) --------------------------------------------------------------------------
    def events(self, mailbox: str) -> list[dict[str, Any]]:
        with self._state.lock:
            return [e.to_json("UTC") for e in self._state.store(mailbox).events.values()]

    def mailbox(self, email: str) -> list[MailboxItem]:
        with self._state.lock:
            return self._state.received.of(email)

    def mailboxes(self) -> dict[str, list[MailboxItem]]:
        with self._state.lock:
            return self._state.received.all()

    @property
    def requests(self) -> list[RequestRecord]:
        with self._state.lock:
            return list(self._state.log)

    def stats(self) -> dict[str, Any]:
        return stats(self._state, self.faults)

    def flush_mailbox_index(self) -> None:
        """Write data_dir/mailboxes/index.json now (needed only with index_each_item=False; stop() does it too)."""
        with self._state.lock:
            self._state.received.flush()

    @property
    def mailbox_dir(self) -> Path | None:
        """Where delivered items are written as .eml files (None without data_dir)."""
        return self._state.received.directory
