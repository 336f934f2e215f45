"""Serve the check-in page with uvicorn; access logs never show a token (they are credentials)."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from rollout.attendance.here import PATH as HERE_PATH
from rollout.checkin.app import CheckinService, create_app
from rollout.checkin.links import PATH
from rollout.checkin.tokens import codec_from_settings
from rollout.services import Services
from rollout.settings import Settings

_TOKEN_IN_PATH = re.compile("(" + re.escape(PATH) + "|" + re.escape(HERE_PATH) + r')[^/?#\s"]+')
REDACTED = f"{PATH}[token]"


def redact(text: str) -> str:
    """`GET /c/eyJ...` -> `GET /c/[token]` (and the same for a workshop's `/here/` link)."""
    return _TOKEN_IN_PATH.sub(r"\1[token]", text)


class RedactTokens(logging.Filter):
    """Rewrites a record's message and arguments so no check-in token reaches any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def install_redaction() -> None:
    for name in ("uvicorn.access", "uvicorn.error", "uvicorn"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


# Limits of one `rollout checkin serve` process (docs/checkin.md lists them and what the reverse proxy adds).
HEADER_TIMEOUT_SECONDS = 10.0  # from connecting (or the end of the last response) to the end of the headers
KEEP_ALIVE_SECONDS = 5  # an idle kept-alive connection is closed after this
MAX_CONNECTIONS = 100  # open connections and running requests; beyond it requests get 503
MAX_HEADER_BYTES = 16 * 1024  # request line and headers; beyond it the request gets 400


def header_timeout_protocol(seconds: float) -> type[Any]:
    """uvicorn's h11 protocol, closing a connection whose request headers are not complete within `seconds`.

    uvicorn has no such timeout (its keep-alive timer is cancelled by any byte received), so a client sending one
    header line every few seconds ("slow loris") would hold a connection, and a concurrency slot, for ever.
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeoutProtocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)  # type: ignore[arg-type]
            self._arm()

        def handle_events(self) -> None:
            super().handle_events()
            if self.cycle is not None and not self.cycle.response_complete:
                self._disarm()  # headers are in; the app's own body timeout takes over

        def on_response_complete(self) -> None:
            self._arm()  # before super(): a pipelined request it starts disarms it again
            super().on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(seconds, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            idle = self.cycle is None or self.cycle.response_complete
            if idle and not self.transport.is_closing():
                self.logger.info("closing a connection: request headers not complete within %s s", seconds)
                self.transport.close()

    return HeaderTimeoutProtocol


def uvicorn_config(
    app: Any, host: str, port: int, *, header_timeout: float = HEADER_TIMEOUT_SECONDS, **options: Any
) -> Any:
    """uvicorn's config for the page. Its own X-Forwarded-For handling is off (it trusts 127.0.0.1 by default, so
    any local caller could choose its address); the app reads the header itself when ROLLOUT_TRUST_PROXY says so.
    Every connection is bounded in time (headers, body, keep-alive) and their number per process is capped."""
    import uvicorn

    limits: dict[str, Any] = {
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "limit_concurrency": MAX_CONNECTIONS,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "http": header_timeout_protocol(header_timeout),
    }
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=False,
        server_header=False,
        lifespan="off",
        **{**limits, **options},
    )
    install_redaction()  # after uvicorn.Config, which (re)configures its loggers
    return config


def serve(service: CheckinService, host: str, port: int, config: Settings) -> None:
    """Serve the page, with the rate limit and proxy hops from the same settings the service was built from."""
    import uvicorn

    app = create_app(service, rate_limit=config.checkin_rate_limit, trusted_proxies=config.checkin_trusted_proxies)
    uvicorn.Server(uvicorn_config(app, host, port)).run()


def service_from(services: Services) -> CheckinService:
    """The page's service from a run's services: their database, programme and clock (record times), and a token
    codec built once from their settings (raises CheckinConfigError without a secret)."""
    return CheckinService(
        sessions=services.sessions,
        programme=services.programme,
        codec=codec_from_settings(services.settings),
        clock=services.clock,
    )
