"""Keep credentials out of logs and exception text.

The client secret (or certificate key) and bearer tokens must never reach a log line, an exception message
or anything persisted. Values registered here are replaced by "***" wherever `scrub` runs, and a logging
filter does the same for the loggers of the libraries we drive (O365 logs the session headers, bearer token
included, at DEBUG).
"""

from __future__ import annotations

import logging
import re
import threading

_MASK = "***"

# Bearer tokens in headers, and JWT-looking strings anywhere (access tokens are JWTs on Entra).
_PATTERNS = (
    re.compile(r"(Bearer\s+)[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE),
    re.compile(r"()eyJ[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*"),
    re.compile(r"((?:client_secret|client_assertion)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+", re.IGNORECASE),
)

# Loggers that may see request headers or token traffic. A logger's filters apply only to records created on
# that exact logger, so each one that logs is named.
_LOGGERS = (
    "O365",
    "O365.connection",
    "msal",
    "msal.application",
    "msal.authority",
    "msal.token_cache",
    "msal.oauth2cli.oauth2",
    "msal.oauth2cli.assertion",
    "urllib3.connectionpool",
    "rollout.m365",
)


class Redactor:
    """A process-wide set of secret values to mask. Thread-safe."""

    def __init__(self) -> None:
        self._values: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def add(self, value: str | None) -> None:
        # Very short values would mask ordinary words; real secrets are long.
        if value and len(value) >= 6:
            with self._lock:
                self._values = self._values | {value}

    def scrub(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, _MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + _MASK, text)
        return text


REDACTOR = Redactor()


def scrub(text: str) -> str:
    return REDACTOR.scrub(text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (and traceback text) with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


class DemoteO365ClientErrors(logging.Filter):
    """O365 logs every 4xx at ERROR ("Client Error: ..."), including the 404s the gateway expects (cancelling
    an event that is already gone, a draft that was already sent). The gateway reports real failures itself,
    as typed exceptions carrying Graph's code, so these records are demoted to DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and str(record.msg).startswith("Client Error"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            # The logger's level check ran before this filter; handlers often have none, so decide here.
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


_install_lock = threading.Lock()


def install_log_redaction() -> None:
    """Attach the filter to every logger that may see credentials. Idempotent; run when a gateway is built."""
    with _install_lock:
        for name in _LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(f, RedactingFilter) for f in logger.filters):
                logger.addFilter(RedactingFilter())
        o365 = logging.getLogger("O365.connection")
        if not any(isinstance(f, DemoteO365ClientErrors) for f in o365.filters):
            o365.addFilter(DemoteO365ClientErrors())
