"""Emails to a real tenant never carry http:// or loopback check-in links unless that is explicitly allowed."""

from __future__ import annotations

import pytest

from rollout.checkin.email_links import email_links, with_checkin_links
from rollout.errors import InputError

SECRET = "a-check-in-secret-of-at-least-32-characters"
CONTEXT = {"hub_id": 3, "next_stage": 2}


@pytest.fixture(autouse=True)
def links_on(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("ROLLOUT_CHECKIN_SECRET", SECRET)
    for name in (
        "ROLLOUT_GRAPH_URL",
        "ROLLOUT_PUBLIC_URL",
        "ROLLOUT_ALLOW_INSECURE_LINKS",
        "ROLLOUT_CHECKIN_SECRET_BLOCK",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("graph_url", "public_url", "words"),
    [
        (None, None, "http://127.0.0.1:8765 is not https (it is not set: this is the default)"),
        ("https://graph.microsoft.com/v1.0", "http://checkin.example.gov.uk", "is not https"),
        (None, "https://127.0.0.1:8443", "is this machine"),
        (None, "https://[::1]:8443", "is this machine"),
        (None, "https://localhost", "is this machine"),
    ],
)
def test_emails_to_the_real_tenant_refuse_insecure_links(
    links_on: pytest.MonkeyPatch, graph_url: str | None, public_url: str | None, words: str
) -> None:
    if graph_url:
        links_on.setenv("ROLLOUT_GRAPH_URL", graph_url)
    if public_url:
        links_on.setenv("ROLLOUT_PUBLIC_URL", public_url)
    with pytest.raises(InputError) as refused:
        email_links()  # before any email of the run is rendered
    assert refused.value.source == "ROLLOUT_PUBLIC_URL"
    assert words in str(refused.value)
    assert "ROLLOUT_ALLOW_INSECURE_LINKS=1" in str(refused.value)


@pytest.mark.parametrize(
    ("env", "prefix"),
    [
        ({"ROLLOUT_PUBLIC_URL": "https://checkin.example.gov.uk"}, "https://checkin.example.gov.uk/c/"),
        ({"ROLLOUT_ALLOW_INSECURE_LINKS": "1"}, "http://127.0.0.1:8765/c/"),
        ({"ROLLOUT_GRAPH_URL": "https://127.0.0.1:9443/v1.0"}, "http://127.0.0.1:8765/c/"),  # the emulator
    ],
)
def test_secure_links_explicit_permission_and_emulator_runs_are_allowed(
    links_on: pytest.MonkeyPatch, env: dict[str, str], prefix: str
) -> None:
    for name, value in env.items():
        links_on.setenv(name, value)
    out = with_checkin_links(CONTEXT, contact_id=7, hub_links=True, issuer=email_links())
    assert out["help_url"].startswith(prefix)
