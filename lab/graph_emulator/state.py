"""Everything the emulator remembers, behind one lock."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graph_emulator.config import EmulatorConfig
from graph_emulator.delivery import Delivery, Mailboxes
from graph_emulator.events import Event
from graph_emulator.ids import IdSource
from graph_emulator.limits import SendPace
from graph_emulator.messages import Message
from graph_emulator.requestlog import RequestRecord


@dataclass
class App:
    tenant_id: str
    client_id: str
    client_secret: str
    mailboxes: frozenset[str]
    # Entra answers an expired secret differently from a wrong one (AADSTS7000222 vs AADSTS7000215).
    secret_expired: bool = False


@dataclass(frozen=True)
class Token:
    client_id: str
    tenant_id: str
    serial: int
    expires_at: float  # time.monotonic()


@dataclass
class MailboxStore:
    events: dict[str, Event] = field(default_factory=dict)  # by id, in creation order
    transactions: dict[str, str] = field(default_factory=dict)  # transactionId → event id
    messages: dict[str, Message] = field(default_factory=dict)  # by immutable id


class State:
    """The emulator's store. Hold `lock` for every read or write; never sleep while holding it."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.ids = IdSource(config.seed)
        self.apps: dict[str, App] = {}
        self.tokens: dict[str, Token] = {}
        self.token_serial = 0
        self.valid_from_serial = 0  # expire_tokens() raises this: older tokens are refused
        self.stores: dict[str, MailboxStore] = {}
        self.received = Mailboxes(config.data_dir, config.index_each_item)
        self.pace = SendPace(config.send_pace_per_minute)
        self.retry_not_before: dict[str, float] = {}  # app → monotonic time its last Retry-After ends
        self.log: list[RequestRecord] = []
        # Scripted Teams attendance: (mailbox, event id) -> one list of attendees per time the meeting ran.
        self.attendance: dict[tuple[str, str], list[Any]] = {}
        # When recipients receive items and attendees answer: real time, or a simulation's clock.
        self.clock: Callable[[], dt.datetime] = real_time

    def store(self, mailbox: str) -> MailboxStore:
        return self.stores.setdefault(mailbox.lower(), MailboxStore())

    def issue_token(self, app: App) -> tuple[str, int]:
        lifetime = self.config.token_lifetime_s
        token = self.ids.token()
        self.token_serial += 1
        self.tokens[token] = Token(app.client_id, app.tenant_id, self.token_serial, time.monotonic() + lifetime)
        return token, int(lifetime)

    def expire_tokens(self) -> None:
        self.valid_from_serial = self.token_serial + 1

    def change_app(
        self,
        client_id: str,
        *,
        client_secret: str | None = None,
        secret_expired: bool | None = None,
        mailboxes: list[str] | tuple[str, ...] | None = None,
        revoke_tokens: bool = False,
    ) -> App:
        """What an admin does in Entra ID or Exchange: a new secret (the old one is refused from then on), a secret
        that expires, a changed mailbox scope. `revoke_tokens`: tokens issued so far stop working too, as they do for
        a client once its current token runs out."""
        app = self.apps.get(client_id)
        if app is None:
            raise KeyError(f"no app {client_id!r}")
        if client_secret is not None:
            app.client_secret, app.secret_expired = client_secret, False
        if secret_expired is not None:
            app.secret_expired = secret_expired
        if mailboxes is not None:
            app.mailboxes = frozenset(m.lower() for m in mailboxes)
        if revoke_tokens:
            self.expire_tokens()
        return app

    def deliver(
        self,
        delivery: Delivery,
        recipients: list[str],
        visible_to: tuple[str, ...] | None,
        cc: tuple[str, ...] = (),
    ) -> None:
        """Fan one send out. visible_to None: each recipient sees only their own address (hidden lists)."""
        now = self.clock()
        for recipient in recipients:
            to = visible_to if visible_to is not None else (recipient,)
            self.received.deliver(recipient, delivery, to, cc if visible_to is not None else (), now)

    def reset(self) -> None:
        """Forget events, mail, received items, tokens' pacing and the log; registered apps stay."""
        self.stores.clear()
        self.attendance.clear()
        self.received.clear()
        self.pace.clear()
        self.retry_not_before.clear()
        self.log.clear()


def real_time() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
