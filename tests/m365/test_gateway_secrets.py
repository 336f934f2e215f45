"""The client secret never shows: not in repr, not in any log line at DEBUG, not in exception text."""

from __future__ import annotations

import logging
import re

import pytest
from gateway_support import SECRET, letter, people, settings_for, workshop
from pydantic import SecretStr

from graph_emulator import GraphEmulator
from rollout.m365.connection import build_connection
from rollout.m365.gateway import O365Gateway
from rollout.m365.settings import ClientCredential
from rollout.outbound.gateway import GraphError, SystemicGraphError

UNMASKED_BEARER = re.compile(r"Bearer (?!\*\*\*)\S")


def test_a_whole_run_at_debug_level_logs_neither_secret_nor_token(
    emu: GraphEmulator, gateway: O365Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emu.faults.once("POST", "/users/*/events", status=503, retry_after=1)
    event_id = gateway.create_event(workshop(), "k")
    emu.expire_tokens()  # forces a 401 and a new token: the token path logs too
    gateway.update_event(event_id, workshop(location="Library"))
    gateway.send_mail(letter(people(1)[0]), "m")
    gateway.cancel_event(event_id, "sorry")
    assert caplog.records, "expected O365/msal/urllib3 debug output to inspect"
    assert SECRET not in caplog.text
    assert not UNMASKED_BEARER.search(caplog.text)
    assert "Bearer ***" in caplog.text  # O365 logged the session headers, and they were masked


def test_repr_of_everything_holding_credentials_is_clean(emu: GraphEmulator, gateway: O365Gateway) -> None:
    settings = settings_for(emu)
    connection, _ = build_connection(settings)
    for text in (
        repr(gateway),
        repr(settings),
        str(settings),
        repr(settings.credential),
        repr(connection.auth),
    ):
        assert SECRET not in text
    # O365 keeps its `credentials` tuple in plain sight; it only ever holds a placeholder.
    assert SECRET not in connection.auth


def test_a_wrong_secret_is_a_systemic_error_that_does_not_echo_it(
    emu: GraphEmulator, make_gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "Wrong~Secret.Value-0a1b2c3d4e"
    gateway = make_gateway(credential=ClientCredential(secret=SecretStr(wrong)))
    with pytest.raises(SystemicGraphError) as caught:
        gateway.get_event("AAMkAD=")
    assert caught.value.code == "invalid_client"
    assert "AADSTS7000215" in str(caught.value)
    assert "not a current secret of the app" in caught.value.render()
    for text in (str(caught.value), repr(caught.value), caught.value.render(), caplog.text):
        assert wrong not in text and SECRET not in text


def test_graph_errors_carry_status_and_code(emu: GraphEmulator, gateway: O365Gateway) -> None:
    with pytest.raises(GraphError) as caught:
        gateway.get_event("does-not-exist")
    assert (caught.value.status, caught.value.code) == (404, "ErrorItemNotFound")
