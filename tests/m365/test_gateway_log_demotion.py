"""O365's ERROR log of every expected 4xx is demoted: hidden unless O365 debugging is switched on."""

from __future__ import annotations

import logging

import pytest

from rollout.m365.redact import install_log_redaction


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def o365_logger():  # type: ignore[no-untyped-def]
    install_log_redaction()
    logger = logging.getLogger("O365.connection")
    handler = Collect()
    logger.addHandler(handler)
    previous = logger.level
    yield logger, handler
    logger.removeHandler(handler)
    logger.setLevel(previous)


def test_an_expected_client_error_is_not_shown_at_normal_log_levels(o365_logger) -> None:  # type: ignore[no-untyped-def]
    logger, handler = o365_logger
    logger.setLevel(logging.INFO)
    logger.error("Client Error: 404 Client Error: Not Found for url: https://graph/v1.0/users/x/events/y")
    assert handler.records == []


def test_with_o365_debugging_on_the_client_error_shows_at_debug(o365_logger) -> None:  # type: ignore[no-untyped-def]
    logger, handler = o365_logger
    logger.setLevel(logging.DEBUG)
    logger.error("Client Error: 404 Client Error: Not Found for url: https://graph/v1.0/users/x/events/y")
    assert [(r.levelname, r.levelno) for r in handler.records] == [("DEBUG", logging.DEBUG)]


def test_other_o365_errors_are_left_alone(o365_logger) -> None:  # type: ignore[no-untyped-def]
    logger, handler = o365_logger
    logger.setLevel(logging.INFO)
    logger.error("Server Error: 500")
    assert [r.levelname for r in handler.records] == ["ERROR"]
