"""Transport-neutral request and response values passed between the HTTP handler and the services."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from graph_emulator.errors import ServiceError


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # raw path without the query string, still percent-encoded
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes
    base_url: str  # scheme://host:port the client reached

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ServiceError(400, "RequestBodyRead", "Unable to read JSON request payload.") from None


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering

    @classmethod
    def json(cls, status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
        merged = {"Content-Type": "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8"}
        merged.update(headers or {})
        return cls(status, json.dumps(data).encode("utf-8"), merged)

    @classmethod
    def empty(cls, status: int) -> Response:
        return cls(status)
