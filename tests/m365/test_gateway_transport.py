"""Transport: the configured CA bundle is what is trusted, whatever REQUESTS_CA_BUNDLE says; proxies come from the
environment."""

from __future__ import annotations

import certifi
import pytest
import requests
from gateway_support import workshop

from graph_emulator import GraphEmulator
from rollout.m365.connection import environment_once_per_host
from rollout.outbound.gateway import SystemicGraphError


def test_the_ca_bundle_setting_wins_over_requests_environment_variables(
    emu: GraphEmulator, make_gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests would let these override a session's `verify` and reject the emulator's certificate.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.where())
    gateway = make_gateway()
    event_id = gateway.create_event(workshop(), "k")
    assert gateway.get_event(event_id).event_id == event_id


def test_an_untrusted_certificate_stops_at_once_as_a_systemic_error(emu: GraphEmulator, make_gateway) -> None:
    gateway = make_gateway(ca_bundle=None)  # the system trust store does not know the emulator's CA
    with pytest.raises(SystemicGraphError) as caught:
        gateway.create_event(workshop(), "k")
    assert caught.value.code == "TlsCertificateVerifyFailed"
    assert "ROLLOUT_CA_BUNDLE" in caught.value.render()
    assert emu.requests == []  # the TLS handshake failed: the server never saw a request


def test_proxy_settings_are_read_from_the_environment_once_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.council.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    session = environment_once_per_host(requests.Session())

    def proxies(url: str, given: dict[str, str] | None = None) -> dict[str, str]:
        return dict(session.merge_environment_settings(url, given or {}, False, True, None)["proxies"])

    assert proxies("https://graph.microsoft.com/v1.0/users")["https"] == "http://proxy.council.example:3128"
    assert "https" not in proxies("https://127.0.0.1:8443/v1.0/users")  # NO_PROXY is honoured
    monkeypatch.setenv("HTTPS_PROXY", "http://elsewhere.example:1")
    assert proxies("https://graph.microsoft.com/v1.0/me")["https"] == "http://proxy.council.example:3128"
    assert proxies("https://graph.microsoft.com/v1.0/me", {"https": "http://mine:8080"})["https"] == "http://mine:8080"
