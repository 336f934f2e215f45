"""Gateway settings come from ROLLOUT_* variables, name what is missing, and never show the secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rollout.m365.settings import DEFAULT_GRAPH_URL, DEFAULT_LOGIN_URL, GatewaySettings, GatewaySettingsError

SECRET = "s3cr3t-Value-that-must-not-leak"

BASE = {
    "ROLLOUT_TENANT_ID": "tenant-1",
    "ROLLOUT_CLIENT_ID": "client-1",
    "ROLLOUT_CLIENT_SECRET": SECRET,
    "ROLLOUT_ORGANISER": "hubs@council.example",
}


def test_defaults_apply_when_only_required_variables_are_set() -> None:
    settings = GatewaySettings.from_env(env=BASE)
    assert settings.graph_url == DEFAULT_GRAPH_URL
    assert settings.login_url == DEFAULT_LOGIN_URL
    assert settings.send_pace_per_minute == 30
    assert settings.max_in_flight == 4
    assert settings.ca_bundle is None
    assert settings.credential.for_msal() == SECRET


def test_every_missing_required_variable_is_named() -> None:
    with pytest.raises(GatewaySettingsError) as caught:
        GatewaySettings.from_env(env={})
    text = str(caught.value)
    for name in ("ROLLOUT_TENANT_ID", "ROLLOUT_CLIENT_ID", "ROLLOUT_CLIENT_SECRET", "ROLLOUT_ORGANISER"):
        assert name in text


def test_organiser_falls_back_to_the_configuration() -> None:
    env = {k: v for k, v in BASE.items() if k != "ROLLOUT_ORGANISER"}
    assert GatewaySettings.from_env(env=env, organiser_fallback="cfg@council.example").organiser == (
        "cfg@council.example"
    )
    assert GatewaySettings.from_env(env=BASE, organiser_fallback="cfg@council.example").organiser == (
        "hubs@council.example"
    )


def test_secret_never_appears_in_repr_or_str() -> None:
    settings = GatewaySettings.from_env(env=BASE)
    for text in (repr(settings), str(settings), repr(settings.credential), str(settings.credential.secret)):
        assert SECRET not in text


def test_secret_can_come_from_a_named_prefect_secret_block() -> None:
    asked: list[str] = []

    def loader(name: str) -> str:
        asked.append(name)
        return "from-the-block-secret"

    env = {k: v for k, v in BASE.items() if k != "ROLLOUT_CLIENT_SECRET"} | {
        "ROLLOUT_CLIENT_SECRET_BLOCK": "graph-client-secret"
    }
    settings = GatewaySettings.from_env(env=env, secret_loader=loader)
    assert asked == ["graph-client-secret"]
    assert settings.credential.for_msal() == "from-the-block-secret"


def test_a_block_that_cannot_be_loaded_is_reported_by_variable_name() -> None:
    def loader(name: str) -> str:
        raise ValueError(f"no block {name}")

    env = {k: v for k, v in BASE.items() if k != "ROLLOUT_CLIENT_SECRET"} | {
        "ROLLOUT_CLIENT_SECRET_BLOCK": "missing-block"
    }
    with pytest.raises(GatewaySettingsError, match="ROLLOUT_CLIENT_SECRET_BLOCK='missing-block'"):
        GatewaySettings.from_env(env=env, secret_loader=loader)


def test_certificate_credentials_are_read_from_the_pem_file(tmp_path) -> None:
    pem = tmp_path / "app.pem"
    pem.write_text("-----BEGIN PRIVATE KEY-----\nMIIfake\n-----END PRIVATE KEY-----\n")
    env = {k: v for k, v in BASE.items() if k != "ROLLOUT_CLIENT_SECRET"} | {
        "ROLLOUT_CLIENT_CERT_PATH": str(pem),
        "ROLLOUT_CLIENT_CERT_THUMBPRINT": "AB:CD:EF",
    }
    settings = GatewaySettings.from_env(env=env)
    credential = settings.credential.for_msal()
    assert isinstance(credential, dict)
    assert credential["thumbprint"] == "ABCDEF"
    assert "MIIfake" in credential["private_key"]
    assert "MIIfake" not in repr(settings)


def test_certificate_path_without_thumbprint_is_rejected() -> None:
    env = BASE | {"ROLLOUT_CLIENT_CERT_PATH": "/nowhere.pem"}
    with pytest.raises(GatewaySettingsError, match="ROLLOUT_CLIENT_CERT_THUMBPRINT"):
        GatewaySettings.from_env(env=env)


def test_malformed_numbers_and_urls_name_their_variable() -> None:
    env = BASE | {"ROLLOUT_SEND_PACE": "fast", "ROLLOUT_LOGIN_URL": "http://login.example"}
    with pytest.raises(GatewaySettingsError) as caught:
        GatewaySettings.from_env(env=env)
    assert "ROLLOUT_SEND_PACE" in str(caught.value)
    env = BASE | {"ROLLOUT_LOGIN_URL": "http://login.example"}
    with pytest.raises(GatewaySettingsError, match="ROLLOUT_LOGIN_URL"):
        GatewaySettings.from_env(env=env)


def test_urls_pace_and_concurrency_are_read_from_the_environment() -> None:
    env = BASE | {
        "ROLLOUT_GRAPH_URL": "https://127.0.0.1:8443/v1.0/",
        "ROLLOUT_LOGIN_URL": "https://127.0.0.1:8443/",
        "ROLLOUT_CA_BUNDLE": "/tmp/ca.pem",
        "ROLLOUT_SEND_PACE": "12",
        "ROLLOUT_GRAPH_MAX_IN_FLIGHT": "2",
    }
    settings = GatewaySettings.from_env(env=env)
    assert settings.graph_url == "https://127.0.0.1:8443/v1.0"
    assert settings.login_url == "https://127.0.0.1:8443"
    assert settings.ca_bundle == "/tmp/ca.pem"
    assert (settings.send_pace_per_minute, settings.max_in_flight) == (12, 2)


def test_importing_the_package_reads_nothing_and_types_need_no_o365() -> None:
    code = (
        "import sys, rollout.outbound.gateway, rollout.m365.settings;"
        "assert 'O365' not in sys.modules and 'msal' not in sys.modules;"
        "import rollout.m365.gateway"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLOUT_")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=Path(__file__).parents[2])
