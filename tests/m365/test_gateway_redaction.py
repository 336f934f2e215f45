"""Secrets and bearer tokens are masked in text and in the logs of the libraries the gateway drives."""

from __future__ import annotations

import logging

from rollout.m365.redact import REDACTOR, install_log_redaction, scrub


def test_registered_secrets_and_tokens_are_masked() -> None:
    REDACTOR.add("very-secret-value-123")
    text = scrub("secret very-secret-value-123 and Authorization: Bearer eyJhbGc.eyJzdWIi.c2ln end")
    assert "very-secret-value-123" not in text
    assert "eyJ" not in text
    assert text.endswith("end")


def test_library_log_records_are_scrubbed(caplog) -> None:
    REDACTOR.add("another-secret-456")
    install_log_redaction()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("O365.connection").debug("headers %s", {"Authorization": "Bearer abc.def.ghi"})
        logging.getLogger("msal.application").debug("client_secret=another-secret-456")
    assert "abc.def.ghi" not in caplog.text
    assert "another-secret-456" not in caplog.text
