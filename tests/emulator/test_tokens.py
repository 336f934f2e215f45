"""Entra ID's client-credentials flow as msal 1.39 drives it."""

from __future__ import annotations

import time

import msal
import requests

from graph_emulator import GraphEmulator
from tests.emulator.conftest import CLIENT_ID, GRAPH_SCOPE, SECRET, TENANT, Graph, msal_app, token_for


def test_msal_acquires_a_bearer_token_through_discovery_and_the_token_endpoint(emu: GraphEmulator) -> None:
    result = msal_app(emu).acquire_token_for_client(GRAPH_SCOPE)

    assert result["token_type"] == "Bearer"
    assert result["expires_in"] == 3600
    assert result["access_token"]
    paths = [r.path for r in emu.requests]
    assert f"/{TENANT}/oauth2/v2.0/token" in paths


def test_discovery_points_msal_back_at_the_emulator(emu: GraphEmulator) -> None:
    config = requests.get(
        f"{emu.login_url}/{TENANT}/v2.0/.well-known/openid-configuration",
        verify=str(emu.ca_bundle),
        timeout=5,
    ).json()

    assert config["token_endpoint"] == f"{emu.base_url}/{TENANT}/oauth2/v2.0/token"
    assert config["authorization_endpoint"].startswith(emu.base_url)


def test_instance_discovery_is_served_for_clients_pointed_at_it(emu: GraphEmulator) -> None:
    app = msal.ConfidentialClientApplication(
        CLIENT_ID,
        client_credential=SECRET,
        authority=f"{emu.login_url}/{TENANT}",
        verify=str(emu.ca_bundle),
        instance_discovery=f"{emu.login_url}/common/discovery/instance",
    )

    assert "access_token" in app.acquire_token_for_client(GRAPH_SCOPE)
    assert any(r.path == "/common/discovery/instance" for r in emu.requests)


def test_unknown_tenant_fails_discovery_as_entra_does(emu: GraphEmulator) -> None:
    response = requests.get(
        f"{emu.login_url}/no-such-tenant/v2.0/.well-known/openid-configuration",
        verify=str(emu.ca_bundle),
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_tenant"


def test_wrong_secret_is_refused_with_invalid_client(emu: GraphEmulator) -> None:
    result = msal_app(emu, secret="not-the-secret").acquire_token_for_client(GRAPH_SCOPE)

    assert result["error"] == "invalid_client"
    assert "AADSTS7000215" in result["error_description"]
    assert emu.requests[-1].status == 401


def test_scope_without_default_suffix_is_refused(emu: GraphEmulator) -> None:
    response = requests.post(
        f"{emu.login_url}/{TENANT}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "scope": "Mail.Send",
        },
        verify=str(emu.ca_bundle),
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_a_token_past_its_lifetime_is_refused_with_invalid_authentication_token(emu: GraphEmulator) -> None:
    emu.token_lifetime_s = 0.3
    graph = Graph(emu, token_for(emu))
    assert graph.get("/events").status_code == 200

    time.sleep(0.4)
    response = graph.get("/events")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert "expired" in response.json()["error"]["message"]
    assert "WWW-Authenticate" in response.headers


def test_expire_tokens_revokes_everything_issued_so_far_but_not_later_tokens(emu: GraphEmulator) -> None:
    old = Graph(emu, token_for(emu))
    emu.expire_tokens()

    assert old.get("/events").status_code == 401
    assert Graph(emu, token_for(emu)).get("/events").status_code == 200


def test_missing_bearer_token_is_refused(emu: GraphEmulator) -> None:
    response = requests.get(f"{emu.graph_url}/users/x@example.org/events", verify=str(emu.ca_bundle), timeout=5)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_secrets_with_url_special_characters_work(emu: GraphEmulator) -> None:
    emu.register_app(TENANT, "special-client", "a+b/c=d:e%f g~", ["organiser@example.org"])

    assert token_for(emu, "special-client", "a+b/c=d:e%f g~")


def test_a_secret_can_expire_or_be_replaced_mid_run_and_issued_tokens_stop_working(emu: GraphEmulator) -> None:
    graph = Graph(emu, token_for(emu))
    assert graph.get("/calendar").status_code == 200
    try:
        emu.expire_client_secret(CLIENT_ID)
        assert graph.get("/calendar").status_code == 401  # the token issued before is revoked with it
        expired = msal_app(emu).acquire_token_for_client(GRAPH_SCOPE)
        assert expired["error"] == "invalid_client" and "AADSTS7000222" in expired["error_description"]

        # Over HTTP, as another process (the demo, a simulation) would: a new secret; the old one is now wrong.
        answer = requests.post(
            f"{emu.base_url}/_emulator/apps/{CLIENT_ID}",
            json={"client_secret": "rotated-secret", "revoke_tokens": True},
            verify=str(emu.ca_bundle),
            timeout=10,
        )
        assert answer.status_code == 200 and answer.json()["secret_expired"] is False
        old = msal_app(emu).acquire_token_for_client(GRAPH_SCOPE)
        assert "AADSTS7000215" in old["error_description"]
        assert Graph(emu, token_for(emu, secret="rotated-secret")).get("/calendar").status_code == 200
    finally:
        emu.rotate_client_secret(CLIENT_ID, SECRET)
