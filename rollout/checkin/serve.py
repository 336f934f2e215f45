"""Serve the check-in page with uvicorn; access logs never show a token (they are credentials)."""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from rollout.checkin.app import CheckinService, create_app
from rollout.checkin.links import PATH
from rollout.checkin.tokens import codec
from rollout.config import Programme

_TOKEN_IN_PATH = re.compile(re.escape(PATH) + r"[^/?#\s\"]+")
REDACTED = f"{PATH}[token]"


def redact(text: str) -> str:
    """`GET /c/eyJ...` -> `GET /c/[token]`."""
    return _TOKEN_IN_PATH.sub(REDACTED, text)


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


def uvicorn_config(app: Any, host: str, port: int, **options: Any) -> Any:
    """uvicorn's config for the page. Its own X-Forwarded-For handling is off (it trusts 127.0.0.1 by default, so
    any local caller could choose its address); the app reads the header itself when ROLLOUT_TRUST_PROXY says so."""
    import uvicorn

    config = uvicorn.Config(
        app, host=host, port=port, proxy_headers=False, server_header=False, lifespan="off", **options
    )
    install_redaction()  # after uvicorn.Config, which (re)configures its loggers
    return config


def serve(service: CheckinService, host: str, port: int) -> None:
    import uvicorn

    uvicorn.Server(uvicorn_config(create_app(service), host, port)).run()


def service_from_env(sessions: sessionmaker[Session], programme: Programme) -> CheckinService:
    """The page's service with the codec from the environment (raises CheckinConfigError without a secret)."""
    return CheckinService(sessions=sessions, programme=programme, codec=codec())
