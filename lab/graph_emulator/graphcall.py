"""What a Graph handler gets: the request, the calling app, the mailbox it addressed, and the store."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from graph_emulator import odata
from graph_emulator.httpio import Request
from graph_emulator.state import App, State


@dataclass
class GraphCall:
    request: Request
    state: State
    app: App
    mailbox: str  # lower-cased address from /users/{mailbox}
    graph_url: str  # e.g. https://127.0.0.1:PORT/v1.0
    is_send: bool = False
    committed: bool = False

    @property
    def query(self) -> dict[str, str]:
        return self.request.query

    def body(self) -> Any:
        return self.request.json()

    def preferences(self) -> dict[str, str]:
        return odata.prefer(self.request.headers)

    def timezone(self) -> str:
        return self.preferences().get("outlook.timezone") or "UTC"

    def immutable_ids(self) -> bool:
        return self.preferences().get("idtype", "").lower() == "immutableid"

    def count_send(self) -> None:
        """Count this request against the mailbox's send pace (429 if over); call before changing anything."""
        self.state.pace.take(self.mailbox, time.monotonic())
        self.is_send = True

    def self_url(self) -> str:
        path = self.request.path
        prefix = path.find("/users/")
        return self.graph_url + path[prefix:]

    def context(self, entity_set: str) -> str:
        return f"{self.graph_url}/$metadata#users('{self.mailbox}')/{entity_set}"
