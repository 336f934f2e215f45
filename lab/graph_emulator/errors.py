"""Errors the emulator answers with, in the shapes Microsoft's services use."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any


class ServiceError(Exception):
    """Raised anywhere while handling a request; the handler turns it into the HTTP response."""

    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def body(self, request_id: str) -> dict[str, Any]:
        return graph_error_body(self.code, self.message, request_id)


class OAuthError(ServiceError):
    """Entra ID's token endpoint answers in OAuth 2.0's shape, not Graph's."""

    def body(self, request_id: str) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC)
        return {
            "error": self.code,
            "error_description": f"{self.message}\r\nTrace ID: {request_id}\r\nCorrelation ID: {uuid.uuid4()}"
            f"\r\nTimestamp: {now:%Y-%m-%d %H:%M:%SZ}",
            "error_codes": [_aadsts_number(self.message)],
            "timestamp": f"{now:%Y-%m-%d %H:%M:%SZ}",
            "trace_id": request_id,
        }


def _aadsts_number(message: str) -> int:
    # Entra messages start "AADSTS7000215: ..."; the number is repeated in error_codes.
    head = message.split(":", 1)[0]
    return int(head[6:]) if head.startswith("AADSTS") and head[6:].isdigit() else 0


def graph_error_body(code: str, message: str, request_id: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "request-id": request_id,
                "client-request-id": request_id,
                "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            },
        }
    }


def not_found(what: str = "The specified object was not found in the store.") -> ServiceError:
    return ServiceError(404, "ErrorItemNotFound", what)


def bad_request(code: str, message: str) -> ServiceError:
    return ServiceError(400, code, message)


def access_denied() -> ServiceError:
    return ServiceError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")


def invalid_token(message: str) -> ServiceError:
    return ServiceError(401, "InvalidAuthenticationToken", message)
